"""The executor around the sandbox (hongong/grading/execute.py): what goes in, what comes out, what runs it.

Each test hands `execute_and_check` a small notebook (tests/sandboxed.py): a notebook of 5 MB is read whole; what C
code writes to the kernel's stderr stays out of the notebook while prints stay in, one print is one output; the
coordinator's copy of the package is the one that runs; a checker started beside the notebook judges as one started
after it and ends with a failed notebook; and without bwrap, grading refuses once and clearly.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import ROOT
from hongong.grading import sandbox
from hongong.grading.execute import execute_and_check
from sandboxed import KERNELSPEC, OPTIONS, run, sandboxed_processes

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not sandbox.shutil.which("bwrap"),
                                reason="the sandbox needs root and bwrap (make setup installs it)")


def test_what_c_code_writes_to_the_kernels_stderr_stays_out_of_the_notebook_and_prints_stay_in():
    """A library's fd-level log (TensorFlow's) would land in whichever cell runs when its thread forwards it."""
    answer = run("import os, sys, warnings\nos.write(2, b'fd-level log\\n')\nos.write(1, b'fd-level out\\n')",
                 "print('printed')\nwarnings.warn('warned')\nprint('to stderr', file=sys.stderr)")
    assert answer["status"] == "ok", answer
    assert "fd-level" not in "".join(answer["outputs"])
    assert "printed" in answer["outputs"][1] and "warned" in answer["outputs"][1] and "to stderr" in answer["outputs"][1]


def test_a_print_sent_in_pieces_is_one_output():
    """What a print wrote, flushed in two messages (as ipykernel's timer does under load), is one output."""
    answer = run("import sys, time\nsys.stdout.write('형식 맞음'); sys.stdout.flush(); time.sleep(0.5)\nprint()",
                 "import sys\nprint('warned', file=sys.stderr)")
    assert answer["status"] == "ok", answer
    cells = nbformat.reads(answer["notebook"], as_version=4).cells
    assert [(o.name, o.text) for o in cells[0].outputs] == [("stdout", "형식 맞음\n")]
    assert [(o.name, o.text) for o in cells[1].outputs] == [("stderr", "warned\n")]


def test_grading_refuses_once_and_clearly_without_bwrap(tmp_path):
    """A machine without the sandbox: grading stops before touching anything, unless --no-sandbox says so."""
    from class_submissions import new_course

    course = new_course(tmp_path)
    without_bwrap = dict(os.environ, PATH=str(ROOT / ".venv" / "bin"))  # bwrap and setpriv live in /usr/bin
    refused = subprocess.run([sys.executable, "-m", "hongong.grading", "grade", "ch07-1"], cwd=course,
                             capture_output=True, text=True, env=without_bwrap)
    assert refused.returncode == 3
    assert refused.stderr.count("bubblewrap(bwrap)이 없습니다") == 1 and "--no-sandbox" in refused.stderr
    assert not (course / "grades").exists() and not (course / "autograded").exists()
    allowed = subprocess.run([sys.executable, "-m", "hongong.grading", "grade", "ch07-1", "--no-sandbox"],
                             cwd=course, capture_output=True, text=True, env=without_bwrap)
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    assert allowed.stdout.count("샌드박스 없이 채점합니다") == 1


def test_a_5_mb_notebook_is_read_whole():
    """The request reaches the sandbox whatever its size (a pasted screenshot; the checker's requests are MBs)."""
    answer = run(new_markdown_cell("x" * 5_000_000), "print('after 5 MB')", notebook_timeout=60)
    assert answer["status"] == "ok", answer
    assert answer["outputs"][1].strip() == "after 5 MB"
    assert len(nbformat.reads(answer["notebook"], as_version=4).cells[0].source) == 5_000_000


def test_a_second_copy_of_the_package_is_the_one_that_runs(tmp_path):
    """A course folder with its own hongong/ (not the copy installed in the venv): its code runs in the sandbox."""
    copy = tmp_path / "course" / "hongong"
    shutil.copytree(ROOT / "hongong", copy, ignore=shutil.ignore_patterns("__pycache__"))
    source = (copy / "grading" / "executor.py").read_text(encoding="utf-8")
    marked = source.replace('answer = {"status": "ok", "notebook": nbformat.writes(nb)}',
                            'answer = {"status": "ok", "notebook": nbformat.writes(nb), "executed_by": "the copy"}')
    assert marked != source
    (copy / "grading" / "executor.py").write_text(marked, encoding="utf-8")
    script = (f"import json, sys\nsys.path.insert(0, {str(copy.parent)!r})\nimport hongong, nbformat\n"
              f"assert hongong.__file__ == {str(copy / '__init__.py')!r}, hongong.__file__\n"
              "from hongong.grading.execute import execute_and_check\nfrom nbformat.v4 import new_code_cell, new_notebook\n"
              "notebook = new_notebook(cells=[new_code_cell('print(1 + 1)')], metadata=json.loads(sys.argv[2]))\n"
              "print(json.dumps(execute_and_check(nbformat.writes(notebook), json.loads(sys.argv[1]))))")
    done = subprocess.run([sys.executable, "-c", script, json.dumps(OPTIONS), json.dumps(KERNELSPEC)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer["status"] == "ok", answer
    assert answer.get("executed_by") == "the copy", "the executor ran the coordinator's copy"


CHECKS = '''from hongong.grading.checks import exact, item, value


@item("test-q1", value("q1"))
def q1(answer):
    exact(answer, 1010, "정답이 아닙니다.")


@item("test-q2", value("q2"))
def q2(answer):
    exact(answer, "sigmoid", "정답이 아닙니다.")
'''


def test_a_checker_started_beside_the_notebook_judges_as_one_started_after_it_and_ends_with_a_failed_notebook():
    """``checker_alongside``: the checker's sandbox starts with the notebook's and waits for the answers."""
    import random

    from hongong.grading.checks import collect_spec, load_items

    checks = {"source": CHECKS, "name": "checks/q.py", "spec": collect_spec(load_items(CHECKS, "checks/q.py"), random.Random(1))}
    notebook = nbformat.writes(new_notebook(cells=[new_code_cell("q1 = 1010\nq2 = 'softmax'")], metadata=KERNELSPEC))
    after = execute_and_check(notebook, OPTIONS | {"checker_alongside": False}, checks)
    beside = execute_and_check(notebook, OPTIONS | {"checker_alongside": True}, checks)
    assert after["status"] == beside["status"] == "ok", (after, beside)
    assert after["verdicts"] == beside["verdicts"]
    assert [beside["verdicts"][g]["passed"] for g in ("test-q1", "test-q2")] == [True, False]

    crashed = nbformat.writes(new_notebook(cells=[new_code_cell("import os\nos._exit(1)")], metadata=KERNELSPEC))
    start = time.monotonic()
    failed = execute_and_check(crashed, OPTIONS | {"checker_alongside": True}, checks)
    assert failed["status"] == "kernel-died" and "verdicts" not in failed, failed
    assert sandboxed_processes() == [], "the waiting checker is stopped with the failed notebook, nothing left behind"
    assert time.monotonic() - start < OPTIONS["checker_timeout"], "it did not wait for the checker's deadline"
