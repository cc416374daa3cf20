"""The grading engine's stages one by one (quick): collect, execute, executor, feedback, gradebook guard, export, workers.

The whole workflow on a real class is tests/test_instructor_workflow.py (slow).
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from class_submissions import submission
from conftest import ROOT
from hongong.grading.collect import AttemptTimeCollector, precheck
from hongong.grading.execute import ExecuteInScratch, SubmissionFailed
from hongong.grading.executor import limit_output_bytes
from hongong.grading.feedback import HideHiddenTests
from hongong.grading.gradebook import rows_not_of


def test_output_is_cut_per_cell_and_per_notebook_keeping_stream_names_and_errors():
    notebook = new_notebook(cells=[
        new_code_cell("", outputs=[new_output("stream", name="stdout", text="x" * 50_000)]),
        new_code_cell("", outputs=[new_output("stream", name="stderr", text="y" * 500)]),
        new_code_cell("", outputs=[new_output("error", ename="AssertionError", evalue="", traceback=["z" * 5000])]),
        new_code_cell("", outputs=[new_output("display_data", data={"image/png": "A" * 9000})]),
    ])
    removed = limit_output_bytes(notebook, max_cell=2_000, max_notebook=6_000)
    stdout, stderr, error, image = (cell.outputs[0] for cell in notebook.cells)
    assert removed > 50_000
    assert len(stdout.text) < 2_000 and "잘랐습니다" in stdout.text
    assert stderr.name == "stderr" and stderr.text == "y" * 500  # small: kept whole, still counts as stderr
    assert error.output_type == "error" and error.ename == "AssertionError" and len("".join(error.traceback)) < 200
    assert image.data == {"text/plain": image.data["text/plain"]} and "잘랐습니다" in image.data["text/plain"]


def test_nothing_is_cut_under_the_limits():
    cell = new_code_cell("", outputs=[new_output("stream", name="stdout", text="hello\n")])
    assert limit_output_bytes(new_notebook(cells=[cell]), 1_000, 1_000) == 0 and cell.outputs[0].text == "hello\n"


def test_feedback_loses_hidden_tests_and_test_tracebacks_but_keeps_visible_checks():
    notebook = nbformat.read(ROOT / "solutions" / "ch07-1" / "ch07-1.ipynb", as_version=4)
    test = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test-q1")
    test.outputs = [new_output("error", ename="AssertionError", evalue="",
                               traceback=["----> 3 assert type(q1) is int and q1 == 100 * 10 + 10"])]
    answer = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "quiz-answers")
    answer.outputs = [new_output("error", ename="NameError", evalue="x", traceback=["learner's own line"])]
    hider = HideHiddenTests()
    for index, cell in enumerate(notebook.cells):
        hider.preprocess_cell(cell, {}, index)
    assert "HIDDEN" not in test.source and "q1 == " not in test.source
    assert 'check_form("q1", int' in test.source  # the visible check stays
    assert test.outputs[0].traceback == ["AssertionError: 숨은 테스트를 통과하지 못했습니다."]
    assert answer.outputs[0].traceback == ["learner's own line"]  # a learner's own cell keeps its traceback


@pytest.mark.parametrize("name,expected", [
    ("ch07-1_kimminsu_attempt_2026-12-07-21-15-00_ch07-1.ipynb", ("kimminsu", "2026-12-07T21:15:00+09:00", "ch07-1.ipynb")),
    ("ch07-1_lee.jiwoo_attempt_2026-12-08-09-30-00_ch07-1 (1).ipynb", ("lee.jiwoo", "2026-12-08T09:30:00+09:00", "ch07-1 (1).ipynb")),
    ("/home/hong_gd/course/downloaded/ch07-1/extracted/gradebook_ch07-1.zip/ch07-1_kimminsu_attempt_2026-12-07-21-15-00_ch07-1.ipynb",
     ("kimminsu", "2026-12-07T21:15:00+09:00", "ch07-1.ipynb")),  # nbgrader passes the whole path
])
def test_lms_file_names_give_student_file_and_the_attempt_time_with_minutes(name, expected):
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    info = AttemptTimeCollector(config=config).collect(name)
    assert (info["student_id"], info["timestamp"], info["file_id"]) == expected


def test_an_unrelated_file_name_is_not_collected():
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    assert AttemptTimeCollector(config=config).collect("notes.ipynb") is None


def test_precheck_names_missing_renamed_and_damaged_submissions(tmp_path):
    shutil.copytree(ROOT / "exercises" / "ch07-1", tmp_path / "exercises" / "ch07-1")
    assert precheck(tmp_path, "ch07-1", "nobody")["status"] == "missing"
    renamed = tmp_path / "submitted" / "renamed" / "ch07-1"
    renamed.mkdir(parents=True)
    nbformat.write(submission("ch07-1"), renamed / "Untitled.ipynb")
    entry = precheck(tmp_path, "ch07-1", "renamed")
    assert entry["reason"] == "notebook-missing" and "Untitled.ipynb" in entry["message"]
    damaged = tmp_path / "submitted" / "damaged" / "ch07-1"
    damaged.mkdir(parents=True)
    (damaged / "ch07-1.ipynb").write_text('{"cells": [', encoding="utf-8")
    assert precheck(tmp_path, "ch07-1", "damaged")["reason"] == "invalid-notebook"
    fine = tmp_path / "submitted" / "fine" / "ch07-1"
    fine.mkdir(parents=True)
    nbformat.write(submission("ch07-1"), fine / "ch07-1.ipynb")
    assert precheck(tmp_path, "ch07-1", "fine") is None


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_gradebook_guard_sees_other_learners_rows_and_damage_but_not_ones_own(tmp_path):
    from nbgrader.api import Gradebook

    database = tmp_path / "gradebook.db"
    with Gradebook(f"sqlite:///{database}") as gradebook:
        gradebook.add_assignment("a")
        gradebook.add_notebook("n", "a")
        gradebook.add_grade_cell("t", "n", "a", max_score=1, cell_type="code")
        for student in ("me", "you"):
            gradebook.add_student(student)
            gradebook.add_submission("a", student)
    mine = rows_not_of(database, "me", "a")
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE grade SET auto_score = 1 WHERE notebook_id IN (SELECT nb.id FROM submitted_notebook nb "
                           "JOIN submitted_assignment sa ON nb.assignment_id = sa.id WHERE sa.student_id = 'me')")
    assert rows_not_of(database, "me", "a") == mine
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE grade SET auto_score = 0")
    assert rows_not_of(database, "me", "a") != mine
    database.write_bytes(b"not a database")
    assert rows_not_of(database, "me", "a") == "damaged"


@pytest.fixture
def execution_only(monkeypatch):
    """ExecuteInScratch without the checker (these tests are about executing; the checker: tests/test_checker.py)."""
    monkeypatch.setattr(ExecuteInScratch, "checks", lambda self, assignment: None)


def test_a_kernel_that_swallows_interrupts_is_killed_at_the_notebook_deadline_without_the_sandbox(tmp_path, execution_only):
    """--no-sandbox still kills the kernel and its children (the sandboxed case: tests/test_sandbox_limits.py)."""
    pid_file = tmp_path / "kernel.pid"
    notebook = new_notebook(cells=[
        new_code_cell(f"import os\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))"),
        new_code_cell("import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except KeyboardInterrupt:\n        pass"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    executor = ExecuteInScratch(timeout=120, notebook_timeout=8, sandbox=False)  # the deadline comes first
    start = time.perf_counter()
    with pytest.raises(SubmissionFailed) as failure:
        executor.preprocess(notebook, {"unique_key": "loop"})
    assert failure.value.status == "timeout" and "8초" in failure.value.message
    assert time.perf_counter() - start < 30
    kernel = int(pid_file.read_text())
    assert not psutil.pid_exists(kernel) or psutil.Process(kernel).status() == psutil.STATUS_ZOMBIE


def test_without_the_sandbox_the_kernel_still_runs_in_an_empty_scratch_folder_and_cannot_fake_the_answer(execution_only):
    notebook = new_notebook(cells=[
        new_code_cell("import os\nprint(sorted(os.listdir('.')), os.getcwd())"),
        new_code_cell("os.write(1, b'{\"status\": \"ok\", \"notebook\": \"forged\"}\\n')"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    executed, _ = ExecuteInScratch(timeout=30, sandbox=False).preprocess(notebook, {"unique_key": "where"})
    listing = executed.cells[0].outputs[0].text
    assert listing.startswith("[]") and "hongong-submission-" in listing  # not even the notebook is on disk
    assert str(ROOT) not in listing and os.getcwd() not in listing


def test_an_answer_executed_ahead_of_time_is_used_only_for_exactly_the_same_code(execution_only):
    from hongong.grading import execute

    notebook = new_notebook(cells=[new_code_cell("print('run here')")], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    executor = ExecuteInScratch(timeout=30, sandbox=False)
    ahead = nbformat.from_dict(json.loads(nbformat.writes(notebook)))
    ahead.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="run ahead\n")]
    key = ("me", "a", "n")
    resources = {"unique_key": "n", "nbgrader": {"student": "me", "assignment": "a", "notebook": "n"}}
    execute.PRECOMPUTED[key] = (execute.code_digest(notebook, executor.options()), {"status": "ok", "notebook": nbformat.writes(ahead)})
    executed, _ = executor.preprocess(notebook, resources)
    assert executed.cells[0].outputs[0].text == "run ahead\n"
    notebook.cells[0].source = "print('changed')"  # nbgrader's notebook differs: executed again, not taken
    execute.PRECOMPUTED[key] = (execute.code_digest(ahead, executor.options()), {"status": "ok", "notebook": nbformat.writes(ahead)})
    executed, _ = executor.preprocess(notebook, resources)
    assert executed.cells[0].outputs[0].text == "changed\n"
    assert execute.MISSED[-1] == key
    execute.MISSED.clear()


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_a_fresh_clone_without_gradebook_gets_the_assignment_recorded_and_exercises_untouched(tmp_path):
    from nbgrader.api import Gradebook

    from hongong.grading.gradebook import ensure_in_gradebook

    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises")
    before = (tmp_path / "exercises" / "ch07-1" / "ch07-1.ipynb").read_bytes()
    assert ensure_in_gradebook(tmp_path, "ch07-1") is True
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        assert [n.name for n in gradebook.find_assignment("ch07-1").notebooks] == ["ch07-1"]
    assert (tmp_path / "exercises" / "ch07-1" / "ch07-1.ipynb").read_bytes() == before
    assert ensure_in_gradebook(tmp_path, "ch07-1") is False


def test_no_text_cell_of_an_export_can_start_a_spreadsheet_formula():
    from hongong.grading.export import no_formulas

    row = no_formulas({"student_id": "=HYPERLINK(\"http://x\")", "message": "+1", "other": "@SUM(A1)", "tab": "\t=1",
                       "score": -1.0, "status": "graded", "note": "a = b"})
    assert row == {"student_id": "'=HYPERLINK(\"http://x\")", "message": "'+1", "other": "'@SUM(A1)", "tab": "'\t=1",
                   "score": -1.0, "status": "graded", "note": "a = b"}


@pytest.mark.parametrize("address,warned", [("tcp://0.0.0.0:8786", True), ("tcp://10.0.0.5:8786", True),
                                            ("10.0.0.5:8786", True), ("tcp://127.0.0.1:8786", False),
                                            ("tls://10.0.0.5:8786", False)])
def test_a_plain_tcp_scheduler_beyond_loopback_is_named_as_open_to_anyone(address, warned):
    from hongong.grading.workers import unauthenticated

    assert unauthenticated(address) is warned


def test_grading_named_learners_refuses_a_name_not_in_the_class_before_anything_runs(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    (tmp_path / "submitted" / "kimminsu" / "ch07-1").mkdir(parents=True)
    done = subprocess.run([sys.executable, "-m", "hongong.grading", "grade", "ch07-1", "--student", "kimminsu",
                           "--student", "nobody", "--no-sandbox"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "nobody" in done.stderr and "kimminsu" not in done.stderr
    assert not (tmp_path / "grades").exists() and not (tmp_path / "gradebook.db").exists()


def test_an_execution_that_could_not_be_sandboxed_stops_the_run_instead_of_failing_the_learner():
    from concurrent.futures import Future

    from hongong.grading.sandbox import SandboxUnavailable
    from hongong.grading.workers import Executions

    unsandboxed, other = Future(), Future()
    unsandboxed.set_exception(SandboxUnavailable("bubblewrap(bwrap)이 없습니다"))  # as a Dask worker without bwrap raises
    other.set_exception(OSError("disk full"))
    with pytest.raises(SandboxUnavailable, match="bwrap"):
        Executions.answer(unsandboxed)
    assert Executions.answer(other)["status"] == "execution-failed"  # anything else stays this learner's failure
