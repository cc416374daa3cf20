"""The export stage: grades as CSV files that tell *missing*, *failed* and a real 0 apart.

Who runs it: ``nbgrader export`` in the instructor's process (``c.ExportApp.plugin_class`` in
``nbgrader_config.py``); :func:`hongong.grading.classroom.grade` runs it after every class grading.
"""

from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.plugins import ExportPlugin

from hongong.grading.gradebook import run_nbgrader
from hongong.grading.status import read_status


class GradesExport(ExportPlugin):
    """``nbgrader export`` that tells *missing*, *failed* and a real 0 apart, with three columns per item.

    Writes ``grades/<assignment>.csv`` (one row per learner), ``grades/grades.csv`` (one row per
    learner, every assignment) and ``grades/items.csv`` (each grade id's title, points and book section). ``score`` is empty unless the submission was graded. Per item (grade id ``g``):
    ``g`` the points earned, ``g:verdict`` one of passed, wrong, not_attempted, ungradable (the submission could not
    be graded), manual (graded by hand), empty for a missing submission; ``g:hints`` the hints the learner used on it
    (as recorded in the submitted notebook: a courtesy record, see :mod:`hongong.grading.hints`).
    """

    def export(self, gradebook) -> None:
        course = Path(self.parent.coursedir.root) if self.parent is not None else Path.cwd()
        folder = course / (Path(self.to).parent if self.to else "grades")
        folder.mkdir(parents=True, exist_ok=True)
        status = read_status(course)
        assignments = sorted(a.name for a in gradebook.assignments if not self.assignment or a.name in self.assignment)
        students = sorted({s.id for s in gradebook.students} | {s for a in status.values() for s in a})
        overall = {student: {"student_id": student} for student in students}
        for assignment in assignments:
            rows = [self.row(gradebook, status, assignment, student) for student in students]
            questions = [g for g in self.question_ids(gradebook, assignment)]
            per_item = [f"{q}{suffix}" for q in questions for suffix in ("", ":verdict", ":hints")]
            columns = ["student_id", "status", "score", "max_score", "late_seconds", "needs_manual_grade", *per_item,
                       "kernel_pass_checker_fail", "message"]
            with open(folder / f"{assignment}.csv", "w", newline="", encoding="utf-8") as out:
                writer = csv.DictWriter(out, columns)
                writer.writeheader()
                writer.writerows(map(no_formulas, rows))
            for row in rows:
                overall[row["student_id"]] |= {f"{assignment}_status": row["status"], f"{assignment}_score": row["score"]}
            self.log.info("Exported %s (%d learners) to %s", assignment, len(rows), folder / f"{assignment}.csv")
        self.write_item_titles(folder, assignments, gradebook)
        write_attempts_table(course, folder)
        columns = ["student_id"] + [f"{a}_{c}" for a in assignments for c in ("status", "score")] + ["total"]
        for row in overall.values():
            scores = [row.get(f"{a}_score") for a in assignments]
            row["total"] = sum(s for s in scores if s != "") if any(s != "" for s in scores) else ""
        with open(folder / "grades.csv", "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, columns)
            writer.writeheader()
            writer.writerows(map(no_formulas, overall.values()))

    @staticmethod
    def question_ids(gradebook, assignment: str) -> list[str]:
        found = gradebook.find_assignment(assignment)
        return [cell.name for notebook in found.notebooks for cell in notebook.grade_cells]

    def write_item_titles(self, folder: Path, assignments: list[str], gradebook) -> None:
        """``grades/items.csv``: what each column's grade id is, as a person reads it (title, points, section)."""
        from hongong.grading.hints import source_items

        coursedir = getattr(self.parent, "coursedir", None)
        with open(folder / "items.csv", "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, ["assignment", "grade_id", "title", "points", "section"])
            writer.writeheader()
            for assignment in assignments:
                items = source_items(coursedir, assignment) if coursedir is not None else {}
                cells = [c for nb in gradebook.find_assignment(assignment).notebooks for c in nb.grade_cells]
                writer.writerows(no_formulas({
                    "assignment": assignment, "grade_id": c.name, "points": c.max_score,
                    "title": items[c.name].title if c.name in items else "",
                    "section": items[c.name].section_title if c.name in items else ""}) for c in cells)

    @staticmethod
    def manual_ids(gradebook, assignment: str) -> set[str]:
        found = gradebook.find_assignment(assignment)
        solutions = {cell.name for notebook in found.notebooks for cell in notebook.solution_cells}
        return {cell.name for notebook in found.notebooks for cell in notebook.grade_cells if cell.name in solutions}

    def row(self, gradebook, status: dict, assignment: str, student: str) -> dict:
        from nbgrader.api import MissingEntry

        entry = status.get(assignment, {}).get(student)
        row = {"student_id": student, "status": "missing", "score": "", "max_score": gradebook.find_assignment(assignment).max_score,
               "late_seconds": "", "needs_manual_grade": "", "kernel_pass_checker_fail": "", "message": ""}
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            submission = None
        if entry is None and submission is not None:  # graded by plain `nbgrader autograde`: judge from the gradebook
            unscored = [g for nb in submission.notebooks for g in nb.grades if g.auto_score is None and g.cell_type == "code"]
            entry = {"status": "failed", "reason": "autograde-failed",
                     "message": "자동 채점 점수가 없습니다."} if unscored else {"status": "graded"}
        if entry is None:
            return row
        row["status"] = entry["status"]
        row["message"] = entry.get("message", "")
        manual = self.manual_ids(gradebook, assignment)
        for question in self.question_ids(gradebook, assignment) if entry["status"] != "missing" else []:
            verdict = entry.get("items", {}).get(question, {}).get("verdict", "")
            if entry["status"] == "failed":  # not in the gradebook: not even the written answer can be graded
                verdict = "ungradable"
            elif question in manual:
                verdict = "manual"
            row[f"{question}:verdict"] = verdict
            row[f"{question}:hints"] = entry["hints"].get(question, 0) if "hints" in entry else ""  # "": never read
        if entry["status"] in ("graded", "late") and submission is not None:
            row["score"] = submission.score
            row["late_seconds"] = round(submission.total_seconds_late) or ""
            row["needs_manual_grade"] = submission.needs_manual_grade
            row["kernel_pass_checker_fail"] = " ".join(entry.get("kernel_pass_checker_fail", []))
            for notebook in submission.notebooks:
                for grade_ in notebook.grades:
                    row[grade_.name] = grade_.score if (grade_.auto_score is not None or grade_.manual_score is not None) else ""
        return row


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def no_formulas(row: dict) -> dict:
    """A CSV row a spreadsheet shows as text: a text cell that could start a formula gets a leading ``'`` (OWASP's
    advice for CSV injection). Numbers stay numbers; learner ids and messages are text."""
    return {key: f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value
            for key, value in row.items()}


ATTEMPT_COLUMNS = ["assignment", "student_id", "attempt", "submitted", "state", "status", "score", "counted", "reason"]


def write_attempts_table(course: Path, folder: Path) -> None:
    """``grades/attempts.csv``: every submission the hub's grading service took up (time, state, status, score, and
    which one counts), from ``grades/attempts.json``; not written for a course without a hub."""
    from hongong.grading.attempts import read_attempts

    record = read_attempts(course)
    if not record:
        return
    with open(folder / "attempts.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, ATTEMPT_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for assignment, learners in sorted(record.items()):
            for student, history in sorted(learners.items()):
                writer.writerows(no_formulas({**entry, "assignment": assignment, "student_id": student,
                                              "attempt": entry.get("attempt", ""), "score": entry.get("score", ""),
                                              "counted": entry.get("counted", ""), "reason": entry.get("reason", "")})
                                 for entry in history)


def export(course: Path) -> None:
    """``nbgrader export`` (configured to :class:`GradesExport`), in the course directory."""
    run_nbgrader(course, "export")
