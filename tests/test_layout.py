"""The package's layout keeps its promises (quick): who may import whom, and modules a reader can take in.

- the learner's wing (hongong/exercise/) reaches nothing of the grading engine, in a fresh interpreter;
- no import cycle among hongong's modules (every ``import``, also those inside functions, read with ``ast``);
- the sandbox runs commands and knows nothing of nbgrader, notebooks or the stages above it;
- every module, of hongong/ and of tests/ (test modules and their helpers), opens with a docstring and stays under
  about 350 lines.
"""

import ast
import subprocess
import sys

import pytest

from conftest import ROOT

PACKAGE = ROOT / "hongong"
TESTS = ROOT / "tests"
MAX_LINES = 350
SANDBOX = ("hongong.grading.sandbox", "hongong.grading.child", "hongong.grading.cgroup", "hongong.grading.seccomp")


def module_name(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in path.parts}


def imports_of(name: str) -> set[str]:
    """The hongong modules ``name`` imports: ``from a.b import c`` is ``a.b.c`` when c is a module, else ``a.b``."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names}
    return {module for module in found if module in MODULES and module != name}


def test_the_package_has_its_four_wings():
    wings = {name.split(".")[1] for name in MODULES if name.count(".") >= 1}
    assert {"book", "exercise", "grading", "setup"} <= wings


def test_the_learners_wing_imports_nothing_of_the_grading_engine():
    learner = sorted(name for name in MODULES if name.startswith("hongong.exercise"))
    assert "hongong.exercise.forms" in learner and "hongong.exercise.answers" in learner
    code = (f"import importlib, sys\nfor name in {learner!r}:\n    importlib.import_module(name)\n"
            "print(sorted(m for m in sys.modules if m.startswith('hongong.grading')))")
    done = subprocess.run([sys.executable, "-I", "-c", code], cwd="/", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_no_import_cycle_among_hongong_modules():
    graph = {name: imports_of(name) for name in MODULES}
    assert graph["hongong.grading.classroom"] >= {"hongong.grading.execute", "hongong.grading.collect"}  # the walk sees
    cycles, state = [], {}

    def visit(name, path):
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == [], f"import cycles: {cycles}"


@pytest.mark.parametrize("name", SANDBOX)
def test_the_sandbox_knows_nothing_of_nbgrader_notebooks_or_the_stages_above_it(name):
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"nbgrader", "nbformat", "nbclient", "nbconvert"}
    assert imports_of(name) <= set(SANDBOX)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_says_its_job_and_stays_short(name):
    text = MODULES[name].read_text(encoding="utf-8")
    assert ast.get_docstring(ast.parse(text)), f"{name}: no docstring saying its one job and who runs it"
    assert len(text.splitlines()) <= MAX_LINES, f"{name}: {len(text.splitlines())} lines; split it by job"


def unexplained_or_long(paths) -> list[str]:
    """Where ``paths`` break the rule: each module without a docstring, or longer than MAX_LINES lines."""
    found = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if not ast.get_docstring(ast.parse(text)):
            found.append(f"{path.name}: no docstring saying what it tests or holds")
        if len(text.splitlines()) > MAX_LINES:
            found.append(f"{path.name}: {len(text.splitlines())} lines; split it by behaviour")
    return found


def test_every_test_module_says_what_it_tests_and_stays_short():
    paths = sorted(TESTS.glob("*.py"))
    assert TESTS / "test_layout.py" in paths and TESTS / "conftest.py" in paths
    assert unexplained_or_long(paths) == []
