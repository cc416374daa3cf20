"""The instructor's side: autograde a whole class, give feedback without hidden tests, export, report.

    python -m hongong.classroom grade [ASSIGNMENT ...] [--jobs N] [--dask] [--scheduler tcp://HOST:PORT]
                                      [--no-sandbox] [--Class.trait=value ...]
                                                          autograde + feedback + export + report
    python -m hongong.classroom export                    grades/*.csv again (= nbgrader export)
    python -m hongong.classroom report                    grades/report.png and report.html again

Run in the course directory (the repository root); ``make grade`` does it. Everything nbgrader
already does is left to nbgrader (its gradebook, ``autograde``, ``generate_feedback``, ``export``):
this module decides *who* to grade, checks each submission before nbgrader sees it, keeps one status
per submission in ``grades/status.json``, and guards the gradebook:

- ``missing``: the learner handed in nothing for this assignment (a real 0 is ``graded`` with 0);
- ``failed``: a notebook that is not JSON, missing or renamed, a kernel that died, a notebook that ran
  out of time, … with the reason in ``message``; the others are graded all the same;
- ``graded`` or ``late`` (graded, handed in after the due date).

How a class is graded (:func:`grade`):

1. every submission's notebook is prepared exactly as nbgrader will execute it (nbgrader's own
   sanitizing preprocessors: outputs cleared, locked and hidden test cells restored from the gradebook);
2. the notebooks are executed, each in its sandbox (:mod:`hongong.sandbox`), ``--jobs N`` at a time
   (default: one per core) by a local pool, or as Dask tasks (``--dask``: a LocalCluster started and
   stopped here; ``--scheduler tcp://…``: an existing Dask cluster, whose workers need this repository's
   environment, ``bwrap`` and root). A worker that dies has its task run again elsewhere by Dask;
3. as each execution comes back, *this* process, and only this one, records it with nbgrader
   (``NbGraderAPI.autograde``, which takes the execution from :data:`hongong.autograde.PRECOMPUTED`
   instead of running the notebook again), writes the feedback and the status. So every submission
   enters the gradebook once, one after another, whatever ran it. ``--jobs 1`` without Dask is plain
   serial nbgrader: each notebook executes when nbgrader asks for it.

The gradebook is copied into memory before each recording and compared afterwards: if anything but
that learner's own rows changed, or SQLite finds the file damaged, the copy is put back and the
submission is marked failed (``gradebook-tampered``; the sandbox should make this impossible, the
guard also covers ``--no-sandbox`` runs).
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
import sqlite3
import sys
import time
import warnings
from pathlib import Path

import nbformat
from nbgrader.plugins import ExportPlugin, FileNameCollectorPlugin
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Integer, Unicode
from traitlets.config import Configurable

STATUS_FILE = Path("grades") / "status.json"
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)
HIDDEN_NOTE = "# (숨은 테스트: 채점할 때만 실행되고 피드백에는 보이지 않습니다)\n"


# --- feedback without hidden tests ----------------------------------------------------------------

class HideHiddenTests(Preprocessor):
    """For ``GenerateFeedback.preprocessors``: drop hidden tests from test cells, and from their tracebacks.

    A failing hidden ``assert`` would otherwise be quoted line by line in the traceback (nbgrader#917,
    #1363). An error in a test cell keeps its type and message (visible checks speak Korean there)
    and loses its traceback.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            cell.source = HIDDEN.sub(HIDDEN_NOTE, cell.source)
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    detail = output.evalue or "숨은 테스트를 통과하지 못했습니다."
                    output.traceback = [f"{output.ename}: {detail}"]
        return cell, resources


# --- collecting an LMS download ------------------------------------------------------------------

class AttemptTimeCollector(FileNameCollectorPlugin):
    """``nbgrader zip_collect`` for names with an attempt time ``YYYY-MM-DD-HH-MM-SS`` (Blackboard's form).

    nbgrader hands that time to dateutil as it is, which reads ``2026-11-22-09-30-00`` as 09:00 (the
    ``-30-00`` is taken for a UTC offset). Here it becomes ISO 8601 with the LMS's UTC offset first.
    """

    utc_offset = Unicode("+09:00", help="UTC offset of the times in the file names (the LMS's clock).").tag(config=True)

    def collect(self, submitted_file):
        info = super().collect(submitted_file)
        stamp = re.fullmatch(r"(\d{4}-\d{2}-\d{2})-(\d{2})-(\d{2})-(\d{2})", (info or {}).get("timestamp", ""))
        if stamp:
            day, hour, minute, second = stamp.groups()
            info["timestamp"] = f"{day}T{hour}:{minute}:{second}{self.utc_offset}"
        return info


# --- who handed in what ---------------------------------------------------------------------------

def roster(course: Path) -> list[str]:
    """Every learner known to the course: the gradebook's students and every folder in submitted/."""
    from nbgrader.api import Gradebook

    names = {p.name for p in (course / "submitted").glob("*") if p.is_dir()}
    if (course / "gradebook.db").exists():
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            names |= {student.id for student in gradebook.students}
    return sorted(names)


def notebooks_of(course: Path, assignment: str) -> list[str]:
    """Names of the notebooks the release of ``assignment`` contains."""
    return sorted(p.stem for p in (course / "exercises" / assignment).glob("*.ipynb"))


def precheck(course: Path, assignment: str, student: str) -> dict | None:
    """A status for a submission nbgrader must not be given (missing, renamed, not JSON), or None."""
    folder = course / "submitted" / student / assignment
    if not folder.is_dir():
        return {"status": "missing", "message": "제출하지 않았습니다."}
    handed_in = sorted(p.name for p in folder.glob("*.ipynb"))
    for name in notebooks_of(course, assignment):
        if f"{name}.ipynb" not in handed_in:
            found = f" 제출된 노트북: {', '.join(handed_in)}." if handed_in else " 폴더에 노트북이 없습니다."
            return {"status": "failed", "reason": "notebook-missing",
                    "message": f"{name}.ipynb가 없습니다(이름을 바꾸지 말고 제출해야 합니다).{found}"}
        try:
            nbformat.validate(nbformat.read(folder / f"{name}.ipynb", as_version=4))
        except Exception as error:  # JSON errors, nbformat validation errors, undecodable bytes
            return {"status": "failed", "reason": "invalid-notebook",
                    "message": f"{name}.ipynb를 노트북으로 읽을 수 없습니다({type(error).__name__}). 파일이 손상되었습니다."}
    return None


# --- the gradebook guard --------------------------------------------------------------------------

def rows_not_of(database: Path, student: str, assignment: str) -> str:
    """A digest of every gradebook row except the grades of this learner's submission of this assignment."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            return "damaged"
        digest = hashlib.sha256()
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        own_assignment = {row[0] for row in connection.execute(
            "SELECT sa.id FROM submitted_assignment sa JOIN assignment a ON sa.assignment_id = a.id "
            "WHERE sa.student_id = ? AND a.name = ?", (student, assignment))}
        own = {row[0] for row in connection.execute(
            f"SELECT id FROM submitted_notebook WHERE assignment_id IN ({','.join('?' * len(own_assignment))})",
            tuple(own_assignment))}
        for table in tables:
            columns = [row[1] for row in connection.execute(f"PRAGMA table_info('{table}')")]
            for row in connection.execute(f"SELECT * FROM '{table}' ORDER BY rowid"):
                record = dict(zip(columns, row))
                if table in ("grade", "comment") and record["notebook_id"] in own:
                    continue  # this submission's own grades: nbgrader rewrites them
                if (table, record.get("id")) in {("submitted_notebook", i) for i in own} | {
                        ("submitted_assignment", i) for i in own_assignment} | {("student", student)}:
                    continue
                digest.update(repr((table, row)).encode())
        return digest.hexdigest()
    except sqlite3.DatabaseError:
        return "damaged"
    finally:
        connection.close()


# --- grading --------------------------------------------------------------------------------------

def nbgrader_api(course: Path, options: list[str] = ()):
    """nbgrader's Python API on the course's nbgrader_config.py, with ``--Class.trait=value`` options on top."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import KVArgParseConfigLoader, PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    if options:
        config.merge(KVArgParseConfigLoader(list(options)).load_config())
    return NbGraderAPI(coursedir=CourseDirectory(root=str(course), config=config), config=config)


def read_status(course: Path) -> dict:
    path = course / STATUS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_status(course: Path, status: dict) -> None:
    path = course / STATUS_FILE
    path.parent.mkdir(exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(status, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    temporary.replace(path)  # atomic: an interrupted run leaves the previous file or the new one


def run_nbgrader(course: Path, *args: str) -> None:
    """Run an ``nbgrader`` command of this environment in the course directory; raise with its output if it fails.

    The environment's bin/ goes first on PATH: nbgrader starts ``alembic`` from there.
    """
    import subprocess

    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run([str(bin_dir / "nbgrader"), *args, "--log-level=WARN"], cwd=course, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def ensure_in_gradebook(course: Path, assignment: str) -> bool:
    """Record the assignment's cells in the gradebook if it is not there yet (a fresh clone has no gradebook.db).

    Runs ``nbgrader generate_assignment`` with a throwaway release folder, so the committed ``exercises/``
    is left as it is. Returns True when it had to.
    """
    import tempfile

    from nbgrader.api import Gradebook, MissingEntry

    if (course / "gradebook.db").exists():
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            try:
                if gradebook.find_assignment(assignment).notebooks:
                    return False
            except MissingEntry:
                pass
    with tempfile.TemporaryDirectory(prefix="release-") as release:
        run_nbgrader(course, "generate_assignment", assignment, "--force", f"--CourseDirectory.release_directory={release}")
    return True


def grade_one(api, course: Path, assignment: str, student: str) -> dict:
    """Autograde one submission that passed :func:`precheck` with nbgrader, guarded; return its status entry."""
    from hongong.autograde import METRICS

    database = course / "gradebook.db"
    saved = database.read_bytes()  # kept in memory: nothing on disk for a submission to rewrite
    before = rows_not_of(database, student, assignment)
    start = time.perf_counter()
    result = api.autograde(assignment, student, force=True, create=True)
    measured = {"seconds": round(time.perf_counter() - start, 1)}
    failures = []
    for notebook in notebooks_of(course, assignment):  # the execution's own time and memory, where it ran
        measured |= METRICS.pop((student, assignment, notebook), {})
        if "failure" in measured:
            failures.append(measured.pop("failure"))
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


class ClassGrading(Configurable):
    """How ``grade`` spreads the executions (``c.ClassGrading.…`` in nbgrader_config.py, or the command's flags)."""

    jobs = Integer(0, help="Submissions executed at once; 0: one per core.").tag(config=True)
    dask = Bool(False, help="Execute on Dask: a LocalCluster of `jobs` workers, or the cluster at `scheduler`.").tag(config=True)
    scheduler = Unicode("", help="Address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies dask).").tag(config=True)


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


def unauthenticated(address: str) -> bool:
    """A plain ``tcp://`` scheduler address that is not this machine's loopback (anyone there may run code)."""
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    return parts.scheme == "tcp" and parts.hostname not in ("127.0.0.1", "localhost", "::1")


class Executions:
    """Executions of notebooks, ``jobs`` at a time, on local threads (each waits for its sandbox) or on Dask."""

    def __init__(self, settings: ClassGrading, say):
        self.client, self.cluster = None, None
        self.jobs = settings.jobs or os.cpu_count() or 1
        if settings.dask or settings.scheduler:
            from distributed import Client, LocalCluster

            if settings.scheduler:
                if unauthenticated(settings.scheduler):
                    say(f"경고: Dask 스케줄러 {settings.scheduler}에는 암호화·인증이 없습니다. 그 네트워크의 누구나 워커에서 root "
                        "권한으로 코드를 실행할 수 있습니다. 한 컴퓨터라면 127.0.0.1, 여러 컴퓨터라면 tls:// 주소와 인증서를 쓰세요"
                        "(README, 채점 규모 키우기).")
                self.client = Client(settings.scheduler, timeout="30s")  # TLS: certificates from Dask's config
                say(f"Dask: {settings.scheduler}의 워커 {len(self.client.scheduler_info()['workers'])}개로 실행합니다.")
            else:
                self.cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=40)
                self.client = Client(self.cluster)
                say(f"Dask LocalCluster: 워커 {self.jobs}개로 실행합니다.")
        else:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(self.jobs, thread_name_prefix="sandbox")

    def submit(self, function, *args, key: str):
        if self.client is not None:
            return self.client.submit(function, *args, key=f"{key}-{time.time_ns()}", pure=False)
        return self.pool.submit(function, *args)

    def as_completed(self, futures):
        if self.client is not None:
            from distributed import as_completed

            return as_completed(futures)
        from concurrent.futures import as_completed

        return as_completed(futures)

    @staticmethod
    def answer(future) -> dict:
        """The execution's answer; a task that could not finish (its workers kept dying, …) as a failure."""
        try:
            return future.result()
        except Exception as error:  # distributed's KilledWorker, a worker without the sandbox, …
            if type(error).__name__ == "KilledWorker":
                return {"status": "worker-lost", "message": "이 제출물을 실행하던 워커가 여러 번 죽어 실행을 포기했습니다."}
            return {"status": "execution-failed", "message": f"실행을 맡은 곳에서 오류가 났습니다: {type(error).__name__}: {error}"[:500]}

    def close(self):
        if self.client is not None:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        else:
            self.pool.shutdown(wait=True)


def grade(course: Path, assignments: list[str], options: list[str] = (), say=print) -> dict:
    """Autograde every learner's submission of each assignment, then feedback, export and report.

    ``options`` are nbgrader-style settings for this run, e.g. ``--Execute.timeout=60``,
    ``--ClassGrading.jobs=1``, ``--ExecuteInScratch.sandbox=False``. Raises
    :class:`hongong.sandbox.SandboxUnavailable` before grading anything if the sandbox is on but cannot run.
    """
    from sqlalchemy.exc import SAWarning
    from tqdm import tqdm

    from hongong import autograde, sandbox

    warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's own session warnings on a failed notebook
    api = nbgrader_api(course, options)
    execution = autograde.ExecuteInScratch(parent=api)
    if execution.sandbox:
        sandbox.check()
    else:
        say("경고: 샌드박스 없이 채점합니다(--no-sandbox). 제출물의 코드가 이 컴퓨터에서 강사의 권한으로 실행됩니다.")
    settings = ClassGrading(parent=api)
    status = read_status(course)
    students = roster(course)
    say(f"{len(students)}명, 과제 {', '.join(assignments)}")
    todo = []
    for assignment in assignments:
        if ensure_in_gradebook(course, assignment):
            say(f"{assignment}: 성적부에 없어서 solutions/에서 등록했습니다 (exercises/는 그대로).")
        for student in students:
            todo.append((assignment, student, precheck(course, assignment, student)))
    serial = settings.jobs == 1 and not (settings.dask or settings.scheduler)
    executions = None if serial else Executions(settings, say)
    start, done = time.perf_counter(), 0
    progress = tqdm(total=len(todo), unit="건", desc="채점", file=sys.stderr, disable=None, dynamic_ncols=True)

    def record(assignment, student, entry=None):
        nonlocal done
        entry = entry or grade_one(api, course, assignment, student)
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
                future = executions.submit(sandbox.run, nbformat.writes(nb), execution.options(), checks,
                                           key=f"{assignment}/{student}/{notebook}")
                pending[future] = (key, autograde.code_digest(nb, execution.options()))
                waiting.setdefault((assignment, student), set()).add(key)
            if (assignment, student) not in waiting:
                record(assignment, student)
        if executions is not None:
            for future in executions.as_completed(list(pending)):
                key, digest = pending[future]
                autograde.PRECOMPUTED[key] = (digest, executions.answer(future))
                student, assignment, _ = key
                waiting[assignment, student].discard(key)
                if not waiting[assignment, student]:
                    record(assignment, student)
    finally:
        progress.close()
        if executions is not None:
            executions.close()
    export(course)
    report(course)
    say(summary(status, assignments, time.perf_counter() - start))
    return status


def summary(status: dict, assignments: list[str], seconds: float) -> str:
    """Counts per status and assignment, the slowest executions, and anything nbgrader had to execute again."""
    from hongong.autograde import MISSED

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
    if MISSED:
        lines.append(f"  미리 실행한 결과를 쓰지 못해 다시 실행한 노트북: {len(MISSED)}개 ({', '.join('/'.join(k) for k in MISSED)})")
    return "\n".join(lines)


# --- export ---------------------------------------------------------------------------------------

class GradesExport(ExportPlugin):
    """``nbgrader export`` that tells *missing*, *failed* and a real 0 apart, with a column per question.

    Writes ``grades/<assignment>.csv`` (one row per learner) and ``grades/grades.csv`` (one row per
    learner, every assignment). ``score`` is empty unless the submission was graded.
    """

    def export(self, gradebook) -> None:
        course = Path(self.parent.coursedir.root) if self.parent is not None else Path.cwd()
        folder = course / (Path(self.to).parent if self.to else "grades")
        folder.mkdir(parents=True, exist_ok=True)
        status = read_status(course)
        assignments = sorted(a.name for a in gradebook.assignments if not self.assignment or a.name in self.assignment)
        students = sorted({s.id for s in gradebook.students} | {s for a in status.values() for s in a})
        overall = {student: {"student_id": student} for student in students}
        for assignment in assignments:
            rows = [self.row(gradebook, status, assignment, student) for student in students]
            questions = [g for g in self.question_ids(gradebook, assignment)]
            columns = ["student_id", "status", "score", "max_score", "late_seconds", "needs_manual_grade", *questions,
                       "kernel_pass_checker_fail", "message"]
            with open(folder / f"{assignment}.csv", "w", newline="", encoding="utf-8") as out:
                writer = csv.DictWriter(out, columns)
                writer.writeheader()
                writer.writerows(map(no_formulas, rows))
            for row in rows:
                overall[row["student_id"]] |= {f"{assignment}_status": row["status"], f"{assignment}_score": row["score"]}
            self.log.info("Exported %s (%d learners) to %s", assignment, len(rows), folder / f"{assignment}.csv")
        columns = ["student_id"] + [f"{a}_{c}" for a in assignments for c in ("status", "score")] + ["total"]
        for row in overall.values():
            scores = [row.get(f"{a}_score") for a in assignments]
            row["total"] = sum(s for s in scores if s != "") if any(s != "" for s in scores) else ""
        with open(folder / "grades.csv", "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, columns)
            writer.writeheader()
            writer.writerows(map(no_formulas, overall.values()))

    @staticmethod
    def question_ids(gradebook, assignment: str) -> list[str]:
        found = gradebook.find_assignment(assignment)
        return [cell.name for notebook in found.notebooks for cell in notebook.grade_cells]

    def row(self, gradebook, status: dict, assignment: str, student: str) -> dict:
        from nbgrader.api import MissingEntry

        entry = status.get(assignment, {}).get(student)
        row = {"student_id": student, "status": "missing", "score": "", "max_score": gradebook.find_assignment(assignment).max_score,
               "late_seconds": "", "needs_manual_grade": "", "kernel_pass_checker_fail": "", "message": ""}
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            submission = None
        if entry is None and submission is not None:  # graded by plain `nbgrader autograde`: judge from the gradebook
            unscored = [g for nb in submission.notebooks for g in nb.grades if g.auto_score is None and g.cell_type == "code"]
            entry = {"status": "failed", "reason": "autograde-failed",
                     "message": "자동 채점 점수가 없습니다."} if unscored else {"status": "graded"}
        if entry is None:
            return row
        row["status"] = entry["status"]
        row["message"] = entry.get("message", "")
        if entry["status"] in ("graded", "late") and submission is not None:
            row["score"] = submission.score
            row["late_seconds"] = round(submission.total_seconds_late) or ""
            row["needs_manual_grade"] = submission.needs_manual_grade
            row["kernel_pass_checker_fail"] = " ".join(entry.get("kernel_pass_checker_fail", []))
            for notebook in submission.notebooks:
                for grade_ in notebook.grades:
                    row[grade_.name] = grade_.score if (grade_.auto_score is not None or grade_.manual_score is not None) else ""
        return row


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def no_formulas(row: dict) -> dict:
    """A CSV row a spreadsheet shows as text: a text cell that could start a formula gets a leading ``'`` (OWASP's
    advice for CSV injection). Numbers stay numbers; learner ids and messages are text."""
    return {key: f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value
            for key, value in row.items()}


def export(course: Path) -> None:
    """``nbgrader export`` (configured to :class:`GradesExport`), in the course directory."""
    run_nbgrader(course, "export")


# --- report ---------------------------------------------------------------------------------------

STATUS_KO = {"graded": "채점됨", "late": "늦은 제출", "failed": "채점 실패", "missing": "미제출"}


def report(course: Path) -> Path:
    """grades/report.png (score distribution and per-question success per assignment) and report.html."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hongong.plotting import use_korean_font

    use_korean_font()
    folder = course / "grades"
    tables = {p.stem: list(csv.DictReader(p.open(encoding="utf-8"))) for p in sorted(folder.glob("ch*.csv"))}
    figure, axes = plt.subplots(len(tables), 2, figsize=(12, 3.6 * len(tables)), squeeze=False)
    summary = []
    for (assignment, rows), (left, right) in zip(tables.items(), axes):
        graded = [r for r in rows if r["status"] in ("graded", "late")]
        maximum = float(rows[0]["max_score"]) if rows else 0
        scores = [float(r["score"]) for r in graded]
        left.hist(scores, bins=range(0, int(maximum) + 2), color="#4c72b0", edgecolor="white", align="left")
        left.set_title(f"{assignment} 점수 분포 (채점된 {len(graded)}명)")
        left.set_xlabel("점수")
        left.set_ylabel("학습자 수")
        questions = [c for c in (rows[0].keys() if rows else []) if c.startswith("test-")]
        rates = []
        for question in questions:
            earned = [float(r[question]) for r in graded if r[question] != ""]
            rates.append((sum(e > 0 for e in earned) / len(earned) if earned else 0, question))
        rates.sort()
        right.barh([q for _, q in rates], [100 * r for r, _ in rates], color="#dd8452")
        right.set_xlim(0, 100)
        right.set_title(f"{assignment} 문항별 정답률 (낮은 문항이 위)")
        right.set_xlabel("점수를 받은 학습자 비율 (%)")
        right.invert_yaxis()
        counts = {key: sum(r["status"] == key for r in rows) for key in STATUS_KO}
        summary.append((assignment, counts, scores, maximum))
    figure.tight_layout()
    png = folder / "report.png"
    figure.savefig(png, dpi=100)
    plt.close(figure)
    lines = ["<!doctype html><html lang='ko'><meta charset='utf-8'><title>채점 보고서</title>",
             "<h1>채점 보고서</h1><table border='1' cellpadding='4'><tr><th>과제</th>"
             + "".join(f"<th>{STATUS_KO[k]}</th>" for k in STATUS_KO) + "<th>평균 점수</th></tr>"]
    for assignment, counts, scores, maximum in summary:
        mean = f"{sum(scores) / len(scores):.1f} / {maximum:g}" if scores else "-"
        lines.append(f"<tr><td>{html.escape(assignment)}</td>" + "".join(f"<td>{counts[k]}</td>" for k in STATUS_KO)
                     + f"<td>{mean}</td></tr>")
    lines.append("</table>")
    flagged = [(assignment, row["student_id"], row["kernel_pass_checker_fail"]) for assignment, rows in tables.items()
               for row in rows if row.get("kernel_pass_checker_fail")]
    lines.append(f"<h2>커널에서는 통과, 채점기에서는 실패 ({len(flagged)}건)</h2>"
                 "<p>노트북 안의 테스트 셀은 통과했지만 채점기가 답을 인정하지 않은 문항입니다. 보이는 테스트는 답의 형식만 보므로 "
                 "틀린 값도 여기에 나옵니다. 답이 아예 없는데(채점기: 답을 찾을 수 없습니다) 테스트 셀이 통과했다면 "
                 "노트북 안에서 테스트를 속이려 한 것일 수 있으니 피드백을 열어 보세요.</p>")
    if flagged:
        lines.append("<table border='1' cellpadding='4'><tr><th>과제</th><th>학습자</th><th>문항</th></tr>"
                     + "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(s)}</td><td>{html.escape(q)}</td></tr>"
                               for a, s, q in flagged) + "</table>")
    lines.append("<p><img src='report.png' alt='점수 분포와 문항별 정답률' style='max-width:100%'></p></html>")
    (folder / "report.html").write_text("\n".join(lines), encoding="utf-8")
    return png


def main(argv: list[str]) -> int:
    import argparse

    from hongong.sandbox import SandboxUnavailable

    course = Path.cwd()
    command, *args = argv or ["help"]
    if command == "grade":
        parser = argparse.ArgumentParser(prog="python -m hongong.classroom grade", add_help=False)
        parser.add_argument("assignments", nargs="*")
        parser.add_argument("--jobs", type=int)
        parser.add_argument("--dask", action="store_true")
        parser.add_argument("--scheduler")
        parser.add_argument("--no-sandbox", action="store_true")
        known, options = parser.parse_known_args(args)
        options += [f"--ClassGrading.jobs={known.jobs}"] if known.jobs else []
        options += ["--ClassGrading.dask=True"] if known.dask else []
        options += [f"--ClassGrading.scheduler={known.scheduler}"] if known.scheduler else []
        options += ["--ExecuteInScratch.sandbox=False"] if known.no_sandbox else []
        assignments = known.assignments or sorted(p.name for p in (course / "exercises").iterdir() if p.is_dir())
        try:
            status = grade(course, assignments, options)
        except SandboxUnavailable as error:
            print(f"채점하지 않았습니다: {error}", file=sys.stderr)
            return 3
        failed = [(a, s) for a, entries in status.items() if a in assignments for s, e in entries.items() if e["status"] == "failed"]
        print(f"끝: {course / 'grades'} (grades.csv, 과제별 CSV, report.html). 채점 실패 {len(failed)}건"
              + "".join(f"\n  {a} {s}: {status[a][s]['message']}" for a, s in failed))
        return 0
    if command == "export":
        export(course)
        return 0
    if command == "report":
        print(report(course))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
