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
from hongong.grading.hints import HintRule
from hongong.grading.status import VERDICT_KO

NO_CHECK = {"passed": False, "verdict": "ungradable",
            "message": "채점 기준에 이 항목이 없어 점수를 줄 수 없습니다(강사에게 알려 주세요)."}


class RecordVerdicts(NbGraderPreprocessor):
    """After nbgrader's ``SaveAutoGrades``: every autograded cell's score becomes the checker's verdict.

    ``SaveAutoGrades`` scored each test cell by how it ran in the learner's kernel; that result is kept
    only to flag items the kernel passed and the checker failed (``kernel_pass_checker_fail`` in the
    status file, the export and the report). A passed item loses ``HintRule.points_per_hint`` per hint the
    submission used on it (:mod:`hongong.grading.hints`; 0 by default). The verdict is also added to the cell as
    an output, so the feedback says which items passed and, in Korean, what was wrong (never the hidden check
    itself). Every item's verdict word, score and hints go to :data:`METRICS` (``items``) for the status file.
    """

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        names = resources["nbgrader"]
        key = (names["student"], names["assignment"], names["notebook"])
        verdicts = resources.get("checker_verdicts", {})
        hints = METRICS.get(key, {}).get("hints", {})
        rule = HintRule(parent=self)
        flagged, items = [], {}
        with Gradebook(names["db_url"]) as gradebook:
            answer_cell = None
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                if meta.get("solution") and cell.cell_type == "code":
                    answer_cell = cell
                if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                    continue
                grade = gradebook.find_grade(meta["grade_id"], names["notebook"], names["assignment"], names["student"])
                verdict = crashed_answer_cell(verdicts.get(meta["grade_id"]) or NO_CHECK, answer_cell)
                if grade.auto_score is not None and grade.auto_score >= grade.max_score and not verdict["passed"]:
                    flagged.append(meta["grade_id"])
                used = hints.get(meta["grade_id"], 0)
                grade.auto_score = rule.score(grade.max_score, used) if verdict["passed"] else 0.0
                grade.needs_manual_grade = grade.manual_score is not None
                cell.outputs.append(verdict_output(verdict, grade.auto_score, grade.max_score, used, rule))
                items[meta["grade_id"]] = {"verdict": verdict["verdict"], "score": grade.auto_score,
                                           "points": grade.max_score, "hints": used, "message": verdict["message"]}
            gradebook.db.commit()
        METRICS.setdefault(key, {}).update(kernel_pass_checker_fail=flagged, items=items)
        return nb, resources


def crashed_answer_cell(verdict: dict, answer_cell) -> dict:
    """A "not attempted" verdict whose answer cell ended in an error other than the stub's was attempted: wrong.

    The checker sees only that the name is missing; the executed notebook shows why (the nearest answer cell above
    the test cell). Either way the item earns 0: this only picks the truer word.
    """
    if verdict.get("verdict") != "not_attempted" or answer_cell is None:
        return verdict
    errors = [str(o.get("ename", "")).encode("utf-8", "backslashreplace").decode("utf-8")
              for o in answer_cell.get("outputs", []) if o.get("output_type") == "error"]
    if errors and errors[-1] == "CellTimeoutError":  # nbclient's: the cell ran past the course's limit per cell
        return {**verdict, "verdict": "wrong",
                "message": "답 셀이 셀당 실행 시간 제한을 넘어 중단되어 답이 만들어지지 않았습니다. 끝나지 않는 반복문이 "
                           "없는지, 훈련이 너무 길지 않은지 확인해 셀을 고친 다음 다시 제출하세요."}
    if errors and errors[-1] != "NotImplementedError":
        return {**verdict, "verdict": "wrong",
                "message": f"답 셀이 오류({str(errors[-1])[:60]})로 끝나 답이 만들어지지 않았습니다. 오류를 고친 다음 그 셀을 다시 실행하세요."}
    return verdict


def verdict_output(verdict: dict, score: float, points: float, hints: int = 0, rule: HintRule | None = None):
    """The checker's verdict as a cell output (plain text and HTML), for the autograded notebook and the feedback."""
    word = VERDICT_KO[verdict.get("verdict", "passed" if verdict["passed"] else "wrong")]
    detail = "" if verdict["passed"] else f" - {verdict['message']}"
    if verdict["passed"] and hints and rule is not None and rule.points_per_hint:
        detail = f" - 힌트 {hints}개를 보아 {rule.points_per_hint * hints:g}점이 깎였습니다."
    text = f"채점기: {word} ({score:g}/{points:g}점){detail}"
    colour = "#1a7f37" if verdict["passed"] else "#cf222e"
    return nbformat.v4.new_output("display_data", data={
        "text/plain": text,
        "text/html": f"<div class='hongong-verdict' style='border-left:4px solid {colour};padding:2px 8px'>"
                     f"<b>채점기: {word}</b> ({score:g}/{points:g}점){html.escape(detail)}</div>"})
