"""Attempts at an assignment on the class's hub, and the course's rules for them.

Who runs it: the grading service (:mod:`hongong.hub.service`, the instructor's trusted process) decides with
:class:`CourseRules` whether a submission is graded, and writes :data:`ATTEMPTS_FILE`; the feedback
(:mod:`hongong.grading.feedback_items`) and the export (:mod:`hongong.grading.export`) read it. ``make grade`` does not
change it: a batch re-grade grades what is in ``submitted/`` (the attempt that counts) and leaves the record as it is.

The rules, in ``nbgrader_config.py`` (defaults: unlimited attempts, no waiting, the last attempt counts, hints free,
late submissions graded and marked late)::

    c.CourseRules.max_attempts = 3            # graded attempts per assignment; 0: unlimited
    c.CourseRules.min_seconds_between = 600   # after a graded attempt, the next one is refused for this long
    c.CourseRules.counts = "best"             # "last" or "best" (the best graded before the due date)
    c.CourseRules.hints_unlock_after = 1      # hints past the first need this many graded attempts
    c.CourseRules.late = "refuse"             # "mark" (graded, late) or "refuse" (after the due date)

The record (``grades/attempts.json``, one writer: the service) has, per assignment and learner, every submission that
reached the service, in order: ``id`` (the exchange's folder name), ``submitted`` (its time by the service's clock, UTC
ISO), ``state`` (``accepted``: kept, to be graded; ``graded``; ``refused`` by a rule; ``ignored``: not a learner's own
submission; ``failed``: accepted, but the service's grading command failed, so it is not counted as an attempt),
``attempt`` (its number among the accepted ones: every graded attempt counts, one whose notebook could not be executed
too), ``status``/``score`` once graded (the status of :mod:`hongong.grading.status`; a score only for graded and late),
``reason`` when refused or failed, ``counted`` on the one whose grade is in the gradebook, ``restore`` (``pending`` or
``failed``) on a best attempt being graded again into the gradebook, ``tries``/``retry_at`` while a failed grading
command waits to be tried again.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from traitlets import Enum, Integer
from traitlets.config import Configurable

ATTEMPTS_FILE = "grades/attempts.json"
TAKEN = ("accepted", "graded")  # attempts that count against max_attempts
WAITING_PER_LEARNER = 2  # attempts accepted and not graded yet, per learner (all assignments); more are refused
REFUSAL_KO = {
    "attempts": "채점받을 수 있는 시도를 모두 썼습니다",
    "too-soon": "앞 시도를 제출한 뒤 기다려야 하는 시간이 아직 지나지 않았습니다",
    "late": "마감이 지났습니다",
    "too-many-waiting": f"채점이 끝나지 않은 시도(채점 중인 것 포함, 모든 과제 합계)가 이미 {WAITING_PER_LEARNER}개 있습니다. "
                        "앞 시도의 피드백을 받은 뒤에 다시 제출하세요",
}


class RulesFile:
    """The course's rules as ``nbgrader_config.py`` says them now: read again whenever the file changes, so a rule the
    instructor edits applies to the service's next decision without a restart. A file that cannot be read keeps the
    rules read last, and says why (``problem``)."""

    def __init__(self, course: Path):
        self.path, self.seen, self.rules, self.problem = Path(course) / "nbgrader_config.py", None, CourseRules(), None

    def current(self) -> "CourseRules":
        from traitlets.config.loader import PyFileConfigLoader

        status = self.path.stat()
        if (status.st_mtime_ns, status.st_size) != self.seen:
            self.seen = (status.st_mtime_ns, status.st_size)
            try:
                self.rules = CourseRules(config=PyFileConfigLoader(self.path.name, path=str(self.path.parent)).load_config())
                self.problem = None
            except Exception as error:  # the instructor's file, mid-edit or broken: the rules stay as they were
                self.problem = f"{self.path}: {type(error).__name__}: {error}"
                print(f"규칙을 읽지 못해 앞서 읽은 규칙을 씁니다: {self.problem}", file=sys.stderr, flush=True)
        return self.rules


class CourseRules(Configurable):
    max_attempts = Integer(0, help="Graded attempts per assignment and learner; 0: unlimited.").tag(config=True)
    min_seconds_between = Integer(0, help="Seconds a learner waits after a graded attempt before the next is graded."
                                  ).tag(config=True)
    counts = Enum(["last", "best"], "last", help="Which graded attempt is the grade: the last, or the best before the "
                  "due date.").tag(config=True)
    hints_unlock_after = Integer(0, help="Graded attempts needed before hints past the first are given; 0: all at once."
                                 ).tag(config=True)
    late = Enum(["mark", "refuse"], "mark", help="After the due date: grade and mark late, or refuse.").tag(config=True)

    def decide(self, history: list[dict], submitted: datetime, due: datetime | None) -> str | None:
        """None to grade this submission, or the reason (a key of :data:`REFUSAL_KO`) it is refused."""
        graded = [entry for entry in history if entry["state"] in TAKEN]
        if self.late == "refuse" and due is not None and submitted > due:
            return "late"
        if self.max_attempts and len(graded) >= self.max_attempts:
            return "attempts"
        if self.min_seconds_between and graded:
            last = max(parse_time(entry["submitted"]) for entry in graded)
            if submitted < last + timedelta(seconds=self.min_seconds_between):
                return "too-soon"
        return None

    def attempts_left(self, history: list[dict]) -> int | None:
        """Graded attempts still allowed (None: unlimited)."""
        if not self.max_attempts:
            return None
        return max(self.max_attempts - sum(entry["state"] in TAKEN for entry in history), 0)

    def counted(self, history: list[dict], due: datetime | None) -> dict | None:
        """The graded attempt whose grade counts."""
        graded = [entry for entry in history if entry["state"] == "graded" and entry.get("score") is not None]
        if not graded:
            return None
        if self.counts == "best":
            on_time = [entry for entry in graded if due is None or parse_time(entry["submitted"]) <= due] or graded
            return max(on_time, key=lambda entry: (entry["score"], entry["attempt"]))
        return graded[-1]

    def graded_count(self, history: list[dict], this: dict | None = None) -> int:
        """Graded attempts in ``history``; ``this``, the attempt whose feedback is being written, counts as graded
        (its page is read once it is). An attempt merely accepted (waiting, or being graded) does not count."""
        return sum(e["state"] == "graded" or (this is not None and e.get("id") == this.get("id") and e["state"] in TAKEN)
                   for e in history)

    def hints_open(self, history: list[dict], this: dict | None = None) -> bool:
        """Hints past the first: open once ``hints_unlock_after`` attempts are graded."""
        return self.graded_count(history, this) >= self.hints_unlock_after

    def sentence(self, history: list[dict], entry: dict | None = None) -> str:
        """What the learner reads about attempts in the feedback, in Korean."""
        parts = []
        if entry is not None and entry.get("state") in TAKEN:
            parts.append(f"이번 제출은 {entry['attempt']}번째로 채점한 시도입니다.")
        left = self.attempts_left(history)
        parts.append("채점받을 수 있는 시도 수에는 제한이 없습니다." if left is None
                     else f"채점받을 수 있는 시도가 {left}번 남았습니다(모두 {self.max_attempts}번)." if left
                     else f"채점받을 수 있는 시도 {self.max_attempts}번을 모두 썼습니다.")
        if self.min_seconds_between:
            parts.append(f"다음 시도는 앞 시도를 제출하고 {format_wait(self.min_seconds_between)} 뒤부터 채점합니다.")
        parts.append("성적에는 마감 전의 가장 좋은 시도가 들어갑니다." if self.counts == "best"
                     else "성적에는 마지막으로 채점한 시도가 들어갑니다.")
        if self.hints_unlock_after:
            parts.append("두 번째 힌트부터 열려 있습니다." if self.hints_open(history, entry)
                         else f"두 번째 힌트부터는 {self.hints_unlock_after}번 채점받은 뒤에 열립니다.")
        return " ".join(parts)


def format_wait(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}초"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}분" + (f" {rest}초" if rest else "")


def parse_time(text: str) -> datetime:
    """A time as nbgrader writes it (``2026-12-07 12:15:00.123456 UTC``) or ISO; aware, UTC."""
    text = text.strip().replace(" UTC", "+00:00")
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def read_attempts(course: Path) -> dict:
    path = course / ATTEMPTS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_attempts(course: Path, attempts: dict) -> None:
    path = course / ATTEMPTS_FILE
    path.parent.mkdir(exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(attempts, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    temporary.replace(path)  # atomic: a service stopped mid-write leaves the previous record or the new one


def history_of(attempts: dict, assignment: str, student: str) -> list[dict]:
    return attempts.get(assignment, {}).get(student, [])
