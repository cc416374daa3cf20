"""The grading service's own failures on a real hub (tests/hub_class.py): never silent, never endless, nothing lost.

Rules: one attempt per learner; a failed grading command tried again after 2 s (three tries in all). First, while a
grading holds the course's lock (as ``make grade`` does while it records), an accepted submission is not copied into
``submitted/`` (a grading reading it then would read half a folder); it is graded once the lock is free. Then the
instructor breaks ``nbgrader_config.py`` mid-class (a syntax error: every grading command fails at once): a learner's
submission is tried three times, then given up as failed; the learner's page says the service could not grade it and
that it does not count as an attempt, the instructor sees it in the service's queue and the log; with the file mended,
the same learner's next submission is graded although only one attempt is allowed.
"""

import fcntl
import os
import sys
import time

import pytest

from class_submissions import AUTO_POINTS, CLASS
from hub_class import Hub

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="the hub makes system users (root)")]

WAITER, UNLUCKY, TEACHER = "hgx-waiter", "hgx-unlucky", "hgx-teacher"
RULES = "c.CourseRules.max_attempts = 1\nc.GradingService.retry_seconds = 2\n"


@pytest.fixture(scope="module")
def hub():
    hub = Hub([WAITER, UNLUCKY], TEACHER, rules=RULES)
    try:
        hub.start()
        hub.run(sys.executable, "-m", "hongong.hub", "release", "ch07-1")
        yield hub
    finally:
        hub.close()


def entries(hub, student: str) -> list[dict]:
    status, body = hub.api("/services/grader/api/attempts", student)
    assert status == 200, body
    return body["attempts"].get("ch07-1", [])


def test_nothing_is_copied_into_submitted_while_a_grading_holds_the_course_lock(hub):
    with open(hub.course / ".grading.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a `make grade` recording now
        hub.hand_in(WAITER, "ch07-1", CLASS[("perfect", "ch07-1")].make())
        deadline = time.monotonic() + 60
        while not entries(hub, WAITER) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(5)  # a few of the service's turns
        assert [e["state"] for e in entries(hub, WAITER)] == ["accepted"]
        assert not (hub.course / "submitted" / WAITER / "ch07-1").exists()
    history = hub.wait_graded(WAITER, "ch07-1", 1, timeout=240)
    assert [(e["state"], e["score"]) for e in history] == [("graded", AUTO_POINTS)]


def test_a_grading_command_that_keeps_failing_is_given_up_told_and_not_counted(hub):
    config = hub.course / "nbgrader_config.py"
    mended = config.read_text()
    config.write_text(mended + "\nc.Broken = (\n")  # the instructor's typo: every grading command stops at it
    try:
        hub.hand_in(UNLUCKY, "ch07-1", CLASS[("perfect", "ch07-1")].make())
        deadline = time.monotonic() + 240
        while not any(e["state"] == "failed" for e in entries(hub, UNLUCKY)):
            assert time.monotonic() < deadline, hub.log_text()[-4000:]
            time.sleep(1)
    finally:
        config.write_text(mended)
    [entry] = entries(hub, UNLUCKY)
    assert (entry["state"], entry["reason"]) == ("failed", "grading-command-failed"), entry
    assert hub.log_text().count(f"ch07-1 {UNLUCKY}: 채점 시작") == 3  # three tries, then no more
    assert "3번 모두 실패해 그만둡니다" in hub.log_text() and "SyntaxError" in hub.log_text()
    page = next(iter(hub.feedback(UNLUCKY, "ch07-1").values()))
    assert "채점 서비스가 채점하지 못했습니다" in page and "시도 수에 들어가지" in page
    status, queue = hub.api("/services/grader/api/queue", TEACHER)
    assert status == 200 and {(p["student"], p["problem"]) for p in queue["problems"]} == {
        (UNLUCKY, "grading-command-failed")}
    time.sleep(1.1)  # nbgrader names a submission by the second
    hub.hand_in(UNLUCKY, "ch07-1", CLASS[("perfect", "ch07-1")].make())  # max_attempts = 1: the failure did not count
    history = hub.wait_graded(UNLUCKY, "ch07-1", 1, timeout=240)
    assert [(e["state"], e.get("score")) for e in history] == [("failed", None), ("graded", AUTO_POINTS)]
