"""A learner's first exercise in a real browser: `make lab`'s JupyterLab, Debian's Chromium driven by Playwright.

The learner's lab (tests/lab_server.py: the Makefile's recipe, jupyter_learner/) serves a copy of the course with
ch07-1 as released; its kernel is this environment's python3, reading the built book's address from
HONGONG_BOOK_URL as a class server sets it. The learner, with the mouse and the keyboard:

1. runs the set-up cell, the answer cell as released and the q1 test cell: "시도하지 않음", one line, no traceback;
2. asks for hints in a new cell below: "힌트 1/…", then "힌트 2/…", each linking to a section that exists in the book;
3. answers q1 = "1010" (a string): the test says "형식이 틀림";
4. answers q1 = 1010: the test says "형식 맞음";
5. presses Validate: nbgrader lists the unanswered items' test cells as failed with "시도하지 않음", and not q1's;
6. finds no instructor tool: no "Create Assignment" sidebar, an Nbgrader menu with "Assignment List" only (which
   opens), nothing of formgrader in the command palette or the launcher.

Screenshots: _build/screenshots/learner-journey-<n>-<what>.png.
"""

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

from conftest import BUILD, ROOT
from lab_server import Lab

pytestmark = pytest.mark.slow

ASSIGNMENT = "ch07-1"
EXERCISE = ROOT / "exercises" / ASSIGNMENT
SHOTS = BUILD / "screenshots"
BOOK = BUILD / "html"
RUN = 120_000  # ms: a cell (the set-up cell imports TensorFlow, about 15 s)
INSTRUCTOR_TOOLS = ["Create Assignment", "Create assignment", "Formgrader", "Course List"]


@pytest.fixture(scope="module")
def lab(built_book, tmp_path_factory):
    """`make lab` in a copy of the course: nbgrader's config and ch07-1 as released (with its items.toml)."""
    course = tmp_path_factory.mktemp("learner") / "course"
    shutil.copytree(EXERCISE, course / "exercises" / ASSIGNMENT)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    server = Lab("lab", course, course.parent / "lab.log", {"HONGONG_BOOK_URL": BOOK.as_uri()})
    yield server
    server.stop()


class Learner:
    """The notebook open in JupyterLab, driven as a person does: click a cell, type, Shift+Enter."""

    def __init__(self, page):
        self.page, self.shots = page, 0
        self.cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")

    def shot(self, what: str) -> Path:
        self.shots += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"learner-journey-{self.shots}-{what}.png"
        self.page.screenshot(path=str(path))
        print(f"screenshot: {path}")
        return path

    def select(self, index: int):
        """Click the cell's prompt: the cell is selected, in command mode."""
        cell = self.cells.nth(index)
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputPrompt").click()
        return cell

    def write(self, index: int, source: str):
        """Replace the cell's code: click into its editor, select all, type."""
        cell = self.cells.nth(index)
        cell.scroll_into_view_if_needed()
        cell.locator(".cm-content").click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(source)
        return cell

    def run(self, index: int, keys: str = "Shift+Enter"):
        """Run the cell and wait until the kernel has answered it (its prompt shows a new execution count)."""
        from playwright.sync_api import expect

        cell = self.cells.nth(index)
        prompt = cell.locator(".jp-InputPrompt")
        before = prompt.inner_text()
        if not cell.locator(".cm-focused").count():
            self.select(index)
        self.page.keyboard.press(keys)
        expect(prompt).not_to_have_text(before, timeout=RUN)
        expect(prompt).to_have_text(re.compile(r"^\[\d+\]:$"), timeout=RUN)
        return cell

    def output(self, index: int) -> str:
        return self.cells.nth(index).locator(".jp-OutputArea").inner_text()


def grade_cells() -> dict:
    """grade id -> index of the cell in the released notebook."""
    notebook = nbformat.read(EXERCISE / f"{ASSIGNMENT}.ipynb", as_version=4)
    return {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(notebook.cells)}


class Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(value for name, value in attrs if name == "id")


def assert_link_into_the_book(href: str):
    """``href`` is ``<HONGONG_BOOK_URL>/chapters/<page>.html#<id>`` and the built page has an element with that id."""
    found = re.fullmatch(re.escape(BOOK.as_uri()) + r"/(chapters/[^#/]+\.html)#(.+)", href)
    assert found, href
    page = BOOK / unquote(found.group(1))
    assert page.is_file(), href
    ids = Ids()
    ids.feed(page.read_text(encoding="utf-8"))
    assert unquote(found.group(2)) in ids.ids, f"no element with id {found.group(2)!r} in {page}"


