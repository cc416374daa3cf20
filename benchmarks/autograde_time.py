"""Print how long autograding takes per notebook of each assignment, and the trusted checker's share of it.

    make bench-autograde     (or: .venv/bin/python benchmarks/autograde_time.py, in the Makefile's environment)

For each assignment, in a temporary course directory, the instructor's solution is handed in once and graded
the way `make grade --jobs 1` does (nbgrader's autograde, sandboxed execution, then the checker in a sandbox
of its own; grades/status.json records each part); the same notebook is then executed with nbclient alone,
so the whole pipeline's overhead is a ratio. The checker's share is its seconds over the autograde's.
Budget (exercises issue, kept by the checker issue): at most 60 s per notebook, median of the three at most 30 s.
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

ASSIGNMENTS = ["ch07-1", "ch07-2", "ch07-3"]
NBGRADER = Path(sys.executable).parent / "nbgrader"


def run(command, cwd=None) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{(result.stdout + result.stderr)[-3000:]}")


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="autograde-bench-") as folder:
        course = Path(folder)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(ROOT / "solutions", course / "solutions")
        shutil.copytree(ROOT / "checks", course / "checks")
        for assignment in ASSIGNMENTS:
            run([NBGRADER, "generate_assignment", assignment, "--force"], cwd=course)
            handed_in = course / "submitted" / "bench" / assignment
            handed_in.mkdir(parents=True)
            shutil.copy(ROOT / "solutions" / assignment / f"{assignment}.ipynb", handed_in)
        run([sys.executable, "-m", "hongong.grading", "grade", "--jobs", "1"], cwd=course)
        status = json.loads((course / "grades" / "status.json").read_text(encoding="utf-8"))
        for assignment in ASSIGNMENTS:
            entry = status[assignment]["bench"]
            assert entry["status"] == "graded", entry
            start = time.perf_counter()
            execute_notebook(course / "submitted" / "bench" / assignment / f"{assignment}.ipynb", timeout=120)
            raw = time.perf_counter() - start
            rows.append((assignment, entry["seconds"], entry["execution_seconds"], entry["checker_seconds"], raw))

    print(f"{'assignment':<12}{'autograde':>11}{'execution':>11}{'checker':>9}{'share':>7}{'nbclient':>10}{'overhead':>10}")
    for assignment, autograde, execution, checker, raw in rows:
        print(f"{assignment:<12}{autograde:>10.1f}s{execution:>10.1f}s{checker:>8.1f}s{checker / autograde:>7.0%}"
              f"{raw:>9.1f}s{autograde / raw:>9.2f}x")
    times = [row[1] for row in rows]
    print(f"max {max(times):.1f} s (budget 60 s), median {statistics.median(times):.1f} s (budget 30 s)")


if __name__ == "__main__":
    main()
