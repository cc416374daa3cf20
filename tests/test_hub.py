"""A class on a real JupyterHub (tests/hub_class.py): learners fetch and submit through nbgrader's exchange as
themselves, the grading service grades each submission and releases its feedback, and learners fetch it.

Three learners and an instructor, ch07-1, rules of 3 attempts with the last one counting: one hands in a perfect
notebook; one a partly wrong one, then the fixed one (the second attempt counts); one an endless loop (its own
status, nobody else delayed beyond it). Then what a learner can reach of another (files, feedback, the service's
API with their own token), a folder planted in another learner's name, a refused fourth attempt, and the service
stopped in the middle of grading (restarted: nothing lost, nothing graded twice).
"""

import csv
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

from class_submissions import AUTO_POINTS, CLASS, PARTLY_WRONG, changed_files, quiz_points
from hub_class import Hub, log_in

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="the hub makes system users (root)")]

PERFECT, FIXER, LOOPER, TEACHER = "hgt-perfect", "hgt-fixer", "hgt-looper", "hgt-teacher"
RULES = "c.CourseRules.max_attempts = 2\nc.CourseRules.counts = 'last'\nc.CourseRules.hints_unlock_after = 1\n"


@pytest.fixture(scope="module")
def hub():
    hub = Hub([PERFECT, FIXER, LOOPER], TEACHER, rules=RULES, cell_timeout=int(os.environ.get('HONGONG_TEST_CELL_TIMEOUT', '30')))
    try:
        hub.start()
        hub.run(sys.executable, "-m", "hongong.hub", "release", "ch07-1")
        yield hub
    finally:
        hub.close()


@pytest.fixture(scope="module")
def graded(hub):
    """Everyone's submissions graded, as the three learners would submit them within a minute."""
    hub.hand_in(PERFECT, "ch07-1", CLASS[("perfect", "ch07-1")].make())
    hub.hand_in(FIXER, "ch07-1", CLASS[("partly-wrong", "ch07-1")].make())
    hub.hand_in(LOOPER, "ch07-1", CLASS[("endless-loop", "ch07-1")].make())
    first = hub.wait_graded(FIXER, "ch07-1", 1)
    time.sleep(1.1)  # nbgrader names a submission by the second: a new one must not share the first's
    hub.hand_in(FIXER, "ch07-1", CLASS[("perfect", "ch07-1")].make())
    return {PERFECT: hub.wait_graded(PERFECT, "ch07-1", 1), FIXER: hub.wait_graded(FIXER, "ch07-1", 2),
            LOOPER: hub.wait_graded(LOOPER, "ch07-1", 1), "fixer-first": first}


def test_hints_past_the_first_are_held_back_until_a_graded_attempt(hub):
    from hongong.exercise.items import read_items

    hub.as_user(PERFECT, str(Path(sys.executable).parent / "nbgrader"), "fetch_assignment", "ch07-1")
    released = read_items(Path(f"/home/{PERFECT}/ch07-1/items.toml"))
    source = read_items(hub.course / "solutions" / "ch07-1" / "items.toml")
    assert all(len(item.hints) == 1 and item.levels == len(source[g].hints) for g, item in released.items())
    assert all(item.hints[0] == source[g].hints[0] for g, item in released.items())
    said, why = hub.held_hint(PERFECT, 2)
    assert said is None and "채점을 1번 받은 뒤에 열립니다(지금까지 0번)" in why


def test_a_held_back_hint_is_given_after_a_graded_attempt(hub, graded):
    from hongong.exercise.items import read_items

    said, why = hub.held_hint(PERFECT, 2)
    assert said == read_items(hub.course / "solutions" / "ch07-1" / "items.toml")["test-q1"].hints[1], why


def verdicts(page: str) -> list[str]:
    table = page[page.index('id="hongong-items"'):page.index("</table>", page.index('id="hongong-items"'))]
    return re.findall(r'class="verdict-[a-z_]+">([^<]+)</span>', table)


def gradebook_score(hub, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}") as gradebook:
        return gradebook.find_submission("ch07-1", student).score


