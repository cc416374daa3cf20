"""Hostile learners against the grading service on a real hub (tests/hub_class.py): what they write straight into the
exchange's inbound/ (nbgrader's mode 2733, plus sticky: any local account can) is never opened with the service's
privileges.

Rules: one attempt per learner, so a second folder is refused, the path on which the service used to read the folder's
submission_secret.txt as root to name the refusal page. Two learners hand in honest ch07-1 notebooks first; then one
plants folders whose secret is a FIFO (the read blocked the service's only thread for as long as the learner liked), a
link to the other learner's secret (the refusal page overwrote the other's feedback), and a link to /etc/shadow (a page
named by the hash of a root-only file); a third learner, submitting after the FIFO, is graded all the same; an account
that is not on the roster is not graded.
"""

import os
import pwd
import subprocess
import sys
import time
from pathlib import Path

import pytest

from class_submissions import AUTO_POINTS, CLASS
from hub_class import Hub

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="the hub makes system users (root)")]

SECRET_WRITER = "import secrets, sys; open(sys.argv[1], 'w').write(secrets.token_hex(64))"  # as nbgrader's submit
HOSTILE, VICTIM, LATER, TEACHER, STRANGER = "hgh-hostile", "hgh-victim", "hgh-later", "hgh-teacher", "hgh-stranger"


@pytest.fixture(scope="module")
def hub():
    hub = Hub([HOSTILE, VICTIM, LATER], TEACHER, rules="c.CourseRules.max_attempts = 1\n")
    try:
        hub.start()
        hub.run(sys.executable, "-m", "hongong.hub", "release", "ch07-1")
        for learner in (HOSTILE, VICTIM):
            hub.hand_in(learner, "ch07-1", CLASS[("perfect", "ch07-1")].make())
        for learner in (HOSTILE, VICTIM):
            hub.wait_graded(learner, "ch07-1", 1)
        yield hub
    finally:
        hub.close()
        subprocess.run(["userdel", "--remove", STRANGER], capture_output=True)


def inbound(hub) -> Path:
    return hub.hub_dir / "exchange" / "hongong-ch7" / "inbound"


def plant(hub, user: str, tag: str, secret_command: list[str], assignment: str = "ch07-1") -> str:
    """A submission folder for ``assignment`` made by ``user`` straight in inbound/ (their ch07-1 notebook copied in as
    the assignment's, the secret made by ``secret_command`` with ``{secret}`` for its path); its name."""
    name = f"{user}+{assignment}+2026-12-04 10:00:{tag}.000000 UTC+hostile{tag}"
    folder = inbound(hub) / name
    hub.as_user(user, "mkdir", str(folder))
    notebook = Path(pwd.getpwnam(user).pw_dir) / "ch07-1" / "ch07-1.ipynb"
    hub.as_user(user, "cp", str(notebook), str(folder / f"{assignment}.ipynb"))
    hub.as_user(user, *[part.replace("{secret}", str(folder / "submission_secret.txt")) for part in secret_command])
    return name


def state_of(hub, student: str, folder: str, timeout: float = 90, assignment: str = "ch07-1") -> dict:
    """The record's entry for the submission ``folder`` once it is decided (refused, ignored or graded)."""
    import json

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = json.loads((hub.course / "grades" / "attempts.json").read_text())
        entry = {e["id"]: e for e in record.get(assignment, {}).get(student, [])}.get(folder)
        if entry is not None and entry["state"] != "accepted":
            return entry
        time.sleep(1)
    raise AssertionError(f"{folder} not decided in {timeout} s:\n" + hub.log_text()[-3000:])


def victims_page(hub) -> Path:
    from hongong.hub.place import released_page

    secret = (hub.course / "submitted" / VICTIM / "ch07-1" / "submission_secret.txt").read_text().strip()
    return released_page(inbound(hub).parent / "feedback", secret, "ch07-1")


def test_a_fifo_as_the_secret_holds_up_nobody_and_the_next_learner_is_graded(hub):
    fifo = plant(hub, HOSTILE, "01", ["mkfifo", "{secret}"])
    hub.hand_in(LATER, "ch07-1", CLASS[("perfect", "ch07-1")].make())
    assert state_of(hub, HOSTILE, fifo)["state"] == "refused"
    history = hub.wait_graded(LATER, "ch07-1", 1, timeout=240)
    assert [(e["state"], e["score"]) for e in history] == [("graded", AUTO_POINTS)]


def test_a_link_to_another_learners_secret_leaves_their_feedback_as_it_was(hub):
    page = victims_page(hub)
    before = page.read_bytes()
    target = hub.course / "submitted" / VICTIM / "ch07-1" / "submission_secret.txt"
    linked = plant(hub, HOSTILE, "02", ["ln", "-s", str(target), "{secret}"])
    assert state_of(hub, HOSTILE, linked)["state"] == "refused"
    time.sleep(2)  # the refusal page would be written right after the record
    assert page.read_bytes() == before
    fetched = next(iter(hub.feedback(VICTIM, "ch07-1").values()))
    assert "받지 않은" not in fetched and f"· {VICTIM}" in fetched


def test_a_link_to_a_root_only_file_names_no_page_after_its_content(hub):
    feedback = inbound(hub).parent / "feedback"
    pages = set(feedback.iterdir())
    linked = plant(hub, HOSTILE, "03", ["ln", "-s", "/etc/shadow", "{secret}"])
    assert state_of(hub, HOSTILE, linked)["state"] == "refused"
    time.sleep(2)  # the refusal page would be written right after the record
    assert set(feedback.iterdir()) == pages  # no page at all, so none named by the hash of /etc/shadow
    assert "submission_secret.txt" in hub.log_text()  # why no page went out, said in the hub's log


def test_an_account_not_on_the_roster_is_not_graded(hub):
    subprocess.run(["useradd", "--create-home", STRANGER], check=True)
    home = Path(pwd.getpwnam(STRANGER).pw_dir)
    (home / "ch07-1").mkdir()
    source = Path(pwd.getpwnam(VICTIM).pw_dir) / "ch07-1" / "ch07-1.ipynb"
    (home / "ch07-1" / "ch07-1.ipynb").write_bytes(source.read_bytes())
    os.chown(home / "ch07-1" / "ch07-1.ipynb", pwd.getpwnam(STRANGER).pw_uid, pwd.getpwnam(STRANGER).pw_gid)
    os.chown(home / "ch07-1", pwd.getpwnam(STRANGER).pw_uid, pwd.getpwnam(STRANGER).pw_gid)
    planted = plant(hub, STRANGER, "04", [sys.executable, "-c", SECRET_WRITER, "{secret}"])
    entry = state_of(hub, STRANGER, planted)
    assert entry["state"] == "ignored" and "명단" in entry["reason"], entry
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}") as gradebook:
        assert STRANGER not in {student.id for student in gradebook.students}


def test_an_assignment_not_released_on_the_hub_is_not_graded(hub):
    planted = plant(hub, VICTIM, "05", [sys.executable, "-c", SECRET_WRITER, "{secret}"], assignment="ch07-2")
    entry = state_of(hub, VICTIM, planted, assignment="ch07-2")
    assert (entry["state"], entry["reason"]) == ("ignored", "unknown-assignment"), entry
    assert not (hub.course / "submitted" / VICTIM / "ch07-2").exists()
