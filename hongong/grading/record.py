"""The record stage: the trusted checker's verdicts become the gradebook's scores.

Who runs it: ``nbgrader autograde`` in the instructor's process, as one of ``Autograde.autograde_preprocessors``
right after nbgrader's ``SaveAutoGrades`` (see ``nbgrader_config.py``).
The verdicts arrive in ``resources["checker_verdicts"]`` from :class:`hongong.grading.execute.ExecuteInScratch`.
"""

from __future__ import annotations

import html

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from hongong.grading.execute import METRICS


class RecordVerdicts(NbGraderPreprocessor):
    """After nbgrader's ``SaveAutoGrades``: every autograded cell's score becomes the checker's verdict.

    ``SaveAutoGrades`` scored each test cell by how it ran in the learner's kernel; that result is kept
    only to flag items the kernel passed and the checker failed (``kernel_pass_checker_fail`` in the
    status file, the export and the report). The verdict is also added to the cell as an output, so the
    feedback says which items passed and, in Korean, what was wrong (never the hidden check itself).
    """

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        names = resources["nbgrader"]
        verdicts = resources.get("checker_verdicts", {})
        flagged = []
        with Gradebook(names["db_url"]) as gradebook:
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                if cell.cell_type != "code" or not meta.get("grade"):
                    continue
                grade = gradebook.find_grade(meta["grade_id"], names["notebook"], names["assignment"], names["student"])
                verdict = verdicts.get(meta["grade_id"]) or {
                    "passed": False, "message": "채점 기준에 이 항목이 없어 점수를 줄 수 없습니다(강사에게 알려 주세요)."}
                if grade.auto_score is not None and grade.auto_score >= grade.max_score and not verdict["passed"]:
                    flagged.append(meta["grade_id"])
                grade.auto_score = float(grade.max_score) if verdict["passed"] else 0.0
                grade.needs_manual_grade = grade.manual_score is not None
                cell.outputs.append(verdict_output(verdict, grade.auto_score, grade.max_score))
            gradebook.db.commit()
        key = (names["student"], names["assignment"], names["notebook"])
        METRICS.setdefault(key, {})["kernel_pass_checker_fail"] = flagged
        return nb, resources


def verdict_output(verdict: dict, score: float, points: float):
    """The checker's verdict as a cell output (plain text and HTML), for the autograded notebook and the feedback."""
    mark = "통과" if verdict["passed"] else "실패"
    text = f"채점기: {mark} ({score:g}/{points:g}점)" + ("" if verdict["passed"] else f" - {verdict['message']}")
    colour = "#1a7f37" if verdict["passed"] else "#cf222e"
    return nbformat.v4.new_output("display_data", data={
        "text/plain": text,
        "text/html": f"<div class='hongong-verdict' style='border-left:4px solid {colour};padding:2px 8px'>"
                     f"<b>채점기: {mark}</b> ({score:g}/{points:g}점)"
                     + ("" if verdict["passed"] else f" - {html.escape(verdict['message'])}") + "</div>"})