def test_each_learner_gets_their_own_graded_feedback_and_the_attempt_that_counts(hub, graded):
    perfect, fixer, looper = graded[PERFECT], graded[FIXER], graded[LOOPER]
    assert [(e["attempt"], e["status"], e["score"], e["counted"]) for e in perfect] == [(1, "graded", AUTO_POINTS, True)]
    lost = PARTLY_WRONG["ch07-1"][1]
    assert [(e["attempt"], e["status"], e["score"], e["counted"]) for e in fixer] == [
        (1, "graded", AUTO_POINTS - lost, False), (2, "graded", AUTO_POINTS, True)]
    assert [(e["attempt"], e["status"], e["score"]) for e in looper] == [(1, "graded", AUTO_POINTS - quiz_points("ch07-1"))]
    assert gradebook_score(hub, PERFECT) == AUTO_POINTS and gradebook_score(hub, FIXER) == AUTO_POINTS

    pages = hub.feedback(PERFECT, "ch07-1")
    assert len(pages) == 1
    page = next(iter(pages.values()))
    assert f"· {PERFECT}" in page and set(verdicts(page)) == {"통과", "손 채점"}
    assert "이번 제출은 1번째로 채점한 시도입니다. 채점받을 수 있는 시도가 1번 남았습니다(모두 2번)." in page

    pages = hub.feedback(FIXER, "ch07-1")  # one page per attempt, each in the folder of its own submission time
    assert len(pages) == 2
    first, second = (pages[k] for k in sorted(pages))
    assert verdicts(first).count("틀림") == 2 and "1번째로 채점한 시도" in first
    assert set(verdicts(second)) == {"통과", "손 채점"} and "2번째로 채점한 시도" in second
    assert "시도 2번을 모두 썼습니다" in second and "성적에는 마지막으로 채점한 시도가 들어갑니다" in second

    page = next(iter(hub.feedback(LOOPER, "ch07-1").values()))  # the loop was the quiz cell: stopped at the cell limit
    assert f"· {LOOPER}" in page and verdicts(page).count("틀림") == 7 and "답 셀이 셀당 실행 시간 제한을 넘어 중단되어" in page


def test_the_endless_loop_is_stopped_at_its_own_limit_and_the_queue_goes_on(hub, graded):
    """The loop's cell is interrupted at the course's cell limit; whoever was graded with it, and after it, was graded."""
    status = json.loads((hub.course / "grades" / "status.json").read_text())["ch07-1"]
    limit = int(os.environ.get("HONGONG_TEST_CELL_TIMEOUT", "30"))
    assert status[LOOPER]["status"] == "graded" and status[LOOPER]["execution_seconds"] >= limit
    assert all(status[name]["status"] == "graded" for name in (PERFECT, FIXER))
    batches = re.findall(r"ch07-1 ([^:]+): 채점 끝 0", hub.log_text())
    assert any(LOOPER in batch for batch in batches) and sum(FIXER in batch for batch in batches) == 2, batches


def test_the_export_lists_every_attempt(hub, graded):
    hub.run(sys.executable, "-m", "hongong.grading", "export")
    with open(hub.course / "grades" / "attempts.csv", encoding="utf-8") as table:
        rows = [(r["student_id"], r["attempt"], r["status"], r["score"], r["counted"]) for r in csv.DictReader(table)]
    assert sorted(rows) == sorted([
        (PERFECT, "1", "graded", f"{float(AUTO_POINTS)}", "True"),
        (FIXER, "1", "graded", f"{float(AUTO_POINTS - PARTLY_WRONG['ch07-1'][1])}", "False"),
        (FIXER, "2", "graded", f"{float(AUTO_POINTS)}", "True"),
        (LOOPER, "1", "graded", f"{float(AUTO_POINTS - quiz_points('ch07-1'))}", "True")])
    hub.run(sys.executable, "-m", "hongong.grading", "report")
    report = (hub.course / "grades" / "report.html").read_text(encoding="utf-8")
    attempts = report[report.index("<h2>시도 (JupyterHub 채점 서비스)</h2>"):]
    assert all(attempts.count(f"<td>{name}</td>") == count for name, count in ((PERFECT, 1), (FIXER, 2), (LOOPER, 1)))


def course_snapshot(course):
    import sqlite3

    connection = sqlite3.connect(course / "gradebook.db")
    rows = sorted(connection.execute(
        "SELECT sa.student_id, gc.name, g.auto_score, g.manual_score FROM grade g "
        "JOIN submitted_notebook sn ON g.notebook_id = sn.id JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
        "JOIN base_cell gc ON g.cell_id = gc.id").fetchall())
    connection.close()
    pages = {p.relative_to(course).as_posix(): p.read_bytes() for p in sorted((course / "feedback").glob("*/ch07-1/*.html"))}
    return rows, pages


