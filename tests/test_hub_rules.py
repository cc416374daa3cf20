"""The late rule through a real hub (tests/hub_class.py), judged by the service's own clock, not the learner's words.

Rules: late work refused. A learner submits while the due date is an hour away: graded. The instructor then moves
the due date to a minute ago. Another learner plants a folder that claims, in its name and in nbgrader's
``timestamp.txt``, to have been made the day before: the service takes its time from the kernel's change times of
what it copied, so the folder is refused as late, its page says so, and the gradebook holds nothing of it.
"""

import json
import os
import pwd
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from class_submissions import AUTO_POINTS, CLASS
from hub_class import Hub

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="the hub makes system users (root)")]

ONTIME, FORGER, TEACHER = "hgr-ontime", "hgr-forger", "hgr-teacher"
SECRET_WRITER = "import secrets, sys; open(sys.argv[1], 'w').write(secrets.token_hex(64))"  # as nbgrader's submit
CLAIMED = "2026-12-03 09:00:00.000000 UTC"  # the day before: what the folder says of itself


def set_due(hub, due: datetime) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}") as gradebook:
        gradebook.update_or_create_assignment("ch07-1", duedate=due.astimezone(timezone.utc).replace(tzinfo=None))


def test_a_folder_that_dates_itself_before_the_due_date_is_late_by_the_services_clock():
    from nbgrader.api import Gradebook, MissingEntry

    from hongong.hub.place import released_page

    hub = Hub([ONTIME, FORGER], TEACHER, rules='c.CourseRules.late = "refuse"\n')
    try:
        hub.start()
        hub.run(sys.executable, "-m", "hongong.hub", "release", "ch07-1")
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
        [entry] = json.loads((hub.course / "grades" / "attempts.json").read_text())["ch07-1"][FORGER]
        assert (entry["id"], entry["state"], entry["reason"]) == (name, "refused", "late"), entry
        assert datetime.fromisoformat(entry["submitted"]) > due  # the service's clock, not the claimed day before
        page = released_page(folder.parent.parent / "feedback", (folder / "submission_secret.txt").read_text(), "ch07-1")
        assert "마감이 지났습니다" in page.read_text(encoding="utf-8")
        with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}") as gradebook:
            with pytest.raises(MissingEntry):
                gradebook.find_submission("ch07-1", FORGER)
    finally:
        hub.close()
