"""Print how much a hostile learner slows an honest one on the class hub: Submit to feedback, alone and beside them.

    make bench-hub-hostile   (or, as root: .venv/bin/python benchmarks/hub_hostile.py [ROUNDS] [PLANTED]; 3 and 200)

A real JupyterHub with the grading service (tests/hub_class.py), rules of unlimited attempts, the machine's default
number of grading slots. The honest learner hands in the ch07-1 solution ROUNDS times alone (the machine idle), then
ROUNDS times while the hostile learner (1) has a notebook running that sleeps for most of an hour (it passes every
check, sleeping costs nothing), (2) planted PLANTED folders straight in the exchange's inbound/ (valid submissions:
two are accepted, the rest refused with a page each), and (3) a folder whose submission_secret.txt is a FIFO. Latency
as in benchmarks/hub_latency.py: from the end of ``nbgrader submit`` to the page the learner's Fetch Feedback finds.
Prints both medians and their ratio (the goal: <= 1.2) and what the service did with the hostile folders meanwhile.
"""

import json
import os
import pwd
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from class_submissions import CLASS, submission  # noqa: E402
from hub_class import Hub  # noqa: E402
from hub_latency import percentile, submit_and_wait  # noqa: E402

HONEST, HOSTILE, TEACHER = "hgb-honest", "hgb-hostile", "hgb-teacher"
SECRET = "import secrets, sys; open(sys.argv[1], 'w').write(secrets.token_hex(64))"  # as nbgrader's submit


def plant(hub: Hub, count: int) -> None:
    """``count`` folders by the hostile learner in inbound/ (their solved notebook, a secret each), and one whose
    secret is a FIFO, all in one shell as that learner."""
    inbound = hub.hub_dir / "exchange" / "hongong-ch7" / "inbound"
    home = Path(pwd.getpwnam(HOSTILE).pw_dir)
    source = home / "ch07-1" / "ch07-1.ipynb"
    lines = [f"mkdir '{inbound}/{HOSTILE}+ch07-1+fifo+x' && mkfifo '{inbound}/{HOSTILE}+ch07-1+fifo+x/submission_secret.txt'"]
    for k in range(count):
        folder = inbound / f"{HOSTILE}+ch07-1+2026-12-04 09:00:00.{k:06d} UTC+planted{k}"
        lines.append(f"mkdir '{folder}' && cp '{source}' '{folder}/ch07-1.ipynb' && "
                     f"{sys.executable} -c \"{SECRET}\" '{folder}/submission_secret.txt'")
    hub.as_user(HOSTILE, "sh", "-c", "\n".join(lines))


def rounds(hub: Hub, count: int, notebook) -> list[float]:
    waits = []
    for _ in range(count):
        results = {}
        submit_and_wait(hub, HONEST, notebook, results)
        waits.append(results[HONEST])
        print(f"  {waits[-1]:.1f} s", flush=True)
        time.sleep(1.1)  # nbgrader names a submission by the second
    return waits


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    planted = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    hub = Hub([HONEST, HOSTILE], TEACHER, cell_timeout=3600)
    os.environ.update(HONGONG_HUB_DIR=hub.env["HONGONG_HUB_DIR"])  # where hub_latency.page_of_newest looks
    notebook = CLASS[("perfect", "ch07-1")].make()
    try:
        hub.start()
        hub.run(sys.executable, "-m", "hongong.hub", "release", "ch07-1")
        print(f"honest learner alone ({count} rounds):")
        alone = rounds(hub, count, notebook)
        hub.hand_in(HOSTILE, "ch07-1", submission("ch07-1", first="import time\ntime.sleep(3000)"))
        time.sleep(3)  # taken up and grading (it sleeps)
        started = time.perf_counter()
        plant(hub, planted)
        print(f"hostile learner: a notebook sleeping 3000 s, {planted} folders planted in "
              f"{time.perf_counter() - started:.1f} s, a FIFO as a secret")
        print(f"honest learner beside them ({count} rounds):")
        beside = rounds(hub, count, notebook)
        record = json.loads((hub.course / "grades" / "attempts.json").read_text())["ch07-1"][HOSTILE]
        states = {}
        for entry in record:
            key = f"{entry['state']}" + (f" ({entry['reason']})" if "reason" in entry else "")
            states[key] = states.get(key, 0) + 1
        ratio = percentile(beside, .5) / percentile(alone, .5)
        print(f"median alone {percentile(alone, .5):.1f} s, beside the hostile learner {percentile(beside, .5):.1f} s: "
              f"ratio {ratio:.2f} (goal <= 1.2: {'met' if ratio <= 1.2 else 'NOT met'})")
        print(f"the hostile learner's folders recorded by then: {len(record)} of {planted + 2}: "
              + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
    finally:
        hub.close()


if __name__ == "__main__":
    main()
