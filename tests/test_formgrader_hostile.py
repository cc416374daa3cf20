"""A hostile learner's notebook in front of the instructor: formgrader (in `make lab-instructor`'s JupyterLab) and feedback.

Two learners hand in ch07-1: one honest, one hostile. The hostile notebook also earns points, and it adds
outputs and a written answer that would, if any of it ran in the instructor's browser, rewrite grades with
formgrader's REST API, read the hidden checks and overwrite nbgrader_config.py with Jupyter's contents API,
and leave a marker (``window.__pwned``, the page title, a console line): ``<script>`` and
``<img onerror>`` in HTML output, an ``application/javascript`` output, raw HTML with an iframe, a form,
``javascript:`` links, ``data:`` and same-origin (planted) scripts, a ``<base>``, an SVG with a script,
image metadata that breaks out of its attribute, and the same in the markdown answer.

After grading (sanitizer, hongong/grading/inert.py), JupyterLab is started as `make lab-instructor` starts it (with the
repository's jupyter_server_config.py: formgrader with a Content-Security-Policy, hongong/grading/formgrader_csp.py),
and Debian's Chromium, logged in as the instructor, opens the hostile submission in formgrader: nothing
runs, not one request leaves the page until the instructor acts, and then exactly the instructor's own
(score, comment, flag); the gradebook changes by exactly those rows; config and checks are untouched.
formgrader's other pages, next/previous and the honest learner's page work under the policy, with no
violation. The hostile learner's feedback file, opened from disk, runs nothing either.
The last test writes the payloads, unsanitized, straight into autograded/: the policy alone blocks them.
Screenshots go to the test's tmp folder (paths printed).
"""

import base64
import hashlib
import json
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from class_submissions import AUTO_POINTS, new_course, read, submission
from conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
BIN = Path(sys.executable).parent
CELL_TIMEOUT = "--Execute.timeout=90"
ANSWER = "why-validation"  # ch07-1's written answer, graded by hand (2 points)
COMMENT = "검증 세트를 쓰는 이유는 맞습니다. 훈련 비용 이야기를 조금 더 쓰면 좋겠습니다."
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="


# --- the hostile learner -------------------------------------------------------------------------------------

def payload(tag, origin):
    """JavaScript that does the harm and leaves a marker; no space, quote or angle bracket: it fits anywhere."""
    return (
        "(function(w,t,o,h){w.__pwned=(w.__pwned||[]).concat([t]);document.title='PWNED-'+t;console.log('PWNED-'+t);"
        "h={'Content-Type':'application/json','X-XSRFToken':(document.cookie.match(/_xsrf=([^;]+)/)||[])[1]||''};"
        "fetch(o+'/formgrader/api/submitted_notebooks/ch07-1/ch07-1',{credentials:'include'}).then(function(r){return(r.json())})"
        ".then(function(n){n.forEach(function(s){fetch(o+'/formgrader/api/grades?submission_id='+s.id,{credentials:'include'})"
        ".then(function(r){return(r.json())}).then(function(g){g.forEach(function(e){fetch(o+'/formgrader/api/grade/'+e.id,"
        "{method:'PUT',headers:h,credentials:'include',body:JSON.stringify({manual_score:s.student=='hostile'?e.max_score:0})})})})})});"
        "fetch(o+'/api/contents/checks/ch07-1.py',{credentials:'include'});"
        "fetch(o+'/api/contents/nbgrader_config.py',{method:'PUT',headers:h,credentials:'include',"
        "body:JSON.stringify({type:'file',format:'text',content:'c=get_config()#PWNED'})})"
        f"}})(window,'{tag}',location.protocol=='file:'?'{origin}':'')"
    )


