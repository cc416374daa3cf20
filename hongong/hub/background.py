"""The class hub in the background: ``make hub-start``, ``make hub-status``, ``make hub-stop``.

Who runs it: the administrator (root), through :mod:`hongong.hub`'s command line. ``start`` runs JupyterHub (with its
proxy and the grading service) in a session of its own, its output in ``<hub>/state/hub.log``, and returns once the
hub and the grading service answer (or says why not, with the log's last lines, within :data:`START_TIMEOUT`).
``state/hub.pid`` holds the process and its port; ``stop`` ends the whole session (SIGTERM: JupyterHub stops the
users' servers, the proxy and the service; SIGKILL after :data:`STOP_TIMEOUT`), ``status`` says whether it answers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from hongong.hub.place import state_dir

START_TIMEOUT, STOP_TIMEOUT = 180, 60


def pid_file() -> Path:
    return state_dir() / "hub.pid"


def log_file() -> Path:
    return state_dir() / "hub.log"


def running() -> tuple[int, int] | None:
    """(pid, port) of the hub started in the background, if its process is alive."""
    try:
        pid, port = map(int, pid_file().read_text().split())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid, port


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect (to the hub's login) is the answer


def answers(port: int) -> tuple[bool, bool]:
    """(the hub answers, the grading service answers: it sends a request without a login to the hub's) on ``port``."""
    def up(path: str, ok: tuple[int, ...]) -> bool:
        try:
            with urllib.request.build_opener(NoRedirect).open(f"http://127.0.0.1:{port}{path}", timeout=3) as answer:
                return answer.status in ok
        except urllib.error.HTTPError as error:
            return error.code in ok
        except (urllib.error.URLError, OSError):
            return False

    return up("/hub/api/", (200,)), up("/services/grader/api/attempts", (302, 401, 403))


def start(command: list[str], port: int) -> int:
    if (found := running()) is not None:
        print(f"허브가 이미 실행 중입니다(pid {found[0]}). 멈추려면 make hub-stop을 실행하세요.", file=sys.stderr)
        return 1
    with open(log_file(), "a") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=state_dir())
    pid_file().write_text(f"{process.pid} {port}\n")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if all(answers(port)):
            print(f"허브: http://127.0.0.1:{port} (pid {process.pid}, 로그: {log_file()}). 멈추려면 make hub-stop을 실행하세요.")
            return 0
        time.sleep(0.5)
    tail = log_file().read_text(errors="replace").splitlines()[-30:]
    if process.poll() is None:  # SIGTERM first: JupyterHub stops the proxy and the service it started (own sessions)
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    pid_file().unlink(missing_ok=True)
    print("허브를 시작하지 못했습니다. 로그의 마지막 부분:\n" + "\n".join(tail), file=sys.stderr)
    return 1


def stop() -> int:
    found = running()
    if found is None:
        print("실행 중인 허브가 없습니다.")
        pid_file().unlink(missing_ok=True)
        return 0
    pid = found[0]
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and running():
        time.sleep(0.5)
    if running():
        os.killpg(pid, signal.SIGKILL)
        print(f"{STOP_TIMEOUT}초 안에 멈추지 않아 강제로 끝냈습니다. 프록시나 채점 서비스가 남아 있을 수 있습니다. 확인: "
              "ps -ef | grep -e configurable-http-proxy -e hongong.hub.service", file=sys.stderr)
    pid_file().unlink(missing_ok=True)
    print(f"허브를 멈췄습니다 (pid {pid}).")
    return 0


def status() -> int:
    found = running()
    if found is None:
        print("허브: 실행 중 아님")
        return 3
    pid, port = found
    hub, service = answers(port)
    print(f"허브: 실행 중 (pid {pid}, http://127.0.0.1:{port}), 허브 응답 {'있음' if hub else '없음'}, "
          f"채점 서비스 응답 {'있음' if service else '없음'}, 로그: {log_file()}")
    return 0 if hub and service else 1
