"""A real JupyterHub on 127.0.0.1 for the hub tests: system users from a roster, the exchange, the grading service.

Who uses it: tests/test_hub.py (and benchmarks/hub_latency.py). Everything runs as it would for a class: the hub as
root (``python -m hongong.hub start``), each learner's nbgrader commands as that learner (``runuser``), tokens from
the hub (``jupyterhub token``). Users are made with a prefix (``hgt``) and removed afterwards.
"""

from __future__ import annotations

import csv
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat

from class_submissions import new_course
from conftest import ROOT
from hongong.hub.background import NoRedirect  # a redirect (to the hub's login page) is the answer

BIN = Path(sys.executable).parent


def free_port_block(size: int = 4) -> int:
    """A port with the ``size - 1`` ports after it free too (hub, hub API, proxy API, service), below the kernel's
    ephemeral range: a port taken from that range was sometimes given to one of the hub's own outgoing connections
    before the service could listen on it ("Address already in use", the hub then stopped)."""
    import random

    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(200):
        base = random.randrange(20000, low - size)
        try:
            sockets = [socket.create_server(("127.0.0.1", base + k)) for k in range(size)]
        except OSError:
            continue
        for s in sockets:
            s.close()
        return base
    raise RuntimeError("no free ports")


def modes_of(paths) -> dict:
    """{path: (mode, group)} of each path there is (links left out), for :func:`restore_modes`."""
    return {p: (p.lstat().st_mode, p.lstat().st_gid) for p in paths if p.exists() and not p.is_symlink()}


def restore_modes(modes: dict) -> None:
    for path, (mode, gid) in modes.items():
        if path.exists() and not path.is_symlink():
            os.chown(path, -1, gid)
            os.chmod(path, mode & 0o7777)


