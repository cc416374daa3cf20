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
Screenshots go to the test's tmp folder (paths printed). The payloads are in tests/hostile_notebook.py, JupyterLab
and the watched browser in tests/formgrader_lab.py; the policy's headers, without grading or a browser:
tests/test_formgrader_csp.py.
"""

import subprocess
import sys

import nbformat
import pytest

from class_submissions import AUTO_POINTS, new_course, read, submission
from formgrader_lab import (WATCH, Lab, Watched, assert_nothing_ran, changed_rows, click_hostile_links, directives,
                            file_hashes, formgrader_loads, free_port, gradebook_rows, log_in, open_submission, path_of)
from hostile_notebook import ANSWER, PLANTED, hostile_answer, hostile_cells, hostile_submission

CELL_TIMEOUT = "--Execute.timeout=90"
COMMENT = "검증 세트를 쓰는 이유는 맞습니다. 훈련 비용 이야기를 조금 더 쓰면 좋겠습니다."


def run(*command, cwd):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout + result.stderr


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


@pytest.fixture
def instructor(browser, lab):
    """A browser context logged in to the instructor's JupyterLab with the token (the login cookie)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    context.add_init_script(WATCH)
    log_in(context, lab).close()
    yield context
    context.close()


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
