"""What the exercises' visible test cells call, in the learner's kernel (JupyterLab, Validate, and while graded).

Visible tests (the learner sees them, in the learner's own kernel) check only the *form* of an answer and say, in
Korean, which of three cases it is (the same words as the feedback's):

- **시도하지 않음** (not attempted): the name is not defined yet, or its cell still raises the release's
  ``NotImplementedError`` stub: :class:`NotAttempted`;
- **형식이 틀림** (wrong form): a wrong type, spelling or length: :class:`WrongForm`;
- **형식 맞음** (form OK): printed by :func:`check_form` and :func:`form_ok`.

A visible test may also compare the answer with the worked example the exercise gives (``expect(…, example=True)``:
**예시와 다름**). None of this is the grade: points are decided outside the kernel by the trusted checker.
Errors raised here render as one short Korean line in the notebook (IPython's ``_render_traceback_``), not as a
traceback through this file; :func:`setup_exercise` does the same for the ``NotImplementedError`` stub.
"""

from __future__ import annotations

import re
import sys

# "… + 로/으로": the particle follows the last Korean syllable, so it is part of each entry.
ANSWER_AS = {int: "정수(int)로", float: "실수(float)로", str: "문자열(str)로", list: "리스트(list)로", bool: "불리언(bool)으로"}

RUN_THE_ANSWER_CELL = "답 셀의 raise NotImplementedError()를 지우고 답을 쓴 다음, 그 셀을 먼저 실행하세요."
NOT_ATTEMPTED, WRONG_FORM, FORM_OK, NOT_LIKE_EXAMPLE = "시도하지 않음", "형식이 틀림", "형식 맞음", "예시와 다름"


class ExerciseMessage(AssertionError):
    """A visible test's verdict: shown as ``<word>: <message>`` alone, without a traceback."""

    word = ""

    def __init__(self, message: str):
        super().__init__(f"{self.word}: {message}")

    def _render_traceback_(self):  # IPython shows these lines instead of the traceback
        return [f"\x1b[1;31m{self.args[0]}\x1b[0m"]


class NotAttempted(ExerciseMessage):
    word = NOT_ATTEMPTED


class WrongForm(ExerciseMessage):
    word = WRONG_FORM


class NotLikeExample(ExerciseMessage):
    word = NOT_LIKE_EXAMPLE


def _namespace(depth: int = 2) -> dict:
    """The notebook's namespace: the globals of the cell that called us."""
    return sys._getframe(depth).f_globals


def answer(name: str):
    """The learner's ``name`` from the notebook, or :class:`NotAttempted` if the answer cell has not defined it."""
    namespace = _namespace()
    if name not in namespace:
        raise NotAttempted(f"{name} - 아직 답이 없습니다(이 이름이 정의되지 않았습니다). {RUN_THE_ANSWER_CELL}")
    return namespace[name]


def expect(condition, message: str, *, example: bool = False) -> None:
    """:class:`WrongForm` (or, with ``example=True``, :class:`NotLikeExample`) with ``message`` unless ``condition``."""
    if not condition:
        raise (NotLikeExample if example else WrongForm)(message)


def form_ok(name: str, note: str = "정답인지는 채점기가 확인합니다.") -> None:
    """Say that ``name``'s form is right (the third case)."""
    print(f"{FORM_OK}: {name}. {note}")


# How a text answer is spelled, told without listing the answers (a list of every allowed value would turn recall into
# multiple choice): a name key -> (the whole answer must match this, what the learner reads).
SPELLINGS = {
    "snake_case": (r"[a-z][a-z0-9]*(_[a-z0-9]+)*", "영어 소문자로, 단어 사이는 밑줄(_)로 이어 케라스에 쓰는 이름 그대로 적으세요"),
    "ClassName": (r"[A-Z][A-Za-z0-9]*", "케라스의 클래스 이름 그대로, 대문자로 시작하고 띄어쓰기 없이 적으세요"),
}


def check_form(name: str, expected_type: type, *, spelling: str | None = None, example=None) -> None:
    """Check the form of the notebook's ``name``: defined, of ``expected_type``, spelled as ``spelling`` says.

    ``spelling`` is a key of :data:`SPELLINGS` (the form of a name, not the answer); ``example`` shows the form with
    a value that is not the answer.
    """
    namespace = _namespace()
    if name not in namespace:
        raise NotAttempted(f"{name} - 아직 답이 없습니다(이 이름이 정의되지 않았습니다). {RUN_THE_ANSWER_CELL}")
    value = namespace[name]
    hint = f" 예: {name} = {example!r}" if example is not None else ""
    if type(value) is not expected_type:
        raise WrongForm(f"{name}의 자료형이 {type(value).__name__}입니다. "
                        f"{ANSWER_AS.get(expected_type, expected_type.__name__ + ' 자료형으로')} 답하세요.{hint}")
    if expected_type is list and not all(type(item) in (int, str) for item in value):
        raise WrongForm(f"{name}의 원소는 정수나 문자열이어야 합니다.{hint}")
    if spelling is not None and not re.fullmatch(SPELLINGS[spelling][0], value):
        raise WrongForm(f"{name}의 철자 형식이 맞지 않습니다. {SPELLINGS[spelling][1]}.{hint}")
    form_ok(name)


def not_attempted_stub(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: the release's ``raise NotImplementedError()`` stub in one Korean line."""
    shell._showtraceback(etype, value, [f"\x1b[1;31m{NOT_ATTEMPTED}: 이 셀(또는 이 셀이 부른 함수)에 아직 답이 없습니다. "
                                        f"raise NotImplementedError()를 지우고 답을 쓰세요.\x1b[0m"])


def setup_exercise() -> None:
    """In an exercise's set-up cell: the ``NotImplementedError`` stub is reported as "시도하지 않음" in one line."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((NotImplementedError,), not_attempted_stub)
