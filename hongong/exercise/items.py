"""An assignment's items as a person reads them: title, the book section that teaches it, a ladder of hints.

Who reads it: the learner's kernel (:func:`hongong.exercise.hints.hint`, from the released copy next to the
notebook) and the instructor's process (feedback, export and report, from ``solutions/<assignment>/items.toml``,
the instructor's copy). The file is the instructor's; ``make release`` (nbgrader's generate_assignment) copies it
into ``exercises/<assignment>/`` with the notebook. Only the standard library, so both sides can use it.

Format (TOML)::

    chapter = "chapters/7-1-artificial-neural-network"   # the book page most items point to

    [items.test-q1]                        # the grade id of the autograded (or manual) cell
    name = "q1"                            # what the learner passes to hint()
    title = "q1. 밀집층의 파라미터 수"
    section = "ch7-1-params"               # a MyST label in that chapter: the anchor of the section
    section_title = "모델 파라미터 세기"      # the heading as the book shows it
    hints = ["the concept", "the step"]    # at least two, never the answer
    # chapter = "chapters/…"               # only if this item's section is in another chapter

On a class hub whose rules unlock hints after graded attempts (``c.CourseRules.hints_unlock_after``), the released
copy keeps only the first hint of each item and says how many are held back (``hints_held = 1``); the learner's
kernel asks the grading service for those (:func:`hongong.exercise.hints.hint`). :func:`withhold_hints` writes it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

ITEMS_FILE = "items.toml"


@dataclass(frozen=True)
class Item:
    grade_id: str
    name: str
    title: str
    chapter: str
    section: str
    section_title: str
    hints: tuple[str, ...]
    held: int = 0  # hints withheld from this copy (the grading service gives them once unlocked)

    @property
    def levels(self) -> int:
        return len(self.hints) + self.held

    def link(self, book_url: str) -> str:
        """The address of the item's section in the book at ``book_url`` (no trailing slash needed)."""
        return f"{book_url.rstrip('/')}/{self.chapter}.html#{self.section}"


def read_items(path: Path) -> dict[str, Item]:
    """The items of an ``items.toml``, by grade id, in the file's order. Raises ValueError naming what is wrong."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    items = {}
    for grade_id, entry in data.get("items", {}).items():
        missing = [key for key in ("name", "title", "section", "section_title", "hints") if key not in entry]
        chapter = entry.get("chapter", data.get("chapter"))
        if missing or not chapter:
            raise ValueError(f"{path}: item {grade_id} has no {', '.join(missing or ['chapter'])}")
        hints = tuple(entry["hints"])
        held = entry.get("hints_held", 0)
        if (type(held) is not int or held < 0 or len(hints) + held < 2 or not hints
                or not all(isinstance(h, str) and h.strip() for h in hints)):
            raise ValueError(f"{path}: item {grade_id} needs at least two hints (the concept, then the step)")
        items[grade_id] = Item(grade_id, entry["name"], entry["title"], chapter, entry["section"],
                               entry["section_title"], hints, held)
    return items


def withhold_hints(text: str, keep: int = 1) -> str:
    """An ``items.toml`` with only the first ``keep`` hints of each item and ``hints_held`` for the rest."""
    import json

    data = tomllib.loads(text)
    lines = [f"# 힌트 {keep}개만 실었습니다. 다음 힌트는 채점을 받은 뒤 hint()가 채점 서비스에서 받아 옵니다.",
             f"chapter = {json.dumps(data['chapter'], ensure_ascii=False)}"]
    for grade_id, entry in data.get("items", {}).items():
        lines += ["", f"[items.{grade_id}]"]
        for key, value in entry.items():
            if key != "hints":
                lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        lines.append(f"hints = {json.dumps(entry['hints'][:keep], ensure_ascii=False)}")
        lines.append(f"hints_held = {len(entry['hints'][keep:])}")
    return "\n".join(lines) + "\n"


def find_item(items: dict[str, Item], key: str) -> Item | None:
    """The item a learner means by ``key``: its name (``"q3"``, ``"dense_params"``) or its grade id."""
    return items.get(key) or next((item for item in items.values() if item.name == key), None)