def test_make_grade_regrades_the_class_in_batch_with_the_services_results(hub, graded):
    before = course_snapshot(hub.course)
    assert len(before[1]) == 3
    done = hub.run(sys.executable, "-m", "hongong.grading", "grade", "ch07-1")
    assert "채점 실패 0건" in done.stdout
    after = course_snapshot(hub.course)
    assert after[0] == before[0]
    assert changed_files(before[1], after[1]) == {}


def test_a_learner_reaches_no_file_of_another(hub, graded):
    exchange = hub.hub_dir / "exchange" / "hongong-ch7"
    perfect_home = Path(f"/home/{PERFECT}")
    for path in (exchange / "inbound", exchange / "feedback", perfect_home, hub.course / "submitted",
                 hub.course / "feedback" / PERFECT, hub.course / "attempts", hub.course / "checks",
                 hub.course / "solutions"):
        done = hub.as_user(FIXER, "ls", str(path), check=False)
        assert done.returncode != 0 and "Permission denied" in done.stderr, (path, done.stdout)
    for path in (hub.course / "gradebook.db", hub.course / "checks" / "ch07-1.py", hub.course / "grades" / "status.json",
                 perfect_home / "ch07-1" / "ch07-1.ipynb"):
        done = hub.as_user(FIXER, "cat", str(path), check=False)
        assert done.returncode != 0 and "Permission denied" in done.stderr, path
    for path in (hub.course / "gradebook.db", hub.course / "submitted" / PERFECT / "ch07-1" / "ch07-1.ipynb",
                 hub.course / "grades" / "attempts.json"):  # the instructor's formgrader runs as the instructor
        assert hub.as_user(TEACHER, "test", "-r", str(path), "-a", "-w", str(path), check=False).returncode == 0, path
    # Asking nbgrader for another learner's feedback finds nothing: pages are named by each submission's secret.
    hub.as_user(FIXER, str(Path(sys.executable).parent / "nbgrader"), "fetch_feedback", "ch07-1",
                f"--student={PERFECT}", check=False)
    for page in Path(f"/home/{FIXER}/ch07-1/feedback").rglob("*.html"):
        assert f"· {FIXER}" in page.read_text(encoding="utf-8") and PERFECT not in page.read_text(encoding="utf-8")


def test_the_service_answers_a_learner_only_about_themselves(hub, graded):
    assert hub.api("/services/grader/api/attempts", None)[0] in (302, 401, 403)  # no token: to the login page
    status, body = hub.api("/services/grader/api/attempts", FIXER)
    assert status == 200 and body["student"] == FIXER and PERFECT not in json.dumps(body, ensure_ascii=False)
    record = json.loads((hub.course / "grades" / "attempts.json").read_text())["ch07-1"]
    assert record[PERFECT] and list(body["attempts"]) == ["ch07-1"]  # another learner's attempts are in the record
    assert [(e["attempt"], e["submitted"], e["score"]) for e in body["attempts"]["ch07-1"]] == [
        (e["attempt"], e["submitted"], e["score"]) for e in record[FIXER]]  # exactly the caller's, in order
    assert hub.api(f"/services/grader/api/attempts?student={PERFECT}", FIXER)[0] == 403
    assert hub.api("/services/grader/api/queue", FIXER)[0] == 403
    status, body = hub.api(f"/services/grader/api/attempts?student={PERFECT}", TEACHER)
    assert status == 200 and body["attempts"]["ch07-1"][0]["score"] == AUTO_POINTS
    assert hub.api("/services/grader/api/queue", TEACHER) == (200, {"waiting": [], "grading": [], "problems": []})
    status, page = hub.api("/services/grader/", FIXER)
    assert status == 200 and "제출 기록" in page and PERFECT not in page


