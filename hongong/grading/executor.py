"""The executor: runs one notebook inside the sandbox and answers with the executed notebook and the answers.

Who runs it: :func:`hongong.grading.execute.execute_and_check` starts it as ``python -m hongong.grading.executor
OPTIONS`` inside the sandbox (:mod:`hongong.grading.sandbox`), as the sandbox's user, with the learner's kernel
as its child. It uses nbgrader's ``Execute`` unchanged, so the per-cell timeout and interruption behave exactly
as nbgrader's. After the notebook it runs one more cell in the same kernel that writes the answers the trusted
checker needs (:mod:`hongong.exercise.answers`), and hands them back as data; outputs are cut to a byte
budget per cell and per notebook (nbgrader only counts lines, so one 50 MB line would reach the gradebook's
notebook and the feedback).

It reads the notebook on standard input and answers on a private copy of its standard output: the kernel
inherits ``/dev/null`` as fd 0, 1 and 2, and this process makes itself non-dumpable, so the kernel (same
user) cannot open its descriptors through ``/proc`` to forge the answer. It imports nothing else of the grading
engine: it only executes and hands back what the kernel produced.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import sys
import traceback
from pathlib import Path

import nbformat
from nbgrader.preprocessors import Execute

TRIMMED = "\n… 출력이 너무 길어 채점기가 잘랐습니다(원래 {size:,}바이트) …\n"
ANSWER_FILE = re.compile(r"^\d{2}\.(json|keras|npy)$")


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


def join_stream_outputs(nb) -> None:
    """One stream output where the kernel sent several in a row (same cell, same stream): ipykernel sends what a print
    wrote whenever its timer flushes, so under load ``print("x")`` can arrive as "x" and "\\n", and the same
    submission would get different outputs, and different feedback, from one grading to the next."""
    for cell in nb.cells:
        joined = []
        for output in cell.get("outputs", []):
            if (output.output_type == "stream" and joined and joined[-1].output_type == "stream"
                    and joined[-1].name == output.name):
                joined[-1].text += output.text
            else:
                joined.append(output)
        if "outputs" in cell:
            cell.outputs = joined


def _execute(request: dict, options: dict) -> dict:
    nb = nbformat.reads(request["notebook"], as_version=4)
    spec = request.get("answers")
    folder = f".answers-{secrets.token_hex(8)}"
    if spec is not None:  # one more cell, never written to disk: the kernel sees the checker's inputs only now
        nb.cells.append(nbformat.v4.new_code_cell(
            f"__import__('hongong.exercise.answers').exercise.answers.export(globals(), __import__('json').loads({json.dumps(spec)!r}), "
            f"{folder!r})"))
    # The kernel's file descriptors 1 and 2 are not copied into the notebook (capture_fd_output): what C code such as
    # TensorFlow's logger writes there arrives through a thread, whenever it is read, in whichever cell runs then.
    # Python's print and warnings still reach their own cell.
    executor = Execute(timeout=options["timeout"], interrupt_on_timeout=options["interrupt_on_timeout"],
                       extra_arguments=["--IPKernelApp.capture_fd_output=False"])
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
    join_stream_outputs(nb)
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
