"""What the exercises' visible test cells call, in the learner's kernel (JupyterLab, Validate, and while graded).

Visible tests (the learner sees them, in the learner's own kernel) check only the *form* of an answer
and say in Korean what to fix: :func:`check_form`. They are help, not the grade: points are decided
outside the kernel by the trusted checker (:mod:`hongong.grading.checker`, checks in ``checks/``).
"""

from __future__ import annotations

# "… + 로/으로": the particle follows the last Korean syllable, so it is part of each entry.
ANSWER_AS = {int: "정수(int)로", float: "실수(float)로", str: "문자열(str)로", list: "리스트(list)로", bool: "불리언(bool)으로"}


def check_form(name: str, value, expected_type: type, *, choices=None, example=None) -> None:
    """Raise AssertionError with a Korean message if ``value`` is not of the expected form.

    ``choices`` lists the accepted spellings of a text answer (the form, not the answer: all
    options are listed); ``example`` shows the expected form.
    """
    hint = f" 예: {name} = {example!r}" if example is not None else ""
    if type(value) is not expected_type:
        raise AssertionError(
            f"{name}의 자료형이 {type(value).__name__}입니다. "
            f"{ANSWER_AS.get(expected_type, expected_type.__name__ + ' 자료형으로')} 답하세요.{hint}"
        )
    if expected_type is list and not all(type(item) in (int, str) for item in value):
        raise AssertionError(f"{name}의 원소는 정수나 문자열이어야 합니다.{hint}")
    if choices is not None and value not in choices:
        raise AssertionError(f"{name}에는 다음 중 하나를 적으세요: {', '.join(map(repr, choices))}")
