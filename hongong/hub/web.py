"""The grading service's HTTP side, behind the hub at ``/services/grader/``: a learner's own attempts, held-back hints,
and the queue for instructors.

Who runs it: the grading service (:mod:`hongong.hub.service`), in its own process, authenticated through JupyterHub
(``HubOAuthenticated``: a token in ``Authorization`` or the hub's login cookie). A learner's token is answered only
about that learner; ``?student=`` and the queue are for the hub's admins (the instructors).
"""

from __future__ import annotations

import os

import jinja2

from hongong.grading.attempts import REFUSAL_KO, history_of
from hongong.grading.hints import record_hint_given
from hongong.grading.status import REASON_KO, STATUS_KO


PAGES = jinja2.Environment(loader=jinja2.PackageLoader("hongong.hub", "templates"), autoescape=True)


def attempt_row(assignment: str, entry: dict) -> tuple:
    """One row of the learner's record page: what each column shows, as text (the template escapes it)."""
    state = {"accepted": "채점 중", "refused": "받지 않음", "ignored": "받지 않음", "failed": "채점 서비스 오류"}.get(
        entry["state"], STATUS_KO.get(entry.get("status", ""), entry["state"]))
    why = REFUSAL_KO.get(entry.get("reason", ""), REASON_KO.get(entry.get("reason", ""), ""))
    if entry.get("restore"):  # the best attempt going back into the gradebook, or it could not
        why = ("가장 좋은 시도를 성적부에 되돌리는 중" if entry["restore"] == "pending"
               else "가장 좋은 시도를 성적부에 되돌리지 못했습니다(강사가 보는 기록에 남음)")
    score = "" if entry.get("score") is None else f"{entry['score']:g}"
    attempt = "-" if entry["state"] == "failed" else entry.get("attempt", "")  # not counted: its number is reused
    return (assignment, attempt, entry["submitted"][:19].replace("T", " "), state, score,
            "예" if entry.get("counted") else "", why)


def application(grader, prefix: str):
    """The tornado application for :class:`hongong.hub.service.Grader` ``grader`` under ``prefix``."""
    from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
    from tornado import web

    class Base(HubOAuthenticated, web.RequestHandler):
        def check_xsrf_cookie(self):
            pass  # GET only

        def student(self) -> str:
            user = self.current_user
            asked = self.get_argument("student", user["name"])
            if asked != user["name"] and not user.get("admin"):
                raise web.HTTPError(403, "다른 학습자의 기록은 볼 수 없습니다.")
            return asked

    class Attempts(Base):
        @web.authenticated
        def get(self):
            student = self.student()
            mine = {assignment: [{k: v for k, v in e.items() if k not in ("id", "problems")} for e in learners[student]]
                    for assignment, learners in grader.attempts().items() if student in learners}
            self.finish({"student": student, "attempts": mine})

    class Queue(Base):
        @web.authenticated
        def get(self):
            if not self.current_user.get("admin"):
                raise web.HTTPError(403, "강사만 볼 수 있습니다.")
            record = [(a, s, e) for a, learners in grader.attempts().items() for s, history in learners.items()
                      for e in history]
            waiting = [{"assignment": a, "student": s, "submitted": e["submitted"]} for a, s, e in record
                       if e["state"] == "accepted"]
            grading = [{"assignment": job.assignment, "student": job.student} for job in list(grader.slots.running)]
            problems = [{"assignment": a, "student": s, "id": e["id"], "problem": e.get("reason") or "restore-failed"}
                        for a, s, e in record if e["state"] == "failed" or e.get("restore") == "failed"]
            self.finish({"waiting": waiting, "grading": grading, "problems": problems})

    class Hint(Base):
        """A hint held back from the release (``c.CourseRules.hints_unlock_after``): given once the caller has that
        many graded attempts at the assignment. JSON ``{"hint": …}``, or 403 ``{"message": …}`` in Korean."""

        def write_error(self, status_code, **kwargs):
            reason = getattr(kwargs.get("exc_info", (None, None))[1], "log_message", None) or self._reason
            self.finish({"message": reason})

        @web.authenticated
        def get(self, assignment, grade_id, level):
            from hongong.exercise.items import read_items

            student = self.current_user["name"]
            source = grader.course / "solutions" / assignment / "items.toml"
            if assignment not in grader.known_assignments() or not source.is_file():
                raise web.HTTPError(404, "이 과제에는 힌트가 없습니다.")
            item = read_items(source).get(grade_id)
            level = int(level)
            if item is None or not 1 <= level <= len(item.hints):
                raise web.HTTPError(404, "그런 힌트가 없습니다.")
            history, rules = history_of(grader.attempts(), assignment, student), grader.rules
            if level > 1 and not rules.hints_open(history):  # graded attempts only: a waiting one opens nothing
                raise web.HTTPError(403, f"{level}번째 힌트는 채점을 {rules.hints_unlock_after}번 받은 뒤에 열립니다"
                                         f"(지금까지 {rules.graded_count(history)}번). "
                                         "먼저 제출해 보고, 피드백을 읽은 다음 다시 요청하세요.")
            with grader.lock:  # the service's record binds the hint's cost (hongong.grading.hints)
                record_hint_given(grader.course, assignment, student, grade_id, level)
            self.finish({"hint": item.hints[level - 1]})

    class Page(Base):
        @web.authenticated
        def get(self):
            student = self.student()
            rows, waiting = [], False
            for assignment, learners in sorted(grader.attempts().items()):
                for entry in learners.get(student, []):
                    waiting |= entry["state"] == "accepted"
                    rows.append(attempt_row(assignment, entry))
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
            refresh = self.get_argument("refresh", "") == "on"  # the learner's choice, never by itself (WCAG 2.2.1)
            self.finish(PAGES.get_template("attempts.html.j2").render(student=student, rows=rows, waiting=waiting,
                                                                      refresh=refresh))

    return web.Application([
        (prefix, Page),
        (prefix + "api/attempts", Attempts),
        (prefix + "api/queue", Queue),
        (prefix + r"api/hints/([^/]+)/([^/]+)/([0-9]+)", Hint),
        (prefix + "oauth_callback", HubOAuthCallbackHandler),
    ], cookie_secret=os.urandom(32))
