"""What a check module (``checks/<assignment>.py``) is written with: the words an instructor uses.

Who runs it: the trusted checker (:mod:`hongong.grading.checker`) loads a check module with :func:`load_items`
and calls its items on the loaded answers. The instructor's process also loads it (``ExecuteInScratch.checks``)
to list, with :func:`collect_spec`, the answers a submission must hand over (inputs of function answers drawn at
that moment). Check modules are the instructor's code; nothing here runs a learner's.

A check module declares one function per autograded cell::

    from hongong.grading.checks import exact, item, value

    @item("test-q1", value("q1"))
    def q1(answer):
        exact(answer, 1010)

The function gets the loaded answers and raises :class:`Wrong` with a Korean message (what is wrong, never
the expected answer) or returns. Answers: :func:`value` (a plain value), :func:`calls` (a function called on
fresh inputs), :func:`attributes`, :func:`model`, :func:`model_file`, :func:`array`. For function answers,
:func:`integers_from` and :func:`explains` (name a mistake only when it explains every result).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Answer:
    """One answer an item needs from the kernel (see the helpers below)."""

    kind: str  # value, calls, attributes, model, file, array
    name: str
    attributes: tuple[str, ...] = ()
    call: bool = False
    inputs: Callable | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple:
        return self.kind, self.name, self.attributes, self.call


def value(name: str) -> Answer:
    """A plain value (int, float, str, bool, None, lists and dicts of them, exact types), as JSON."""
    return Answer("value", name)


def calls(name: str, inputs: Callable) -> Answer:
    """A function, called in the kernel on ``inputs(rng)`` (a list of argument lists drawn at grading time)."""
    return Answer("calls", name, inputs=inputs)


def attributes(name: str, *names: str) -> Answer:
    """Some plain attributes of an object, and its class's full name."""
    return Answer("attributes", name, attributes=names)


def model(name: str, call: bool = False) -> Answer:
    """A Keras model held by ``name`` (or returned by ``name()`` with ``call=True``), saved as ``.keras``."""
    return Answer("model", name, call=call)


def model_file(path: str) -> Answer:
    """A ``.keras`` file the notebook saved in its folder."""
    return Answer("file", path)


def array(name: str) -> Answer:
    """A NumPy array (no object dtype), as ``.npy``."""
    return Answer("array", name)


def item(grade_id: str, *answers: Answer):
    """Decorator: this function decides the autograded cell ``grade_id`` from ``answers``."""

    def register(check):
        check.grade_id, check.answers = grade_id, answers
        return check

    return register


class Wrong(Exception):
    """The answer is wrong; the message (Korean) goes into the feedback."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Wrong(message)


TYPE_NAMES = {int: "정수(int)", float: "실수(float)", str: "문자열(str)", list: "리스트(list)", bool: "불리언(bool)"}


def exact(answer, expected, message: str = "정답이 아닙니다.") -> None:
    """``answer`` has exactly ``expected``'s type and equals it (list items compared with their types too)."""
    if type(answer) is not type(expected):
        raise Wrong(f"자료형이 {type(answer).__name__}입니다. {TYPE_NAMES.get(type(expected), type(expected).__name__)}로 답하세요.")
    expect(_same(answer, expected), message)


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def close(answer, expected: float, tolerance: float = 1e-9, message: str = "정답이 아닙니다.") -> None:
    """A float answer within ``tolerance`` of ``expected``."""
    if type(answer) is not float:
        raise Wrong(f"자료형이 {type(answer).__name__}입니다. 실수(float)로 답하세요.")
    expect(math.isfinite(answer) and abs(answer - expected) <= tolerance, message)


class NotAValue:
    """What a function answer gave instead of a plain value (it raised, or returned an object)."""

    def __init__(self, description: str):
        self.description = description

    def __repr__(self):
        return f"<{self.description}>"


def integers_from(name: str, results) -> None:
    """Every result of the function answer ``name`` is an ``int``; otherwise :class:`Wrong` says what it gave."""
    for _, got in results:
        if isinstance(got, NotAValue):
            raise Wrong(f"{name}가 오류를 냈거나 단순한 값이 아닌 것을 돌려주었습니다({got.description}). 정수(int)를 돌려주세요.")
        expect(type(got) is int, f"{name}가 정수(int)가 아닌 값을 돌려주었습니다.")


def explains(results, rule: Callable) -> bool:
    """Whether ``rule(*arguments)`` gives every result: a mistake is named only when it explains every answer."""
    return all(got == rule(*arguments) for arguments, got in results)


def load_items(source: str, filename: str) -> list:
    """The items a check module declares, in order."""
    namespace = {"__name__": "checks", "__file__": filename}
    exec(compile(source, filename, "exec"), namespace)
    return [found for found in namespace.values() if callable(found) and hasattr(found, "grade_id")]


def collect_spec(items: list, rng) -> list[dict]:
    """What the kernel must write: each distinct answer once, with its file stem; function inputs drawn now."""
    spec, seen = [], set()
    for check in items:
        for answer in check.answers:
            if answer.key in seen:
                continue
            seen.add(answer.key)
            entry = {"file": f"{len(spec):02d}", "kind": answer.kind, "name": answer.name}
            if answer.attributes:
                entry["attributes"] = list(answer.attributes)
            if answer.call:
                entry["call"] = True
            if answer.inputs is not None:
                entry["inputs"] = [list(arguments) for arguments in answer.inputs(rng)]
            spec.append(entry)
    return spec

