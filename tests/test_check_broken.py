"""A bug in the instructor's checks/ stops `make grade` with a clear message and marks no learner wrong.

The course's checks/ch07-1.py gets a NameError in item test-q1 (a constant misspelt). Two learners hand in a
perfect ch07-1. The run must stop at the first submission that meets the bug, say which file, item and line, and
leave the gradebook, the statuses and the feedback as they were: the bug is the instructor's, not a wrong answer.
Mended, the same command grades both in full. Without the rule (hongong.grading.checker.instructors_fault), the
learners were graded 15/16 with "답의 형식이 맞지 않아 확인할 수 없습니다(NameError)" on test-q1.
"""

import subprocess
import sys

import nbformat
import pytest

from class_submissions import AUTO_POINTS, CLASS, new_course

pytestmark = pytest.mark.slow

LEARNERS = ("kimminsu", "leejiwoo")


def grade(course):
    return subprocess.run([sys.executable, "-m", "hongong.grading", "grade", "ch07-1", "--no-sandbox", "--jobs", "1"],
                          cwd=course, capture_output=True, text=True, timeout=900)


def test_a_bug_in_a_check_module_stops_the_run_and_records_no_learner_until_it_is_mended(tmp_path):
    from nbgrader.api import Gradebook, MissingEntry

    from hongong.grading.status import read_status

    course = new_course(tmp_path)
    checks = course / "checks" / "ch07-1.py"
    mended = checks.read_text(encoding="utf-8")
    assert "exact(answer, 200 * 20 + 20," in mended
    checks.write_text(mended.replace("exact(answer, 200 * 20 + 20,", "exact(answer, 200 * 20 + twenty,"), encoding="utf-8")
    for student in LEARNERS:
        folder = course / "submitted" / student / "ch07-1"
        folder.mkdir(parents=True)
        nbformat.write(CLASS[("perfect", "ch07-1")].make(), folder / "ch07-1.ipynb")
        (folder / "timestamp.txt").write_text("2026-12-01 09:00:00.000000 UTC")

    done = grade(course)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "채점을 멈췄습니다" in done.stderr and "checks/ch07-1.py의 test-q1" in done.stderr
    assert "NameError: name 'twenty' is not defined" in done.stderr
    assert not read_status(course).get("ch07-1")
    assert not (course / "feedback").exists() or not any((course / "feedback").iterdir())
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in LEARNERS:
            with pytest.raises(MissingEntry):
                gradebook.find_submission("ch07-1", student)

    checks.write_text(mended, encoding="utf-8")
    done = grade(course)
    assert done.returncode == 0, done.stdout + done.stderr
    statuses = read_status(course)["ch07-1"]
    assert {student: statuses[student]["status"] for student in LEARNERS} == {s: "graded" for s in LEARNERS}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assert [gradebook.find_submission("ch07-1", s).score for s in LEARNERS] == [AUTO_POINTS, AUTO_POINTS]