def hostile_cells(origin):
    """(source, outputs it gives) of each extra code cell: the kernel gives exactly these outputs when it runs."""
    p = lambda tag: payload(tag, origin)  # noqa: E731
    plain = lambda text: {"text/plain": text}  # noqa: E731
    html = (f'<b>결과</b><script>{p("html-script")}</script><img src="x" onerror="{p("html-img-onerror")}">'
            f'<svg onload="{p("html-svg-onload")}"></svg>'
            f'<details open ontoggle="{p("html-details-ontoggle")}"><summary>자세히</summary></details>')
    raw = (f'<iframe srcdoc="&lt;script&gt;{p("iframe-srcdoc")}&lt;/script&gt;"></iframe>'
           f'<iframe src="javascript:{p("iframe-javascript")}"></iframe>'
           f'<iframe src="pwn.html"></iframe>'
           f'<object data="data:text/html;base64,{b64("<script>" + p("object-data") + "</script>")}"></object>'
           f'<script src="data:text/javascript;base64,{b64(p("data-script"))}"></script>'
           f'<script src="pwn.js"></script>'
           f'<form action="javascript:{p("form-action")}"><button id="pwn-form">보내기</button></form>'
           f'<a id="pwn-link" href="javascript:{p("raw-link")}">더 보기</a>'
           f'<base href="https://evil.invalid/">')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="60" height="20"><script>{p("svg-script")}</script>'
           f'<a href="javascript:{p("svg-link")}"><text x="0" y="15">그림</text></a></svg>')
    markdown = f'<img src="x" onerror="{p("markdown-output-img")}">\n\n[링크](javascript:{p("markdown-output-link")})'
    png_meta = {"image/png": {"width": "1 onload=" + p("png-width-onload"), "height": "1 onerror=" + p("png-height")}}

    def display(data, metadata=None):
        source = f"display({data!r}, metadata={metadata or {}!r}, raw=True)"
        return source, [nbformat.v4.new_output("display_data", data=data, metadata=metadata or {})]

    first = f"# 결과를 보기 좋게 보여 줍니다\nfrom IPython.display import HTML, Javascript, display\nHTML({html!r})"
    cells = [
        (first, [nbformat.v4.new_output("execute_result", data={"text/html": html, **plain("<IPython.core.display.HTML object>")},
                                        execution_count=1)]),
        (f"display(Javascript({p('application-javascript')!r}))",
         [nbformat.v4.new_output("display_data", data={"application/javascript": p("application-javascript"),
                                                       **plain("<IPython.core.display.Javascript object>")})]),
        display({"text/html": raw, **plain("표")}),
        display({"image/svg+xml": svg}),
        display({"image/png": PNG, **plain("그림")}, png_meta),
        display({"text/markdown": markdown, **plain("링크")}),
    ]
    return cells


def b64(text):
    return base64.b64encode(text.encode()).decode()


def hostile_answer(origin):
    honest = cell_source(submission("ch07-1"), ANSWER)
    p = lambda tag: payload(tag, origin)  # noqa: E731
    return (f'{honest}\n\n<script>{p("answer-script")}</script>\n\n<img src="x" onerror="{p("answer-img")}">\n\n'
            f'<a id="pwn-answer-link" href="javascript:{p("answer-href")}">자세히</a> '
            f'[참고 자료](javascript:{p("answer-markdown-link")})\n')


