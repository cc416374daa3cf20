"""The course's rules for attempts on the hub (hongong/grading/attempts.py): which submission is graded or refused,
which graded attempt counts, and the Korean sentence the feedback carries.

Quick: the rules on records like the service writes (grades/attempts.json); the hub's own tests (tests/test_hub.py)
submit through a real JupyterHub for the limit on attempts and the hints that unlock.
"""

from datetime import datetime, timedelta, timezone

import pytest

from hongong.grading.attempts import CourseRules, parse_time

DUE = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    """``minutes`` after the due date (negative: before it)."""
    return DUE + timedelta(minutes=minutes)


def attempt(number, minutes, state="graded", score=None):
    entry = {"id": f"a{number}", "submitted": at(minutes).isoformat(), "state": state, "attempt": number}
    return entry | ({"score": score, "status": "graded"} if score is not None else {})


def test_by_default_every_submission_is_graded_and_the_last_one_counts():
    rules = CourseRules()
    history = [attempt(1, -90, score=9), attempt(2, -60, score=4), attempt(3, 30, score=5)]
    assert rules.decide(history, at(60), DUE) is None  # late is marked, not refused
    assert rules.attempts_left(history) is None
    assert rules.counted(history, DUE)["id"] == "a3"
    assert rules.sentence(history) == "채점받을 수 있는 시도 수에는 제한이 없습니다. 성적에는 마지막으로 채점한 시도가 들어갑니다."


def test_the_limit_counts_every_accepted_attempt_even_one_that_could_not_be_graded():
    rules = CourseRules(max_attempts=2)
    ungradable = attempt(1, -90)  # graded state without a score: the sandbox stopped it (memory, time)
    refused = attempt(0, -80, state="refused")
    ignored = attempt(0, -79, state="ignored")
    assert rules.decide([ungradable, refused, ignored], at(-70), DUE) is None
    assert rules.attempts_left([ungradable, refused, ignored]) == 1
    waiting = attempt(2, -70, state="accepted")  # not graded yet, but taken
    assert rules.decide([ungradable, waiting], at(-60), DUE) == "attempts"
    assert rules.attempts_left([ungradable, waiting]) == 0
    assert "채점받을 수 있는 시도 2번을 모두 썼습니다." in rules.sentence([ungradable, waiting])


def test_a_submission_too_soon_after_the_last_graded_one_is_refused_until_the_wait_is_over():
    rules = CourseRules(min_seconds_between=600)
    history = [attempt(1, -100, score=3), attempt(0, -95, state="refused")]
    assert rules.decide(history, at(-91), DUE) == "too-soon"
    assert rules.decide(history, at(-90), DUE) is None  # exactly ten minutes after the graded one
    assert rules.decide([], at(-100), DUE) is None
    assert "다음 시도는 앞 시도를 제출하고 10분 뒤부터 채점합니다." in rules.sentence(history)
    assert "1분 5초 뒤부터" in CourseRules(min_seconds_between=65).sentence([])


@pytest.mark.parametrize("late, expected", [("mark", None), ("refuse", "late")])
def test_after_the_due_date_a_submission_is_marked_or_refused_as_the_course_says(late, expected):
    rules = CourseRules(late=late, max_attempts=5)
    assert rules.decide([], at(1), DUE) == expected
    assert rules.decide([], at(0), DUE) is None  # on the due date itself: on time
    assert rules.decide([], at(10_000), None) is None  # no due date set: never late


def test_the_best_attempt_before_the_due_date_counts_and_a_tie_goes_to_the_later_one():
    rules = CourseRules(counts="best")
    history = [attempt(1, -90, score=12), attempt(2, -60, score=16), attempt(3, -30, score=16),
               attempt(4, 30, score=18),  # better, but late
               attempt(5, 40)]  # could not be graded: never the one that counts
    assert rules.counted(history, DUE)["id"] == "a3"
    assert rules.counted(history, None)["id"] == "a4"  # without a due date every attempt is on time
    only_late = [attempt(1, 10, score=5), attempt(2, 20, score=3)]
    assert rules.counted(only_late, DUE)["id"] == "a1"  # nothing on time: the best of what there is
    assert rules.counted([attempt(1, -5)], DUE) is None
    assert rules.sentence(history).endswith("성적에는 마감 전의 가장 좋은 시도가 들어갑니다.")


def test_the_sentence_names_this_attempt_what_is_left_and_when_hints_open():
    rules = CourseRules(max_attempts=3, hints_unlock_after=1)
    first = attempt(1, -90, state="accepted")
    assert rules.sentence([first], first) == (
        "이번 제출은 1번째로 채점한 시도입니다. 채점받을 수 있는 시도가 2번 남았습니다(모두 3번). "
        "성적에는 마지막으로 채점한 시도가 들어갑니다. 두 번째 힌트부터 열려 있습니다.")
    assert rules.sentence([]).endswith("두 번째 힌트부터는 1번 채점받은 뒤에 열립니다.")
    refused = attempt(0, -80, state="refused")
    assert not rules.sentence([first, refused], refused).startswith("이번 제출은")
    assert rules.sentence([first, refused], refused).endswith("두 번째 힌트부터는 1번 채점받은 뒤에 열립니다.")


def test_hints_past_the_first_open_after_a_graded_attempt_and_a_merely_accepted_one_opens_nothing():
    rules = CourseRules(hints_unlock_after=1)
    waiting = attempt(1, -90, state="accepted")
    assert not rules.hints_open([waiting])  # submitted, not graded yet: the grading service gives no second hint
    assert rules.hints_open([waiting], waiting)  # the feedback page of that attempt is read once it is graded
    assert rules.hints_open([attempt(1, -90)])
    assert not rules.hints_open([attempt(1, -90, state="refused"), attempt(2, -80, state="ignored")])
    assert CourseRules(hints_unlock_after=2).graded_count([attempt(1, -90), waiting]) == 1


@pytest.mark.parametrize("text", ["2026-12-07 12:00:00.000000 UTC", "2026-12-07T12:00:00+00:00", "2026-12-07T21:00:00+09:00",
                                  "2026-12-07 12:00:00"])
def test_times_as_nbgrader_and_the_service_write_them_are_the_same_moment(text):
    assert parse_time(text) == DUE


def test_the_rules_file_is_read_again_when_it_changes_and_a_broken_one_keeps_the_rules_read_last(tmp_path, capsys):
    from hongong.grading.attempts import RulesFile

    config = tmp_path / "nbgrader_config.py"
    config.write_text("c = get_config()\nc.CourseRules.max_attempts = 3\n")
    rules = RulesFile(tmp_path)
    assert rules.current().max_attempts == 3
    config.write_text("c = get_config()\nc.CourseRules.max_attempts = 5\nc.CourseRules.min_seconds_between = 60\n")
    assert (rules.current().max_attempts, rules.current().min_seconds_between) == (5, 60)
    config.write_text("c = get_config()\nc.CourseRules.max_attempts = (\n")
    assert rules.current().max_attempts == 5 and "SyntaxError" in rules.problem
    assert "규칙을 읽지 못해 앞서 읽은 규칙을 씁니다" in capsys.readouterr().err
