"""A class of learners handing in the real release notebooks: honest, careless, broken and dishonest.

``CLASS[(student, assignment)] = Expected(make, status, score, handed_in_as)``: ``make()`` returns what the
learner hands in (a notebook, or raw bytes for a damaged file), ``status``/``score`` what grading must
report (``score`` None unless graded), ``handed_in_as`` the file name when it is not the expected one.
Learners absent from an assignment are expected as ``missing``. What the careless, broken and dishonest ones
write in their cells is in tests/learner_tricks.py.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from typing import Callable

import nbformat

from conftest import ROOT
from learner_tricks import (ENDLESS_LOOP, FORGED_ACCURACY, FORGED_REASON, FORGES_EARLY_STOP, FORK_BOMB, HOSTILE_ANSWER,
                            HOSTILE_OUTPUTS, KERNEL_CRASH, KNOWS_THE_EXAMPLE, LAMBDA_MODEL, LOADS_PLANTED_MODEL,
                            LOOKS_LIKE_A_DNN, MEMORY_HOG, PATCHED_LIBRARIES, PATCHED_UNTRAINED, PHONES_HOME, PRINTS_100MB,
                            READS_OTHERS, READS_PLANTED_ANSWERS, READS_SOLUTIONS, SLEEPS_FOREVER, STOP_RULE_NOT_WRITTEN,
                            SUBCLASSES, SWALLOWS_ERRORS, TAMPER, TRACER, WRAPS_EVERY_CELL)

ASSIGNMENTS = ["ch07-1", "ch07-2", "ch07-3"]
AUTO_POINTS = 16  # automatic points of each assignment (plus 2 graded by hand); tests/test_exercises.py checks the notebooks


def new_course(folder):
    """A course directory at ``folder``: our nbgrader config, solutions/ and checks/, each assignment released by nbgrader."""
    from hongong.grading.gradebook import run_nbgrader

    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(ROOT / "solutions", folder / "solutions")
    shutil.copytree(ROOT / "checks", folder / "checks")
    for assignment in ASSIGNMENTS:
        run_nbgrader(folder, "generate_assignment", assignment, "--force")
    return folder


def read(path):
    return nbformat.read(path, as_version=4)


def cell_of(notebook, grade_id):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def solution_code(source, grade_id):
    return "\n".join(line for line in cell_of(source, grade_id).source.splitlines() if "### " not in line)


def quiz_points(assignment):
    source = read(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    return sum(c.metadata.nbgrader.points for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test-q"))


def quiz_answers(assignment) -> dict:
    namespace = {}
    exec(solution_code(read(ROOT / "solutions" / assignment / f"{assignment}.ipynb"), "quiz-answers"), namespace)  # plain assignments
    return {name: value for name, value in namespace.items() if name.startswith("q")}


def submission(assignment, answers=None, solved=True, tests=None, drop_tests=False, drop=(), first=None):
    """The release notebook as a learner hands it in: solved (or not), with some cells replaced or removed."""
    source = read(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    notebook = read(ROOT / "exercises" / assignment / f"{assignment}.ipynb")
    kept = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if meta.get("solution") and solved:  # code answers and the written answer
            cell.source = solution_code(source, grade_id)
        if answers and grade_id in answers:
            cell.source = answers[grade_id]
        if grade_id in drop or (drop_tests and meta.get("grade") and cell.cell_type == "code"):
            continue
        if tests is not None and meta.get("grade") and cell.cell_type == "code":
            cell.source = tests
        kept.append(cell)
    if first is not None:
        kept.insert(0, nbformat.v4.new_code_cell(first))
    notebook.cells = kept
    return notebook


def with_cell_metadata(notebook):
    """Metadata that nbconvert acts on, on three cells: a tag that becomes Bootstrap's class pinning a fake score over
    the page, a tag that hides a test cell with its verdict, and transient.remove_source that drops a test cell's code."""
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in notebook.cells}
    notebook.cells[0].metadata["tags"] = ["x navbar-fixed-top"]
    by_id["test-q2"].metadata["tags"] = ["x hidden"]
    by_id["test-q3"].metadata["transient"] = {"remove_source": True}
    return notebook


