"""``hint("q3")``, ``hint("q3", 2)``: a ladder of Korean hints per item, in the learner's kernel.

The hints come from ``items.toml`` next to the notebook (the instructor's file, released with it; see
:mod:`hongong.exercise.items`). Each hint names the book section that teaches the item, with a link. The hints
used are recorded in the notebook itself: each hint is a display output carrying
``{"hongong": {"hint": {"item": <grade id>, "level": n}}}`` in its metadata, saved with the notebook and read by
the instructor's process when the submission is graded (:mod:`hongong.grading.hints`). The learner writes this
record and can erase it (clearing the outputs erases it): it is a courtesy record, not proof.

The book's address: ``HONGONG_BOOK_URL`` if set (a class server sets it), else the local build
(``_build/html`` in a folder above the notebook), else the address of the public build named in ``items.toml``.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from hongong.exercise.items import ITEMS_FILE, find_item, read_items


def book_url(start: Path | None = None) -> str:
    """Where the book is read: ``HONGONG_BOOK_URL``, else a local ``_build/html`` above ``start`` (the notebook's folder)."""
    if os.environ.get("HONGONG_BOOK_URL"):
        return os.environ["HONGONG_BOOK_URL"]
    folder = (start or Path.cwd()).resolve()
    for parent in (folder, *folder.parents):
        if (parent / "_build" / "html" / "index.html").is_file():
            return (parent / "_build" / "html").as_uri()
    return "../../_build/html"


def hint(name: str, level: int = 1) -> None:
    """Show hint ``level`` (1: the concept, 2: the step, …) of item ``name`` ("q3", "dense_params", or a grade id)."""
    from IPython.display import display

    path = Path.cwd() / ITEMS_FILE
    if not path.is_file():
        print(f"힌트 파일({ITEMS_FILE})이 이 노트북 옆에 없습니다. 과제 폴더를 통째로 받았는지 확인하세요.")
        return
    items = read_items(path)
    item = find_item(items, name) if isinstance(name, str) else None
    if item is None:
        print(f"이 과제에 없는 문항입니다: {name!r}. 이 과제의 문항: {', '.join(i.name for i in items.values())}")
        return
    if type(level) is not int or not 1 <= level <= item.levels:
        print(f"{item.title}의 힌트는 1부터 {item.levels}까지 있습니다. 예: hint({item.name!r}, 2)")
        return
    if level <= len(item.hints):
        said = item.hints[level - 1]
    else:  # held back on this hub until enough graded attempts: the grading service decides
        said, refusal = held_hint(Path.cwd().name, item.grade_id, level)
        if said is None:
            print(refusal)
            return
    link = item.link(book_url())
    more = (f" 다음 힌트: <code>hint({html.escape(repr(item.name))}, {level + 1})</code>"
            if level < item.levels else " 마지막 힌트입니다.")
    text = (f"<div class='hongong-hint'><b>힌트 {level}/{item.levels} · {html.escape(item.title)}</b><br>"
            f"{html.escape(said)}<br>다시 읽을 곳: <a href='{html.escape(link)}' target='_blank'>"
            f"{html.escape(item.section_title)}</a>.{more}</div>")
    plain = (f"힌트 {level}/{item.levels} · {item.title}\n{said}\n"
             f"다시 읽을 곳: {item.section_title} ({link})")
    display({"text/html": text, "text/plain": plain}, raw=True,
            metadata={"hongong": {"hint": {"item": item.grade_id, "level": level}}})


def held_hint(assignment: str, grade_id: str, level: int) -> tuple[str | None, str]:
    """(the hint, "") from the class hub's grading service, or (None, why not) in Korean."""
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    service, token = os.environ.get("HONGONG_GRADER_URL"), os.environ.get("JUPYTERHUB_API_TOKEN")
    if not service or not token:
        return None, "이 힌트는 수업의 허브에서 채점을 받은 뒤에 열립니다(지금은 허브 밖에서 실행 중입니다)."
    address = (f"{service.rstrip('/')}/api/hints/{urllib.parse.quote(assignment)}/{urllib.parse.quote(grade_id)}/"
               f"{level}")
    request = urllib.request.Request(address, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read().decode())["hint"], ""
    except urllib.error.HTTPError as error:
        try:
            return None, json.loads(error.read().decode()).get("message", f"힌트를 받지 못했습니다({error.code}).")
        except ValueError:
            return None, f"힌트를 받지 못했습니다({error.code})."
    except (urllib.error.URLError, OSError):
        return None, "채점 서비스에 닿지 않아 힌트를 받지 못했습니다. 잠시 뒤에 다시 해 보세요."
