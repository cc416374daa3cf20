"""The instructor's workflow, end to end, on a class of real submissions (tests/class_submissions.py).

As the README tells an instructor: set due dates, `nbgrader zip_collect` the LMS download of ch07-1,
drop ch07-2 and ch07-3 into submitted/, `python -m hongong.classroom grade` (autograde, feedback,
export, report). Then: every learner's exact status and score, no hidden test in any feedback file,
an export that tells missing / failed / 0 apart, a report with Korean text, and a gradebook that is
intact (SQLite's integrity check, and grading ch07-1 again gives the same numbers).
"""

import csv
import html
import json
import re
import sqlite3
import subprocess
import sys
import zipfile

import nbformat
import pytest

from class_submissions import ASSIGNMENTS, CLASS, REASONS, new_course
from conftest import ROOT

pytestmark = pytest.mark.slow

DUE = "2026-12-07T23:59:59+09:00"
ON_TIME, LATE = "2026-12-07-21-15-00", "2026-12-08-09-30-00"  # LMS attempt times (KST)
CELL_TIMEOUT = "--Execute.timeout=45"  # honest cells take under 20 s; the endless loop costs this once


def run(*command, cwd):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=3000)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout + result.stderr


def grade(course, *assignments):
    return run(sys.executable, "-m", "hongong.classroom", "grade", *assignments, CELL_TIMEOUT, cwd=course)


def hand_in(expected, path):
    """Write what the learner hands in at ``path``; None for a learner who hands in nothing."""
    content = expected.make()
    if content is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        nbformat.write(content, path)
    return path


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course graded once, as the README says; returns (folder, log of the grading run)."""
    course = new_course(tmp_path_factory.mktemp("class"))
    for assignment in ASSIGNMENTS:
        run("nbgrader", "db", "assignment", "add", assignment, f"--duedate={DUE}", cwd=course)
    # ch07-1 arrives as the LMS's zip: <assignment>_<student>_attempt_<time>_<file>
    downloads = course / "lms"
    for (student, assignment), expected in CLASS.items():
        if assignment == "ch07-1":
            when = LATE if expected.status == "late" else ON_TIME
            hand_in(expected, downloads / f"ch07-1_{student}_attempt_{when}_{expected.handed_in_as or 'ch07-1.ipynb'}")
        else:
            path = hand_in(expected, course / "submitted" / student / assignment / (expected.handed_in_as or f"{assignment}.ipynb"))
            if path is not None and expected.status == "late":
                (path.parent / "timestamp.txt").write_text("2026-12-08 01:00:00 UTC")
    (course / "downloaded" / "ch07-1" / "archive").mkdir(parents=True)
    with zipfile.ZipFile(course / "downloaded" / "ch07-1" / "archive" / "gradebook-download.zip", "w") as archive:
        for path in sorted(downloads.iterdir()):
            archive.write(path, path.name)
    run("nbgrader", "zip_collect", "ch07-1", cwd=course)
    return course, grade(course)


def status(course):
    return json.loads((course / "grades" / "status.json").read_text(encoding="utf-8"))


def exported(course, assignment):
    with open(course / "grades" / f"{assignment}.csv", encoding="utf-8") as table:
        return {row["student_id"]: row for row in csv.DictReader(table)}


@pytest.mark.parametrize("student,assignment", sorted(CLASS), ids=[f"{s}-{a}" for s, a in sorted(CLASS)])
def test_each_learner_gets_exactly_their_status_and_score(course, student, assignment):
    folder, _ = course
    expected = CLASS[student, assignment]
    row = exported(folder, assignment)[student]
    assert row["status"] == expected.status, row["message"]
    assert row["score"] == ("" if expected.score is None else str(float(expected.score))), row
    if (student, assignment) in REASONS:
        assert status(folder)[assignment][student]["reason"] == REASONS[student, assignment]


def test_the_run_names_every_failed_submission_and_grades_the_rest(course):
    folder, log = course
    for (student, assignment), expected in CLASS.items():
        if expected.status == "failed":
            assert re.search(rf"\[{assignment} \d+/\d+\] {re.escape(student)}: failed", log), student
    assert f"채점 실패 {sum(e.status == 'failed' for e in CLASS.values())}건" in log


def test_feedback_shows_no_hidden_test_line_in_cells_or_tracebacks(course):
    folder, _ = course
    hidden = set()
    for assignment in ASSIGNMENTS:
        for cell in nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4).cells:
            for region in re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, re.S):
                hidden |= {line.strip() for line in region.splitlines() if len(line.strip()) > 8}
    files = sorted((folder / "feedback").glob("*/*/*.html"))
    graded = [k for k, e in CLASS.items() if e.status in ("graded", "late")]
    assert len(files) == len(graded), "one feedback file per graded submission"
    assert len(hidden) > 20
    for path in files:
        page = path.read_text(encoding="utf-8")
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        leaked = [line for line in hidden if line in text or html.escape(line) in page]
        assert not leaked, f"{path.relative_to(folder)} shows {leaked[:3]}"
    # The learner still learns which test failed and why, in Korean where the visible check speaks.
    page = (folder / "feedback" / "wrong-types" / "ch07-1" / "ch07-1.html").read_text(encoding="utf-8")
    assert "정수(int)로 답하세요" in html.unescape(page)


def test_export_tells_missing_failed_and_zero_apart(course):
    folder, _ = course
    rows = exported(folder, "ch07-1")
    assert rows["blank"]["status"] == "graded" and rows["blank"]["score"] == "0.0"
    assert rows["corrupt-json"]["status"] == "failed" and rows["corrupt-json"]["score"] == ""
    assert "손상" in rows["corrupt-json"]["message"]
    assert rows["kernel-crash"]["status"] == "missing" and rows["kernel-crash"]["score"] == ""
    assert rows["late"]["status"] == "late" and float(rows["late"]["late_seconds"]) == pytest.approx(9.5 * 3600, abs=2)
    assert rows["perfect"]["test-q1"] == "1.0" and rows["wrong-types"]["test-q1"] == "0.0"
    with open(folder / "grades" / "grades.csv", encoding="utf-8") as table:
        overall = {row["student_id"]: row for row in csv.DictReader(table)}
    assert overall["perfect"]["total"] == str(3 * 14.0)
    assert overall["kernel-crash"]["ch07-2_status"] == "failed" and overall["kernel-crash"]["total"] == ""


def test_report_draws_the_class_with_korean_labels(course):
    folder, log = course
    assert "Glyph" not in log and "missing from font" not in log
    page = (folder / "grades" / "report.html").read_text(encoding="utf-8")
    assert "채점 실패" in page and "미제출" in page
    assert (folder / "grades" / "report.png").stat().st_size > 20_000


def test_a_submission_that_prints_50_mb_is_cut_and_still_graded(course):
    folder, _ = course
    notebook = folder / "autograded" / "prints-50mb" / "ch07-2" / "ch07-2.ipynb"
    assert notebook.stat().st_size < 3_000_000
    assert "출력이 너무 길어" in notebook.read_text(encoding="utf-8")


def test_gradebook_is_intact_and_grading_again_gives_the_same_numbers(course):
    folder, _ = course
    connection = sqlite3.connect(folder / "gradebook.db")
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()
    before = exported(folder, "ch07-1")
    grade(folder, "ch07-1")
    after = exported(folder, "ch07-1")
    assert {s: (r["status"], r["score"]) for s, r in after.items()} == {s: (r["status"], r["score"]) for s, r in before.items()}
