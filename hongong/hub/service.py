"""The grading service: each submission in nbgrader's exchange graded as it arrives, its feedback released to its author.

Who runs it: JupyterHub (a managed service, as root, started and stopped with the hub). The course's trusted process:
it reads the exchange's ``inbound/`` (learners write, cannot list), writes the course, releases feedback.

Each turn (every ``POLL_SECONDS``):

1. every folder in ``inbound/`` not yet in the attempts record (:mod:`hongong.grading.attempts`, on disk) is taken up,
   oldest first: its author must own it and be on the roster, it is copied as :mod:`hongong.hub.inbound` says (its
   time: the latest change of what was copied), and the course's rules decide whether it is graded;
2. a refused submission gets a feedback page that says why; an accepted one goes into ``submitted/<learner>/
   <assignment>/`` and is recorded as ``accepted`` *before* grading (a service stopped now grades it on restart);
3. the accepted submissions, at most one per learner and assignment, are graded together by the same command as
   ``make grade`` (``python -m hongong.grading grade ASSIGNMENT --student …``: precheck, sandbox, trusted checker,
   gradebook, feedback; one writer at a time, :func:`hongong.grading.classroom.course_lock`), in parallel; the
   command is started ahead (``grade-when-told``) so that a submission does not wait for its imports;
4. each page is released under its submission's secret (nbgrader's ``notebook_hash``), for its author's Fetch Feedback;
5. with ``counts = "best"``, if the new attempt is not the best, the best one goes back into the gradebook;
6. once the queue has been quiet for ``SUMMARIES_AFTER_IDLE_SECONDS``, ``grades/*.csv`` and the report are written again.

The course's rules are read again whenever ``nbgrader_config.py`` changes. HTTP: :mod:`hongong.hub.web`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from hongong.grading.attempts import REFUSAL_KO, CourseRules, RulesFile, history_of, read_attempts, write_attempts
from hongong.hub.inbound import Submission, close_to_others, copy_regular_files, read_secret
from hongong.hub.place import course_dir, exchange_dir, release_feedback

POLL_SECONDS, SETTLE_SECONDS = 1.0, 1.0  # a turn; a submission folder unchanged this long is complete
SUMMARIES_AFTER_IDLE_SECONDS, ENGINE_RETRY_SECONDS = 30, 30


def log(message: str) -> None:
    message = "".join(c if c.isprintable() or c == "\n" else f"\\x{ord(c):02x}" for c in message)  # no terminal escape
    print(f"[grader {datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


class Grader:
    def __init__(self, course: Path, exchange: Path, course_id: str):
        self.course, self.exchange, self.course_id, self.rules_file = course, exchange, course_id, RulesFile(course)
        self.inbound = exchange / course_id / "inbound"
        self.released = exchange / course_id / "feedback"
        self.lock = threading.Lock()  # the record: written by the grading thread, read by the web handlers
        self.running = None  # the grading command in progress
        self.waiting = None  # the next one, started and waiting for its learners (its imports done)
        self.stopping = False
        self.pause_until = 0.0  # after the engine failed (not a submission: the command itself)

    @property
    def rules(self) -> CourseRules:
        """The rules as nbgrader_config.py says them at this decision (an edit applies without a restart)."""
        return self.rules_file.current()

    # -- the record -------------------------------------------------------------------------------------------
    def attempts(self) -> dict:
        with self.lock:
            return read_attempts(self.course)

    def update(self, assignment: str, student: str, entry: dict) -> None:
        with self.lock:
            record = read_attempts(self.course)
            history = record.setdefault(assignment, {}).setdefault(student, [])
            for index, old in enumerate(history):
                if old["id"] == entry["id"]:
                    history[index] = entry
                    break
            else:
                history.append(entry)
            write_attempts(self.course, record)

    def due(self, assignment: str) -> datetime | None:
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(f"sqlite:///{self.course / 'gradebook.db'}") as gradebook:
            try:
                due = gradebook.find_assignment(assignment).duedate
            except MissingEntry:
                return None
        return due.replace(tzinfo=timezone.utc) if due is not None else None

    def notebooks(self, assignment: str) -> list[str]:
        return sorted(p.stem for p in (self.course / "exercises" / assignment).glob("*.ipynb"))

    # -- a turn -------------------------------------------------------------------------------------------------
    def new_submissions(self) -> list[Submission]:
        if not self.inbound.is_dir():
            return []
        known = {entry["id"] for learners in self.attempts().values() for history in learners.values() for entry in history}
        found = []
        now = time.time()
        for folder in self.inbound.iterdir():
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
            found.append(submission)
        return sorted(found, key=lambda s: (s.time, s.id))

    def take_up(self, submission: Submission) -> dict | None:
        """Record the submission as accepted or refused; the entry to grade, or None."""
        problem = submission.author_problem()
        if problem is not None or submission.assignment not in self.known_assignments():
            log(f"{submission.shown}: 받지 않음 ({problem or '없는 과제'})")
            self.update(submission.assignment or "?", submission.uploader(),  # in the record of whoever made it
                        {"id": submission.id, "submitted": submission.time.isoformat(), "state": "ignored",
                         "reason": problem or "unknown-assignment"})
            return None
        keep = self.course / "attempts" / submission.assignment / submission.student / submission.id
        copied = copy_regular_files(submission.folder, keep, owner=submission.owner)
        submission.time = max(submission.time, copied.changed)  # the latest change of what is graded
        history = history_of(self.attempts(), submission.assignment, submission.student)
        entry = {"id": submission.id, "submitted": submission.time.isoformat()}
        reason = self.rules.decide(history, submission.time, self.due(submission.assignment))
        if reason is not None:
            entry |= {"state": "refused", "reason": reason}
            self.update(submission.assignment, submission.student, entry)
            self.release_refusal(submission, keep, history + [entry], entry)
            shutil.rmtree(keep, ignore_errors=True)
            log(f"{submission.student} {submission.assignment}: 받지 않음 ({reason})")
            return None
        (keep / "timestamp.txt").write_text(submission.time.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        copy_regular_files(keep, self.course / "submitted" / submission.student / submission.assignment)
        attempt = 1 + sum(e["state"] in ("accepted", "graded") for e in history)
        entry |= {"state": "accepted", "attempt": attempt}
        if copied.problems:
            entry["problems"] = copied.problems
        self.update(submission.assignment, submission.student, entry)
        return entry

    def known_assignments(self) -> set[str]:
        """The assignments released on the hub (the exchange's outbound/), not all of the course's exercises/."""
        outbound = self.exchange / self.course_id / "outbound"
        return {p.name for p in outbound.iterdir() if p.is_dir()} if outbound.is_dir() else set()

    def grade(self, assignment: str, students: list[str]) -> None:
        """The same command as ``make grade``, for these learners of one assignment (the engine waiting for them)."""
        arguments = [assignment, *[f"--student={s}" for s in students],
                     "--ClassGrading.summaries=False"]  # the export and the report: once the queue is empty
        started = time.perf_counter()
        log(f"{assignment} {', '.join(students)}: 채점 시작")
        ready = self.waiting if self.waiting is not None and self.waiting.poll() is None else self.engine()
        self.running, self.waiting = ready, None
        output, _ = self.running.communicate(json.dumps(arguments) + "\n")
        code, self.running = self.running.returncode, None
        log(f"{assignment} {', '.join(students)}: 채점 끝 {code} ({time.perf_counter() - started:.1f} s)")
        if not self.stopping:  # imports while this batch's feedback is released: the next one need not wait
            self.waiting = self.engine()
        if code != 0:
            log(output[-3000:])
            raise RuntimeError(f"채점 명령이 {code}(으)로 끝났습니다")

    def engine(self) -> subprocess.Popen:
        """``python -m hongong.grading grade-when-told``: the grading command, its imports done while it waits."""
        return subprocess.Popen([sys.executable, "-m", "hongong.grading", "grade-when-told"], cwd=self.course,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)

    def stop(self) -> None:
        """Stop a grading in progress with everything it started (the hub is stopping us): its submissions stay
        ``accepted`` and are graded when the service starts again."""
        self.stopping = True
        for process in (self.running, self.waiting):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)

    def finish(self, assignment: str, student: str, entry: dict) -> None:
        """After grading: the record, the released page, and the best attempt back in the gradebook if it must be."""
        from hongong.grading.status import read_status

        status = read_status(self.course).get(assignment, {}).get(student, {})
        entry = dict(entry, state="graded", status=status.get("status", "failed"),
                     score=self.score(assignment, student, status))
        if "reason" in status:
            entry["status_reason"] = status["reason"]
        self.update(assignment, student, entry)
        history = history_of(self.attempts(), assignment, student)
        self.release_graded(assignment, student, entry)
        counted = self.rules.counted(history, self.due(assignment))
        if counted is not None and counted["id"] != entry["id"] and self.rules.counts == "best":
            kept = self.course / "attempts" / assignment / student / counted["id"]
            copy_regular_files(kept, self.course / "submitted" / student / assignment)  # the service's own copy
            log(f"{student} {assignment}: 가장 좋은 시도({counted['attempt']}번째)를 성적부에 되돌립니다")
            self.grade(assignment, [student])
        self.mark_counted(assignment, student, counted)

    def mark_counted(self, assignment: str, student: str, counted: dict | None) -> None:
        with self.lock:
            record = read_attempts(self.course)
            for entry in record.get(assignment, {}).get(student, []):
                entry["counted"] = counted is not None and entry["id"] == counted["id"]
            write_attempts(self.course, record)

    def score(self, assignment: str, student: str, status: dict) -> float | None:
        if status.get("status") not in ("graded", "late"):
            return None
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.course / 'gradebook.db'}") as gradebook:
            return float(gradebook.find_submission(assignment, student).score)

    # -- feedback to the exchange ----------------------------------------------------------------------------
    def release(self, kept: Path, notebook: str, page: str) -> None:
        """``page`` under the secret of the submission whose copy is ``kept`` (the service's: never the learner's)."""
        release_feedback(self.released, read_secret(kept), notebook, page)

    def release_graded(self, assignment: str, student: str, entry: dict) -> None:
        folder = self.course / "feedback" / student / assignment
        for notebook in self.notebooks(assignment):
            page = folder / f"{notebook}.html"
            try:
                self.release(self.course / "attempts" / assignment / student / entry["id"], notebook,
                             page.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:  # no page, or a secret that is not nbgrader's
                log(f"{student} {assignment}: 피드백을 내보내지 못했습니다 ({error})")

    def release_refusal(self, submission: Submission, kept: Path, history: list[dict], entry: dict) -> None:
        from hongong.grading.feedback_items import refusal_page

        for notebook in self.notebooks(submission.assignment):
            page = refusal_page(self.course, submission.assignment, submission.student, notebook,
                                REFUSAL_KO[entry["reason"]], self.rules, history, entry)
            try:
                self.release(kept, notebook, page)
            except (OSError, ValueError) as error:
                log(f"{submission.shown}: 받지 않은 이유를 적은 피드백을 내보내지 못했습니다 ({error})")

    def turn(self) -> int:
        """Take up what arrived, grade what is accepted; the number of submissions handled."""
        for submission in self.new_submissions():
            try:
                self.take_up(submission)
            except Exception as error:  # one odd folder must not stop the queue
                log(f"{submission.shown}: 받는 중 오류 {type(error).__name__}: {error}")
                self.update(submission.assignment or "?", submission.uploader(),
                            {"id": submission.id, "submitted": submission.time.isoformat(), "state": "ignored",
                             "reason": f"error: {type(error).__name__}"})
            close_to_others(submission.folder)  # recorded (its time too): nobody but its author reads it any more
        if time.monotonic() < self.pause_until:
            return 0
        batch: dict[str, list[tuple[str, dict]]] = {}
        for assignment, learners in self.attempts().items():
            for student, history in learners.items():
                waiting = [e for e in history if e["state"] == "accepted"]
                if waiting:  # the oldest first; one per learner and assignment per turn
                    batch.setdefault(assignment, []).append((student, waiting[0]))
        for assignment, todo in sorted(batch.items()):
            for student, entry in todo:  # what is in submitted/ must be this attempt (a restart may have left another)
                kept = self.course / "attempts" / assignment / student / entry["id"]
                copy_regular_files(kept, self.course / "submitted" / student / assignment)  # the service's own copy
            try:
                self.grade(assignment, [student for student, _ in todo])
            except RuntimeError:  # stopped, or the engine itself failed: they stay accepted, tried again in a while
                self.pause_until = time.monotonic() + ENGINE_RETRY_SECONDS
                return 0
            for student, entry in todo:
                try:
                    self.finish(assignment, student, entry)
                except Exception as error:
                    log(f"{student} {assignment}: 마무리 중 오류 {type(error).__name__}: {error}")
        return sum(len(todo) for todo in batch.values())

    def write_summaries(self) -> None:
        """grades/*.csv and the report, as ``make grade`` ends (under the same lock)."""
        for command in ("export", "report"):
            done = subprocess.run([sys.executable, "-c", "import sys\nfrom hongong.grading.classroom import course_lock\n"
                                   f"from hongong.grading.{command} import {command}\nfrom pathlib import Path\n"
                                   f"with course_lock(Path.cwd()):\n    {command}(Path.cwd())"],
                                  cwd=self.course, capture_output=True, text=True)
            if done.returncode != 0:
                log(f"{command} 실패: {done.stderr[-1000:]}")

    def run_forever(self, stop: threading.Event) -> None:
        log(f"시작: {self.inbound}")
        self.waiting = self.engine()
        stale = True  # the export and the report may lag behind the gradebook (a restart, a grading since)
        idle_since = time.monotonic()
        while not stop.is_set():
            try:
                handled = self.turn()
            except Exception as error:
                log(f"오류 {type(error).__name__}: {error}")
                handled = 0
            if handled:
                stale, idle_since = True, time.monotonic()
                continue
            # written once the queue has been quiet a while, so that a learner's next attempt does not wait for them
            if stale and time.monotonic() - idle_since > SUMMARIES_AFTER_IDLE_SECONDS:
                self.write_summaries()
                stale = False
            stop.wait(POLL_SECONDS)


def main() -> int:
    from tornado.ioloop import IOLoop
    from traitlets.config.loader import PyFileConfigLoader
    from urllib.parse import urlparse

    from hongong.hub.place import COURSE_ID

    os.umask(0o007)  # what it writes in the course is the instructors' group's (setgid folders) and nobody else's
    course = course_dir()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    course_id = config.CourseDirectory.get("course_id", COURSE_ID)
    grader = Grader(course, exchange_dir(), course_id)
    stop = threading.Event()
    worker = threading.Thread(target=grader.run_forever, args=(stop,), daemon=True)
    worker.start()
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:8003"))
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/grader/")
    from hongong.hub.web import application

    application(grader, prefix).listen(url.port, url.hostname)
    log(f"HTTP {url.hostname}:{url.port}{prefix}")

    def stopping(number, frame):
        stop.set()
        grader.stop()
        IOLoop.current().add_callback_from_signal(IOLoop.current().stop)

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    try:
        IOLoop.current().start()
    finally:
        stop.set()
        grader.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
