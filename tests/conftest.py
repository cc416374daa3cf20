"""Shared paths and fixtures: the book built and the class graded (slow, each once per test run), and Debian's Chromium
for the browser tests (one per module)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hongong.book.notebook import book_chapters, glued_value

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
CHROMIUM = Path("/usr/bin/chromium")

# As the Makefile sets them, for a `pytest` run without make; before anything imports Keras.
os.environ.setdefault("KERAS_HOME", str(ROOT / ".keras"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# nbgrader needs the venv's bin/ on PATH (generate_assignment runs `alembic`).
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


def chapter_files():
    """The chapter notebooks in the order of _toc.yml."""
    return book_chapters(ROOT)


@pytest.fixture(scope="session")
def built_book():
    """Build the book exactly as `make book` does (strict); return the build log.

    Unchanged notebooks come from the execution cache, so after `make book` this takes seconds;
    on a fresh clone it executes every chapter.
    """
    result = subprocess.run(
        ["make", "--no-print-directory", "html"], cwd=ROOT, capture_output=True, text=True, timeout=3600
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"the book did not build:\n{log[-6000:]}"
    return log


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium (``make setup`` installs it), driven by Playwright; one per test module."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is installed by `make setup` (system-packages)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory):
    """The class of tests/class_submissions.py graded as the README says (tests/class_grading.py); (folder, log of the
    grading run). Read by tests/test_instructor_workflow.py, graded again in part by tests/test_regrading.py."""
    from class_grading import grade_the_class

    return grade_the_class(tmp_path_factory.mktemp("class"))


def glued_values(chapter: Path) -> dict:
    """name -> value of every number the chapter glued, read from the build's executed copy."""
    path = BUILD / "jupyter_execute" / chapter.parent.relative_to(ROOT) / f"{chapter.stem}.glue.json"
    glued = json.loads(path.read_text(encoding="utf-8"))
    return {name: glued_value(output) for name, output in glued.items()}