def cell_source(notebook, grade_id):
    return next(c.source for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def hostile_submission(origin):
    """The honest solution (it earns its points) plus the payloads: outputs of extra cells and the written answer."""
    notebook = submission("ch07-1", {ANSWER: hostile_answer(origin)})
    notebook.cells += [nbformat.v4.new_code_cell(source) for source, _ in hostile_cells(origin)]
    return notebook


PLANTED = {  # handed in next to the notebook: formgrader serves the submission's folder at /formgrader/submissions/<id>/
    "pwn.js": lambda origin: payload("planted-js", origin),
    "pwn.html": lambda origin: f"<script>{payload('planted-html', origin)}</script>",
}


# --- the course, the instructor's JupyterLab, Chromium ---------------------------------------------------------

def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(*command, cwd):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout + result.stderr


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


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course where the honest and the hostile learner handed in ch07-1, graded as the README says."""
    course = new_course(tmp_path_factory.mktemp("formgrader"))
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    for student, notebook in {"honest": submission("ch07-1"), "hostile": hostile_submission(origin)}.items():
        folder = course / "submitted" / student / "ch07-1"
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / "ch07-1.ipynb")
    for name, make in PLANTED.items():
        (course / "submitted" / "hostile" / "ch07-1" / name).write_text(make(origin), encoding="utf-8")
    run(sys.executable, "-m", "hongong.grading", "grade", "ch07-1", CELL_TIMEOUT, cwd=course)
    return course, port


@pytest.fixture(scope="module")
def lab(graded):
    course, port = graded
    server = Lab(course, port, course.parent / "lab.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is installed by `make setup` (system-packages)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update"])
        yield browser
        browser.close()


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


@pytest.fixture
def instructor(browser, lab):
    """A browser context logged in to the instructor's JupyterLab with the token (the login cookie)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    context.add_init_script(WATCH)
    log_in(context, lab).close()
    yield context
    context.close()


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


@pytest.mark.slow
def test_hostile_submission_runs_nothing_in_formgrader_and_grading_by_hand_still_works(lab, instructor, tmp_path):
    course = lab.course
    ids = lab.submission_ids()
    hostile = ids["hostile"]
    scores = {s["student"]: s["score"] for s in lab.get("/formgrader/api/submitted_notebooks/ch07-1/ch07-1")}
    assert scores == {"honest": AUTO_POINTS, "hostile": AUTO_POINTS}  # graded, not failed: its answers earn points
    rows, files = gradebook_rows(course), file_hashes(course)

    watched = open_submission(instructor, lab, hostile)
    page = watched.page
    watched.shot(tmp_path, "formgrader-hostile")
    clicked = click_hostile_links(watched)
    print(f"hostile links clicked: {clicked}; CSP violations: {watched.violations()}")
    assert_nothing_ran(watched, lab, formgrader_loads(hostile), "formgrader")
    assert page.title() == "ch07-1"
    assert gradebook_rows(course) == rows and file_hashes(course) == files

    # The instructor grades the written answer, comments on it and flags the submission: exactly three requests.
    grade = next(g for g in lab.get(f"/formgrader/api/grades?submission_id={hostile}") if g["name"] == ANSWER)
    comment = next(c for c in lab.get(f"/formgrader/api/comments?submission_id={hostile}") if c["name"] == ANSWER)
    before = len(watched.requests)
    with page.expect_response(lambda r: r.request.method == "PUT" and "/formgrader/api/grade/" in r.url):
        page.fill(f"#{ANSWER}", "1.5")
        page.press(f"#{ANSWER}", "Escape")  # formgrader saves when the input loses focus
    with page.expect_response(lambda r: r.request.method == "PUT" and "/formgrader/api/comment/" in r.url):
        page.fill(f"#{ANSWER}-comment", COMMENT)
        page.press(f"#{ANSWER}-comment", "Escape")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/flag")):
        page.keyboard.press("Control+Shift+F")  # formgrader's shortcut: flag the submission
    page.locator("#statusmessage", has_text="Submission flagged").wait_for()
    page.wait_for_timeout(2000)
    acted = [(method, path_of(url)) for method, url in watched.requests[before:] if "/api/" in url]
    assert acted == [("PUT", f"/formgrader/api/grade/{grade['id']}"), ("PUT", f"/formgrader/api/comment/{comment['id']}"),
                     ("POST", f"/formgrader/api/submitted_notebook/{hostile}/flag")], watched.requests[before:]
    watched.shot(tmp_path, "formgrader-hostile-graded")
    assert_nothing_ran(watched, lab, formgrader_loads(hostile) | set(acted), "formgrader")

    after = gradebook_rows(course)
    changes = changed_rows(rows, after)
    assert set(changes) == {("grade", grade["id"]), ("comment", comment["id"]), ("submitted_notebook", hostile)}, changes
    assert after["grade"][grade["id"]]["manual_score"] == 1.5
    assert after["comment"][comment["id"]]["manual_comment"] == COMMENT
    assert after["submitted_notebook"][hostile]["flagged"] == 1
    for table, key in changes:  # and nothing else in those rows
        changed = {column for column, value in after[table][key].items() if rows[table][key][column] != value}
        assert changed <= {"manual_score", "needs_manual_grade", "manual_comment", "flagged"}, (table, changed)
    assert file_hashes(course) == files


@pytest.mark.slow
def test_formgrader_pages_navigation_and_the_honest_submission_work_under_the_policy(lab, instructor, tmp_path):
    ids = lab.submission_ids()
    hostile, honest = ids["hostile"], ids["honest"]
    list_page = f"{lab.url}/formgrader/gradebook/ch07-1/ch07-1"

    # Next and previous from the hostile submission: one leads to the honest one, the other to the list.
    landed = set()
    for link in ["li.next a", "li.previous a"]:
        watched = open_submission(instructor, lab, hostile)
        with watched.page.expect_navigation():
            watched.page.click(link)
        landed.add(watched.page.url.split("?")[0].rstrip("/"))
        watched.page.close()
    assert landed == {f"{lab.url}/formgrader/submissions/{honest}", list_page}, landed

    # The honest learner's page: formgrader complete, and not one violation (its own scripts all pass).
    watched = open_submission(instructor, lab, honest)
    page = watched.page
    graded_cells = len(lab.get(f"/formgrader/api/grades?submission_id={honest}"))
    assert page.evaluate("() => formgrader.grade_uis.length") == graded_cells > 0
    assert page.input_value(f"#{ANSWER}-comment") == ""
    page.click(".glyphicon-eye-open.name-hidden")  # formgrader's own inline handler (allowed by its hash)
    page.locator("a.name-shown", has_text="honest").wait_for()
    watched.shot(tmp_path, "formgrader-honest")
    assert watched.violations() == [] and watched.errors == [], (watched.violations(), watched.errors)
    assert_nothing_ran(watched, lab, formgrader_loads(honest), "formgrader")

    # formgrader's other pages: their tables fill, the "Show All Names" button works, no violation.
    for path, text in [("/formgrader/manage_assignments", "ch07-1"), ("/formgrader/gradebook/ch07-1/ch07-1", "Submission #"),
                       ("/formgrader/manage_students", "hostile"), ("/formgrader/manage_students/hostile", "ch07-1")]:
        watched = Watched(instructor)
        watched.page.goto(lab.url + path)
        watched.page.locator("table tbody tr", has_text=text).first.wait_for(timeout=30_000)
        if path.endswith("ch07-1/ch07-1"):
            watched.page.click("#toggle_names")  # formgrader's own onclick handlers (allowed by their hashes)
            watched.page.locator("table tbody tr", has_text="hostile").first.wait_for()
        adds = {"/formgrader/manage_assignments": ("Add new assignment...", "Add New Assignment"),
                "/formgrader/manage_students": ("Add new student...", "Add New Student")}
        if path in adds:  # and their onClick links that open a dialog
            link, title = adds[path]
            watched.page.get_by_role("link", name=link).click()
            watched.page.locator(".modal-title", has_text=title).wait_for()
        watched.shot(tmp_path, "page" + path.replace("/", "-"))
        assert watched.violations() == [] and watched.errors == [], (path, watched.violations(), watched.errors)
        watched.page.close()


@pytest.mark.slow
def test_hostile_feedback_opened_from_disk_runs_nothing(lab, browser, tmp_path):
    feedback = lab.course / "feedback" / "hostile" / "ch07-1" / "ch07-1.html"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    context.add_init_script(WATCH)
    # The instructor is logged in to JupyterLab in the same browser (the payloads aim at it from file://).
    log_in(context, lab)
    rows, files = gradebook_rows(lab.course), file_hashes(lab.course)
    watched = Watched(context)
    watched.page.goto(feedback.as_uri(), wait_until="load")
    watched.page.wait_for_timeout(3000)
    clicked = click_hostile_links(watched)
    watched.shot(tmp_path, "feedback-hostile")
    print(f"hostile links clicked: {clicked}; requests: {watched.requests}")
    assert watched.markers() == [], "a payload ran in the feedback file"
    assert not [line for line in watched.console if line.startswith("PWNED-")], watched.console
    own = (feedback.as_uri(), "https://cdnjs.cloudflare.com/ajax/libs/mathjax/",  # the page, its MathJax, its icons
           (feedback.parent.parent / "fonts" / "glyphicons-halflings-regular.").as_uri())
    others = [(method, url) for method, url in watched.requests if not (method == "GET" and url.startswith(own))]
    assert others == [], others  # nothing to the server, nothing planted (pwn.js sits next to the file)
    assert gradebook_rows(lab.course) == rows and file_hashes(lab.course) == files
    context.close()


@pytest.mark.slow
def test_the_policy_alone_blocks_the_payloads_written_straight_into_autograded(lab, instructor, tmp_path):
    """The sanitizer bypassed: the hostile outputs and answer, raw, in the autograded notebook formgrader shows."""
    course = lab.course
    path = course / "autograded" / "hostile" / "ch07-1" / "ch07-1.ipynb"
    original = path.read_bytes()
    notebook = read(path)
    origin = lab.url
    cells = dict(hostile_cells(origin))
    replaced = 0
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source in cells:
            cell.outputs = cells[cell.source]
            replaced += 1
        if cell.metadata.get("nbgrader", {}).get("grade_id") == ANSWER:
            cell.source = hostile_answer(origin)
    assert replaced == len(cells)
    for name, make in PLANTED.items():
        (path.parent / name).write_text(make(origin), encoding="utf-8")
    rows, files = gradebook_rows(course), file_hashes(course)
    hostile = lab.submission_ids()["hostile"]
    try:
        nbformat.write(notebook, path)
        watched = open_submission(instructor, lab, hostile)
        html = watched.page.content()
        assert html.count("PWNED") >= 10 and "<script>(function(w,t,o,h)" in html  # the payloads are on the page
        clicked = click_hostile_links(watched)
        violations = watched.violations()
        watched.shot(tmp_path, "formgrader-unsanitized")
        print(f"hostile links clicked: {clicked}; requests blocked in the browser: {watched.blocked};",
              f"CSP violations ({len(violations)}):", *violations, sep="\n  ")
        assert_nothing_ran(watched, lab, formgrader_loads(hostile), "formgrader (unsanitized)")
        assert clicked >= 4 and len(violations) >= 10
        blocked = " ".join(violations)
        for what in ["script-src-elem", "script-src-attr", "frame-src", "object-src", "base-uri", "data"]:
            assert what in blocked, what

        # A planted page opened on its own, at formgrader's address for the submission's files: sandboxed, no script.
        # (No evaluate there: a sandboxed page without scripts gives DevTools no context to run in.)
        planted = Watched(instructor)
        response = planted.page.goto(f"{lab.url}/formgrader/submissions/{hostile}/pwn.html")
        planted.page.wait_for_timeout(2000)
        assert "sandbox" in directives(response.headers["content-security-policy"])
        assert not [line for line in planted.console if line.startswith("PWNED-")], planted.console
        assert [m for m, u in planted.requests] == ["GET"], planted.requests
    finally:
        path.write_bytes(original)
    assert gradebook_rows(course) == rows and file_hashes(course) == files



# --- quick: the header itself, without grading or a browser -----------------------------------------------------

class Scripts(HTMLParser):
    """Every <script> of a page: (attributes, text)."""

    def __init__(self, html):
        super().__init__()
        self.scripts, self.current = [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.current = (dict(attrs), [])
            self.scripts.append(self.current)

    def handle_data(self, data):
        if self.current is not None:
            self.current[1].append(data)

    def handle_endtag(self, tag):
        if tag == "script":
            self.current = None


def directives(header):
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def sha256(code):
    return f"'sha256-{base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()}'"


FORMGRADER_HANDLERS = ["toggle_name(true);", "toggle_name(false);", "toggleAllNames()", "createAssignmentModal();",
                       "createStudentModal();"]


@pytest.fixture(scope="module")
def quick_lab(tmp_path_factory):
    """A course with ch07-1 released and one submission whose autograded notebook holds the raw payloads (no grading)."""
    from nbgrader.api import Gradebook

    from hongong.grading.gradebook import run_nbgrader

    course = tmp_path_factory.mktemp("csp")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    shutil.copytree(ROOT / "checks", course / "checks")
    run_nbgrader(course, "generate_assignment", "ch07-1", "--force")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="hongong-ch7") as gradebook:
        gradebook.add_student("quick")
        gradebook.add_submission("ch07-1", "quick")
    port = free_port()
    notebook = submission("ch07-1", {ANSWER: hostile_answer(f"http://127.0.0.1:{port}")})
    notebook.cells += [nbformat.v4.new_code_cell(source, outputs=outputs) for source, outputs in hostile_cells(f"http://127.0.0.1:{port}")]
    folder = course / "autograded" / "quick" / "ch07-1"
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / "ch07-1.ipynb")
    (folder / "pwn.html").write_text(PLANTED["pwn.html"](f"http://127.0.0.1:{port}"), encoding="utf-8")
    server = Lab(course, port, course.parent / "csp-lab.log")
    yield server
    server.stop()


