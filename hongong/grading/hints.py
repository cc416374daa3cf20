"""Hints in grading: how many hints a learner used per item, and whether hints cost points (a course setting).

Who runs it: the instructor's process, inside nbgrader.

- :class:`ReadHintRecord` is the first of ``Autograde.sanitize_preprocessors``: before nbgrader clears the
  submitted notebook's outputs it reads the hint record :func:`hongong.exercise.hints.hint` left there (display
  outputs whose metadata say ``{"hongong": {"hint": {"item": …, "level": n}}}``). The record is the learner's:
  only known items and levels that exist count, each (item, level) once; nothing else of it is read. It goes to
  :data:`hongong.grading.execute.METRICS` (``hints``: {grade id: count}), then the status file and the export.
- The hints past the first are held back from the release and handed out by the hub's grading service
  (:mod:`hongong.hub.web`), which writes each one it gives into :data:`HINTS_GIVEN` (:func:`record_hint_given`).
  That record is the service's, so it binds: :class:`ReadHintRecord` counts what it holds together with the kernel's
  record, and clearing or editing the outputs takes none of it back. The kernel's record only adds hints the
  released notebook showed by itself.
- :class:`HintRule` holds the setting: ``c.HintRule.points_per_hint`` (0 by default: hints are free), applied by
  :class:`hongong.grading.record.RecordVerdicts` to items the checker passed.
- :class:`StateHintRule` is one of ``GenerateAssignment.preprocessors``: it writes the rule, in Korean, where the
  instructor's notebook has the line ``<!-- hint-rule -->``, so the released notebook tells the learner.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Float
from traitlets.config import Configurable

from hongong.exercise.items import ITEMS_FILE, read_items

PLACEHOLDER = "<!-- hint-rule -->"
HINTS_GIVEN = Path("grades") / "hints_given.json"  # {assignment: {learner: [[grade id, level, UTC ISO time], …]}}


def hints_given(course: Path, assignment: str, student: str) -> set[tuple[str, int]]:
    """The hints the hub's grading service handed this learner for this assignment before the submission in
    ``submitted/`` was made (its ``timestamp.txt``; all of them without one): {(grade id, level)}. A hint taken after
    an attempt is charged to the attempts that follow it, not to that one when it is graded again."""
    from hongong.grading.attempts import parse_time

    path = course / HINTS_GIVEN
    record = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    stamp = course / "submitted" / student / assignment / "timestamp.txt"
    try:
        submitted = parse_time(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        submitted = None
    return {(item, level) for item, level, given in record.get(assignment, {}).get(student, [])
            if submitted is None or parse_time(given) <= submitted}


def record_hint_given(course: Path, assignment: str, student: str, item: str, level: int) -> None:
    """Add one hint handed out to :data:`HINTS_GIVEN`, with the time it was first given (the caller holds the
    service's lock)."""
    from datetime import datetime, timezone

    path = course / HINTS_GIVEN
    record = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    given = record.setdefault(assignment, {}).setdefault(student, [])
    if not any(old[:2] == [item, level] for old in given):
        given.append([item, level, datetime.now(timezone.utc).isoformat()])
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        temporary.replace(path)


class HintRule(Configurable):
    """``c.HintRule.points_per_hint``: points taken from a passed item per hint used on it (never below 0)."""

    points_per_hint = Float(0.0, min=0.0, help="Points a passed item loses per hint used on it (0: hints are free).").tag(
        config=True)

    def sentence(self) -> str:
        if self.points_per_hint == 0:
            return "힌트는 몇 번을 보아도 점수가 깎이지 않습니다."
        from hongong.grading.attempts import CourseRules

        sentence = (f"자동 채점 문항에서는 힌트를 하나 볼 때마다 그 문항을 맞혔을 때 받는 점수에서 {self.points_per_hint:g}점씩 "
                    f"깎입니다(0점 아래로는 내려가지 않습니다). 손으로 채점하는 문항의 힌트는 점수에 영향이 없습니다.")
        if CourseRules(config=self.config).hints_unlock_after:  # hints past the first come from the hub's service
            sentence += " 두 번째 힌트부터는 채점 서비스가 내주고 그 기록으로 세므로, 노트북의 출력을 지워도 감점이 줄지 않습니다."
        return sentence

    def score(self, points: float, hints: int) -> float:
        return max(0.0, float(points) - self.points_per_hint * hints)


def source_items(coursedir, assignment: str) -> dict:
    """The instructor's ``items.toml`` of ``assignment`` (empty if there is none)."""
    path = Path(coursedir.format_path(coursedir.source_directory, ".", assignment)) / ITEMS_FILE
    return read_items(path) if path.is_file() else {}


def course_directory(configurable):
    """nbgrader's CourseDirectory of the converter above ``configurable`` (an exporter sits between them), or None."""
    parent = configurable.parent
    while parent is not None and not hasattr(parent, "coursedir"):
        parent = parent.parent
    return getattr(parent, "coursedir", None)


def hints_used(nb, items: dict, given: set[tuple[str, int]] = frozenset()) -> dict[str, int]:
    """{grade id: how many of its hints the notebook's outputs show, or the service ``given``}, counting known items
    and levels only, each once."""
    seen = {(item, level) for item, level in given if item in items and 1 <= level <= len(items[item].hints)}
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            metadata = output.get("metadata")
            record = metadata.get("hongong") if isinstance(metadata, dict) else None
            record = record.get("hint") if isinstance(record, dict) else None
            if not isinstance(record, dict):
                continue
            item, level = record.get("item"), record.get("level")
            if isinstance(item, str) and item in items and type(level) is int and 1 <= level <= len(items[item].hints):
                seen.add((item, level))
    counts: dict[str, int] = {}
    for item, _ in seen:
        counts[item] = counts.get(item, 0) + 1
    return counts


class ReadHintRecord(Preprocessor):
    """First of ``Autograde.sanitize_preprocessors``: the hints a submission used, before its outputs are cleared."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        from hongong.grading.execute import METRICS

        names = resources.get("nbgrader", {})
        coursedir = course_directory(self)
        items = source_items(coursedir, names.get("assignment", "")) if coursedir is not None else {}
        key = (names.get("student"), names.get("assignment"), names.get("notebook"))
        given = hints_given(Path(coursedir.root), key[1], key[0]) if coursedir is not None else set()
        METRICS.setdefault(key, {})["hints"] = hints_used(nb, items, given)
        return nb, resources


class StateHintRule(Preprocessor):
    """One of ``GenerateAssignment.preprocessors``: the line ``<!-- hint-rule -->`` becomes the course's hint rule."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        sentence = HintRule(parent=self.parent).sentence()
        for cell in nb.cells:
            if cell.cell_type == "markdown" and PLACEHOLDER in cell.source:
                cell.source = cell.source.replace(PLACEHOLDER, sentence)
        return nb, resources
