"""The grading service's bookkeeping (quick): whom it grades next, and what it records when a grading command fails.

The hub itself, with real grading commands, is in tests/test_hub*.py; here the service's record is driven with jobs
whose end is given (a job is what :mod:`hongong.hub.slots` hands back when a command ends).
"""

import pytest

from hongong.grading.attempts import read_attempts, write_attempts
from hongong.hub.service import TRIES, Grader
from hongong.hub.slots import Job


@pytest.fixture
def grader(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    (tmp_path / "grades").mkdir()
    return Grader(tmp_path, tmp_path / "exchange", "course", slots=2, retry_seconds=1)


def entry(number: int, state: str = "accepted", **more) -> dict:
    return {"id": f"folder{number}", "submitted": f"2026-12-04T10:00:{number:02d}+00:00", "state": state,
            "attempt": 1, **more}


def test_each_learner_gets_one_slot_the_longest_waiting_first_and_a_restore_before_new_work(grader):
    write_attempts(grader.course, {"ch07-1": {
        "kim": [entry(1), entry(5)],  # two waiting: only the older one now
        "lee": [entry(3)],
        "park": [entry(9, "graded", score=3.0, restore="pending")],  # the best attempt going back: first
        "choi": [entry(2, retry_at=4e9)],  # a failed command's next try is not due yet
    }})
    assert [(job.student, job.entry["id"], job.restore) for job in grader.next_jobs()] == [
        ("park", "folder9", True), ("kim", "folder1", False)]
    grader.slots.running.append(Job("ch07-1", "park", {}))  # park's restore in progress: one slot left, not park's
    assert [(job.student, job.entry["id"]) for job in grader.next_jobs()] == [("kim", "folder1")]


def test_a_best_attempt_that_cannot_be_put_back_is_tried_three_times_then_shown_to_the_instructor(grader):
    from hongong.grading.report import attempt_rows

    best = entry(1, "graded", score=16.0, status="graded", restore="pending")
    write_attempts(grader.course, {"ch07-1": {"kim": [best, entry(2, "graded", score=3.0, status="graded", counted=False)]}})
    for attempt in range(TRIES):
        job = Job("ch07-1", "kim", best, restore=True, code=1, output="Traceback: ...")
        job.started = 0.0
        grader.finish(job)
        [first, _] = read_attempts(grader.course)["ch07-1"]["kim"]
        if attempt < TRIES - 1:
            assert first["restore"] == "pending" and first["tries"] == attempt + 1 and "retry_at" in first
    assert first["restore"] == "failed" and "tries" not in first and "retry_at" not in first
    assert not any(e.get("counted") for e in read_attempts(grader.course)["ch07-1"]["kim"])
    assert attempt_rows(grader.course)["ch07-1"][0][-1] == "가장 좋은 시도를 성적부에 되돌리지 못함 (허브 로그를 보세요)"


def test_an_attempt_whose_grading_command_keeps_failing_is_failed_and_no_longer_waits(grader):
    write_attempts(grader.course, {"ch07-1": {"kim": [entry(1)]}})
    for attempt in range(TRIES):
        [waiting] = read_attempts(grader.course)["ch07-1"]["kim"]
        job = Job("ch07-1", "kim", waiting, code=None if attempt == 0 else 2)  # killed at its deadline, then exit 2
        grader.finish(job)
    [given_up] = read_attempts(grader.course)["ch07-1"]["kim"]
    assert (given_up["state"], given_up["reason"]) == ("failed", "grading-command-failed")
    assert grader.next_jobs() == []


def test_an_attempt_is_recorded_graded_or_failed_only_after_its_page_is_released(grader, monkeypatch):
    """A learner (or a test) who sees "graded" in the record and presses Fetch Feedback gets this attempt's page."""
    import hongong.hub.service as service

    seen = []

    def released(grader, assignment, student, *rest):
        seen.append(read_attempts(grader.course)[assignment][student][-1]["state"])

    monkeypatch.setattr(service, "release_graded", released)
    monkeypatch.setattr(service, "release_fault", released)
    monkeypatch.setattr(Grader, "score", lambda self, job, status: 0.0)
    monkeypatch.setattr(Grader, "due", lambda self, assignment: None)
    write_attempts(grader.course, {"ch07-1": {"kim": [entry(1)], "lee": [entry(2)]}})
    grader.finish(Job("ch07-1", "kim", entry(1), code=0))
    for _ in range(TRIES):
        [waiting] = read_attempts(grader.course)["ch07-1"]["lee"]
        grader.finish(Job("ch07-1", "lee", waiting, code=2))
    assert seen == ["accepted", "accepted"]  # kim's graded page, lee's fault page: both before the record changed
    assert [read_attempts(grader.course)["ch07-1"][who][0]["state"] for who in ("kim", "lee")] == ["graded", "failed"]


def test_the_record_page_says_what_became_of_each_attempt_and_every_value_is_text():
    from hongong.hub.web import PAGES, attempt_row

    rows = [attempt_row("ch07-1", entry(1, "failed", reason="grading-timeout")),
            attempt_row("ch07-1", entry(2, "graded", status="graded", score=16.0, counted=True, restore="failed")),
            attempt_row("ch07-1", entry(3, "refused", reason="too-many-waiting"))]
    assert [(r[3], r[6]) for r in rows] == [
        ("채점 서비스 오류", "채점 서비스의 시간 초과"),
        ("채점됨", "가장 좋은 시도를 성적부에 되돌리지 못했습니다(강사가 보는 기록에 남음)"),
        ("받지 않음", "채점이 끝나지 않은 시도(채점 중인 것 포함, 모든 과제 합계)가 이미 2개 있습니다. 앞 시도의 피드백을 받은 "
                   "뒤에 다시 제출하세요")]
    assert [r[1] for r in rows] == ["-", 1, 1]  # a service failure is not an attempt: no number
    page = PAGES.get_template("attempts.html.j2").render(student="<script>x</script>", rows=rows, waiting=False)
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;의 제출 기록" in page
    assert 'http-equiv="refresh"' not in page  # nothing waiting: no reload
    waiting = PAGES.get_template("attempts.html.j2").render(student="kim", rows=rows, waiting=True, refresh=False)
    chosen = PAGES.get_template("attempts.html.j2").render(student="kim", rows=rows, waiting=True, refresh=True)
    assert 'http-equiv="refresh"' not in waiting and 'href="?refresh=on"' in waiting  # reloads only when asked (2.2.1)
    assert 'http-equiv="refresh"' in chosen and "자동 새로 고침 끄기" in chosen


def test_an_account_planting_folders_by_the_thousand_fills_the_record_only_up_to_the_cap(grader):
    import getpass
    import time

    from hongong.hub.intake import arrived, take_up
    from hongong.hub.service import RECORDED_UNUSED

    me = getpass.getuser()  # not on the course's roster: each folder is ignored
    for k in range(RECORDED_UNUSED + 10):
        folder = grader.inbound / f"{me}+ch07-1+2026-12-04 10:00:{k:02d}.000000 UTC+planted{k}"
        folder.mkdir(parents=True)
        (folder / "submission_secret.txt").write_text("0" * 128)
    time.sleep(1.1)  # settled
    for _ in range(RECORDED_UNUSED + 10):  # one folder per account and turn
        for submission in arrived(grader):
            take_up(grader, submission)
    recorded = [e for learners in read_attempts(grader.course).values() for e in learners.get(me, [])]
    assert len(recorded) == RECORDED_UNUSED and {e["state"] for e in recorded} == {"ignored"}
    assert len(grader.unrecorded) == 10 and arrived(grader) == []  # the rest taken up once, remembered, not recorded
