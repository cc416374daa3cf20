"""Print a class graded serially, in parallel and on Dask; the sandbox's overhead; a projection to 1,000 learners.

    make bench-scale                 (or: .venv/bin/python benchmarks/scale_time.py [LEARNERS [REPEATS]], default 30 3)

LEARNERS learners hand in the instructor's solution of each of the three assignments (every submission
trains its model: the slow case). The same class is graded three times, each in a fresh copy of the
course directory, with `python -m hongong.grading grade`:

- serial: `--jobs 1`, nbgrader's own order (each notebook executes when nbgrader asks for it);
- parallel: the default, one execution per core on local threads;
- Dask: `--dask`, a LocalCluster with one single-threaded worker per core.

All three run in the sandbox, and must give the same scores. Then one solution notebook per assignment is
executed through `hongong.grading.execute.execute_and_check` with and without the sandbox, REPEATS times each, alternating:
the sandbox's overhead is the ratio of the medians (goal: at most 1.10).

The projection to 1,000 learners × 3 notebooks on 10 workers of 4 cores uses what this run measured:
the serial run's execution time per submission (one at a time, the cores to itself: a 4-core worker
running 4 at once is assumed to give each about what one core gives here, the measured parallel
speed-up says how fair that is) and the coordinator's own time per submission (nbgrader recording the
execution, and the feedback), which stays serial whatever the number of workers.
"""

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hongong.grading.execute import ExecuteInScratch, execute_and_check  # noqa: E402

ASSIGNMENTS = ["ch07-1", "ch07-2", "ch07-3"]
NBGRADER = Path(sys.executable).parent / "nbgrader"
RUNS = {"serial": ["--jobs", "1"], "parallel": [], "dask": ["--dask"]}


def class_course(folder: Path, learners: int) -> Path:
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(ROOT / "solutions", folder / "solutions")
    shutil.copytree(ROOT / "checks", folder / "checks")
    for assignment in ASSIGNMENTS:
        subprocess.run([NBGRADER, "generate_assignment", assignment, "--force", "--log-level=WARN"], cwd=folder, check=True)
        for number in range(learners):
            handed_in = folder / "submitted" / f"learner{number:02d}" / assignment
            handed_in.mkdir(parents=True)
            shutil.copy(ROOT / "solutions" / assignment / f"{assignment}.ipynb", handed_in)
    return folder


def grade(template: Path, arguments: list[str]) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as folder:
        course = Path(folder) / "course"
        shutil.copytree(template, course)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "hongong.grading", "grade", *arguments], cwd=course,
                                capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(result.stdout[-3000:] + result.stderr[-3000:])
        status = json.loads((course / "grades" / "status.json").read_text(encoding="utf-8"))
        scores = {}
        for assignment in ASSIGNMENTS:
            with open(course / "grades" / f"{assignment}.csv", encoding="utf-8") as table:
                next(table)
                scores[assignment] = sorted(line.split(",")[:3] for line in table)
    return seconds, {"status": status, "scores": scores}


def sandbox_overhead(repeats: int) -> dict:
    options = ExecuteInScratch(timeout=120).options()
    ratios = {}
    for assignment in ASSIGNMENTS:
        text = (ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8")
        nbformat.reads(text, as_version=4)
        times = {True: [], False: []}
        for _ in range(repeats):
            for sandboxed in (True, False):
                start = time.perf_counter()
                answer = execute_and_check(text, options | {"sandbox": sandboxed})
                times[sandboxed].append(time.perf_counter() - start)
                assert answer["status"] == "ok", answer
        ratios[assignment] = (statistics.median(times[True]), statistics.median(times[False]))
    return ratios


def main() -> None:
    learners = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    submissions = learners * len(ASSIGNMENTS)
    with tempfile.TemporaryDirectory(prefix="scale-template-") as folder:
        template = class_course(Path(folder), learners)
        results = {name: grade(template, arguments) for name, arguments in RUNS.items()}
    print(f"{learners} learners x {len(ASSIGNMENTS)} assignments = {submissions} submissions, sandboxed, on this machine")
    serial = results["serial"][0]
    for name, (seconds, _) in results.items():
        print(f"  {name:<9}{seconds:>8.0f} s  {seconds / submissions:>6.1f} s per submission  {serial / seconds:>5.2f}x faster than serial")
    same = all(r["scores"] == results["serial"][1]["scores"] for _, r in results.values())
    print(f"  same scores in all three runs: {same}")

    status = results["serial"][1]["status"]
    execution = statistics.mean(e["execution_seconds"] + e["checker_seconds"] for a in ASSIGNMENTS for e in status[a].values())
    checker = statistics.mean(e["checker_seconds"] for a in ASSIGNMENTS for e in status[a].values())
    parallel_status = results["parallel"][1]["status"]
    recording = statistics.mean(e["seconds"] + e.get("feedback_seconds", 0) for a in ASSIGNMENTS for e in parallel_status[a].values())
    peak = max(e.get("peak_memory_mb", 0) for a in ASSIGNMENTS for e in status[a].values())
    print(f"  per submission: execution {execution:.1f} s (alone; the checker's share {checker:.1f} s = "
          f"{checker / execution:.0%}), coordinator {recording:.1f} s (nbgrader recording + feedback), peak memory {peak} MB")

    print(f"sandbox overhead, one solution notebook each, median of {repeats} (sandboxed / unsandboxed):")
    for assignment, (inside, outside) in sandbox_overhead(repeats).items():
        print(f"  {assignment}: {inside:.1f} s / {outside:.1f} s = {inside / outside:.2f}x (goal <= 1.10)")

    total, slots = 1000 * len(ASSIGNMENTS), 10 * 4
    executing = total * execution / slots
    coordinating = total * recording
    print(f"projection: 1,000 learners x 3 = {total} submissions on 10 workers x 4 cores: executions "
          f"{executing / 60:.0f} min spread over {slots} slots, the coordinator's serial share {coordinating / 60:.0f} min; "
          f"the class takes about {max(executing, coordinating) / 60:.0f} min (the larger of the two: they overlap)")


if __name__ == "__main__":
    main()
