"""How nbgrader executes a submission here: in a child process, in an empty scratch folder, with limits.

nbgrader's own ``Execute`` preprocessor runs the learner's kernel inside the ``nbgrader autograde``
process, with the submission's folder (inside the course directory) as working directory. Here
:class:`ExecuteInScratch` takes its place in ``Autograde.autograde_preprocessors`` (see
``nbgrader_config.py``), so every nbgrader command that autogrades uses it:

- the notebook runs in a fresh scratch folder outside the course directory: relative paths such as
  ``../../solutions`` or ``../../gradebook.db`` lead nowhere (an absolute path still does: this is
  not a sandbox; see README, 보안);
- the execution happens in a child process (``python -m hongong.autograde``) that uses nbgrader's
  ``Execute`` unchanged, so the per-cell timeout and interruption behave exactly as nbgrader's;
- a wall-clock limit per notebook ends a kernel that swallows interrupts, with the kernel and every
  process it started;
- outputs are cut to a byte budget per cell and per notebook (nbgrader only counts lines, so one
  50 MB line would reach the gradebook's notebook and the feedback);
- a failure gets a status word (``timeout``, ``kernel-died``, ``execution-failed``) and a Korean
  message in :class:`SubmissionFailed`, which nbgrader logs and records as a failed notebook.

The child answers on a private copy of its standard output: the kernel inherits ``/dev/null`` as
fd 1 and 2, so nothing it prints can be taken for the child's answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import nbformat
from traitlets import Integer

from nbgrader.preprocessors import Execute

TRIMMED = "\n… 출력이 너무 길어 채점기가 잘랐습니다(원래 {size:,}바이트) …\n"


class SubmissionFailed(Exception):
    """A submission that could not be executed to the end; ``status`` is one word for the export."""

    def __init__(self, status: str, message: str):
        super().__init__(f"[{status}] {message}")
        self.status = status
        self.message = message


class ExecuteInScratch(Execute):
    """nbgrader's Execute, run by a child process in an empty scratch folder, with limits."""

    notebook_timeout = Integer(
        900, help="Wall-clock seconds for a whole notebook; the kernel and its children are killed after it."
    ).tag(config=True)
    max_cell_output_bytes = Integer(100_000, help="Bytes of output kept per cell.").tag(config=True)
    max_notebook_output_bytes = Integer(2_000_000, help="Bytes of output kept per notebook.").tag(config=True)

    def preprocess(self, nb, resources):
        options = {
            "timeout": self.timeout,
            "interrupt_on_timeout": self.interrupt_on_timeout,
            "max_cell_output_bytes": self.max_cell_output_bytes,
            "max_notebook_output_bytes": self.max_notebook_output_bytes,
        }
        with tempfile.TemporaryDirectory(prefix="hongong-submission-") as scratch:
            name = Path(resources.get("unique_key") or "submission").name + ".ipynb"
            nbformat.write(nb, Path(scratch) / name)
            answer = run_child(
                [sys.executable, "-m", "hongong.autograde", name, json.dumps(options)],
                cwd=scratch, timeout=self.notebook_timeout,
            )
        if answer["status"] != "ok":
            raise SubmissionFailed(answer["status"], answer["message"])
        return nbformat.reads(answer["notebook"], as_version=4), resources


def run_child(command: list[str], cwd: str, timeout: float) -> dict:
    """Run the executing child; kill it and all its descendants (the kernel too) at the deadline."""
    import psutil

    child = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        out, _ = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_tree(child.pid)
        child.communicate()
        return {"status": "timeout", "message": f"노트북 전체 실행이 {timeout:.0f}초를 넘어 중단했습니다(끝나지 않는 반복문?)."}
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


def _execute(name: str, options: dict) -> dict:
    nb = nbformat.read(name, as_version=4)
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
    limit_output_bytes(nb, options["max_cell_output_bytes"], options["max_notebook_output_bytes"])
    return {"status": "ok", "notebook": nbformat.writes(nb)}


def main(argv: list[str]) -> None:
    """Child side: execute NOTEBOOK with OPTIONS (JSON); answer one JSON line on the private stdout."""
    answer_fd = os.dup(1)  # not inherited by the kernel (os.dup makes a non-inheritable fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    name, options = argv[0], json.loads(argv[1])
    try:
        answer = _execute(name, options)
    except Exception:
        answer = {"status": "execution-failed", "message": traceback.format_exc(limit=3)[-500:]}
    with os.fdopen(answer_fd, "w", encoding="utf-8") as channel:
        channel.write(json.dumps(answer, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
