"""The execute stage: how nbgrader executes a submission here, sandboxed, with limits, possibly ahead of time.

Who runs it: the instructor's process. ``nbgrader autograde`` (and :mod:`hongong.grading.classroom`, which
calls nbgrader's API) uses :class:`ExecuteInScratch` in place of nbgrader's own ``Execute``
(``Autograde.autograde_preprocessors`` in ``nbgrader_config.py``); the class's local pool and Dask workers call
:func:`execute_and_check` directly, ahead of time.

nbgrader's own ``Execute`` runs the learner's kernel inside the ``nbgrader autograde`` process, with the
submission's folder (inside the course directory) as working directory. Here instead:

- :func:`execute_and_check` runs the executor (:mod:`hongong.grading.executor`, nbgrader's ``Execute``
  unchanged) in a sandbox (:mod:`hongong.grading.sandbox`), then the trusted checker
  (:mod:`hongong.grading.checker`) in a sandbox of its own, on the answers the executor handed back as data
  (with ``checker_alongside`` that sandbox starts with the notebook's and waits for the answers);
- a notebook can be executed *before* nbgrader asks for it: its answer waits in :data:`PRECOMPUTED` under
  the submission's name and the digest of its code, and is used only if nbgrader's notebook has exactly that
  code; anything else is executed here and now. Either way the same outputs are put into nbgrader's notebook;
- a wall-clock limit per notebook ends a kernel that swallows interrupts, with every process it started;
- a failure gets a status word (``timeout``, ``memory``, ``processes``, ``output-too-large``,
  ``kernel-died``, ``execution-failed``, ``checker-failed``) and a Korean message in :class:`SubmissionFailed`,
  which nbgrader logs and records as a failed notebook, and which is kept in :data:`METRICS` for the status
  file (the reason comes from here, never from a log a learner can write into);
- the checker's verdicts go on in ``resources["checker_verdicts"]`` to :mod:`hongong.grading.record`.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbgrader.preprocessors import Execute
from traitlets import Bool, Enum, Float, Integer, Unicode

from hongong.grading.child import LaterInput
from hongong.grading.sandbox import run_in_sandbox

FAILURES = ("timeout", "memory", "processes", "output-too-large", "kernel-died", "execution-failed", "worker-lost",
            "checker-failed", "check-broken")  # check-broken: the instructor's check module, not the submission

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
    checker_alongside = Enum(["auto", "always", "never"], "auto", help=(
        "Start the checker's sandbox while the notebook runs, so that TensorFlow and the test set are loaded when the "
        "answers arrive (about 10 s less per submission when a core is idle). auto: when the submissions executed at "
        "once leave a core for each checker (one submission on two cores: the hub's service, a re-grade by hand).")
    ).tag(config=True)
    at_once: int | None = 1  # set by grade(): submissions executed at once on this machine (None: unknown, a cluster)

    def options(self) -> dict:
        """Everything that decides how a notebook executes (the same dict goes to Dask workers)."""
        return {name: getattr(self, name) for name in (
            "timeout", "interrupt_on_timeout", "notebook_timeout", "max_cell_output_bytes",
            "max_notebook_output_bytes", "sandbox", "memory_bytes", "max_processes", "cpus", "tmp_bytes",
            "max_answer_bytes", "checker_timeout")} | {"checker_alongside": self.alongside()}

    def alongside(self) -> bool:
        if self.checker_alongside != "auto":
            return self.checker_alongside == "always"
        return self.at_once is not None and 2 * self.at_once <= (os.cpu_count() or 1)

    def checks(self, assignment: str) -> dict:
        """What the checker needs for one submission: the check module's source and the answers to collect,
        with function inputs drawn now (a fresh draw for every submission, by the coordinator)."""
        from hongong.grading.checks import collect_spec, load_items

        path = Path(self.checks_directory) / f"{assignment}.py"
        if not path.is_file():
            raise SubmissionFailed("check-broken", f"채점 기준 파일이 없습니다: {path}")
        source = path.read_text(encoding="utf-8")
        try:
            return {"source": source, "name": str(path), "spec": collect_spec(load_items(source, str(path)),
                                                                              random.SystemRandom())}
        except Exception as error:  # the module does not even load: a syntax error, a missing import
            raise SubmissionFailed("check-broken", f"{path}: {type(error).__name__}: {error}") from error

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
            answer = execute_and_check(nbformat.writes(nb), self.options(), self.checks(key[1]))
        METRICS.setdefault(key, {}).update({field: answer[field] for field in (
            "execution_seconds", "checker_seconds", "peak_memory_mb") if field in answer})
        if answer["status"] != "ok":
            status = answer["status"] if answer["status"] in FAILURES else "execution-failed"
            raise SubmissionFailed(status, str(answer.get("message", ""))[:500])
        resources["checker_verdicts"] = answer.get("verdicts", {})  # none: every autograded cell scores 0
        return with_outputs_of(nb, nbformat.reads(answer["notebook"], as_version=4)), resources


def code_digest(nb, options: dict) -> str:
    """What the execution depends on: the code cells' sources, the kernel, the options (not when the checker starts)."""
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    kernel = nb.metadata.get("kernelspec", {}).get("name", "")
    options = {name: value for name, value in options.items() if name != "checker_alongside"}
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


