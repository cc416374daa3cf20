"""The submission's time through a real hub (tests/hub_class.py): the service's own clock, not the learner's words.

Rules: late work refused, 1 point per hint. (1) A learner submits while the due date is an hour away: graded. The
instructor moves the due date to a minute ago; another learner plants a folder that claims, in its name and in
nbgrader's ``timestamp.txt``, to have been made the day before: refused as late, its page says so, the gradebook holds
nothing of it. (2) A learner writes a blank notebook into a folder, takes a held-back hint, then rewrites the notebook
with the right answers through a shared memory mapping, which leaves the file's change time where it was (before the
hint): the attempt is still charged for the hint, since its time is when the service copied it.
"""

import json
import os
import pwd
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest

from class_submissions import AUTO_POINTS, CLASS
from hub_class import Hub

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="the hub makes system users (root)")]

ONTIME, FORGER, MAPPER, TEACHER = "hgr-ontime", "hgr-forger", "hgr-mapper", "hgr-teacher"
RULES = 'c.CourseRules.late = "refuse"\nc.HintRule.points_per_hint = 1.0\n'
SECRET_WRITER = "import secrets, sys; open(sys.argv[1], 'w').write(secrets.token_hex(64))"  # as nbgrader's submit
CLAIMED = "2026-12-03 09:00:00.000000 UTC"  # the day before: what the folder says of itself
# Run as the learner: python - FOLDER WRONG RIGHT HINT_URL TOKEN. The notebook is written (its change time set), the
# hint taken, then the notebook rewritten through the same shared mapping (no new change time); one JSON line.
REWRITES_THROUGH_A_MAPPING = """
import json, mmap, os, secrets, sys, time, urllib.request
folder, wrong, right, url, token = sys.argv[1:]
wrong, right = open(wrong, 'rb').read(), open(right, 'rb').read()
os.mkdir(folder)
notebook = os.path.join(folder, 'ch07-1.ipynb')
open(notebook, 'wb').write(wrong)
open(os.path.join(folder, 'submission_secret.txt'), 'w').write(secrets.token_hex(64))
descriptor = os.open(notebook, os.O_RDWR)
mapping = mmap.mmap(descriptor, len(wrong))
mapping[:] = wrong
before = os.stat(notebook).st_ctime_ns
hint = urllib.request.urlopen(urllib.request.Request(url, headers={'Authorization': 'token ' + token}), timeout=10)
mapping[:] = right
print(json.dumps({'hint': json.load(hint)['hint'][:20], 'change_time_kept': os.stat(notebook).st_ctime_ns == before}))
sys.stdout.flush()
time.sleep(8)
"""


def set_due(hub, due: datetime) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}") as gradebook:
        gradebook.update_or_create_assignment("ch07-1", duedate=due.astimezone(timezone.utc).replace(tzinfo=None))


def record_of(hub, student: str) -> list[dict]:
    return json.loads((hub.course / "grades" / "attempts.json").read_text())["ch07-1"][student]


@pytest.fixture(scope="module")
def hub():
    hub = Hub([ONTIME, FORGER, MAPPER], TEACHER, rules=RULES)
    try:
        hub.start()
        hub.run(sys.executable, "-m", "hongong.hub", "release", "ch07-1")
        yield hub
    finally:
        hub.close()


def test_a_notebook_rewritten_through_a_mapping_after_a_hint_is_charged_for_the_hint(hub):
    set_due(hub, datetime.now(timezone.utc) + timedelta(hours=1))
    home = Path(pwd.getpwnam(MAPPER).pw_dir)
    wrong, right = (nbformat.writes(CLASS[(kind, "ch07-1")].make()).encode() for kind in ("blank", "perfect"))
    size = max(len(wrong), len(right))
    for name, text in (("wrong.ipynb", wrong), ("right.ipynb", right)):  # the same length: JSON may end in spaces
        (home / name).write_bytes(text + b" " * (size - len(text)))
    folder = hub.hub_dir / "exchange" / "hongong-ch7" / "inbound" / f"{MAPPER}+ch07-1+{CLAIMED}+mapped"
    url = f"{hub.url}/services/grader/api/hints/ch07-1/test-q1/2"
    done = hub.as_user(MAPPER, sys.executable, "-c", REWRITES_THROUGH_A_MAPPING, str(folder), str(home / "wrong.ipynb"),
                       str(home / "right.ipynb"), url, hub.server_token(MAPPER))
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["hint"] and report["change_time_kept"], report  # the hint given; the rewrite left no change time
    [entry] = hub.wait_graded(MAPPER, "ch07-1", 1, timeout=300)
    assert (entry["state"], entry["score"]) == ("graded", AUTO_POINTS - 1), entry  # right answers, one hint


def test_a_folder_that_dates_itself_before_the_due_date_is_late_by_the_services_clock(hub):
    from nbgrader.api import Gradebook, MissingEntry

    from hongong.hub.place import released_page

    set_due(hub, datetime.now(timezone.utc) + timedelta(hours=1))
    hub.hand_in(ONTIME, "ch07-1", CLASS[("perfect", "ch07-1")].make())
    assert [(e["state"], e["score"]) for e in hub.wait_graded(ONTIME, "ch07-1", 1, timeout=300)] == [
        ("graded", AUTO_POINTS)]

    due = datetime.now(timezone.utc) - timedelta(minutes=1)
    set_due(hub, due)
    hub.as_user(FORGER, str(Path(sys.executable).parent / "nbgrader"), "fetch_assignment", "ch07-1")
    notebook = Path(pwd.getpwnam(FORGER).pw_dir) / "ch07-1" / "ch07-1.ipynb"
    name = f"{FORGER}+ch07-1+{CLAIMED}+forged"
    folder = hub.hub_dir / "exchange" / "hongong-ch7" / "inbound" / name
    hub.as_user(FORGER, "sh", "-c", f"mkdir '{folder}' && cp '{notebook}' '{folder}/ch07-1.ipynb' && "
                                    f"echo '{CLAIMED}' > '{folder}/timestamp.txt' && "
                                    f"{sys.executable} -c \"{SECRET_WRITER}\" '{folder}/submission_secret.txt'")
    hub.wait_graded(FORGER, "ch07-1", 1, timeout=120)
    [entry] = record_of(hub, FORGER)
    assert (entry["id"], entry["state"], entry["reason"]) == (name, "refused", "late"), entry
    assert datetime.fromisoformat(entry["submitted"]) > due  # the service's clock, not the claimed day before
    page = released_page(folder.parent.parent / "feedback", (folder / "submission_secret.txt").read_text(), "ch07-1")
    assert "마감이 지났습니다" in page.read_text(encoding="utf-8")
    with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}") as gradebook:
        with pytest.raises(MissingEntry):
            gradebook.find_submission("ch07-1", FORGER)
