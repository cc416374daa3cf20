"""How nbgrader executes a submission here: in a sandboxed child process, with limits, possibly ahead of time.

nbgrader's own ``Execute`` preprocessor runs the learner's kernel inside the ``nbgrader autograde``
process, with the submission's folder (inside the course directory) as working directory. Here
:class:`ExecuteInScratch` takes its place in ``Autograde.autograde_preprocessors`` (see
``nbgrader_config.py``), so every nbgrader command that autogrades uses it:

- the execution happens in a child process (``python -m hongong.autograde``) that uses nbgrader's
  ``Execute`` unchanged, so the per-cell timeout and interruption behave exactly as nbgrader's; the
  child and its kernel run in the sandbox of :mod:`hongong.sandbox` (bubblewrap + a cgroup), which
  shows them nothing of the course directory, no network, and limits memory, processes and CPU;
- a notebook can be executed *before* nbgrader asks for it (in parallel, or on Dask workers: see
  :mod:`hongong.classroom`): its answer waits in :data:`PRECOMPUTED` under the submission's name and
  the digest of its code, and is used only if nbgrader's notebook has exactly that code; anything
  else is executed here and now. Either way the same outputs are put into nbgrader's notebook;
- a wall-clock limit per notebook ends a kernel that swallows interrupts, with the kernel and every
  process it started;
- outputs are cut to a byte budget per cell and per notebook (nbgrader only counts lines, so one
  50 MB line would reach the gradebook's notebook and the feedback);
- a failure gets a status word (``timeout``, ``memory``, ``processes``, ``output-too-large``,
  ``kernel-died``, ``execution-failed``, ``checker-failed``) and a Korean message in :class:`SubmissionFailed`,
  which nbgrader logs and records as a failed notebook;
- after the notebook, the child runs one more cell in the same kernel that writes the answers the
  trusted checker needs (:mod:`hongong.answers`), and hands them back as data; the checker
  (:mod:`hongong.checker`) decides every autograded cell from them in a fresh, sandboxed process, and
  :class:`RecordVerdicts` (after nbgrader's ``SaveAutoGrades``) puts its verdicts into the gradebook.
  The kernel's own result for a test cell is kept only to flag "the kernel said pass, the checker fail".

The child reads the notebook on standard input and answers on a private copy of its standard output:
the kernel inherits ``/dev/null`` as fd 0, 1 and 2, and the child makes itself non-dumpable, so the
kernel (same user) cannot open the child's descriptors through ``/proc`` to forge the answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

import nbformat
from traitlets import Bool, Float, Integer, Unicode

from nbgrader.preprocessors import Execute, NbGraderPreprocessor

TRIMMED = "\n… 출력이 너무 길어 채점기가 잘랐습니다(원래 {size:,}바이트) …\n"
FAILURES = ("timeout", "memory", "processes", "output-too-large", "kernel-died", "execution-failed", "worker-lost",
            "checker-failed")
ANSWER_FILE = re.compile(r"^\d{2}\.(json|keras|npy)$")

# Answers executed ahead of time: (student, assignment, notebook) -> (code digest, answer).
PRECOMPUTED: dict[tuple[str, str, str], tuple[str, dict]] = {}
# What each execution measured (seconds, peak memory) and which items only the kernel passed, for the status file.
METRICS: dict[tuple[str, str, str], dict] = {}
# Submissions whose answer ahead of time did not match nbgrader's notebook and were executed again.
MISSED: list[tuple[str, str, str]] = []


class SubmissionFailed(Exception):
    """A submission that could not be executed to the end; ``status`` is one word for the export."""

    def __init__(self, status: str, message: str):
        super().__init__(f"[{status}] {message}")
        self.status = status
        self.message = message


class ExecuteInScratch(Execute):
    """nbgrader's Execute, run by a sandboxed child process, with limits; or the answer it gave ahead of time."""

    notebook_timeout = Integer(
        900, help="Wall-clock seconds for a whole notebook; the kernel and its children are killed after it."
    ).tag(config=True)
    max_cell_output_bytes = Integer(1_000_000, help="Bytes of output (text, images, HTML) allowed per cell.").tag(config=True)
    max_notebook_output_bytes = Integer(5_000_000, help="Bytes of output allowed per notebook.").tag(config=True)
    sandbox = Bool(True, help="Execute in the bubblewrap sandbox (False only with `grade --no-sandbox`).").tag(config=True)
    memory_bytes = Integer(4 * 2**30, help="Memory limit of a submission (kernel + executor), swap included.").tag(config=True)
    max_processes = Integer(1024, help="Processes and threads a submission may have at once.").tag(config=True)
    cpus = Float(1.0, help="CPU time a submission may use, in cores (a cgroup CPU quota; 0.5: half a core).").tag(config=True)
    tmp_bytes = Integer(512 * 2**20, help="Size of the writable home and /tmp in the sandbox (each).").tag(config=True)
    max_answer_bytes = Integer(50 * 2**20, help="Bytes of answers (JSON, models) a submission may hand to the checker.").tag(config=True)
    checker_timeout = Integer(300, help="Wall-clock seconds for the checker to judge one submission's answers.").tag(config=True)
    checks_directory = Unicode("checks", help="Folder (relative to the course directory) of <assignment>.py check modules.").tag(config=True)

    def options(self) -> dict:
        """Everything that decides how a notebook executes (the same dict goes to Dask workers)."""
        return {name: getattr(self, name) for name in (
            "timeout", "interrupt_on_timeout", "notebook_timeout", "max_cell_output_bytes",
            "max_notebook_output_bytes", "sandbox", "memory_bytes", "max_processes", "cpus", "tmp_bytes",
            "max_answer_bytes", "checker_timeout")}

    def checks(self, assignment: str) -> dict:
        """What the checker needs for one submission: the check module's source and the answers to collect,
        with function inputs drawn now (a fresh draw for every submission, by the coordinator)."""
        from hongong.checker import collect_spec, load_items

        path = Path(self.checks_directory) / f"{assignment}.py"
        if not path.is_file():
            raise SubmissionFailed("checker-failed", f"채점 기준 파일 {path}이 없어 채점할 수 없습니다(강사 설정).")
        source = path.read_text(encoding="utf-8")
        return {"source": source, "name": str(path), "spec": collect_spec(load_items(source, str(path)), random.SystemRandom())}

    def preprocess(self, nb, resources):
        names = resources.get("nbgrader", {})
        key = (names.get("student"), names.get("assignment"), names.get("notebook"))
        try:
            return self._preprocess(nb, resources, key)
        except SubmissionFailed as failure:  # the reason comes from here, never from a log a learner can write into
            METRICS.setdefault(key, {})["failure"] = {"reason": failure.status, "message": failure.message}
            raise

    def _preprocess(self, nb, resources, key):
        digest = code_digest(nb, self.options())
        stored = PRECOMPUTED.pop(key, None)
        if stored is not None and stored[0] == digest:
            answer = stored[1]
        else:
            if stored is not None:
                MISSED.append(key)
            from hongong import sandbox

            answer = sandbox.run(nbformat.writes(nb), self.options(), self.checks(key[1]))
        METRICS[key] = {field: answer[field] for field in ("execution_seconds", "checker_seconds", "peak_memory_mb")
                        if field in answer}
        if answer["status"] != "ok":
            status = answer["status"] if answer["status"] in FAILURES else "execution-failed"
            raise SubmissionFailed(status, str(answer.get("message", ""))[:500])
        resources["checker_verdicts"] = answer.get("verdicts", {})  # none: every autograded cell scores 0
        return with_outputs_of(nb, nbformat.reads(answer["notebook"], as_version=4)), resources


