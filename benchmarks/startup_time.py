"""Print how long the grading processes take to start, with and without jsonschema's rfc3987-syntax import.

    make bench-startup        (or: .venv/bin/python benchmarks/startup_time.py [REPEATS]; 5)

Every submission starts the sandboxed executor (``python -m hongong.grading.executor``) and every ``make grade`` (and
each batch of the hub's service) the grading command; both import nbformat, which imports jsonschema, which imports
rfc3987-syntax when it is installed (jupyter-events asks for ``jsonschema[format-nongpl]``), and that module compiles a
Lark grammar at import. ``hongong/grading/__init__.py`` keeps it out of our processes. Median wall time of a fresh
interpreter importing each module, REPEATS times.
"""

import statistics
import subprocess
import sys
import time

SKIP = "import sys; sys.modules['rfc3987_syntax'] = None; "


def seconds(code: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"median of {repeats} fresh interpreters each")
    print(f"  python alone                                  {seconds('pass', repeats):5.2f} s")
    print(f"  import rfc3987_syntax                         {seconds('import rfc3987_syntax', repeats):5.2f} s")
    print(f"  import nbformat                               {seconds('import nbformat', repeats):5.2f} s")
    print(f"  import nbformat, rfc3987-syntax kept out      {seconds(SKIP + 'import nbformat', repeats):5.2f} s")
    print(f"  import hongong.grading.executor (as graded)   {seconds('import hongong.grading.executor', repeats):5.2f} s")
    print(f"  import hongong.grading.classroom (as graded)  {seconds('import hongong.grading.classroom', repeats):5.2f} s")


if __name__ == "__main__":
    main()
