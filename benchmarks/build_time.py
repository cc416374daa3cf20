"""Print how long the book takes to build, and how much of that is executing the chapters.

    make bench        (or: .venv/bin/python benchmarks/build_time.py, with the Makefile's environment)

1. cold build: `jupyter-book build` into an empty output folder, so the execution cache is empty too;
2. warm rebuild: the same command again with nothing changed (every notebook from the cache);
3. pure execution: each chapter executed on its own with nbclient, as the build executes it.
The cold build over the summed execution is the build's overhead (Sphinx, kernel start-ups, HTML).
The project's own _build/ is not touched. Timings vary 15-30 % from run to run on 2 cores.
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hongong.book.notebook import book_chapters, execute_notebook  # noqa: E402

JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"


def timed_build(output: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [JUPYTER_BOOK, "build", "--warningiserror", "--keep-going", "--path-output", output, ROOT],
        capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"build failed:\n{(result.stdout + result.stderr)[-4000:]}")
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="book-bench-") as output:
        cold = timed_build(Path(output))
        warm = timed_build(Path(output))
    execution = {}
    for chapter in book_chapters(ROOT):
        start = time.perf_counter()
        execute_notebook(chapter)
        execution[chapter.name] = time.perf_counter() - start
    total = sum(execution.values())

    print(f"{'cold build (empty execution cache)':<44}{cold:8.1f} s")
    print(f"{'warm rebuild (nothing changed)':<44}{warm:8.1f} s")
    for name, seconds in execution.items():
        print(f"{'  execute ' + name:<44}{seconds:8.1f} s")
    print(f"{'pure execution, all chapters (nbclient)':<44}{total:8.1f} s")
    print(f"{'build overhead: cold build / pure execution':<44}{cold / total:8.2f} x")


if __name__ == "__main__":
    main()
