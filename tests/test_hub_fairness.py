"""One learner cannot hold up another on a real hub (tests/hub_class.py), and a hint's cost is the service's to count.

Rules: attempts unlimited, 1 point per hint, hints open at once; three grading slots. A learner hands in a notebook that
sleeps 150 s before a perfect solution (a slow notebook: sleeping costs nothing, it is still 16/16); another plants 70
folders straight in inbound/ (blank notebooks, older than what comes next); an honest learner submits after both. The
honest one must be taken up before most of the planted folders, graded, and able to fetch their page while the slow
notebook still runs (each page goes out when its own grading ends: no batch to wait for). The planter never has more
than two attempts waiting: most of the folders are refused with a page that says why (the record keeps 50 of them). Then the honest learner takes a held-back hint
from the service and submits again with no hint record in the notebook: one point less all the same.
"""

import os
import pwd
import sys
import time
from pathlib import Path

import nbformat
import pytest

from class_submissions import AUTO_POINTS, CLASS, submission
from hub_class import Hub

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="the hub makes system users (root)")]

SLOW, PLANTER, HONEST, TEACHER = "hgf-slow", "hgf-planter", "hgf-honest", "hgf-teacher"
RULES = "c.HintRule.points_per_hint = 1.0\nc.GradingService.slots = 3\n"
PLANTED = 70
SECRET_WRITER = "import secrets, sys; open(sys.argv[1], 'w').write(secrets.token_hex(64))"  # as nbgrader's submit


def record(hub) -> dict:
    import json

    path = hub.course / "grades" / "attempts.json"
    return json.loads(path.read_text()) if path.exists() else {}


def history(hub, student: str) -> list[dict]:
    return record(hub).get("ch07-1", {}).get(student, [])


def wait_for(condition, timeout: float, hub, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what}: not in {timeout} s\n" + hub.log_text()[-4000:])


def plant_folders(hub, user: str, count: int) -> list[str]:
    """``count`` folders made by ``user`` straight in inbound/, each a blank ch07-1 with a secret, in one command."""
    inbound = hub.hub_dir / "exchange" / "hongong-ch7" / "inbound"
    home = Path(pwd.getpwnam(user).pw_dir)
    nbformat.write(CLASS[("blank", "ch07-1")].make(), home / "blank.ipynb")
    os.chown(home / "blank.ipynb", pwd.getpwnam(user).pw_uid, -1)
    names = [f"{user}+ch07-1+2026-12-04 09:{k // 60:02d}:{k % 60:02d}.000000 UTC+planted{k:03d}" for k in range(count)]
    script = "\n".join(f"mkdir '{inbound / name}' && cp {home / 'blank.ipynb'} '{inbound / name / 'ch07-1.ipynb'}' && "
                       f"{sys.executable} -c \"{SECRET_WRITER}\" '{inbound / name / 'submission_secret.txt'}'"
                       for name in names)
    hub.as_user(user, "sh", "-c", script)
    return names


@pytest.fixture(scope="module")
def rush():
    hub = Hub([SLOW, PLANTER, HONEST], TEACHER, rules=RULES, cell_timeout=300)
    try:
        hub.start()
        hub.run(sys.executable, "-m", "hongong.hub", "release", "ch07-1")
        hub.hand_in(SLOW, "ch07-1", submission("ch07-1", first="import time\ntime.sleep(150)"))
        wait_for(lambda: history(hub, SLOW), 60, hub, "the slow notebook taken up")
        planted = plant_folders(hub, PLANTER, PLANTED)
        hub.hand_in(HONEST, "ch07-1", CLASS[("perfect", "ch07-1")].make())
        taken = wait_for(lambda: history(hub, HONEST), 60, hub, "the honest submission taken up")
        planter_then = len(history(hub, PLANTER))
        honest = hub.wait_graded(HONEST, "ch07-1", 1, timeout=240)
        slow_then = [e["state"] for e in history(hub, SLOW)]
        page = next(iter(hub.feedback(HONEST, "ch07-1").values()))
        yield {"hub": hub, "planted": planted, "planter_then": planter_then, "honest": honest, "taken": taken,
               "slow_then": slow_then, "page": page}
    finally:
        hub.close()


def test_a_slow_notebook_holds_nobody_else_the_next_learner_fetches_their_page_while_it_runs(rush):
    assert [(e["state"], e["score"]) for e in rush["honest"]] == [("graded", AUTO_POINTS)]
    assert rush["slow_then"] == ["accepted"]  # still being graded when the honest learner's page went out
    assert f"· {HONEST}" in rush["page"] and f"{AUTO_POINTS:g} / " in rush["page"]
    slow = rush["hub"].wait_graded(SLOW, "ch07-1", 1, timeout=400)
    assert [(e["state"], e["score"]) for e in slow] == [("graded", AUTO_POINTS)]  # the sleep cost only its own time


def test_planted_folders_cost_another_learner_one_folder_s_turn_not_all_of_them(rush):
    # round robin, one folder per account and turn: all of them are older than the honest one, yet most come after it
    assert rush["planter_then"] < PLANTED // 2, rush["planter_then"]


def test_a_learner_with_two_attempts_waiting_has_every_further_one_refused_with_a_page(rush):
    from hongong.hub.service import RECORDED_UNUSED

    hub = rush["hub"]
    refusals = lambda: [e for e in history(hub, PLANTER) if e["state"] == "refused"]  # noqa: E731
    wait_for(lambda: len(refusals()) >= RECORDED_UNUSED, 240, hub, "the planted folders refused")
    wait_for(lambda: "기록에 더 적지 않습니다" in hub.log_text(), 60, hub, "the folders past the record's cap counted")
    entries = history(hub, PLANTER)
    states = [e["state"] for e in entries]
    # the first two wait; a folder taken up after one of them is graded may wait in its place (about 20 s each); of
    # the refused ones the record keeps RECORDED_UNUSED, the log counts the rest
    assert "refused" not in states[:2] and states.count("refused") == RECORDED_UNUSED, states
    assert len(states) - RECORDED_UNUSED <= 10, states
    assert {e["reason"] for e in entries if e["state"] == "refused"} == {"too-many-waiting"}
    from hongong.hub.place import released_page

    refused = next(e for e in entries if e["state"] == "refused")
    folder = hub.hub_dir / "exchange" / "hongong-ch7" / "inbound" / refused["id"]
    page = released_page(folder.parent.parent / "feedback", (folder / "submission_secret.txt").read_text(), "ch07-1")
    assert "채점이 끝나지 않은 시도(채점 중인 것 포함, 모든 과제 합계)가 이미 2개 있습니다" in page.read_text(encoding="utf-8")


def test_a_held_back_hint_costs_its_point_even_with_no_record_in_the_notebook(rush):
    hub = rush["hub"]
    hint, why = hub.held_hint(HONEST, 2)
    assert hint and not why
    time.sleep(1.1)  # nbgrader names a submission by the second
    hub.hand_in(HONEST, "ch07-1", CLASS[("perfect", "ch07-1")].make())  # no hint output: cleared, or never shown
    graded = hub.wait_graded(HONEST, "ch07-1", 2, timeout=300)
    assert [(e["state"], e["score"]) for e in graded] == [("graded", AUTO_POINTS), ("graded", AUTO_POINTS - 1)]
