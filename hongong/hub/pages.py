"""The grading service's feedback pages in the exchange: each released under its own submission's secret.

Who runs it: the grading service (:mod:`hongong.hub.service`, root). The secret is always read from the service's own
copy of the submission (``attempts/<assignment>/<learner>/<folder>``, made by :mod:`hongong.hub.inbound`), never from
the learner's folder. A page that cannot go out is said in the log; the record already holds the verdict.
"""

from __future__ import annotations

from pathlib import Path

from hongong.grading.attempts import REFUSAL_KO
from hongong.hub.inbound import read_secret
from hongong.hub.place import release_feedback


def kept(grader, assignment: str, student: str, entry: dict) -> Path:
    """The service's copy of the submission ``entry``."""
    return grader.course / "attempts" / assignment / student / entry["id"]


def release_graded(grader, assignment: str, student: str, entry: dict) -> None:
    """The pages the grading command wrote in ``feedback/`` (graded, or "채점 불가" and why)."""
    folder = grader.course / "feedback" / student / assignment
    for notebook in grader.notebooks(assignment):
        try:
            page = (folder / f"{notebook}.html").read_text(encoding="utf-8")
            release_feedback(grader.released, read_secret(kept(grader, assignment, student, entry)), notebook, page)
        except (OSError, ValueError) as error:  # no page, or a secret that is not nbgrader's
            grader.log(f"{student} {assignment}: 피드백을 내보내지 못했습니다 ({error})")


def release_refusal(grader, submission, copy: Path, history: list[dict], entry: dict) -> None:
    """A page that says why the submission was not graded (a rule), from the service's ``copy`` of it."""
    release_written(grader, submission.assignment, submission.student, copy, history, entry,
                    REFUSAL_KO[entry["reason"]], fault=False)


def release_fault(grader, assignment: str, student: str, history: list[dict], entry: dict, why: str) -> None:
    """A page that says the service could not grade an accepted submission (not the learner's doing)."""
    release_written(grader, assignment, student, kept(grader, assignment, student, entry), history, entry, why,
                    fault=True)


def release_written(grader, assignment, student, copy, history, entry, reason: str, fault: bool) -> None:
    from hongong.grading.feedback_items import refusal_page

    for notebook in grader.notebooks(assignment):
        try:
            page = refusal_page(grader.course, assignment, student, notebook, reason, grader.rules, history, entry,
                                fault=fault)
        except Exception as error:  # the course's own files broken (its configuration, a template): a plain page
            grader.log(f"{student} {assignment}: 피드백 페이지를 만들지 못해 짧은 페이지를 보냅니다 ({type(error).__name__})")
            page = plain_page(assignment, student, reason, fault)
        try:
            release_feedback(grader.released, read_secret(copy), notebook, page)
        except (OSError, ValueError) as error:
            grader.log(f"{student} {assignment} {entry['id']}: 피드백을 내보내지 못했습니다 ({error})")


def plain_page(assignment: str, student: str, reason: str, fault: bool) -> str:
    """The page when the course's template cannot be used: what happened, in Korean, and nothing else."""
    from html import escape

    from hongong.grading.feedback_items import FAULT_NOTE_KO

    said = (f"<p>채점 서비스 오류: {escape(reason)}.</p><p>{escape(FAULT_NOTE_KO)}</p>" if fault
            else f"<p>제출을 받지 않았습니다: {escape(reason)}.</p>")
    return (f'<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>{escape(assignment)} 피드백</title></head>'
            f"<body><main><h1>{escape(assignment)} 피드백 · {escape(student)}</h1>{said}</main></body></html>")
