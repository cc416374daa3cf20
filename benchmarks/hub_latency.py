"""Print how long a learner waits on the class hub, from Submit to feedback they can fetch.

    make bench-hub        (or, as root: .venv/bin/python benchmarks/hub_latency.py [LEARNERS] [SINGLES]; 10 and 10)

A real JupyterHub on 127.0.0.1 with the grading service (tests/hub_class.py: system users, nbgrader's exchange), the
ch07-1 solution handed in (so every submission trains its model). Latency = from the end of the learner's
``nbgrader submit`` to the moment the service has released the page where the learner's "Fetch Feedback" finds it
(the exchange's ``feedback/<hash of the submission's secret>.html``, looked for every 0.2 s: polling with
``nbgrader fetch_feedback`` itself would start a Python process a second and slow the grading it measures). Each
learner then fetches the page once with ``nbgrader fetch_feedback``, to show it is theirs to fetch.

1. One submission at a time on an idle machine, SINGLES times: p50 and p95 against the targets (30 s and 90 s).
2. LEARNERS learners submitting within one minute (evenly spread): the distribution, and how many waited in the queue.
"""

import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from class_submissions import CLASS  # noqa: E402
from hub_class import Hub  # noqa: E402

WAIT_LIMIT = 1800  # seconds from Submit: a page not out by then is a fault, reported (not waited for forever)


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile, interpolated between the runs around it (so p95 of ten runs is not simply the maximum)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def page_of_newest(user: str) -> Path:
    """Where the service releases the feedback of the learner's newest submission: nbgrader's name for it."""
    from hongong.hub.place import COURSE_ID, exchange_dir, released_page

    course = exchange_dir() / COURSE_ID
    newest = max((course / "inbound").glob(f"{user}+ch07-1+*"), key=lambda folder: folder.name)  # named by time
    secret = (newest / "submission_secret.txt").read_text().strip()  # the benchmark's own learner's, as root
    return released_page(course / "feedback", secret, "ch07-1")


def submit_and_wait(hub: Hub, user: str, notebook, results: dict) -> None:
    hub.hand_in(user, "ch07-1", notebook)
    submitted = time.perf_counter()
    page = page_of_newest(user)
    while not page.exists():
        if time.perf_counter() - submitted > WAIT_LIMIT:
            raise TimeoutError(f"{user}: no feedback {WAIT_LIMIT} s after Submit\n{hub.log_text()[-3000:]}")
        time.sleep(0.2)
    results[user] = time.perf_counter() - submitted
    fetched = hub.feedback(user, "ch07-1")
    assert any(text == page.read_text(encoding="utf-8") for text in fetched.values()), f"{user} did not fetch it"


def describe(name: str, values: list[float]) -> str:
    return (f"{name}: n={len(values)}  min {min(values):.1f} s  p50 {percentile(values, 0.5):.1f} s  "
            f"p95 {percentile(values, 0.95):.1f} s  max {max(values):.1f} s")


def main() -> None:
    learners = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    singles = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    names = [f"hgb-{k:02d}" for k in range(learners)]
    hub = Hub(names, "hgb-teacher")
    os.environ.update(HONGONG_HUB_DIR=hub.env["HONGONG_HUB_DIR"])  # where page_of_newest looks
    notebook = CLASS[("perfect", "ch07-1")].make()
    try:
        started = time.perf_counter()
        hub.start()
        print(f"hub started in {time.perf_counter() - started:.1f} s (JupyterHub, proxy, grading service)")
        hub.run(sys.executable, "-m", "hongong.hub", "release", "ch07-1")
        alone = []
        for k in range(singles):
            results = {}
            submit_and_wait(hub, names[k % learners], notebook, results)
            alone.append(results[names[k % learners]])
            print(f"  alone {k + 1}: {alone[-1]:.1f} s")
            time.sleep(1.1)
        print(describe("one submission, idle machine", alone)
              + f"   (targets: p50 <= 30 s, p95 <= 90 s: {'met' if percentile(alone, .5) <= 30 and percentile(alone, .95) <= 90 else 'NOT met'})")
        results, threads = {}, []
        spacing = 60 / learners
        for k, name in enumerate(names):
            thread = threading.Thread(target=submit_and_wait, args=(hub, name, notebook, results))
            thread.start()
            threads.append(thread)
            time.sleep(spacing)
        for thread in threads:
            thread.join()
        waits = [results[name] for name in names]
        print(describe(f"{learners} learners within one minute", waits))
        print("  per learner: " + ", ".join(f"{name[-2:]} {results[name]:.0f} s" for name in names))
        print(hub.log_text().count("채점 끝 0"), "grading commands ran (one per learner and attempt, each page released "
              "when its own grading ends)")
    finally:
        hub.close()


if __name__ == "__main__":
    main()