def test_a_folder_planted_in_another_learners_name_is_ignored(hub, graded):
    inbound = hub.hub_dir / "exchange" / "hongong-ch7" / "inbound"
    planted = inbound / f"{PERFECT}+ch07-1+2026-11-27 00:00:00.000000 UTC+planted"
    hub.as_user(FIXER, "mkdir", str(planted))
    hub.as_user(FIXER, "cp", f"/home/{FIXER}/ch07-1/ch07-1.ipynb", str(planted / "ch07-1.ipynb"))
    hub.as_user(FIXER, "cp", f"/home/{FIXER}/ch07-1/ch07-1.ipynb", str(planted / "submission_secret.txt"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # recorded as the planter's, ignored
        _, body = hub.api("/services/grader/api/attempts", FIXER)
        if body["attempts"]["ch07-1"][-1]["state"] == "ignored":
            break
        time.sleep(1)
    assert body["attempts"]["ch07-1"][-1]["state"] == "ignored"
    _, body = hub.api(f"/services/grader/api/attempts?student={PERFECT}", TEACHER)
    assert [e["state"] for e in body["attempts"]["ch07-1"]] == ["graded"]
    assert gradebook_score(hub, PERFECT) == AUTO_POINTS


def test_an_attempt_past_the_limit_is_refused_with_a_page_that_says_so(hub, graded):
    time.sleep(1.1)
    hub.hand_in(FIXER, "ch07-1", CLASS[("blank", "ch07-1")].make())
    history = hub.wait_graded(FIXER, "ch07-1", 3)
    assert [(e["state"], e.get("reason")) for e in history][-1] == ("refused", "attempts")
    pages = hub.feedback(FIXER, "ch07-1")
    refused = pages[max(pages)]
    assert "제출을 받지 않았습니다: 채점받을 수 있는 시도를 모두 썼습니다" in refused and "성적부에는 전에 채점한 시도가 그대로" in refused
    assert gradebook_score(hub, FIXER) == AUTO_POINTS


def test_a_service_stopped_mid_grading_grades_it_once_when_it_starts_again(hub, graded):
    time.sleep(1.1)
    hub.hand_in(LOOPER, "ch07-1", CLASS[("perfect", "ch07-1")].make())
    deadline = time.monotonic() + 120
    while f"ch07-1 {LOOPER}: 채점 시작" not in hub.log_text().split("채점 끝")[-1]:
        assert time.monotonic() < deadline, hub.log_text()[-3000:]
        time.sleep(0.5)
    _, body = hub.api("/services/grader/api/attempts", LOOPER)
    assert body["attempts"]["ch07-1"][-1]["state"] == "accepted"
    hub.stop()  # the hub stops its service, which stops the grading it had started
    hub.start()
    history = hub.wait_graded(LOOPER, "ch07-1", 2)
    assert [(e["attempt"], e["status"], e["counted"]) for e in history] == [(1, "graded", False), (2, "graded", True)]
    assert gradebook_score(hub, LOOPER) == AUTO_POINTS
    hub.stop()  # a second restart grades nothing again
    hub.start()
    time.sleep(5)
    log = hub.log_text()
    finished = re.findall(rf"ch07-1 [^:\n]*{LOOPER}[^:\n]*: 채점 끝 0", log)  # attempt 1, then 2 (the stopped run: not 0)
    assert len(finished) == 2, log[-3000:]
    assert hub.wait_graded(LOOPER, "ch07-1", 2) == history
    listed = hub.as_user(PERFECT, str(Path(sys.executable).parent / "nbgrader"), "list", check=False)
    assert listed.returncode == 0 and "ch07-1" in listed.stdout + listed.stderr, listed  # the exchange as before


def test_a_learner_in_chromium_submits_from_the_assignment_list_and_reads_the_feedback(hub, graded, browser):
    """Log in, open Nbgrader → Assignment List, Submit, Fetch Feedback, open the page. Screenshots: hub-<n>-*.png."""
    from conftest import BUILD

    shots = BUILD / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 860})

    def shot(number, what):
        page.screenshot(path=str(shots / f"hub-{number}-{what}.png"))

    log_in(page, hub, PERFECT)
    page.wait_for_selector("#jp-main-dock-panel", timeout=180_000)
    page.get_by_role("menuitem", name="Nbgrader").click()
    page.get_by_role("menuitem", name="Assignment List").click()
    page.get_by_text("Downloaded assignments", exact=True).wait_for(timeout=60_000)
    submit = page.get_by_role("button", name="Submit", exact=True)
    try:
        submit.wait_for(timeout=60_000)
    finally:
        shot(1, "assignment-list")
    submit.click()
    hub.wait_graded(PERFECT, "ch07-1", 2)
    page.get_by_role("button", name="Fetch Feedback").first.wait_for(timeout=60_000)
    for _ in range(30):  # the list shows "(feedback available to fetch)" once it looks again
        if page.get_by_text("feedback available to fetch").count():
            break
        page.get_by_role("menuitem", name="Nbgrader").click()
        page.get_by_role("menuitem", name="Assignment List").click()
        page.wait_for_timeout(1000)
    shot(2, "submitted")
    page.get_by_role("button", name="Fetch Feedback").first.click()
    page.get_by_text("view feedback").first.wait_for(timeout=60_000)
    shot(3, "feedback-fetched")
    newest = max(Path(f"/home/{PERFECT}/ch07-1/feedback").iterdir())
    page.goto(f"{hub.url}/user/{PERFECT}/files/ch07-1/feedback/{newest.name}/ch07-1.html")
    page.get_by_text("2번째로 채점한 시도").wait_for(timeout=30_000)
    assert page.get_by_text(f"ch07-1 피드백 · {PERFECT}").count() == 1
    assert "통과" in page.locator("#hongong-items").inner_text()
    shot(4, "feedback-page")