def with_hint_record(notebook, records):
    """``notebook`` with the record hint() leaves: one display output per hint shown, in the set-up cell's outputs."""
    notebook.cells[1].outputs = [nbformat.v4.new_output("display_data", data={"text/plain": f"힌트 {level}"},
                                                        metadata={"hongong": {"hint": {"item": item, "level": level}}})
                                 for item, level in records]
    return notebook


# What partly-wrong hands in for ch07-1 besides its answers: hints it saw (one of them twice) and records no hint()
# writes (an unknown item, a level that does not exist, a level as text); only the real ones count.
HINT_RECORD = [("test-q1", 1), ("test-q1", 2), ("test-q1", 2), ("test-dense-params", 1),
               ("test-nope", 1), ("test-q2", 99), ("test-q3", "1")]
HINTS_COUNTED = {"test-q1": 2, "test-dense-params": 1}


# The loss given as Keras takes it other than the chapters' string: a function, a Loss object, the class's name. Right.
OTHER_LOSS = {"ch07-1": ("build-model", "keras.losses.sparse_categorical_crossentropy"),
              "ch07-2": ("build-dnn", "keras.losses.SparseCategoricalCrossentropy()"),
              "ch07-3": ("build-model", '"SparseCategoricalCrossentropy"')}


def loss_said_otherwise(assignment):
    """The solution, with the model compiled with the loss written another valid way (OTHER_LOSS)."""
    grade_id, loss = OTHER_LOSS[assignment]
    code = solution_code(read(ROOT / "solutions" / assignment / f"{assignment}.ipynb"), grade_id)
    changed = code.replace('loss="sparse_categorical_crossentropy"', f"loss={loss}")
    assert changed != code, f"{assignment}: the solution's compile() no longer names the loss as expected"
    return submission(assignment, {grade_id: changed})


def blank_with(assignment, code):
    """A blank release whose quiz cell holds ``code`` (a cheat instead of answers)."""
    return submission(assignment, {"quiz-answers": code}, solved=False)


PARTLY_WRONG = {  # assignment -> (quiz cell, points lost)
    "ch07-1": ('q1 = 4020\nq2 = "softmax"\nq3 = "compile"\nq4 = "sparse_categorical_crossentropy"\n'
               'q5 = "12000"\nq6 = 0\nq7 = "softmax"', 2),
    "ch07-2": ('q1 = 2\nq2 = "Flatten"\nq3 = "relu"\nq4 = "SGD"\nq5 = [0, 78500, 1000]\nq6 = 2\nq7 = 1', 2),
    "ch07-3": ('q1 = "val_loss"\nq2 = "restore_best_weights"\nq3 = 7\nq4 = 1\nq5 = ".keras"', 1),
}


def wrong_types(assignment):
    """Every right value in the wrong type: '4020' instead of 4020, ['relu'] instead of 'relu'."""
    wrong = lambda value: [value] if type(value) is str else str(value)  # noqa: E731
    return "\n".join(f"{name} = {wrong(value)!r}" for name, value in quiz_answers(assignment).items())


def always_equal(assignment):
    names = " = ".join(quiz_answers(assignment))
    return f"class AlwaysEqual:\n    def __eq__(self, other):\n        return True\n    __hash__ = object.__hash__\n{names} = AlwaysEqual()"


@dataclass
class Expected:
    make: Callable
    status: str
    score: float | None = None
    handed_in_as: str | None = None
    planted: dict | None = None  # other files handed in next to the notebook: name -> bytes


