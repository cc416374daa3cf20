"""Grading a class: the stages in order, one submission after another into nbgrader's gradebook.

Who runs it: the instructor's process, through ``python -m hongong.grading grade`` (``make grade``). This
module only orchestrates; every stage is a module of its own, and everything nbgrader already does is left to
nbgrader (its gradebook, ``autograde``, ``generate_feedback``, ``export``).

How a class is graded (:func:`grade`):

1. collect: who is in the class and what each handed in (:mod:`hongong.grading.collect`); a hand-in nbgrader
   must not be given (missing, renamed, not JSON) gets its status without executing;
2. every other submission's notebook is prepared exactly as nbgrader will execute it (nbgrader's own
   sanitizing preprocessors: outputs cleared, locked and hidden test cells restored from the gradebook);
3. execute and check: each notebook runs in its sandbox and the trusted checker judges its answers
   (:func:`hongong.grading.execute.execute_and_check`), ``--jobs N`` at a time (default: one per core) on
   local threads, or as Dask tasks (``--dask``: a LocalCluster started and stopped here; ``--scheduler
   tcp://…``: an existing cluster, whose workers need this repository's environment, ``bwrap`` and root);
   see :mod:`hongong.grading.workers`. A worker that dies has its task run again elsewhere by Dask;
4. record: as each execution comes back, *this* process records it with nbgrader, holding the course's lock
   (:func:`course_lock`: one writer of the gradebook, ``grades/status.json`` and ``feedback/`` at a time, whichever
   process grades; executions run outside it, so the hub's service can grade learners side by side)
   (``NbGraderAPI.autograde``, which takes the execution from :data:`hongong.grading.execute.PRECOMPUTED`
   instead of running the notebook again, makes it inert and puts the checker's verdicts in the gradebook:
   :mod:`hongong.grading.record`), then the status (:mod:`hongong.grading.status`) and the feedback
   (:mod:`hongong.grading.feedback`; a submission that could not be graded gets a page saying "채점 불가" and why,
   :mod:`hongong.grading.feedback_items`). So every submission enters the gradebook once, one after another,
   whatever ran it. ``--jobs 1`` without Dask is plain serial nbgrader: each notebook executes when
   nbgrader asks for it;
5. export (:mod:`hongong.grading.export`) and report (:mod:`hongong.grading.report`).

The gradebook is copied into memory before each recording and compared afterwards
(:func:`hongong.grading.gradebook.rows_not_of`): if anything but that learner's own rows changed, or SQLite
finds the file damaged, the copy is put back and the submission is marked failed (``gradebook-tampered``;
the sandbox should make this impossible, the guard also covers ``--no-sandbox`` runs).
"""

from __future__ import annotations

import contextlib
import sys
import time
import warnings
from pathlib import Path

import nbformat

from hongong.grading import execute
from hongong.grading.checker import CheckBroken
from hongong.grading.collect import notebooks_of, precheck, roster
from hongong.grading.export import export
from hongong.grading.feedback_items import write_ungradable_feedback
from hongong.grading.gradebook import ensure_in_gradebook, nbgrader_api, rows_not_of
from hongong.grading.report import report
from hongong.grading.sandbox import check as check_sandbox
from hongong.grading.status import STATUS_KO, read_status, write_status
from hongong.grading.workers import ClassGrading, Executions