def execute_and_check(notebook: str, options: dict, checks: dict | None = None) -> dict:
    """Execute one notebook (JSON text) in a sandbox, then let the checker judge its answers in another.

    Returns ``{"status": "ok", "notebook": …, "verdicts": {grade_id: {"passed", "message"}}}`` or a failure
    (``status`` and ``message``), with ``execution_seconds``, ``checker_seconds`` and ``peak_memory_mb``.
    ``options``: :meth:`ExecuteInScratch.options` (per-cell ``timeout`` and ``interrupt_on_timeout``,
    ``notebook_timeout``, output budgets, ``sandbox`` (False: no sandbox, only a scratch folder), ``memory_bytes``,
    ``max_processes``, ``cpus``, ``tmp_bytes``, ``max_answer_bytes``, ``checker_timeout``). ``checks`` (from
    :meth:`ExecuteInScratch.checks`): the check module's ``source`` and ``name`` and the ``spec`` of answers to
    collect; None executes only. The unit of grading work: serial grading, the local pool and Dask workers all
    call it, so they execute the same way.
    """
    if checks is None or not options.get("checker_alongside", False):
        return execute_then_check(notebook, options, checks, lambda request: judge(request, options))
    later = LaterInput()
    with ThreadPoolExecutor(1, thread_name_prefix="checker") as pool:  # on leaving, the checker's sandbox is gone
        waiting = pool.submit(judge, later, options)  # starts now: TensorFlow and the test set load beside the notebook

        def when_answers_are_ready(request: bytes) -> dict:
            later.give(request)
            return waiting.result()

        try:
            return execute_then_check(notebook, options, checks, when_answers_are_ready)
        finally:
            later.cancel()  # the notebook failed (or grading stopped): the checker waiting for it is killed


def execute_then_check(notebook: str, options: dict, checks: dict | None, checker) -> dict:
    """:func:`execute_and_check`'s steps; ``checker(request)`` gives the checker's answer to the answers' request."""
    start = time.perf_counter()
    executor = [sys.executable, "-m", "hongong.grading.executor", json.dumps(options)]
    request = {"notebook": notebook, "answers": checks["spec"] if checks else None}
    answer = run_in_sandbox(executor, json.dumps(request).encode(), options, options["notebook_timeout"],
                            f"노트북 전체 실행이 {options['notebook_timeout']:.0f}초를 넘어 중단했습니다(끝나지 않는 반복문?).")
    answer["execution_seconds"] = round(time.perf_counter() - start, 1)
    if checks is None or answer["status"] != "ok":
        return answer
    start = time.perf_counter()
    judged = checker(json.dumps({"checks": checks["source"], "checks_name": checks["name"], "spec": checks["spec"],
                                 "files": answer.pop("answers", {})}).encode())
    answer["checker_seconds"] = round(time.perf_counter() - start, 1)
    if "peak_memory_mb" in judged:  # the larger of the two sandboxes' peaks
        answer["peak_memory_mb"] = max(answer.get("peak_memory_mb", 0), judged["peak_memory_mb"])
    if judged["status"] == "check-broken":
        return {**answer, "status": "check-broken", "notebook": None, "message": judged.get("message", "")[:500]}
    if judged["status"] != "ok":
        return {**answer, "status": "checker-failed", "notebook": None,
                "message": f"채점기가 답을 판정하지 못했습니다({judged['status']}): {judged.get('message', '')}"[:500]}
    answer["verdicts"] = judged["verdicts"]
    return answer


def judge(request: bytes | LaterInput, options: dict) -> dict:
    """The checker's answer to ``request``, from a sandbox of its own; ``checker_timeout`` counts from the request."""
    return run_in_sandbox([sys.executable, "-I", "-m", "hongong.grading.checker"], request, options,
                          options["checker_timeout"], f"{options['checker_timeout']:.0f}초 안에 끝나지 않았습니다.")
