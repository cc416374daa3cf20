"""formgrader as the instructor sees it, for the formgrader tests: JupyterLab as `make lab-instructor` starts it, and Chromium.

``Lab`` runs `jupyter lab` with the repository's jupyter_server_config.py in a course, on loopback; ``Watched`` is a
Chromium page with every request, console line, uncaught error and policy violation recorded; then what must not
change (gradebook rows, config and checks) and which requests a formgrader page may make.
"""

import hashlib
import json
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import ROOT

BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Lab:
    """`jupyter lab` as `make lab-instructor` starts it (the repository's jupyter_server_config.py), in ``course``, on loopback."""

    def __init__(self, course, port, log):
        self.course, self.port, self.token = course, port, secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{port}"
        self.log, self.output = log, log.open("w")
        command = [str(BIN / "jupyter"), "lab", f"--notebook-dir={course}", f"--config={ROOT / 'jupyter_server_config.py'}",
                   "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
                   f"--ServerApp.token={self.token}", "--allow-root"]
        self.process = subprocess.Popen(command, cwd=course, stdout=self.output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                assert self.process.poll() is None and time.monotonic() < deadline, log.read_text()[-4000:]
                self.get("/api/status")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
            except AssertionError:
                self.stop()
                raise

    def request(self, path, method="GET"):
        request = urllib.request.Request(self.url + path, method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.headers, response.read().decode()

    def get(self, path):
        return json.loads(self.request(path)[1])

    def submission_ids(self):
        return {s["student"]: s["id"] for s in self.get("/formgrader/api/submitted_notebooks/ch07-1/ch07-1")}

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.output.close()


# Before any page script: keep every policy violation the page reports (read back through the DevTools protocol).
WATCH = """window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.effectiveDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || '').slice(0, 60));
});"""


class Watched:
    """A Chromium page with everything it does recorded: requests, console lines, uncaught errors."""

    def __init__(self, context):
        self.page = context.new_page()
        self.sent, self.console, self.errors = [], [], []
        self.page.on("request", lambda request: self.sent.append(request))
        self.page.on("console", lambda m: self.console.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    @property
    def requests(self):
        """(method, URL) of every request the page made, but those the policy stopped in the browser."""
        return [(r.method, r.url) for r in self.sent if r.failure not in ("csp", "net::ERR_BLOCKED_BY_CSP")]

    @property
    def blocked(self):
        """Requests the policy stopped before they left the browser (Playwright's failure text: "csp")."""
        return [(r.method, r.url) for r in self.sent if r.failure in ("csp", "net::ERR_BLOCKED_BY_CSP")]

    def markers(self):
        """The page's ``window.__pwned`` and title, if a payload ran in it. (In frames, a payload's console line
        and requests tell: evaluating in a frame whose load the policy blocked never returns.)"""
        pwned, title = self.page.evaluate("() => [window.__pwned || null, document.title]")
        return [(self.page.url, pwned, title)] if pwned or "PWNED" in title else []

    def violations(self):
        return self.page.evaluate("() => window.__violations")

    def shot(self, folder, name):
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path


def log_in(context, lab):
    """Log in to JupyterLab with the token, as the instructor does; the page ends on formgrader's gradebook."""
    page = context.new_page()
    page.goto(f"{lab.url}/login?next=/formgrader/gradebook")
    page.fill("input[type=password]", lab.token)
    page.press("input[type=password]", "Enter")
    page.wait_for_url(re.compile(r".*/formgrader/gradebook/?$"))
    return page


# --- what must not change ------------------------------------------------------------------------------------

def gradebook_rows(course):
    """table -> {id: row as dict} of every table of nbgrader's gradebook."""
    with sqlite3.connect(course / "gradebook.db") as db:
        db.row_factory = sqlite3.Row
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = {}
        for table in tables:
            records = [dict(row) for row in db.execute(f'SELECT * FROM "{table}"')]
            rows[table] = {record.get("id", json.dumps(record, sort_keys=True, default=str)): record for record in records}
        return rows


def changed_rows(before, after):
    return {(table, key): (before[table].get(key), row)
            for table in after for key, row in after[table].items() if before.get(table, {}).get(key) != row} | \
           {(table, key): (row, None) for table in before for key, row in before[table].items() if key not in after.get(table, {})}


def file_hashes(course):
    """sha256 of nbgrader_config.py, every file under checks/ and solutions/."""
    paths = [course / "nbgrader_config.py", *sorted((course / "checks").rglob("*")), *sorted((course / "solutions").rglob("*"))]
    return {str(p.relative_to(course)): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def path_of(url):
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def unexpected_requests(requests, lab, allowed_api):
    """Requests other than: GETs of formgrader's page and its static files, ``allowed_api``, CSP reports."""
    bad = []
    for method, url in requests:
        path = path_of(url)
        if url.startswith("data:"):
            bad.append((method, url[:80]))
        elif not url.startswith(lab.url + "/"):
            bad.append((method, url))
        elif (method, path) in allowed_api or (method == "POST" and path == "/api/security/csp-report"):
            continue
        elif method != "GET" or "/api/" in path or "pwn" in path:  # planted files: a script or frame got through
            bad.append((method, url))
    return bad


LOADED = "() => window.formgrader && formgrader.loaded && formgrader.grades.loaded && formgrader.comments.loaded"


def open_submission(context, lab, submission_id):
    """formgrader's page of one submission, loaded (its grades and comments too), plus a few seconds for payloads."""
    watched = Watched(context)
    watched.page.goto(f"{lab.url}/formgrader/submissions/{submission_id}/?index=0")
    watched.page.wait_for_function(LOADED, timeout=30_000)
    watched.page.wait_for_timeout(3000)
    return watched


def click_hostile_links(watched):
    """Click, as a curious instructor would, every link and button the learner's content left on the page."""
    clicked = 0
    for selector in ["a[href^='javascript:' i]", "#pwn-form", "#pwn-link", "#pwn-answer-link"]:
        for element in watched.page.query_selector_all(selector):
            try:
                element.click(timeout=2000, force=True, no_wait_after=True)
                clicked += 1
            except Exception:  # hidden or detached: nothing to click
                pass
    watched.page.wait_for_timeout(1500)
    return clicked


def assert_nothing_ran(watched, lab, allowed_api, where):
    assert watched.markers() == [], f"a payload ran in {where}"
    assert not [line for line in watched.console if line.startswith("PWNED-")], watched.console
    assert watched.errors == [], watched.errors
    assert unexpected_requests(watched.requests, lab, allowed_api) == [], watched.requests


def formgrader_loads(submission_id):
    """The two requests formgrade.js makes when a submission's page loads."""
    return {("GET", f"/formgrader/api/grades?submission_id={submission_id}"),
            ("GET", f"/formgrader/api/comments?submission_id={submission_id}")}


def directives(header):
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}