class RecordVerdicts(NbGraderPreprocessor):
    """After nbgrader's ``SaveAutoGrades``: every autograded cell's score becomes the checker's verdict.

    ``SaveAutoGrades`` scored each test cell by how it ran in the learner's kernel; that result is kept
    only to flag items the kernel passed and the checker failed (``kernel_pass_checker_fail`` in the
    status file, the export and the report). The verdict is also added to the cell as an output, so the
    feedback says which items passed and, in Korean, what was wrong (never the hidden check itself).
    """

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        names = resources["nbgrader"]
        verdicts = resources.get("checker_verdicts", {})
        flagged = []
        with Gradebook(names["db_url"]) as gradebook:
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                if cell.cell_type != "code" or not meta.get("grade"):
                    continue
                grade = gradebook.find_grade(meta["grade_id"], names["notebook"], names["assignment"], names["student"])
                verdict = verdicts.get(meta["grade_id"]) or {
                    "passed": False, "message": "채점 기준에 이 항목이 없어 점수를 줄 수 없습니다(강사에게 알려 주세요)."}
                if grade.auto_score is not None and grade.auto_score >= grade.max_score and not verdict["passed"]:
                    flagged.append(meta["grade_id"])
                grade.auto_score = float(grade.max_score) if verdict["passed"] else 0.0
                grade.needs_manual_grade = grade.manual_score is not None
                cell.outputs.append(verdict_output(verdict, grade.auto_score, grade.max_score))
            gradebook.db.commit()
        key = (names["student"], names["assignment"], names["notebook"])
        METRICS.setdefault(key, {})["kernel_pass_checker_fail"] = flagged
        return nb, resources


