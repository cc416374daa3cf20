"""Every message of the checks points to the book, never to the answer (quick).

Each section a message of checks/ cites is a heading of that chapter, and a wrong quiz answer, judged by the trusted
checker, is sent to a section of its chapter without the message giving the right answer away.
"""

import functools
import re

import pytest

from conftest import ROOT
from judging import items_of, judge


CHAPTERS = {"7-1": "7-1-artificial-neural-network", "7-2": "7-2-deep-neural-network", "7-3": "7-3-training-neural-networks"}
SAID_IN_KOREAN = {"relu": "렐루", "sigmoid": "시그모이드", "softmax": "소프트맥스", "val_loss": "검증 손실", "Flatten": "펼치는 층"}


@functools.cache
def headings(section):
    import nbformat

    notebook = nbformat.read(ROOT / "chapters" / f"{CHAPTERS[section]}.ipynb", as_version=4)
    return {line.lstrip("#").strip() for cell in notebook.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("##")}


def test_every_section_a_check_message_cites_is_a_heading_of_that_chapter():
    cited = [(section, title) for assignment in ("ch07-1", "ch07-2", "ch07-3")
             for section, title in re.findall(r"(7-\d)절 '([^']+)'", (ROOT / "checks" / f"{assignment}.py").read_text(encoding="utf-8"))]
    assert len(cited) > 20
    missing = [(section, title) for section, title in cited if title not in headings(section)]
    assert missing == [], "a message sends the learner to a section the chapter does not have"


def wrong_like(answer):
    """A wrong answer of the right type."""
    if type(answer) is list:
        return [n + 1 for n in answer]
    return "wrong" if type(answer) is str else answer + type(answer)(1000)


@pytest.mark.parametrize("assignment", ["ch07-1", "ch07-2", "ch07-3"])
def test_a_wrong_quiz_answer_is_sent_to_a_section_of_the_book_without_the_answer(assignment, tmp_path):
    from class_submissions import quiz_answers

    right = quiz_answers(assignment)
    special = {"ch07-1": {"q2": ["softmax"], "q6": [7850, 784]}, "ch07-2": {"q2": ["Reshape"]}}.get(assignment, {})
    items = items_of(assignment, kinds={"value"})
    section = assignment[2:].lstrip("0")  # ch07-1 -> 7-1
    chapter_headings = headings(section)
    for name, answer in right.items():
        for wrong in [wrong_like(answer), *special.get(name, [])]:
            message = judge({name: wrong}, [i for i in items if i.grade_id == f"test-{name}"], tmp_path / f"{name}-{wrong}")[
                f"test-{name}"]["message"]
            assert message.startswith("정답이 아닙니다.") and f"{section}절" in message, (name, message)
            titles = re.findall(r"'([^']+)'", message)
            assert all(title in chapter_headings for title in titles), (name, titles)
            values = answer if isinstance(answer, list) else [answer]
            for value in values:
                if isinstance(value, str):
                    assert value not in message and SAID_IN_KOREAN.get(value, value) not in message, (name, message)
                elif len(str(value)) > 1:
                    assert not re.search(rf"(?<![\d.,]){value:,}(?![\d,])|(?<![\d.,]){value}(?![\d,])", message), (name, message)