class Hub:
    def __init__(self, learners: list[str], instructor: str, rules: str = "", cell_timeout: int = 30):
        # prepare() closes this checkout to learners (hongong/hub/reach.py): put its modes back when the class ends
        self.checkout_modes = modes_of([ROOT, *ROOT.iterdir()])
        self.top = Path(tempfile.mkdtemp(prefix="hongong-hub-", dir="/tmp"))
        os.chmod(self.top, 0o755)
        self.course = self.top / "course"
        self.course.mkdir()
        new_course(self.course)
        with open(self.course / "nbgrader_config.py", "a", encoding="utf-8") as config:
            config.write(f"\nc.Execute.timeout = {cell_timeout}\n{rules}\n")
        self.hub_dir = self.top / "hub"
        self.port = free_port_block()
        self.env = dict(os.environ, HONGONG_HUB_DIR=str(self.hub_dir), HONGONG_COURSE_DIR=str(self.course),
                        HONGONG_HUB_PORT=str(self.port), PATH=f"{BIN}:{os.environ['PATH']}")
        self.learners, self.instructor = learners, instructor
        roster = self.top / "roster.csv"
        with open(roster, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student_id", "first_name"])
            writer.writerows([[name, name] for name in learners])
        self.run(sys.executable, "-m", "hongong.hub", "users", str(roster), "--instructor", instructor)
        with open(self.hub_dir / "state" / "passwords.csv", newline="") as handle:
            self.passwords = {row["user"]: row["password"] for row in csv.DictReader(handle)}
        self.process = None
        self.log_path = self.top / "hub.log"
        self.tokens = {}

    def run(self, *command, cwd=None, check=True):
        done = subprocess.run(command, env=self.env, cwd=cwd or self.course, capture_output=True, text=True, timeout=600)
        if check and done.returncode != 0:
            raise AssertionError(f"{command} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen([sys.executable, "-m", "hongong.hub", "start"], env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api/", timeout=2) as answer:
                    if answer.status == 200 and self.service_up():
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.5)
        raise AssertionError("the hub did not start:\n" + self.log_text()[-3000:])

    def service_up(self) -> bool:
        try:
            urllib.request.urlopen(f"{self.url}/services/grader/api/attempts", timeout=2)
        except urllib.error.HTTPError as error:
            return error.code in (401, 403)  # the service answers (and wants a token)
        except (urllib.error.URLError, OSError):
            return False
        return True

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def token(self, user: str) -> str:
        if user not in self.tokens:
            done = self.run(str(BIN / "jupyterhub"), "token", "-f", str(ROOT / "hongong" / "hub" / "jupyterhub_config.py"),
                            user, cwd=self.hub_dir / "state")
            self.tokens[user] = done.stdout.strip().splitlines()[-1]
        return self.tokens[user]

    def api(self, path: str, user: str | None = None):
        """(status, JSON or text) of GET ``path`` on the hub's address, as ``user`` (their token) or nobody."""
        request = urllib.request.Request(self.url + path)
        if user:
            request.add_header("Authorization", f"token {self.token(user)}")
        try:
            with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as answer:
                body = answer.read().decode()
                return answer.status, (json.loads(body) if "json" in answer.headers.get("Content-Type", "") else body)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    # -- as a learner ------------------------------------------------------------------------------------------
    def as_user(self, user: str, *command, check=True, environment: dict | None = None):
        """A command as ``user`` in their home, with the environment their hub server has (and ``environment``)."""
        home = pwd.getpwnam(user).pw_dir
        environment = ["HOME=" + home, "USER=" + user, f"PATH={BIN}:/usr/bin:/bin", "LANG=C.UTF-8",
                       f"JUPYTER_CONFIG_PATH={self.hub_dir / 'learner-config'}:{ROOT / 'jupyter_learner'}",
                       *[f"{k}={v}" for k, v in (environment or {}).items()]]
        done = subprocess.run(["runuser", "-u", user, "--", "env", "-i", *environment, *command], cwd=home,
                              capture_output=True, text=True, timeout=300)
        if check and done.returncode != 0:
            raise AssertionError(f"{user}: {command} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        return done

    def server_token(self, user: str) -> str:
        """A token with the scopes the hub gives a learner's server (jupyterhub_config.py), asked for with their own."""
        request = urllib.request.Request(f"{self.url}/hub/api/users/{user}/tokens", method="POST", data=json.dumps(
            {"scopes": ["users:activity!user", "access:services!service=grader"], "note": "as a server token"}).encode(),
            headers={"Authorization": f"token {self.token(user)}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read().decode())["token"]

    def held_hint(self, user: str, level: int, assignment: str = "ch07-1", item: str = "test-q1") -> list:
        """What the learner's kernel gets for hint ``level`` of ``item``: hongong.exercise.hints.held_hint, as them."""
        script = ("import json; from hongong.exercise.hints import held_hint; "
                  f"print(json.dumps(held_hint({assignment!r}, {item!r}, {level})))")
        done = self.as_user(user, sys.executable, "-c", script, environment={
            "HONGONG_GRADER_URL": f"http://127.0.0.1:{self.port + 3}/services/grader/",
            "JUPYTERHUB_API_TOKEN": self.server_token(user)})
        return json.loads(done.stdout.strip().splitlines()[-1])

    def hand_in(self, user: str, assignment: str, notebook) -> None:
        """Fetch (once), put the learner's notebook in place as they would have saved it, and submit."""
        home = Path(pwd.getpwnam(user).pw_dir)
        if not (home / assignment).exists():
            self.as_user(user, str(BIN / "nbgrader"), "fetch_assignment", assignment)
        path = home / assignment / f"{assignment}.ipynb"
        nbformat.write(notebook, path)
        account = pwd.getpwnam(user)
        os.chown(path, account.pw_uid, account.pw_gid)
        self.as_user(user, str(BIN / "nbgrader"), "submit", assignment)

    def feedback(self, user: str, assignment: str) -> dict[str, str]:
        """nbgrader fetch_feedback as the learner: {timestamp folder: page}."""
        self.as_user(user, str(BIN / "nbgrader"), "fetch_feedback", assignment)
        folder = Path(pwd.getpwnam(user).pw_dir) / assignment / "feedback"
        return {p.parent.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob(f"*/{assignment}.html"))}

    def wait_graded(self, user: str, assignment: str, count: int, timeout: float = 600) -> list[dict]:
        """The learner's record once ``count`` of their submissions are graded or refused."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.api("/services/grader/api/attempts", user)
            assert status == 200, body
            history = body["attempts"].get(assignment, [])
            if sum(e["state"] in ("graded", "refused") for e in history) >= count:
                return history
            time.sleep(1)
        raise AssertionError(f"{user} not graded in {timeout} s:\n" + self.log_text()[-4000:])

    def close(self):
        self.stop()
        for user in [*self.learners, self.instructor]:
            subprocess.run(["userdel", "--remove", user], capture_output=True)
        shutil.rmtree(self.top, ignore_errors=True)
        restore_modes(self.checkout_modes)


def log_in(page, hub, user):
    """The hub's login form, as a person fills it; returns once the user's JupyterLab is there."""
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.passwords[user])
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{user}/lab"), timeout=180_000)