def verdict_output(verdict: dict, score: float, points: float):
    """The checker's verdict as a cell output (plain text and HTML), for the autograded notebook and the feedback."""
    import html

    mark = "통과" if verdict["passed"] else "실패"
    text = f"채점기: {mark} ({score:g}/{points:g}점)" + ("" if verdict["passed"] else f" - {verdict['message']}")
    colour = "#1a7f37" if verdict["passed"] else "#cf222e"
    return nbformat.v4.new_output("display_data", data={
        "text/plain": text,
        "text/html": f"<div class='hongong-verdict' style='border-left:4px solid {colour};padding:2px 8px'>"
                     f"<b>채점기: {mark}</b> ({score:g}/{points:g}점)"
                     + ("" if verdict["passed"] else f" - {html.escape(verdict['message'])}") + "</div>"})


def code_digest(nb, options: dict) -> str:
    """What the execution depends on: the code cells' sources, the kernel, the options."""
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    kernel = nb.metadata.get("kernelspec", {}).get("name", "")
    return hashlib.sha256(json.dumps([code, kernel, options], sort_keys=True).encode()).hexdigest()


def with_outputs_of(nb, executed):
    """nbgrader's notebook with the outputs and execution counts of ``executed`` (the same code, run)."""
    mine = [cell for cell in nb.cells if cell.cell_type == "code"]
    theirs = [cell for cell in executed.cells if cell.cell_type == "code"]
    if [c.source for c in mine] != [c.source for c in theirs]:
        raise SubmissionFailed("execution-failed", "실행된 노트북의 코드가 제출물과 다릅니다.")
    for cell, run in zip(mine, theirs):
        cell.outputs = run.outputs
        cell.execution_count = run.execution_count
    if "language_info" in executed.metadata:
        nb.metadata.language_info = executed.metadata.language_info
    return nb


def run_child(command: list[str], cwd: str, timeout: float, stdin: bytes, env: dict | None = None,
              watch=None, pass_fds: tuple = ()) -> dict:
    """Run the executing child, notebook on its stdin; kill it and all its descendants at the deadline.

    The stdin is an unlinked temporary file, not a pipe: the child reads a request of any size at its
    own pace while this process only drains its stdout. ``watch()``, called every second, may return a
    failure answer (a limit was breached): the child is killed at once and that answer returned.
    ``pass_fds``: descriptors the child inherits (the sandbox's seccomp program).
    """
    import tempfile

    import psutil

    with tempfile.TemporaryFile() as request:
        request.write(stdin)
        request.seek(0)
        child = subprocess.Popen(command, cwd=cwd, stdin=request, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 start_new_session=True, env=env, pass_fds=pass_fds)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                out, _ = child.communicate(timeout=1)
                break
            except subprocess.TimeoutExpired:
                breach = watch() if watch else None
                if breach or time.monotonic() > deadline:
                    kill_tree(child.pid)
                    child.communicate()
                    return breach or {"status": "timeout",
                                      "message": f"노트북 전체 실행이 {timeout:.0f}초를 넘어 중단했습니다(끝나지 않는 반복문?)."}
    finally:
        if psutil.pid_exists(child.pid):
            kill_tree(child.pid)
    try:
        return json.loads(out.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"status": "execution-failed", "message": f"실행 프로세스가 답 없이 끝났습니다(종료 코드 {child.returncode})."}