def test_the_instructor_grades_in_formgrader_on_the_hub_and_a_learner_has_none(hub, graded, browser):
    """The instructor logs in to the hub: formgrader (under its Content-Security-Policy) on the course lists ch07-1 as
    released and the learners' graded submissions; a learner's server answers /formgrader with 404.
    Screenshots: hub-5-formgrader-assignments.png, hub-6-formgrader-submissions.png."""
    from conftest import BUILD

    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    log_in(page, hub, TEACHER)
    answer = page.goto(f"{hub.url}/user/{TEACHER}/formgrader/manage_assignments")
    assert "script-src 'nonce-" in answer.headers.get("content-security-policy", "")  # hongong/grading/formgrader_csp.py
    page.locator("table tbody tr", has_text="ch07-1").filter(has_text="released").first.wait_for(timeout=60_000)
    page.screenshot(path=str(BUILD / "screenshots" / "hub-5-formgrader-assignments.png"))
    page.goto(f"{hub.url}/user/{TEACHER}/formgrader/gradebook/ch07-1/ch07-1")
    rows = page.locator("table tbody tr")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}") as gradebook:
        submitted = {s.student_id for s in gradebook.find_assignment("ch07-1").submissions}
    assert {FIXER, LOOPER} <= submitted
    try:
        rows.filter(has_text="Submission #").first.wait_for(timeout=60_000)  # names hidden until asked for
        page.click("#toggle_names")
        rows.filter(has_text=LOOPER).first.wait_for(timeout=30_000)
    finally:
        page.screenshot(path=str(BUILD / "screenshots" / "hub-6-formgrader-submissions.png"))
    shown = {row.locator("td").nth(1).inner_text().strip() for row in rows.all()}  # the "Submission ID" column
    assert shown == submitted, (shown, submitted)  # every graded submission, as the gradebook has them
    context.close()

    learner = browser.new_context()
    page = learner.new_page()
    log_in(page, hub, FIXER)
    answer = page.goto(f"{hub.url}/user/{FIXER}/formgrader")
    assert answer.status == 404
    learner.close()


def test_the_service_s_record_page_and_a_feedback_page_it_released_pass_axe(hub, graded, browser):
    """/services/grader/ (the learner's attempts) and a graded feedback page as the hub serves it, at 1280 and 390 px: no
    serious or critical WCAG violation (tests/axe_audit.py). The pages forbid scripts: this browser bypasses that to audit."""
    from axe_audit import violations

    hub.feedback(PERFECT, "ch07-1")  # fetched as the learner would
    newest = max(Path(f"/home/{PERFECT}/ch07-1/feedback").iterdir())
    found = []
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 860}, bypass_csp=True)
        page = context.new_page()
        log_in(page, hub, PERFECT)
        for address in (f"{hub.url}/services/grader/", f"{hub.url}/user/{PERFECT}/files/ch07-1/feedback/{newest.name}/ch07-1.html"):
            page.goto(address)
            page.get_by_text("ch07-1").first.wait_for(timeout=30_000)
            found += [f"{address} at {width} px: {line}" for line in violations(page)]
        context.close()
    assert not found, "\n".join(found)
