"""Print how long nbgrader takes to autograde one notebook of each assignment, and what part is TensorFlow's import.

    make bench-autograde     (or: .venv/bin/python benchmarks/autograde_time.py, in the Makefile's environment)

For each assignment, in a temporary course directory, the instructor's solution is handed in once and graded
with `nbgrader autograde`; the same notebook is then executed with nbclient alone, so nbgrader's overhead is
a ratio. TensorFlow is imported once by the notebook's kernel and once by every `model_report` check (a fresh
process); the share printed is (number of imports × one import's time) / autograde time.
Budget (exercises issue): at most 60 s per notebook, median of the three at most 30 s.
"""

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hongong.notebook import execute_notebook  # noqa: E402

ASSIGNMENTS = ["ch07-1", "ch07-2", "ch07-3"]
NBGRADER = Path(sys.executable).parent / "nbgrader"


def seconds(command, cwd=None) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return time.perf_counter() - start


def main() -> None:
    import_seconds = min(
        seconds([sys.executable, "-c", "from hongong.notebook import import_tensorflow_quietly as f; f()"]) for _ in range(2)
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="autograde-bench-") as folder:
        course = Path(folder)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(ROOT / "solutions", course / "solutions")
        for assignment in ASSIGNMENTS:
            seconds([NBGRADER, "generate_assignment", assignment, "--force"], cwd=course)
            handed_in = course / "submitted" / "bench" / assignment
            handed_in.mkdir(parents=True)
            source = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
            shutil.copy(source, handed_in)
            autograde = seconds([NBGRADER, "autograde", assignment, "--student", "bench", "--force"], cwd=course)
            start = time.perf_counter()
            execute_notebook(handed_in / f"{assignment}.ipynb", timeout=120)
            raw = time.perf_counter() - start
            imports = 1 + source.read_text(encoding="utf-8").count("model_report(")  # kernel + each check
            rows.append((assignment, autograde, raw, imports))

    print(f"one TensorFlow import: {import_seconds:.1f} s")
    print(f"{'assignment':<12}{'autograde':>11}{'nbclient':>10}{'overhead':>10}{'TF imports':>12}{'TF share':>10}")
    for assignment, autograde, raw, imports in rows:
        share = imports * import_seconds / autograde
        print(f"{assignment:<12}{autograde:>10.1f}s{raw:>9.1f}s{autograde / raw:>9.2f}x{imports:>12}{share:>10.0%}")
    times = [row[1] for row in rows]
    print(f"max {max(times):.1f} s (budget 60 s), median {statistics.median(times):.1f} s (budget 30 s)")


if __name__ == "__main__":
    main()
