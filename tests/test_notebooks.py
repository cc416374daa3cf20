"""The chapter notebooks as committed: no outputs, listed in the table of contents, set up alike."""

import re
import subprocess

import nbformat
import pytest

from conftest import ROOT, chapter_files

COMMITTED = [ROOT / path for path in subprocess.run(
    ["git", "ls-files", "chapters/*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True
).stdout.split()] or sorted((ROOT / "chapters").glob("*.ipynb"))


@pytest.mark.parametrize("path", COMMITTED, ids=lambda path: path.name)
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [i for i, cell in enumerate(notebook.cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them before committing"


def test_every_chapter_notebook_is_in_the_table_of_contents():
    in_toc = {path.resolve() for path in chapter_files()}
    on_disk = {path.resolve() for path in (ROOT / "chapters").glob("*.ipynb")}
    assert on_disk and on_disk == in_toc


@pytest.mark.parametrize("path", chapter_files(), ids=lambda path: path.name)
def test_chapter_name_carries_its_section_number_and_title(path):
    title = nbformat.read(path, as_version=4).cells[0].source.splitlines()[0]
    if path.name.startswith("appendix-"):
        assert re.fullmatch(r"appendix-[a-z0-9-]+\.ipynb", path.name) and title.startswith("# 부록: ")
    else:
        assert re.fullmatch(r"7-\d-[a-z0-9-]+\.ipynb", path.name)
        assert title.startswith(f"# {path.name[:3]} ")


@pytest.mark.parametrize("path", chapter_files(), ids=lambda path: path.name)
def test_chapter_sets_up_then_fixes_seeds_and_op_determinism_first(path):
    code = [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    first = code[0]
    assert first.index("setup_notebook()") < first.index("import keras")
    assert "keras.utils.set_random_seed(42)" in first
    assert "tf.config.experimental.enable_op_determinism()" in first
    assert not any("input_shape=" in source for source in code), "use keras.Input(shape=...) (Keras 3)"


EXERCISE_OF = {"7-1": "ch07-1", "7-2": "ch07-2", "7-3": "ch07-3"}


@pytest.mark.parametrize("path", [p for p in chapter_files() if p.name[:3] in EXERCISE_OF], ids=lambda path: path.name)
def test_self_check_does_not_repeat_the_graded_questions(path):
    """The chapter's 확인 문제 (answers in dropdowns) are other questions than the graded exercise's quiz."""
    chapter = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    self_check = chapter.split("## 확인 문제", 1)[1]
    assert self_check.count(":::{dropdown}") >= 3
    exercise = ROOT / "exercises" / EXERCISE_OF[path.name[:3]] / f"{EXERCISE_OF[path.name[:3]]}.ipynb"
    text = "\n".join(c.source for c in nbformat.read(exercise, as_version=4).cells if c.cell_type == "markdown")
    questions = re.findall(r"^- \*\*q\d+\.\*\* (.+)$", text, re.M)
    assert len(questions) >= 5
    normalized = re.sub(r"\s+", "", self_check)
    repeated = [q for q in questions if re.sub(r"\s+", "", q)[:30] in normalized]
    assert not repeated, f"graded questions repeated in the self-check: {repeated}"
