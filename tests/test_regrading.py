"""Graded again, learners of a graded class come out identical: gradebook rows, statuses and feedback files.

Five ch07-1 learners of the graded class (a failed, a wrong, a perfect one, one whose first cell failed, one whose
outputs are hostile) graded again serially (plain nbgrader order, `--student`) and on a real Dask cluster that loses
a worker mid-run; the rest of the class is left untouched. The class is the one tests/test_instructor_workflow.py
reads, graded once for both modules (tests/class_grading.py); pytest collects this module after that one, so
the class is read before some of it is graded again.
"""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from class_grading import CELL_TIMEOUT, grade, status
from class_submissions import changed_files
from conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(graded_course):
    """The class graded once, as the README says (the one tests/test_instructor_workflow.py read); returns (folder,
    log of the grading run)."""
    return graded_course


# Graded again (serially, then on Dask): every kind of outcome ch07-1 has, without the ones that only wait for a
# limit (the endless loop's 90 s); the rest of the class must come out untouched.
# Learners graded again: a failed, a wrong, a perfect one, one whose first cell failed and one whose outputs are hostile
# (the pages most likely to differ between two gradings).
REGRADED = ["corrupt-json", "error-first-cell", "hostile-html", "partly-wrong", "perfect"]


def again(folder, *arguments):
    return grade(folder, "ch07-1", *[f"--student={student}" for student in REGRADED], *arguments)


def regraded_in(log):
    return sorted(re.findall(r"\[ch07-1 \d+/\d+\] (\S+):", log))


def snapshot(folder, assignment="ch07-1"):
    """What grading produced for an assignment, without run-dependent details (ids, times, memory)."""
    connection = sqlite3.connect(folder / "gradebook.db")
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    grades = sorted(connection.execute(
        "SELECT sa.student_id, gc.name, g.auto_score, g.manual_score, g.needs_manual_grade, sa.timestamp "
        "FROM grade g JOIN submitted_notebook sn ON g.notebook_id = sn.id "
        "JOIN submitted_assignment sa ON sn.assignment_id = sa.id JOIN assignment a ON sa.assignment_id = a.id "
        "JOIN base_cell gc ON g.cell_id = gc.id WHERE a.name = ?", (assignment,)).fetchall())
    connection.close()
    statuses = {s: {k: v for k, v in e.items() if k not in ("seconds", "execution_seconds", "checker_seconds",
                                                                  "feedback_seconds", "peak_memory_mb")}
                for s, e in status(folder)[assignment].items()}
    feedback = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted((folder / "feedback").glob(f"*/{assignment}/*"))}
    return grades, statuses, feedback


def test_grading_again_serially_gives_identical_gradebook_statuses_and_feedback(course):
    folder, _ = course
    before = snapshot(folder)
    assert len(before[0]) > 100 and len(before[2]) >= 10
    log = again(folder, "--jobs", "1", "--ExecuteInScratch.cpus=2")  # one at a time: the machine is its share
    assert regraded_in(log) == REGRADED
    after = snapshot(folder)
    assert after[0] == before[0]
    assert after[1] == before[1]
    assert after[2].keys() == before[2].keys()
    assert changed_files(before[2], after[2]) == {}
    assert "Dask" not in log


def test_a_dask_cluster_that_loses_a_worker_mid_run_gives_identical_results(course, tmp_path):
    """A scheduler and two workers on loopback, as the README starts them; one worker is killed mid-run."""
    folder, _ = course
    before = snapshot(folder)
    scheduler_file = tmp_path / "scheduler.json"
    dask = str(ROOT / ".venv" / "bin" / "dask")
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                   "--scheduler-file", str(scheduler_file)], stderr=subprocess.DEVNULL)]
    try:
        for _ in range(300):
            if scheduler_file.exists():
                break
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        workers = [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                     "--name", name], stderr=subprocess.DEVNULL, start_new_session=True)
                   for name in ("w1", "w2")]
        processes += workers
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        grading = subprocess.Popen([sys.executable, "-m", "hongong.grading", "grade", "ch07-1", "--scheduler", address,
                                    *[f"--student={student}" for student in REGRADED], CELL_TIMEOUT], cwd=folder,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = []
        for line in grading.stdout:  # the first executed submission recorded: both workers are busy; kill one
            lines.append(line)
            if re.search(r"\] \S+: graded", line):
                os.killpg(workers[0].pid, signal.SIGKILL)
                break
        lines += grading.stdout.readlines()
        assert grading.wait(timeout=1800) == 0, "".join(lines)[-3000:]
    finally:
        for process in processes:
            process.kill()
    log = "".join(lines)
    assert workers[0].poll() is not None and "워커 2개" in log
    after = snapshot(folder)
    assert after[0] == before[0]
    assert after[1] == before[1]
    assert changed_files(before[2], after[2]) == {}
    assert regraded_in(log) == REGRADED, "every learner asked for recorded once, none twice, no other"
