"""The grading service's intake: which folders of the exchange's ``inbound/`` it takes up this turn, and how.

Who runs it: the grading service (:mod:`hongong.hub.service`, root), once a turn. Fair to every learner: a turn takes
up at most one folder per account that made folders (its oldest), so one account's hundreds of planted folders cost
another learner one folder's time, not hundreds. A learner who already has :data:`WAITING_PER_LEARNER` attempts
accepted and not yet graded gets the next one refused (``too-many-waiting``), with a page that says so.

Taking one up (:func:`take_up`): its author must own it and be on the roster, and the assignment must be released on
the hub (else ``ignored``, no page: it is nobody's submission); it is copied as :mod:`hongong.hub.inbound` says; its
time is the service's clock once the copy is made (:func:`submission_time`); the course's rules decide
(``refused``, with a page, or ``accepted``: its copy kept in ``attempts/`` until it is graded).
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timezone

from hongong.grading.attempts import WAITING_PER_LEARNER, history_of
from hongong.hub.inbound import Submission, copy_regular_files

SETTLE_SECONDS = 1.0  # a submission folder unchanged this long is complete


def arrived(grader) -> list[Submission]:
    """The complete folders of ``inbound/`` not in the record yet, for this turn: each account's oldest, oldest first."""
    if not grader.inbound.is_dir():
        return []
    known = {entry["id"] for learners in grader.attempts().values() for history in learners.values() for entry in history}
    known |= grader.unrecorded
    oldest: dict[int, Submission] = {}
    now = time.time()
    for folder in grader.inbound.iterdir():
        if folder.name in known:
            continue
        try:
            submission = Submission(folder)
        except OSError:
            continue
        age = now - submission.time.timestamp()
        # nbgrader's submit copies the files, then writes the secret, then sets the permissions (the change time):
        # a folder still being written is left for a later turn
        if age < SETTLE_SECONDS or (age < 60 and not (folder / "submission_secret.txt").exists()):
            continue
        mine = oldest.get(submission.owner)
        if mine is None or (submission.time, submission.id) < (mine.time, mine.id):
            oldest[submission.owner] = submission
    return sorted(oldest.values(), key=lambda s: (s.time, s.id))


def submission_time(grader, changed: datetime) -> datetime:
    """When the submission was made, as the service can vouch for it. While the service runs: its own clock once it
    holds the copy (nothing graded can be newer; a write through a shared memory mapping does not move a file's change
    time, so no time the learner's files give is trusted). A folder made while the service was not running: the latest
    change time of the folder and of what was copied (``changed``), so that the service's downtime makes nobody late."""
    return changed if changed < grader.started else datetime.now(timezone.utc)


def waiting_of(grader, student: str) -> int:
    """The learner's attempts accepted and not graded yet, all assignments together."""
    return sum(entry["state"] == "accepted" for learners in grader.attempts().values()
               for entry in learners.get(student, []))


def take_up(grader, submission: Submission) -> dict | None:
    """Record the submission as accepted, refused or ignored; the entry to grade, or None."""
    from hongong.hub.pages import release_refusal

    problem = submission.author_problem()
    if problem is not None or submission.assignment not in grader.known_assignments():
        grader.log(f"{submission.shown}: 받지 않음 ({problem or '없는 과제'})")
        grader.update_unused(submission.assignment or "?", submission.uploader(),  # in the record of whoever made it
                      {"id": submission.id, "submitted": submission.time.isoformat(), "state": "ignored",
                       "reason": problem or "unknown-assignment"})
        return None
    keep = grader.course / "attempts" / submission.assignment / submission.student / submission.id
    copied = copy_regular_files(submission.folder, keep, owner=submission.owner)
    submission.time = submission_time(grader, max(submission.time, copied.changed))
    history = history_of(grader.attempts(), submission.assignment, submission.student)
    entry = {"id": submission.id, "submitted": submission.time.isoformat()}
    reason = grader.rules.decide(history, submission.time, grader.due(submission.assignment))
    if reason is None and waiting_of(grader, submission.student) >= WAITING_PER_LEARNER:
        reason = "too-many-waiting"
    if reason is not None:
        entry |= {"state": "refused", "reason": reason}
        release_refusal(grader, submission, keep, history + [entry], entry)  # the page before the record says so
        grader.update_unused(submission.assignment, submission.student, entry)
        shutil.rmtree(keep, ignore_errors=True)
        grader.log(f"{submission.student} {submission.assignment}: 받지 않음 ({reason})")
        return None
    (keep / "timestamp.txt").write_text(submission.time.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    attempt = 1 + sum(e["state"] in ("accepted", "graded") for e in history)
    entry |= {"state": "accepted", "attempt": attempt}
    if copied.problems:
        entry["problems"] = copied.problems
    grader.update(submission.assignment, submission.student, entry)  # kept in attempts/: into submitted/ when its turn comes
    return entry
