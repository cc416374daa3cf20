"""Hints on the grading side (quick): the record read from a submission, the course's rule, the rule in the release,
the rule applied to a passed item in the gradebook; and the feedback's rows for each kind of verdict.

The learner's side (hint() in a kernel, its output and metadata) is in tests/test_exercise_forms.py; a whole class
with a hint record is graded in tests/test_instructor_workflow.py.
"""

import shutil

import nbformat
import pytest

from conftest import ROOT
from hongong.exercise.items import read_items
from hongong.grading.hints import HintRule, hints_given, hints_used, record_hint_given

ITEMS = read_items(ROOT / "solutions" / "ch07-1" / "items.toml")


def record(item, level, **extra):
    return nbformat.v4.new_output("display_data", data={"text/plain": "힌트"},
                                  metadata={"hongong": {"hint": {"item": item, "level": level}}, **extra})


def test_only_real_hints_count_each_once():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("hint('q1')", outputs=[record("test-q1", 1), record("test-q1", 1)]),
        nbformat.v4.new_code_cell("hint('q1', 2)", outputs=[record("test-q1", 2), record("test-softmax", 1)]),
        nbformat.v4.new_code_cell("forged", outputs=[
            record("test-unknown", 1), record("test-q2", 0), record("test-q2", len(ITEMS["test-q2"].hints) + 1),
            record("test-q3", "1"), record("test-q3", True), record(["test-q4"], 1),
            nbformat.v4.new_output("display_data", data={"text/plain": "x"}, metadata={"hongong": "hint"}),
            nbformat.v4.new_output("stream", text="hint")]),
        nbformat.v4.new_markdown_cell("not an output"),
    ])
    assert hints_used(nb, ITEMS) == {"test-q1": 2, "test-softmax": 1}


def test_the_services_record_of_hints_given_counts_whatever_the_outputs_say_and_only_before_the_submission(tmp_path):
    import time

    (tmp_path / "grades").mkdir()
    record_hint_given(tmp_path, "ch07-1", "kim", "test-q1", 2)
    record_hint_given(tmp_path, "ch07-1", "kim", "test-q1", 2)  # asked twice: one hint
    record_hint_given(tmp_path, "ch07-1", "lee", "test-q2", 2)
    time.sleep(0.01)
    stamp = tmp_path / "submitted" / "kim" / "ch07-1" / "timestamp.txt"
    stamp.parent.mkdir(parents=True)
    from datetime import datetime, timezone

    stamp.write_text(datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    time.sleep(0.01)
    record_hint_given(tmp_path, "ch07-1", "kim", "test-softmax", 2)  # after this submission: for the next one
    given = hints_given(tmp_path, "ch07-1", "kim")
    assert given == {("test-q1", 2)}
    cleared = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("hint('q1')", outputs=[record("test-q1", 1)])])
    assert hints_used(cleared, ITEMS, given) == {"test-q1": 2}  # the kernel's record only adds what it showed
    assert hints_used(nbformat.v4.new_notebook(), ITEMS, given | {("test-unknown", 1)}) == {"test-q1": 1}
    stamp.unlink()  # no time known (a hand-in from elsewhere): every hint given counts
    assert hints_given(tmp_path, "ch07-1", "kim") == {("test-q1", 2), ("test-softmax", 2)}


def test_the_rule_is_free_by_default_and_never_takes_a_score_below_zero():
    free, costly = HintRule(), HintRule(points_per_hint=0.5)
    assert free.points_per_hint == 0 and free.score(2, 5) == 2 and "깎이지 않습니다" in free.sentence()
    assert costly.score(2, 1) == 1.5 and costly.score(1, 3) == 0 and "0.5점씩 깎입니다" in costly.sentence()


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """ch07-1 released twice by nbgrader: with the course's rule (free) and with 0.5 points per hint."""
    from hongong.grading.gradebook import run_nbgrader

    folders = {}
    for name, options in (("free", []), ("costly", ["--HintRule.points_per_hint=0.5"])):
        course = tmp_path_factory.mktemp(name)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(ROOT / "solutions" / "ch07-1", course / "solutions" / "ch07-1")
        run_nbgrader(course, "generate_assignment", "ch07-1", "--force", *options)
        folders[name] = course
    return folders


def test_release_states_the_rule_and_ships_the_hints(released):
    for name, sentence in (("free", HintRule().sentence()), ("costly", HintRule(points_per_hint=0.5).sentence())):
        folder = released[name] / "exercises" / "ch07-1"
        text = "".join(c.source for c in nbformat.read(folder / "ch07-1.ipynb", as_version=4).cells)
        assert sentence in text and "<!-- hint-rule -->" not in text
        assert read_items(folder / "items.toml") == ITEMS
    committed = "".join(c.source for c in nbformat.read(ROOT / "exercises" / "ch07-1" / "ch07-1.ipynb", as_version=4).cells)
    assert HintRule().sentence() in committed, "exercises/ is released with the course's rule (make release)"


def test_a_passed_item_loses_the_rule_s_points_per_hint_in_the_gradebook(released):
    """RecordVerdicts on a real gradebook: q1 passed with 2 hints, softmax passed without, q2 wrong with 1 hint."""
    from nbgrader.api import Gradebook
    from traitlets.config import Config

    from hongong.grading.execute import METRICS
    from hongong.grading.record import RecordVerdicts

    course = released["costly"]
    database = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(database) as gradebook:
        gradebook.add_student("learner")
        gradebook.add_submission("ch07-1", "learner")
    nb = nbformat.read(course / "exercises" / "ch07-1" / "ch07-1.ipynb", as_version=4)
    verdicts = {"test-q1": {"passed": True, "verdict": "passed", "message": "통과"},
                "test-softmax": {"passed": True, "verdict": "passed", "message": "통과"},
                "test-q2": {"passed": False, "verdict": "wrong", "message": "틀렸습니다."}}
    key = ("learner", "ch07-1", "ch07-1")
    METRICS[key] = {"hints": {"test-q1": 2, "test-q2": 1}}
    config = Config()
    config.HintRule.points_per_hint = 0.5
    resources = {"nbgrader": {"student": "learner", "assignment": "ch07-1", "notebook": "ch07-1", "db_url": database},
                 "checker_verdicts": verdicts}
    RecordVerdicts(config=config).preprocess(nb, resources)
    items = METRICS.pop(key)["items"]
    assert (items["test-q1"]["score"], items["test-softmax"]["score"], items["test-q2"]["score"]) == (0.0, 2.0, 0.0)
    assert items["test-q1"]["hints"] == 2 and items["test-q2"]["verdict"] == "wrong"
    assert items["test-q3"]["verdict"] == "ungradable", "an item the checker said nothing of earns nothing"
    with Gradebook(database) as gradebook:
        assert gradebook.find_grade("test-softmax", "ch07-1", "ch07-1", "learner").score == 2.0
        assert gradebook.find_grade("test-q1", "ch07-1", "ch07-1", "learner").score == 0.0
    shown = [o["data"]["text/plain"] for c in nb.cells for o in c.get("outputs", []) if "채점기" in str(o)]
    assert any("힌트 2개를 보아 1점이 깎였습니다" in text for text in shown), shown