def _class():
    q = {a: quiz_points(a) for a in ASSIGNMENTS}
    every = {}
    for a in ASSIGNMENTS:
        every |= {
            ("perfect", a): Expected(lambda a=a: submission(a), "graded", AUTO_POINTS),
            ("blank", a): Expected(lambda a=a: submission(a, solved=False), "graded", 0),
            ("partly-wrong", a): Expected(lambda a=a: with_hint_record(submission(a, {"quiz-answers": PARTLY_WRONG[a][0]}),
                                                                       HINT_RECORD if a == "ch07-1" else []), "graded",
                                          AUTO_POINTS - PARTLY_WRONG[a][1]),
            ("wrong-types", a): Expected(lambda a=a: blank_with(a, wrong_types(a)), "graded", 0),
            ("always-equal", a): Expected(lambda a=a: blank_with(a, always_equal(a)), "graded", 0),
            ("solutions-deleted", a): Expected(
                lambda a=a: submission(a, drop=[g for g in ("dense-params", "softmax", "stack-params", "build-model", "build-dnn",
                                                           "train", "best-epoch", "stop-epoch")]),
                "graded", q[a]),
            ("corrupt-json", a): Expected(lambda a=a: nbformat.writes(submission(a))[:5000].encode(), "failed"),
            ("loss-said-otherwise", a): Expected(lambda a=a: loss_said_otherwise(a), "graded", AUTO_POINTS),
        }
    # What these learners do is the same in every notebook, and so is how it is graded: one assignment is enough.
    every |= {
        ("tests-edited", "ch07-1"): Expected(lambda: submission("ch07-1", solved=False, tests="pass"), "graded", 0),
        ("tests-deleted", "ch07-1"): Expected(lambda: submission("ch07-1", solved=False, drop_tests=True), "graded", 0),
        ("error-first-cell", "ch07-1"): Expected(lambda: submission("ch07-1", first='raise RuntimeError("첫 셀에서 난 오류")'),
                                                 "graded", AUTO_POINTS),
        ("late", "ch07-1"): Expected(lambda: submission("ch07-1"), "late", AUTO_POINTS),
        ("int-str-subclasses", "ch07-1"): Expected(lambda: blank_with("ch07-1", SUBCLASSES), "graded", 0),
        ("patched-untrained", "ch07-1"): Expected(lambda: submission("ch07-1", {"train": PATCHED_UNTRAINED}), "graded", AUTO_POINTS - 3),
        ("endless-loop", "ch07-1"): Expected(
            lambda: submission("ch07-1", {"quiz-answers": ENDLESS_LOOP}), "graded", AUTO_POINTS - q["ch07-1"]),
        ("renamed", "ch07-1"): Expected(lambda: submission("ch07-1"), "failed", handed_in_as="ch07-1 (1).ipynb"),
        # In the sandbox the gradebook is nowhere to be found: the attempt fails inside the learner's own cell.
        ("tamper-gradebook", "ch07-1"): Expected(lambda: blank_with("ch07-1", 'MODE = "sql"\n' + TAMPER), "graded", 0),
        ("reads-others", "ch07-1"): Expected(lambda: blank_with("ch07-1", READS_OTHERS), "graded", 0),
        ("sleeps-forever", "ch07-1"): Expected(lambda: submission(
            "ch07-1", {"quiz-answers": SLEEPS_FOREVER, "why-validation": FORGED_REASON}), "failed"),
        ("hostile-html", "ch07-1"): Expected(lambda: with_cell_metadata(submission(
            "ch07-1", {"why-validation": HOSTILE_ANSWER}, first=HOSTILE_OUTPUTS)), "graded", AUTO_POINTS),
        ("forges-early-stop", "ch07-3"): Expected(lambda: submission(
            "ch07-3", {"train": FORGES_EARLY_STOP, "stop-epoch": STOP_RULE_NOT_WRITTEN}), "graded", AUTO_POINTS - 2 - 2 - 3),
        ("renamed", "ch07-2"): Expected(lambda: submission("ch07-2"), "failed", handed_in_as="Untitled.ipynb"),
        ("prints-100mb", "ch07-2"): Expected(
            lambda: submission("ch07-2", {"quiz-answers": PRINTS_100MB + "\n" + solution_code(
                read(ROOT / "solutions" / "ch07-2" / "ch07-2.ipynb"), "quiz-answers")}), "failed"),
        ("memory-hog", "ch07-2"): Expected(lambda: submission("ch07-2", {"train": MEMORY_HOG}), "failed"),
        ("phones-home", "ch07-2"): Expected(lambda: blank_with("ch07-2", PHONES_HOME), "graded", 0),
        ("kernel-crash", "ch07-2"): Expected(lambda: submission("ch07-2", {"train": KERNEL_CRASH}), "failed"),
        ("reads-solutions", "ch07-3"): Expected(lambda: blank_with("ch07-3", READS_SOLUTIONS), "graded", 0),
        ("tamper-gradebook", "ch07-3"): Expected(lambda: blank_with("ch07-3", 'MODE = "bytes"\n' + TAMPER), "graded", 0),
        ("fork-bomb", "ch07-3"): Expected(lambda: submission("ch07-3", {"quiz-answers": FORK_BOMB}), "failed"),
        ("wraps-every-cell", "ch07-1"): Expected(lambda: blank_with("ch07-1", WRAPS_EVERY_CELL), "graded", 0),
        ("lambda-model", "ch07-1"): Expected(lambda: submission("ch07-1", {"build-model": LAMBDA_MODEL}), "graded",
                                             AUTO_POINTS - 2 - 3),
        ("swallows-errors", "ch07-2"): Expected(lambda: blank_with("ch07-2", SWALLOWS_ERRORS), "graded", 0),
        ("patched-libraries", "ch07-2"): Expected(lambda: submission(
            "ch07-2", {"quiz-answers": PATCHED_LIBRARIES, "stack-params": KNOWS_THE_EXAMPLE, "build-dnn": LOOKS_LIKE_A_DNN},
            solved=False), "graded", 0),
        ("forged-accuracy", "ch07-2"): Expected(lambda: submission("ch07-2", {"train": FORGED_ACCURACY}), "graded",
                                                AUTO_POINTS - 3),
        ("tracer", "ch07-3"): Expected(lambda: blank_with("ch07-3", TRACER), "graded", 0),
        ("planted-file", "ch07-3"): Expected(
            lambda: submission("ch07-3", {"quiz-answers": READS_PLANTED_ANSWERS, "train": LOADS_PLANTED_MODEL}, solved=False),
            "graded", 0, planted={"answers.json": json.dumps(quiz_answers("ch07-3")).encode(),
                                  "best-model.keras": b"PK planted: would be loaded if the sandbox showed the hand-in folder"}),
    }
    students = sorted({s for s, _ in every})
    for a in ASSIGNMENTS:
        for s in students:
            every.setdefault((s, a), Expected(lambda: None, "missing"))
    return every


