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
        if len(hints) < 2 or not all(isinstance(h, str) and h.strip() for h in hints):
            raise ValueError(f"{path}: item {grade_id} needs at least two hints (the concept, then the step)")
        items[grade_id] = Item(grade_id, entry["name"], entry["title"], chapter, entry["section"],
                               entry["section_title"], hints)
    return items


def find_item(items: dict[str, Item], key: str) -> Item | None:
    """The item a learner means by ``key``: its name (``"q3"``, ``"dense_params"``) or its grade id."""
    return items.get(key) or next((item for item in items.values() if item.name == key), None)
