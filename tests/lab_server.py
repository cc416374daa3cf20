"""JupyterLab started exactly as a Makefile target starts it (`make lab`, `make lab-instructor`), on loopback, in a copy.

The target's recipe is read with ``make -n`` (its environment assignments and its command), so a test runs what the
Makefile runs; only the notebook folder (a temporary course) changes, and the test adds a free port, a token and
``--no-browser``. The personal Jupyter folder (``~/.jupyter``: config, JupyterLab's settings and workspaces) is a
fresh empty one, so neither the person running the tests nor the test changes the other's setup.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import ROOT

BIN = Path(sys.executable).parent
CONFIG_DATA = re.compile(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.DOTALL)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_recipe(target: str) -> tuple[dict[str, str], list[str]]:
    """(environment assignments, command) of the last line ``make -n TARGET`` prints: the target's own recipe."""
    result = subprocess.run(["make", "-n", "--no-print-directory", target], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    words = shlex.split(result.stdout.strip().splitlines()[-1])
    environment = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        name, value = words.pop(0).split("=", 1)
        environment[name] = value
    return environment, words


class Lab:
    """``make TARGET``'s JupyterLab in ``course`` (its working folder too, as make's is the course root)."""

    def __init__(self, target: str, course: Path, log: Path, environment: dict[str, str] | None = None):
        self.course, self.port, self.token = course, free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log, self.output = log, log.open("w")
        recipe_environment, command = make_recipe(target)
        assert command[1:3] == ["lab", f"--notebook-dir={ROOT}"], command  # `jupyter lab --notebook-dir=$(CURDIR) …`
        self.command = [command[0], "lab", f"--notebook-dir={course}", *command[3:],
                        "--no-browser", "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0",
                        f"--IdentityProvider.token={self.token}", "--allow-root"]
        home = log.parent / f"{log.stem}-jupyter-home"
        env = {key: value for key, value in os.environ.items() if not key.startswith(("JUPYTER", "JPY_"))}
        self.environment = {**env, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "JUPYTER_CONFIG_DIR": str(home),
                            **recipe_environment, **(environment or {})}
        self.process = subprocess.Popen(self.command, cwd=course, env=self.environment, stdout=self.output,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                assert self.process.poll() is None and time.monotonic() < deadline, log.read_text()[-4000:]
                self.status("/api/status")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
            except AssertionError:
                self.stop()
                raise

    def request(self, path: str, method: str = "GET"):
        """(status, headers, body) of a request with the token; HTTP errors are answers too."""
        request = urllib.request.Request(self.url + path, method=method, headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode(errors="replace")

    def status(self, path: str) -> int:
        return self.request(path)[0]

    def page_config(self) -> dict:
        """The page config JupyterLab embeds in ``/lab`` (``disabledExtensions``, ``lockedExtensions``, …)."""
        status, _, body = self.request("/lab")
        assert status == 200, body[:1000]
        found = CONFIG_DATA.search(body)
        assert found, body[:2000]
        return json.loads(found.group(1))

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.output.close()