CLASS = _class()
# Items the notebook's own test cells passed in the learner's kernel and the checker failed: the tricks above
# pass every test cell; the Lambda model passes the visible checks; a made-up accuracy passes them too.
ALL_ITEMS = {"ch07-1": {f"test-q{n}" for n in range(1, 8)} | {"test-dense-params", "test-softmax", "test-build-model",
                                                             "test-train"},
             "ch07-2": {f"test-q{n}" for n in range(1, 8)} | {"test-stack-params", "test-build-dnn", "test-train"},
             "ch07-3": {f"test-q{n}" for n in range(1, 6)} | {"test-build-model", "test-callbacks", "test-reload",
                                                             "test-best-epoch", "test-early-stop"}}
FLAGGED = {
    ("wraps-every-cell", "ch07-1"): ALL_ITEMS["ch07-1"], ("swallows-errors", "ch07-2"): ALL_ITEMS["ch07-2"],
    ("tracer", "ch07-3"): ALL_ITEMS["ch07-3"], ("patched-libraries", "ch07-2"): ALL_ITEMS["ch07-2"],
    ("lambda-model", "ch07-1"): {"test-build-model", "test-train"}, ("forged-accuracy", "ch07-2"): {"test-train"},
    ("patched-untrained", "ch07-1"): {"test-train"}, ("forges-early-stop", "ch07-3"): {"test-callbacks", "test-reload"},
    **{("perfect", a): set() for a in ASSIGNMENTS}, **{("blank", a): set() for a in ASSIGNMENTS},
}
REASONS = {  # (student, assignment) -> the reason a failed submission must carry
    **{("corrupt-json", a): "invalid-notebook" for a in ASSIGNMENTS},
    ("renamed", "ch07-1"): "notebook-missing", ("renamed", "ch07-2"): "notebook-missing",
    ("kernel-crash", "ch07-2"): "kernel-died",
    ("sleeps-forever", "ch07-1"): "timeout", ("prints-100mb", "ch07-2"): "output-too-large",
    ("memory-hog", "ch07-2"): "memory", ("fork-bomb", "ch07-3"): "processes",
}


def changed_files(before, after):
    """The feedback files that differ, each with the first lines that differ (so a failure says what changed)."""
    import difflib

    changed = {}
    for name in after:
        if after[name] != before[name]:
            lines = difflib.unified_diff(before[name].decode(errors="replace").replace("><", ">\n<").splitlines(),
                                         after[name].decode(errors="replace").replace("><", ">\n<").splitlines(), n=1)
            changed[name] = "\n".join(list(lines)[:40])
    return changed
