"""The class of tests/class_submissions.py graded as the README tells an instructor, once per test run, and read back.

Due dates set, ch07-1 handed in as the LMS's zip (`nbgrader zip_collect`), ch07-2 and ch07-3 dropped into
submitted/, then `python -m hongong.grading grade` with a server on the host's loopback that hands out answers
(nobody may reach it). The session fixture ``graded_course`` (tests/conftest.py) grades it once per run (minutes):
tests/test_instructor_workflow.py reads what grading wrote, tests/test_regrading.py grades some learners again.
"""

import csv
import json
import socket
import subprocess
import sys
import threading
import zipfile

import nbformat

from class_submissions import ASSIGNMENTS, CLASS, new_course, quiz_answers
from conftest import ROOT
from learner_tricks import PHONE_HOME_PORT

DUE = "2026-12-07T23:59:59+09:00"
ON_TIME, LATE = "2026-12-07-21-15-00", "2026-12-08-09-30-00"  # LMS attempt times (KST)
CELL_TIMEOUT = "--Execute.timeout=90"  # honest cells take under 20 s unloaded, one core each; the endless loop costs this once


def run(*command, cwd):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=3000)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout + result.stderr


def grade(course, *arguments):
    return run(sys.executable, "-m", "hongong.grading", "grade", *arguments, CELL_TIMEOUT, cwd=course)


class AnswerServer:
    """A server on the host's loopback that gives the quiz answers to anyone who connects (nobody must)."""

    def __init__(self):
        self.connections = []
        self.socket = socket.create_server(("127.0.0.1", PHONE_HOME_PORT), reuse_port=True)
        self.socket.settimeout(0.5)
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        answers = "\n".join(f"{k} = {v!r}" for k, v in quiz_answers("ch07-2").items()).encode()
        while self.running:
            try:
                connection, address = self.socket.accept()
            except OSError:
                continue
            self.connections.append(address)
            with connection:
                connection.sendall(answers)

    def close(self):
        self.running = False
        self.thread.join()
        self.socket.close()


def hand_in(expected, path):
    """Write what the learner hands in at ``path`` (and any file planted beside it); None if nothing is handed in."""
    content = expected.make()
    if content is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        nbformat.write(content, path)
    for name, data in (expected.planted or {}).items():
        (path.parent / name).write_bytes(data)
    return path


def grade_the_class(folder):
    """A course at ``folder`` graded as the README says; returns (folder, log of the grading run)."""
    course = new_course(folder)
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as config:  # feedback links to this repository's book
        config.write(f"\nc.ItemsTable.book_url = {(ROOT / '_build' / 'html').as_uri()!r}\n")
    for assignment in ASSIGNMENTS:
        run("nbgrader", "db", "assignment", "add", assignment, f"--duedate={DUE}", cwd=course)
    # ch07-1 arrives as the LMS's zip: <assignment>_<student>_attempt_<time>_<file>
    downloads = course / "lms"
    for (student, assignment), expected in CLASS.items():
        if assignment == "ch07-1":
            when = LATE if expected.status == "late" else ON_TIME
            hand_in(expected, downloads / f"ch07-1_{student}_attempt_{when}_{expected.handed_in_as or 'ch07-1.ipynb'}")
        else:
            path = hand_in(expected, course / "submitted" / student / assignment / (expected.handed_in_as or f"{assignment}.ipynb"))
            if path is not None and expected.status == "late":
                (path.parent / "timestamp.txt").write_text("2026-12-08 01:00:00 UTC")
    (course / "downloaded" / "ch07-1" / "archive").mkdir(parents=True)
    with zipfile.ZipFile(course / "downloaded" / "ch07-1" / "archive" / "gradebook-download.zip", "w") as archive:
        for path in sorted(downloads.iterdir()):
            archive.write(path, path.name)
    run("nbgrader", "zip_collect", "ch07-1", cwd=course)
    server = AnswerServer()
    try:
        log = grade(course)  # the default: sandboxed, one submission per core at a time
    finally:
        server.close()
    assert server.connections == [], "a submission reached the host's loopback"
    return course, log


def status(course):
    return json.loads((course / "grades" / "status.json").read_text(encoding="utf-8"))


def exported(course, assignment):
    with open(course / "grades" / f"{assignment}.csv", encoding="utf-8") as table:
        return {row["student_id"]: row for row in csv.DictReader(table)}
