"""A child process with a deadline: its request on stdin, one JSON line of answer on stdout, every descendant killed.

Who runs it: :mod:`hongong.grading.sandbox` (the sandboxed executor and checker, and the unsandboxed scratch run), in
the instructor's process (a local pool thread or a Dask worker). The request is either bytes (an unlinked temporary
file) or a :class:`LaterInput`: the checker starts while the notebook still runs, loads TensorFlow and the test set,
and gets its request the moment the notebook's answers are ready.
"""

from __future__ import annotations

import json
import os
import subprocess
import time


class LaterInput:
    """A request that is not ready yet: the child starts at once and blocks on its stdin (a pipe) until
    :meth:`give` writes the request, or :meth:`cancel` closes it empty. Its deadline counts from then."""

    def __init__(self):
        import threading

        self.ready, self.data, self.given_at, self.cancelled = threading.Event(), b"", None, False

    def give(self, data: bytes) -> None:
        self.data, self.given_at = data, time.monotonic()
        self.ready.set()

    def cancel(self) -> None:
        """No request will come: the child is killed (within a second) unless it already has its request."""
        self.cancelled = self.given_at is None
        self.ready.set()

    def feed(self, fd: int) -> None:
        """Write the request into the pipe ``fd`` once it is given (the child reads at its own pace), then close it."""
        self.ready.wait()
        try:
            with open(fd, "wb") as pipe:
                pipe.write(self.data)
        except BrokenPipeError:  # the child is gone (killed at a limit): nothing to read it
            pass


def run_child(command: list[str], cwd: str, timeout: float, stdin: bytes | LaterInput, env: dict | None = None,
              watch=None, pass_fds: tuple = (), timeout_message: str | None = None) -> dict:
    """Run the child, its request on its stdin; kill it and all its descendants at the deadline.

    Bytes go in an unlinked temporary file, not a pipe: the child reads a request of any size at its own pace
    while this process only drains its stdout. A :class:`LaterInput` is a pipe fed by a thread of its own; the
    deadline counts from the moment the request is given, and a cancelled one ends the child. ``watch()``, called
    every second, may return a failure answer (a limit was breached): the child is killed at once and that answer
    returned.
    ``pass_fds``: descriptors the child inherits (the sandbox's seccomp program).
    """
    import tempfile
    import threading

    import psutil

    later = stdin if isinstance(stdin, LaterInput) else None
    if later is not None:
        reading, writing = os.pipe()
        child = subprocess.Popen(command, cwd=cwd, stdin=reading, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 start_new_session=True, env=env, pass_fds=pass_fds)
        os.close(reading)
        threading.Thread(target=later.feed, args=(writing,), daemon=True).start()
    else:
        with tempfile.TemporaryFile() as request:
            request.write(stdin)
            request.seek(0)
            child = subprocess.Popen(command, cwd=cwd, stdin=request, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, start_new_session=True, env=env, pass_fds=pass_fds)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                out, _ = child.communicate(timeout=1)
                break
            except subprocess.TimeoutExpired:
                breach = watch() if watch else None
                if later is not None:  # no deadline while it waits; killed if its request will never come
                    deadline = later.given_at + timeout if later.given_at is not None else float("inf")
                    if later.cancelled:
                        kill_tree(child.pid)
                        child.communicate()
                        return {"status": "cancelled", "message": "요청이 오지 않아 멈췄습니다."}
                if breach or time.monotonic() > deadline:
                    kill_tree(child.pid)
                    child.communicate()
                    return breach or {"status": "timeout",
                                      "message": timeout_message or f"{timeout:.0f}초를 넘어 중단했습니다."}
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
