"""The grading service's slots: each learner's submission graded by a grading command of its own, side by side.

Who runs it: the grading service (:mod:`hongong.hub.service`, root). A slot is one ``python -m hongong.grading
grade-when-told`` process (the same command as ``make grade``, its imports done before it is told whom to grade),
given one learner's one assignment. So a learner's page goes out the moment *their* grading ends, and a slow
notebook holds its own slot only: the service gives each learner at most one slot at a time (:meth:`Slots.busy`).

Nothing here waits without a limit: a command still running at its deadline is killed with everything it started,
and its job comes back as failed (``code`` None); the service decides whether to try again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Job:
    """One learner's one assignment to grade: ``entry`` is the attempt's record; ``restore``: the best attempt put
    back into the gradebook (not a new attempt)."""

    assignment: str
    student: str
    entry: dict
    restore: bool = False
    started: float = 0.0
    deadline: float = 0.0
    code: int | None = None  # the command's exit code; None: killed at its deadline
    output: str = ""
    process: subprocess.Popen | None = field(default=None, repr=False)
    log: object = field(default=None, repr=False)


class Slots:
    """``count`` grading commands at most at once, each started ahead so that a job does not wait for its imports."""

    def __init__(self, course: Path, count: int, timeout: float):
        self.course, self.count, self.timeout = course, count, timeout
        self.running: list[Job] = []
        self.ready: list[tuple[subprocess.Popen, object]] = []  # started, waiting to be told (their imports done)

    def busy(self, student: str) -> bool:
        return any(job.student == student for job in self.running)

    def free(self) -> int:
        return self.count - len(self.running)

    def warm(self) -> None:
        """As many commands waiting as there are free slots (a command that died waiting is replaced)."""
        for process, log in [(process, log) for process, log in self.ready if process.poll() is not None]:
            log.close()
            self.ready.remove((process, log))
        while len(self.ready) < self.free():
            log = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")  # never a pipe that fills up
            process = subprocess.Popen([sys.executable, "-m", "hongong.grading", "grade-when-told"], cwd=self.course,
                                       stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, text=True,
                                       start_new_session=True)
            self.ready.append((process, log))

    def start(self, job: Job) -> None:
        self.warm()
        job.process, job.log = self.ready.pop(0)
        arguments = [job.assignment, f"--student={job.student}",
                     "--ClassGrading.summaries=False"]  # the export and the report: once the queue is quiet
        job.process.stdin.write(json.dumps(arguments) + "\n")
        job.process.stdin.close()
        job.started = time.monotonic()
        job.deadline = job.started + self.timeout
        self.running.append(job)

    def finished(self) -> list[Job]:
        """The jobs that ended since the last call (killed at their deadline: ``code`` None)."""
        done = []
        for job in list(self.running):
            if job.process.poll() is None and time.monotonic() < job.deadline:
                continue
            killed = job.process.poll() is None
            if killed:
                kill(job.process)
            job.code = None if killed else job.process.returncode
            job.log.seek(0)
            job.output = job.log.read()[-3000:]
            job.log.close()
            self.running.remove(job)
            done.append(job)
        return done

    def stop(self) -> None:
        """Every command killed, with everything it started (the hub is stopping the service)."""
        for process in [job.process for job in self.running] + [process for process, _ in self.ready]:
            kill(process)
        self.running, self.ready = [], []


def kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)