def test_formgrader_pages_carry_a_nonce_policy_that_only_formgrader_scripts_meet(quick_lab):
    lab = quick_lab
    (submission_id,) = lab.submission_ids().values()
    headers, html = lab.request(f"/formgrader/submissions/{submission_id}/?index=0")
    policy = directives(headers["Content-Security-Policy"])
    script_src = policy["script-src"]
    (nonce,) = [value[len("'nonce-"):-1] for value in script_src if value.startswith("'nonce-")]
    assert set(script_src) == {f"'nonce-{nonce}'", "'unsafe-hashes'", *map(sha256, FORMGRADER_HANDLERS)}, script_src
    assert policy["default-src"] == ["'none'"] and policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"] and "'unsafe-eval'" not in headers["Content-Security-Policy"]
    assert not any("unsafe-inline" in value or "script" in name and value in ("'self'", "*", "data:", "'strict-dynamic'")
                   for name, values in policy.items() if name.startswith("script") for value in values)

    scripts = Scripts(html).scripts
    payloads = [(attrs, text) for attrs, text in scripts
                if "PWNED" in "".join(text) or attrs.get("src", "").startswith(("data:", "pwn"))]
    own = [(attrs, text) for attrs, text in scripts if (attrs, text) not in payloads]
    assert len(payloads) >= 5 and len(own) >= 14, (len(payloads), len(own))  # (nbconvert shows an SVG as an <img>)
    assert all(attrs.get("nonce") == nonce for attrs, _ in own), own
    assert not any("nonce" in attrs for attrs, _ in payloads), payloads
    assert 'onclick="toggle_name(true);"' in html and "mathjax/2.7.7" not in html  # the MathJax stub instead

    other_headers, _ = lab.request(f"/formgrader/submissions/{submission_id}/?index=0")
    assert f"'nonce-{nonce}'" not in other_headers["Content-Security-Policy"]  # a fresh nonce for every response

    for path in ["/formgrader/manage_assignments", "/formgrader/gradebook", "/formgrader/gradebook/ch07-1/ch07-1",
                 "/formgrader/manage_students"]:
        headers, html = lab.request(path)
        (nonce,) = [v[len("'nonce-"):-1] for v in directives(headers["Content-Security-Policy"])["script-src"] if "nonce" in v]
        assert all(attrs.get("nonce") == nonce for attrs, _ in Scripts(html).scripts), path

    # A value from the URL cannot end the JavaScript string it lands in, inside a nonced script.
    _, html = lab.request("/formgrader/manage_students/%22%3Bdocument.title%3D%27PWNED%27%2F%2F")
    assert 'var student_id = "&#34;;document.title=&#39;PWNED&#39;//";' in html

    # formgrader's ?path= would execute DIR/nbgrader_config.py in the server: a planted one in a hand-in folder.
    marker = lab.course / "config-ran"
    (lab.course / "autograded" / "quick" / "ch07-1" / "nbgrader_config.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n", encoding="utf-8")
    with pytest.raises(urllib.error.HTTPError) as refused:
        lab.request("/formgrader?path=" + urllib.parse.quote(str(lab.course / "autograded" / "quick" / "ch07-1")))
    assert refused.value.code == 403 and not marker.exists()
    assert lab.request("/formgrader?path=" + urllib.parse.quote(str(lab.course)))[1]  # the course itself still opens

    # A file handed in next to the notebook, served by formgrader: sandboxed, and no script of its own runs.
    headers, body = lab.request(f"/formgrader/submissions/{submission_id}/pwn.html")
    assert "PWNED" in body and "sandbox" in directives(headers["Content-Security-Policy"])
    assert any(v.startswith("'nonce-") for v in directives(headers["Content-Security-Policy"])["script-src"])