def kill_tree(pid: int) -> None:
    """SIGKILL a process and every descendant (kernels start in their own session, so a group kill misses them)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for process in family:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)


def limit_output_bytes(nb, max_cell: int, max_notebook: int) -> int:
    """Cut outputs to ``max_cell`` bytes per cell and ``max_notebook`` in all; return the bytes removed.

    Streams keep their name (a test cell's stderr still scores 0) and errors their ``ename``
    (a failed test still fails); oversized rich outputs become a short text.
    """
    removed, notebook_left = 0, max_notebook
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell_left = min(max_cell, notebook_left)
        for output in cell.outputs:
            size = len(json.dumps(output, ensure_ascii=False).encode("utf-8"))
            if size <= cell_left:
                cell_left -= size
                continue
            removed += size
            note = TRIMMED.format(size=size)
            if output.output_type == "stream":
                keep = max(cell_left - len(note.encode("utf-8")), 0)
                output.text = output.text.encode("utf-8")[:keep].decode("utf-8", "ignore") + note
            elif output.output_type == "error":
                output.evalue = output.evalue[:200]
                output.traceback = [f"{output.ename}: {output.evalue}", note]
            else:
                output.data = {"text/plain": note}
                output.pop("metadata", None)
            cell_left = 0
        notebook_left -= min(max_cell, notebook_left) - cell_left
    return removed


def _execute(request: dict, options: dict) -> dict:
    nb = nbformat.reads(request["notebook"], as_version=4)
    spec = request.get("answers")
    folder = f".answers-{secrets.token_hex(8)}"
    if spec is not None:  # one more cell, never written to disk: the kernel sees the checker's inputs only now
        nb.cells.append(nbformat.v4.new_code_cell(
            f"__import__('hongong.answers').answers.export(globals(), __import__('json').loads({json.dumps(spec)!r}), "
            f"{folder!r})"))
    executor = Execute(timeout=options["timeout"], interrupt_on_timeout=options["interrupt_on_timeout"])
    try:
        executor.preprocess(nb, {"metadata": {"path": os.getcwd()}})
    except Exception as error:  # nbclient's DeadKernelError, a kernel that never started, …
        if type(error).__name__ == "CellTimeoutError":  # the cell kept running after the interrupt
            return {"status": "timeout",
                    "message": f"셀 하나가 {options['timeout']}초 안에 끝나지 않았고 중단 요청(KeyboardInterrupt)도 무시했습니다."}
        if type(error).__name__ == "DeadKernelError":
            return {"status": "kernel-died", "message": "실행 중에 커널이 종료되었습니다(os._exit, 메모리 부족 등)."}
        return {"status": "execution-failed",
                "message": f"노트북을 실행할 수 없습니다: {type(error).__name__}: {str(error)[:300]}"}
    if spec is not None:
        nb.cells.pop()  # the collecting cell: its outputs are not the learner's
    removed = limit_output_bytes(nb, options["max_cell_output_bytes"], options["max_notebook_output_bytes"])
    if removed:
        return {"status": "output-too-large",
                "message": f"출력이 제한(셀마다 {options['max_cell_output_bytes']:,}바이트, 노트북 전체 "
                           f"{options['max_notebook_output_bytes']:,}바이트)을 {removed:,}바이트 넘었습니다(print가 너무 많습니까?)."}
    answer = {"status": "ok", "notebook": nbformat.writes(nb)}
    if spec is not None:
        answer["answers"] = read_answers(folder, options["max_answer_bytes"])
    return answer


def read_answers(folder: str, max_bytes: int) -> dict:
    """The files the collecting cell wrote (base64), regular files with the expected names only, up to ``max_bytes``."""
    found, total = {}, 0
    if not os.path.isdir(folder) or os.path.islink(folder):
        return found
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not ANSWER_FILE.match(name) or os.path.islink(path) or not os.path.isfile(path):
            continue
        total += os.path.getsize(path)
        if total > max_bytes:
            break  # what is left is missing for the checker: those items earn 0
        found[name] = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return found


def make_undumpable() -> None:
    """prctl(PR_SET_DUMPABLE, 0): processes of the same user (the kernel) can no longer open /proc/<this>/fd."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def seed_matplotlib_cache() -> None:
    """Copy matplotlib's font list into the sandbox's empty home: building it again takes seconds."""
    source, target = os.environ.get("HONGONG_MPL_CACHE"), os.environ.get("MPLCONFIGDIR")
    if source and target and os.path.isdir(source):
        shutil.copytree(source, target, dirs_exist_ok=True)


def main(argv: list[str]) -> None:
    """Child side: execute the request read from stdin (``{"notebook", "answers"}``) with OPTIONS (JSON, argv);
    answer one JSON line on the private stdout. The request stays in this non-dumpable process's memory."""
    make_undumpable()
    answer_fd = os.dup(1)  # not inherited by the kernel (os.dup makes a non-inheritable fd)
    options = json.loads(argv[0])
    request = json.loads(sys.stdin.buffer.read())
    seed_matplotlib_cache()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    try:
        answer = _execute(request, options)
    except Exception:
        answer = {"status": "execution-failed", "message": traceback.format_exc(limit=3)[-500:]}
    with os.fdopen(answer_fd, "w", encoding="utf-8") as channel:
        channel.write(json.dumps(answer, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
