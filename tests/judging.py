"""Answers judged as grading judges them, for the checker's tests: the checks of checks/ loaded as the checker loads them.

``judge`` exports the answers from a namespace as the kernel does (hongong/exercise/answers.py), reads the files
back as the executor does and judges them as the checker does (hongong/grading/checker.py).
"""

import random

from conftest import ROOT
from hongong.exercise import answers
from hongong.grading import checker, checks


def items_of(assignment, kinds=None):
    path = ROOT / "checks" / f"{assignment}.py"
    items = checks.load_items(path.read_text(encoding="utf-8"), str(path))
    return [i for i in items if kinds is None or all(a.kind in kinds for a in i.answers)]


def judge(namespace, items, tmp_path, rng=None, checks_name=""):
    """Export from ``namespace`` as the kernel does, read the files as the executor does, judge as the checker does."""
    spec = checks.collect_spec(items, rng or random.Random(1))
    folder = tmp_path / "answers"
    answers.export(namespace, spec, str(folder))
    files = {path.name: path.read_bytes() for path in folder.iterdir()}
    return checker.decide(items, spec, files, checks_name)