def test_a_learner_answers_q1_with_tests_hints_and_validate_and_sees_no_instructor_tool(lab, browser):
    from playwright.sync_api import expect

    cells = grade_cells()
    setup, answers, test_q1 = cells["setup"], cells["quiz-answers"], cells["test-q1"]
    assert setup < answers < test_q1
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{lab.url}/lab/tree/exercises/{ASSIGNMENT}/{ASSIGNMENT}.ipynb?token={lab.token}")
    toast = page.locator(".jp-Notification-Toast-Close").first  # JupyterLab asks about news: the learner closes it
    page.add_locator_handler(toast, lambda: toast.click())
    learner = Learner(page)
    learner.cells.nth(test_q1).wait_for()
    expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=RUN)  # the kernel has started

    # 1. Before answering: the set-up cell, the answer cell as released, the q1 test cell.
    learner.run(setup)
    assert "Traceback" not in learner.output(setup)
    learner.run(answers)
    stub = learner.output(answers)
    assert "시도하지 않음" in stub and "Traceback" not in stub, stub
    learner.run(test_q1)
    verdict = learner.output(test_q1)
    assert verdict.strip().startswith("시도하지 않음: q1") and "Traceback" not in verdict, verdict
    assert len(verdict.strip().splitlines()) == 1, verdict
    learner.shot("not-attempted")

    # 2. Hints, in a new cell right below the q1 test cell.
    learner.select(test_q1)
    page.keyboard.press("b")  # insert a cell below (command mode)
    scratch = test_q1 + 1
    expect(learner.cells.nth(scratch)).to_have_class(re.compile(r"\bjp-mod-active\b"))
    for level, source in [(1, 'hint("q1")'), (2, 'hint("q1", 2)')]:
        learner.write(scratch, source)
        learner.run(scratch, "Control+Enter")
        output = learner.cells.nth(scratch).locator(".jp-OutputArea")
        expect(output).to_contain_text(f"힌트 {level}/", timeout=RUN)
        text = output.inner_text()
        assert "q1" in text and "다시 읽을 곳" in text and "Traceback" not in text, text
        links = output.locator("a[href]")
        expect(links).to_have_count(1)
        assert_link_into_the_book(links.first.get_attribute("href"))
        learner.shot(f"hint-{level}")
    assert "힌트 1/" not in learner.output(scratch)  # the cell shows the second hint now

    # 3. A string where a number is asked for: wrong form.
    learner.write(answers, 'q1 = "1010"')
    learner.run(answers)
    assert not learner.output(answers).strip()
    learner.run(test_q1)
    verdict = learner.output(test_q1)
    assert verdict.strip().startswith("형식이 틀림: q1") and "Traceback" not in verdict, verdict
    learner.shot("wrong-form")

    # 4. The number: right form.
    learner.write(answers, "q1 = 1010")
    learner.run(answers)
    learner.run(test_q1)
    verdict = learner.output(test_q1)
    assert verdict.strip().startswith("형식 맞음: q1") and "형식이 틀림" not in verdict, verdict
    learner.shot("form-ok")

    # 5. Validate (nbgrader's toolbar button): the notebook is saved and run again on the server.
    page.locator(".jp-NotebookPanel-toolbar .validate-button").first.click()
    dialog = page.locator(".jp-Dialog").filter(has_text="Validation Results")
    dialog.wait_for(timeout=300_000)
    message = dialog.locator("#validation-message").inner_text()
    learner.shot("validate")
    assert "has changed, but it should not have" not in message, (
        "nbgrader finds a locked cell of the release changed: a checksum in exercises/ does not match its cell "
        f"(was the cell's text changed after nbgrader computed it, in `make release`?)\n{message}")
    assert "The following cell failed" in message, message
    assert 'check_form("q2"' in message and "시도하지 않음: q2" in message, message  # unanswered items fail
    assert 'check_form("q1"' not in message and "형식이 틀림" not in message, message  # q1 passes
    assert "Traceback" not in message, message
    dialog.get_by_role("button", name="Ok").click()
    expect(dialog).to_have_count(0)

    # 6. No instructor tool: sidebars, the Nbgrader menu, the command palette, the launcher.
    tabs = page.eval_on_selector_all(".jp-SideBar .lm-TabBar-tab",
                                     "tabs => tabs.map(t => [t.title, t.innerText, t.dataset.id].join(' '))")
    assert tabs and not any(tool in tab for tab in tabs for tool in INSTRUCTOR_TOOLS), tabs
    assert not page.locator("#nbgrader-create_assignemnt, .nbgrader-CreateAssignmentWidget").count()
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").click()
    menu = page.locator(".lm-Menu .lm-Menu-item:not(.lm-mod-hidden)")
    expect(menu.first).to_be_visible()
    assert [item.strip() for item in menu.all_inner_texts()] == ["Assignment List"], menu.all_inner_texts()
    learner.shot("nbgrader-menu")
    menu.first.click()  # the learner's tool still works
    expect(page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Assignments")).to_be_visible()
    expect(page.locator("#nbgrader-assignment-list")).to_be_visible()
    learner.shot("assignment-list")
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill("grader")
    palette = page.locator(".lm-CommandPalette-item:not(.lm-mod-hidden)")
    expect(palette.filter(has_text="Assignment List")).to_have_count(1)
    found = palette.all_inner_texts()
    assert not any(tool in item for item in found for tool in INSTRUCTOR_TOOLS), found
    learner.shot("command-palette")
    page.keyboard.press("Escape")
    page.locator(".lm-MenuBar-item", has_text="File").click()
    page.locator(".lm-Menu-item", has_text="New Launcher").click()
    launcher = page.locator(".jp-Launcher-body:visible")
    expect(launcher.locator(".jp-LauncherCard").first).to_be_visible()
    cards = launcher.locator(".jp-LauncherCard").all_inner_texts()
    assert not any(tool in card for card in cards for tool in INSTRUCTOR_TOOLS), cards
    learner.shot("launcher")
    context.close()
