"""hongong.exercise.forms, the helper of the exercises' visible test cells (in the learner's kernel): form checks in Korean."""

import pytest

from hongong.exercise import check_form


def test_form_check_accepts_the_right_form_and_says_in_korean_what_is_wrong():
    check_form("q1", 1010, int)
    check_form("q2", "relu", str, choices=["relu", "sigmoid"])
    with pytest.raises(AssertionError, match=r"q1의 자료형이 str입니다\. 정수\(int\)로 답하세요\. 예: q1 = 123"):
        check_form("q1", "1010", int, example=123)
    with pytest.raises(AssertionError, match="q2에는 다음 중 하나를 적으세요: 'relu', 'sigmoid'"):
        check_form("q2", "relue", str, choices=["relu", "sigmoid"])


def test_form_check_rejects_subclasses_and_look_alike_objects():
    class SneakyInt(int):
        def __eq__(self, other):
            return True

    with pytest.raises(AssertionError, match="SneakyInt"):
        check_form("q1", SneakyInt(3), int)
    with pytest.raises(AssertionError):
        check_form("q1", True, int)  # bool is a subclass of int, not an int answer
