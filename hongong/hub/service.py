"""The grading service: each submission in nbgrader's exchange graded as it arrives, its feedback released to its author.

Who runs it: JupyterHub (a managed service, as root, started and stopped with the hub). The course's trusted process:
it reads the exchange's ``inbound/`` (learners write, cannot list), writes the course, releases feedback.

Each turn (every ``POLL_SECONDS``):

1. intake (:mod:`hongong.hub.intake`): each account's oldest new folder in ``inbound/`` is taken up; the rules decide;
   a refused one gets a page that says why; an accepted one is recorded ``accepted`` *before* grading (a service
   stopped now grades it on restart);
2. grading (:mod:`hongong.hub.slots`): every learner with an accepted attempt and no grading in progress gets a slot
   if one is free, the learner who has waited longest first; the attempt's copy goes into ``submitted/<learner>/
   <assignment>/`` (under the course's lock) and the same command as ``make grade`` grades that one learner
   (precheck, sandbox, trusted checker, gradebook, feedback). So a learner holds at most one slot, a slow notebook
   costs its own slot, and each page goes out when its own grading ends (:mod:`hongong.hub.pages`);
3. with ``counts = "best"``, if the new attempt is not the best, the best one is graded again into the gradebook
   (``restore`` on its entry until that is done);
4. a grading command that fails or outlives its deadline is tried again after ``retry_seconds``, at most
   ``TRIES`` times; then the attempt is ``failed`` (not counted against the learner), its page says so, the log and
   the report tell the instructor;
5. once the queue has been quiet for ``SUMMARIES_AFTER_IDLE_SECONDS``, ``grades/*.csv`` and the report are written again.

The course's rules are read again whenever ``nbgrader_config.py`` changes. HTTP: :mod:`hongong.hub.web`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from traitlets import Integer
from traitlets.config import Configurable

from hongong.grading.attempts import CourseRules, RulesFile, history_of, read_attempts, write_attempts
from hongong.hub.inbound import close_to_others, copy_regular_files
from hongong.hub.intake import arrived, take_up
from hongong.hub.pages import kept, release_fault, release_graded
from hongong.hub.place import course_dir, exchange_dir
from hongong.hub.slots import Job, Slots

POLL_SECONDS, SUMMARIES_AFTER_IDLE_SECONDS = 1.0, 30
RECORDED_UNUSED = 50  # refused or ignored folders recorded per account; past that only counted in the log
TRIES = 3  # a grading command that fails: tried again after c.GradingService.retry_seconds, this many times in all


class GradingService(Configurable):
    """``c.GradingService.slots`` in nbgrader_config.py (read when the service starts)."""

    slots = Integer(0, min=0, help="Learners graded at once, each in a grading command of its own (each notebook "
                    "within its own CPU quota, c.ExecuteInScratch.cpus); 0: one per core, at least 2.").tag(config=True)

    retry_seconds = Integer(30, min=1, help="Seconds before a grading command that failed is tried again (three tries "
                            "in all; then the attempt is given up as failed, not counted against the learner)."
                            ).tag(config=True)

    def count(self) -> int:
        return self.slots or max(2, os.cpu_count() or 1)


def log(message: str) -> None:
    message = "".join(c if c.isprintable() or c == "\n" else f"\\x{ord(c):02x}" for c in message)  # no terminal escape
    print(f"[grader {datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def job_deadline(course: Path) -> float:
    """Seconds a grading command may take: the notebook's and the checker's limits, and start-up and recording."""
    from traitlets.config.loader import PyFileConfigLoader

    from hongong.grading.execute import ExecuteInScratch

    limits = ExecuteInScratch(config=PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config())
    return limits.notebook_timeout + limits.checker_timeout + 300


class Grader:
    log = staticmethod(log)

    def __init__(self, course: Path, exchange: Path, course_id: str, slots: int = 2, retry_seconds: int = 30):
        self.course, self.exchange, self.course_id, self.rules_file = course, exchange, course_id, RulesFile(course)
        self.inbound = exchange / course_id / "inbound"
        self.released = exchange / course_id / "feedback"
        self.lock = threading.Lock()  # the record: written by the grading thread, read by the web handlers
        self.slots = Slots(course, slots, job_deadline(course))
        self.retry_seconds = retry_seconds
        self.unrecorded: set[str] = set()  # folders past RECORDED_UNUSED: taken up, not in the record
        self.started = datetime.now(timezone.utc)  # folders older than this were made while it was not running

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

    def update_unused(self, assignment: str, uploader: str, entry: dict) -> None:
        """Record a folder that is not graded (refused, ignored), up to :data:`RECORDED_UNUSED` per account: past that
        (an account planting folders by the thousand), only the service remembers it, until it restarts, and the log
        says how many; so the record, read by every turn and request, stays small."""
        with self.lock:
            record = read_attempts(self.course)
            unused = sum(e["state"] in ("refused", "ignored") for learners in record.values()
                         for e in learners.get(uploader, []))
        if unused < RECORDED_UNUSED:
            self.update(assignment, uploader, entry)
            return
        self.unrecorded.add(entry["id"])
        if len(self.unrecorded) % 100 == 1:
            log(f"{uploader}: 이 계정에서 채점하지 않은 폴더가 {RECORDED_UNUSED}개를 넘어 기록에 더 적지 않습니다 "
                f"(이번 실행에서 적지 않은 폴더는 모든 계정을 합쳐 {len(self.unrecorded)}개)")

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

    def known_assignments(self) -> set[str]:
        """The assignments released on the hub (the exchange's outbound/), not all of the course's exercises/."""
        outbound = self.exchange / self.course_id / "outbound"
        return {p.name for p in outbound.iterdir() if p.is_dir()} if outbound.is_dir() else set()

    # -- a turn -------------------------------------------------------------------------------------------------
    def turn(self) -> int:
        """Take up what arrived, start what may start, finish what ended; the number of things done."""
        done = 0
        for submission in arrived(self):
            try:
                take_up(self, submission)
            except Exception as error:  # one odd folder must not stop the queue
                log(f"{submission.shown}: 받는 중 오류 {type(error).__name__}: {error}")
                self.update_unused(submission.assignment or "?", submission.uploader(),
                                   {"id": submission.id, "submitted": submission.time.isoformat(), "state": "ignored",
                             "reason": f"error: {type(error).__name__}"})
            close_to_others(submission.folder)  # recorded (its time too): nobody but its author reads it any more
            done += 1
        for job in self.slots.finished():
            try:
                self.finish(job)
            except Exception as error:
                log(f"{job.student} {job.assignment}: 마무리 중 오류 {type(error).__name__}: {error}")
            done += 1
        for job in self.next_jobs():
            from hongong.grading.classroom import course_lock

            try:  # what is in submitted/ is this attempt, never half-copied for a grading that reads it now
                with course_lock(self.course, log, wait=False):
                    copy_regular_files(kept(self, job.assignment, job.student, job.entry),
                                       self.course / "submitted" / job.student / job.assignment)
            except BlockingIOError:  # someone is recording: the next turn (the intake does not wait for them)
                break
            log(f"{job.assignment} {job.student}: 채점 시작" + (" (가장 좋은 시도를 성적부에 되돌림)" if job.restore else ""))
            self.slots.start(job)
            done += 1
        self.slots.warm()
        return done

    def next_jobs(self) -> list[Job]:
        """For each free slot, the learner who has waited longest (restores before new attempts), one per learner."""
        now, candidates = time.time(), []
        for assignment, learners in self.attempts().items():
            for student, history in learners.items():
                for entry in history:
                    restore = entry.get("restore") == "pending"
                    if (entry["state"] == "accepted" or restore) and entry.get("retry_at", 0) <= now:
                        candidates.append((not restore, entry["submitted"], student, assignment, entry, restore))
        jobs, chosen = [], set()
        for _, _, student, assignment, entry, restore in sorted(candidates, key=lambda c: c[:3]):
            if len(jobs) < self.slots.free() and student not in chosen and not self.slots.busy(student):
                chosen.add(student)
                jobs.append(Job(assignment, student, entry, restore=restore))
        return jobs

    def finish(self, job: Job) -> None:
        """After a grading command: the record, the released page, and the best attempt back in the gradebook if it
        must be; a command that failed is tried again, or the attempt is given up as ``failed``."""
        from hongong.grading.status import read_status

        seconds = time.monotonic() - job.started
        log(f"{job.assignment} {job.student}: 채점 끝 {job.code} ({seconds:.1f} s)")  # the exit code (tests read it)
        entry = {e["id"]: e for e in history_of(self.attempts(), job.assignment, job.student)}[job.entry["id"]]
        if job.code != 0:
            self.failed(job, entry)
            return
        status = read_status(self.course).get(job.assignment, {}).get(job.student, {})
        if job.restore:
            self.update(job.assignment, job.student,
                        {k: v for k, v in entry.items() if k not in ("restore", "tries", "retry_at")})
            self.mark_counted(job.assignment, job.student, entry["id"])
            return
        entry = {k: v for k, v in entry.items() if k not in ("tries", "retry_at")}
        entry |= {"state": "graded", "status": status.get("status", "failed"), "score": self.score(job, status)}
        if "reason" in status:
            entry["status_reason"] = status["reason"]
        release_graded(self, job.assignment, job.student, entry)  # the page first: "graded" means Fetch Feedback has it
        self.update(job.assignment, job.student, entry)
        history = history_of(self.attempts(), job.assignment, job.student)
        counted = self.rules.counted(history, self.due(job.assignment))
        if counted is not None and counted["id"] != entry["id"] and self.rules.counts == "best":
            log(f"{job.student} {job.assignment}: 가장 좋은 시도({counted['attempt']}번째)를 성적부에 되돌립니다")
            self.update(job.assignment, job.student, counted | {"restore": "pending"})  # the next job for this learner
            self.mark_counted(job.assignment, job.student, None)  # until it is back: the gradebook has this attempt
            return
        self.mark_counted(job.assignment, job.student, counted["id"] if counted else None)

    def failed(self, job: Job, entry: dict) -> None:
        why = ("채점 서비스가 제한 시간 안에 채점을 끝내지 못했습니다" if job.code is None
               else "채점 서비스가 채점을 끝내지 못했습니다")  # the learner's page; the log has the command's own words
        log(f"{job.assignment} {job.student}: 채점 명령이 " + ("제한 시간에 멈췄습니다" if job.code is None
            else f"실패했습니다(종료 코드 {job.code})") + f"\n{job.output}")
        tries = entry.get("tries", 0) + 1
        if tries < TRIES:
            self.update(job.assignment, job.student, entry | {"tries": tries, "retry_at": time.time() + self.retry_seconds})
            return
        log(f"{job.assignment} {job.student}: {TRIES}번 모두 실패해 그만둡니다 (강사 확인 필요)")
        if job.restore:  # the gradebook keeps the attempt graded last; the report says the best one is not in it
            self.update(job.assignment, job.student,
                        {k: v for k, v in entry.items() if k not in ("tries", "retry_at")} | {"restore": "failed"})
            return
        reason = "grading-timeout" if job.code is None else "grading-command-failed"
        entry = {k: v for k, v in entry.items() if k not in ("tries", "retry_at")} | {"state": "failed", "reason": reason}
        history = [entry if e["id"] == entry["id"] else e for e in history_of(self.attempts(), job.assignment, job.student)]
        release_fault(self, job.assignment, job.student, history, entry, why)  # the page before the record says so
        self.update(job.assignment, job.student, entry)

    def mark_counted(self, assignment: str, student: str, counted: str | None) -> None:
        with self.lock:
            record = read_attempts(self.course)
            for entry in record.get(assignment, {}).get(student, []):
                entry["counted"] = entry["id"] == counted
            write_attempts(self.course, record)

    def score(self, job: Job, status: dict) -> float | None:
        if status.get("status") not in ("graded", "late"):
            return None
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.course / 'gradebook.db'}") as gradebook:
            return float(gradebook.find_submission(job.assignment, job.student).score)

    def write_summaries(self) -> None:
        """grades/*.csv and the report, as ``make grade`` ends (under the same lock)."""
        done = subprocess.run([sys.executable, "-m", "hongong.grading", "summaries"], cwd=self.course,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            log(f"성적 파일과 보고서를 쓰지 못했습니다: {done.stderr[-1000:]}")

    def run_forever(self, stop: threading.Event) -> None:
        log(f"시작: {self.inbound}, 채점 슬롯 {self.slots.count}개")
        self.slots.warm()
        stale = True  # the export and the report may lag behind the gradebook (a restart, a grading since)
        idle_since = time.monotonic()
        while not stop.is_set():
            try:
                handled = self.turn()
            except Exception as error:
                log(f"오류 {type(error).__name__}: {error}")
                handled = 0
            if handled or self.slots.running:
                stale, idle_since = True, time.monotonic()
            # written once the queue has been quiet a while, so that a learner's next attempt does not wait for them
            elif stale and time.monotonic() - idle_since > SUMMARIES_AFTER_IDLE_SECONDS:
                try:
                    self.write_summaries()
                except subprocess.TimeoutExpired:
                    log("성적 파일과 보고서를 쓰는 명령이 10분 안에 끝나지 않았습니다")
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
    settings = GradingService(config=config)
    grader = Grader(course, exchange_dir(), course_id, settings.count(), settings.retry_seconds)
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
        grader.slots.stop()
        IOLoop.current().add_callback_from_signal(IOLoop.current().stop)

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    try:
        IOLoop.current().start()
    finally:
        stop.set()
        grader.slots.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