@contextlib.contextmanager
def course_lock(course: Path, say=print, wait: bool = True):
    """One writer of the course's gradebook, statuses and feedback at a time (``make grade`` by hand, each of the hub's
    grading slots, the export and the report): the second waits, or with ``wait=False`` gets BlockingIOError."""
    import fcntl

    with open(course / ".grading.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise
            say("다른 프로세스가 성적부에 기록을 마치기를 기다립니다(.grading.lock).")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class UnknownStudent(ValueError):
    """``grade(only=…)`` named a learner the class does not have (nothing was graded)."""


def grade_one(api, course: Path, assignment: str, student: str) -> dict:
    """Autograde one submission that passed :func:`precheck` with nbgrader, guarded; return its status entry."""
    database = course / "gradebook.db"
    saved = database.read_bytes()  # kept in memory: nothing on disk for a submission to rewrite
    before = rows_not_of(database, student, assignment)
    start = time.perf_counter()
    result = api.autograde(assignment, student, force=True, create=True)
    measured = {"seconds": round(time.perf_counter() - start, 1)}
    failures = []
    for notebook in notebooks_of(course, assignment):  # the execution's own time and memory, where it ran
        found = execute.METRICS.pop((student, assignment, notebook), {})
        for per_item in ("items", "hints"):  # {grade id: …}: the notebooks' together
            found[per_item] = measured.get(per_item, {}) | found.get(per_item, {})
        measured |= found
        if "failure" in measured:
            failures.append(measured.pop("failure"))
    broken = [failure for failure in failures if failure["reason"] == "check-broken"]
    if broken:  # the instructor's check module: nothing of it is this learner's, so nothing of it is recorded
        database.write_bytes(saved)
        raise CheckBroken(broken[0]["message"])
    if rows_not_of(database, student, assignment) != before:
        database.write_bytes(saved)
        return {"status": "failed", "reason": "gradebook-tampered", **measured,
                "message": "채점 중에 다른 학습자의 기록이나 성적부가 바뀌어 성적부를 되돌렸습니다."}
    if not result["success"]:  # the engine's own record of why (ExecuteInScratch); nbgrader's log is never parsed
        failure = failures[0] if failures else {"reason": "autograde-failed",
                                                 "message": "nbgrader가 이 제출물을 채점하지 못했습니다."}
        return {"status": "failed", **failure, **measured}
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{database}") as gradebook:
        submission = gradebook.find_submission(assignment, student)
        late = submission.total_seconds_late
    entry = {"status": "late" if late > 0 else "graded", **measured}
    if late > 0:
        entry["message"] = f"마감 후 {late / 3600:.1f}시간 뒤에 제출했습니다."
    return entry


def notebook_to_execute(api, course: Path, assignment: str, student: str, notebook: str):
    """The submitted notebook as nbgrader will execute it: its own sanitizing preprocessors, in its order."""
    from nbgrader.converters import Autograde

    converter = Autograde(coursedir=api.coursedir, parent=api)
    nb = nbformat.read(course / "submitted" / student / assignment / f"{notebook}.ipynb", as_version=4)
    resources = {"unique_key": notebook, "nbgrader": {
        "student": student, "assignment": assignment, "notebook": notebook, "db_url": api.coursedir.db_url}}
    for preprocessor in converter.sanitize_preprocessors:
        nb, resources = preprocessor(parent=converter)(nb, resources)
    return nbformat.reads(nbformat.writes(nb), as_version=4)  # as nbgrader writes it to autograded/ and reads it back


def grade(course: Path, assignments: list[str], options: list[str] = (), say=print, only: list[str] = ()) -> dict:
    """Autograde every learner's submission of each assignment (``only`` these learners, if given), then
    feedback, export and report. The others keep their gradebook rows, statuses and feedback as they were.

    ``options`` are nbgrader-style settings for this run, e.g. ``--Execute.timeout=60``,
    ``--ClassGrading.jobs=1``, ``--ExecuteInScratch.sandbox=False``. Raises
    :class:`hongong.grading.sandbox.SandboxUnavailable` before grading anything if the sandbox is on but cannot run,
    and :class:`hongong.grading.checker.CheckBroken` when a check module has a bug of its own (a name it lacks, a
    helper called wrongly): the run stops there, the submission that met it recorded as it was before.
    """
    from sqlalchemy.exc import SAWarning
    from tqdm import tqdm

    warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's own session warnings on a failed notebook
    api = nbgrader_api(course, options)
    execution = execute.ExecuteInScratch(parent=api)
    if execution.sandbox:
        check_sandbox()
    else:
        say("경고: 샌드박스 없이 채점합니다(--no-sandbox). 제출물의 코드가 이 컴퓨터에서 강사의 권한으로 실행됩니다.")
    settings = ClassGrading(parent=api)
    students = roster(course)
    unknown = sorted(set(only) - set(students))
    if unknown:
        raise UnknownStudent(f"명단(gradebook.db, submitted/)에 없는 학습자입니다: {', '.join(unknown)}")
    students = [student for student in students if student in only] if only else students
    say(f"{len(students)}명, 과제 {', '.join(assignments)}")
    todo = []
    for assignment in assignments:
        with course_lock(course, say):
            if ensure_in_gradebook(course, assignment):
                say(f"{assignment}: 성적부에 없어서 solutions/에서 등록했습니다 (exercises/는 그대로).")
        for student in students:
            todo.append((assignment, student, precheck(course, assignment, student)))
    serial = settings.jobs == 1 and not (settings.dask or settings.scheduler)
    executions = None if serial else Executions(settings, say)
    to_execute = sum(not checked for _, _, checked in todo)
    execution.at_once = 1 if serial else None if settings.scheduler else min(executions.jobs, max(to_execute, 1))
    start, done = time.perf_counter(), 0
    progress = tqdm(total=len(todo), unit="건", desc="채점", file=sys.stderr, disable=None, dynamic_ncols=True)

    def record(assignment, student, entry=None):
        with course_lock(course, say):  # another process may be recording too: its statuses are read again here
            write(assignment, student, entry)

    def write(assignment, student, entry):
        nonlocal done
        status = read_status(course)
        try:
            entry = entry or grade_one(api, course, assignment, student)
        except CheckBroken:  # stops the run: every submission after this one would meet it too
            raise
        except Exception as error:  # one submission's surprise must not stop the class: it fails, with the error's name
            entry = {"status": "failed", "reason": "autograde-failed",
                     "message": f"이 제출물을 기록하다가 오류가 났습니다({type(error).__name__}). 강사에게 알려 주세요."}
        status.setdefault(assignment, {})[student] = entry
        write_status(course, status)
        done += 1
        progress.update()
        progress.write(f"[{assignment} {done}/{len(todo)}] {student}: {entry['status']}"
                       + (f" ({entry['reason']})" if "reason" in entry else "")
                       + (f" {entry.get('execution_seconds', entry.get('seconds'))} s" if "seconds" in entry else ""),
                       file=sys.stdout)
        if entry["status"] in ("graded", "late"):
            started = time.perf_counter()
            feedback = api.generate_feedback(assignment, student, force=True)
            entry["feedback_seconds"] = round(time.perf_counter() - started, 1)
            write_status(course, status)
            if not feedback["success"]:
                say(f"  피드백을 만들지 못했습니다: {feedback.get('error', '')[-300:]}")
        elif entry["status"] == "failed":  # nbgrader has no feedback for it: ours says "채점 불가" and why
            try:
                write_ungradable_feedback(api, assignment, student, entry)
            except Exception as error:
                say(f"  피드백을 만들지 못했습니다: {type(error).__name__}")

    try:
        waiting, pending = {}, {}
        for assignment, student, checked in todo:
            if checked or serial:
                record(assignment, student, checked)
                continue
            for notebook in notebooks_of(course, assignment):
                try:
                    nb = notebook_to_execute(api, course, assignment, student, notebook)
                    checks = execution.checks(assignment)
                except Exception:  # nbgrader (or ExecuteInScratch) will say what is wrong when it grades it
                    continue
                key = (student, assignment, notebook)
                future = executions.submit(execute.execute_and_check, nbformat.writes(nb), execution.options(), checks,
                                           key=f"{assignment}/{student}/{notebook}")
                pending[future] = (key, execute.code_digest(nb, execution.options()))
                waiting.setdefault((assignment, student), set()).add(key)
            if (assignment, student) not in waiting:
                record(assignment, student)
        if executions is not None:
            for future in executions.as_completed(list(pending)):
                key, digest = pending[future]
                execute.PRECOMPUTED[key] = (digest, executions.answer(future))
                student, assignment, _ = key
                waiting[assignment, student].discard(key)
                if not waiting[assignment, student]:
                    record(assignment, student)
    finally:
        progress.close()
        if executions is not None:
            executions.close()
    with course_lock(course, say):
        if settings.summaries:
            export(course)
            report(course)
        status = read_status(course)
    say(summary(status, assignments, time.perf_counter() - start))
    return status


def summary(status: dict, assignments: list[str], seconds: float) -> str:
    """Counts per status and assignment, the slowest executions, and anything nbgrader had to execute again."""
    lines = [f"요약 ({seconds / 60:.1f}분):"]
    for assignment in assignments:
        entries = status.get(assignment, {})
        counts = {key: sum(e["status"] == key for e in entries.values()) for key in STATUS_KO}
        lines.append(f"  {assignment}: " + ", ".join(f"{STATUS_KO[k]} {n}" for k, n in counts.items()))
    timed = sorted(((e.get("execution_seconds", e.get("seconds", 0)), a, s) for a in assignments
                    for s, e in status.get(a, {}).items() if "seconds" in e), reverse=True)[:3]
    if timed:
        lines.append("  가장 오래 걸린 제출물: " + ", ".join(f"{a} {s} {t:.0f} s" for t, a, s in timed))
    flagged = [(a, s) for a in assignments for s, e in status.get(a, {}).items() if e.get("kernel_pass_checker_fail")]
    if flagged:
        lines.append(f"  커널에서는 통과, 채점기에서는 실패한 문항이 있는 제출물: {len(flagged)}건 (grades/report.html)")
    if execute.MISSED:
        lines.append(f"  미리 실행한 결과를 쓰지 못해 다시 실행한 노트북: {len(execute.MISSED)}개 ({', '.join('/'.join(k) for k in execute.MISSED)})")
    return "\n".join(lines)


