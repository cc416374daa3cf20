"""Print how long `make grade` takes for a class: per submission, for the class, and over raw execution.

    make bench-class                 (or: .venv/bin/python benchmarks/class_time.py [LEARNERS], default 5)

In a temporary course directory, LEARNERS learners hand in the instructor's solution of each assignment
(so every submission trains its model, the slow case); `python -m hongong.grading grade` grades the
class (precheck, nbgrader autograde through the scratch-folder executor, feedback, export, report).
The same notebooks are executed once each with nbclient alone; the overhead ratio is
class time / (LEARNERS × the three raw times). Grading is serial here (`--jobs 1`, in the sandbox):
one submission at a time; parallel and Dask runs are in benchmarks/scale_time.py.
"""

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hongong.book.notebook import execute_notebook  # noqa: E402
from scale_time import ASSIGNMENTS, class_course  # noqa: E402  (the same class of solutions)


def main() -> None:
    learners = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory(prefix="class-bench-") as folder:
        course = class_course(Path(folder), learners)
        raw = {}
        for assignment in ASSIGNMENTS:
            probe = course / "raw" / assignment
            probe.mkdir(parents=True)
            shutil.copy(ROOT / "solutions" / assignment / f"{assignment}.ipynb", probe)
            start = time.perf_counter()
            execute_notebook(probe / f"{assignment}.ipynb", timeout=120)
            raw[assignment] = time.perf_counter() - start
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "hongong.grading", "grade", "--jobs", "1"], cwd=course, capture_output=True, text=True)
        class_seconds = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(result.stdout + result.stderr)
        status = json.loads((course / "grades" / "status.json").read_text(encoding="utf-8"))

    per_submission = {a: [entry["seconds"] for entry in status[a].values()] for a in ASSIGNMENTS}
    print(f"{learners} learners x {len(ASSIGNMENTS)} assignments = {learners * len(ASSIGNMENTS)} submissions, graded one at a time")
    print(f"{'assignment':<12}{'nbclient':>10}{'autograde mean':>16}{'max':>8}{'overhead':>10}")
    for assignment in ASSIGNMENTS:
        times = per_submission[assignment]
        mean = statistics.mean(times)
        print(f"{assignment:<12}{raw[assignment]:>9.1f}s{mean:>15.1f}s{max(times):>7.1f}s{mean / raw[assignment]:>9.2f}x")
    expected_raw = learners * sum(raw.values())
    print(f"class: {class_seconds:.0f} s in all (autograde, feedback, export, report); "
          f"raw execution of the same notebooks {expected_raw:.0f} s; overhead {class_seconds / expected_raw:.2f}x (goal <= 1.3x)")
    print(f"per submission on average: {class_seconds / (learners * len(ASSIGNMENTS)):.1f} s")


if __name__ == "__main__":
    main()
