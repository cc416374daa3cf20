"""What the learner's feedback page says about each item: title, points, verdict, what to re-read, and the page itself
when a submission could not be graded at all.

Who runs it: the instructor's process. :class:`ItemsTable` is one of ``GenerateFeedback.preprocessors`` (after
nbgrader's ``GetGrades``); :func:`write_ungradable_feedback` is called by :mod:`hongong.grading.classroom` for a
submission that failed (out of memory, out of time, …), which nbgrader gives no feedback. Both feed the template
``hongong/grading/templates/feedback`` (Korean; every value escaped there).

Where each fact comes from, none of it from the submission: scores from the gradebook (``GetGrades``), verdict words
and messages from ``grades/status.json`` (written by this process from the checker's verdicts), titles, sections and
the concept of each item (its first hint) from the instructor's ``solutions/<assignment>/items.toml``, and the book's
address from the course setting ``c.ItemsTable.book_url`` (default: the local build, ``_build/html``).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Unicode

from hongong.grading.hints import HintRule, course_directory, source_items
from hongong.grading.status import REASON_KO, VERDICT_KO, read_status

TEMPLATES = Path(__file__).parent / "templates"


def points(value) -> str:
    return f"{float(value or 0):g}"


def item_rows(cells: list[dict], items: dict, entry: dict, book_url: str, anchors: bool = True) -> list[dict]:
    """One row per graded cell: ``cells`` are ``{grade_id, points, score, manual}`` in the notebook's order;
    ``anchors``: the page shows the cells, so a title can link to its cell."""
    judged = entry.get("items", {})
    failed = entry.get("status") == "failed"
    rows = []
    for cell in cells:
        item = items.get(cell["grade_id"])
        verdict = judged.get(cell["grade_id"], {})
        if failed:  # not in the gradebook at all: nothing to grade by hand either
            word, reason = "ungradable", REASON_KO.get(entry.get("reason", ""), entry.get("reason", ""))
        elif cell["manual"]:
            word, reason = "manual", "" if cell["score"] is not None else "채점 전"
        else:
            word, reason = verdict.get("verdict") or ("passed" if cell["score"] == cell["points"] else "wrong"), ""
        rows.append({
            "grade_id": cell["grade_id"], "title": item.title if item else cell["grade_id"],
            "points": points(cell["points"]), "score": "-" if cell["score"] is None else points(cell["score"]),
            "verdict": word, "verdict_ko": VERDICT_KO[word], "reason": reason,
            "message": "" if word in ("passed", "manual", "ungradable") else verdict.get("message", ""),
            "concept": item.hints[0] if item and word != "passed" else "",
            "link": item.link(book_url) if item else "", "section_title": item.section_title if item else "",
            "hints": entry.get("hints", {}).get(cell["grade_id"], 0), "anchor": anchors})
    return rows


FAULT_NOTE_KO = ("제출은 받았지만 채점 서비스가 채점하지 못했습니다. 노트북 때문이 아니므로 이 시도는 채점받은 시도 수에 들어가지 "
                 "않습니다. 이 오류는 강사가 보는 기록(허브 로그, 보고서)에 남았습니다. 잠시 뒤에 다시 제출해 보고, 같은 안내가 "
                 "또 나오거나 마감이 가까우면 강사에게 직접 알려 주세요.")


def summary(assignment: str, student: str, rows: list[dict], score, max_score, rule: HintRule, problem: str = "",
            late_penalty: float = 0, attempts: str = "", refused: str = "", fault: str = "") -> dict:
    """``resources["hongong"]`` for the template."""
    return {"assignment": assignment, "student": student, "items": rows, "by_id": {r["grade_id"]: r for r in rows},
            "score": score if score == "-" else points(score), "max_score": points(max_score), "late_penalty": points(late_penalty) if late_penalty else "",
            "problem": problem, "hint_rule": rule.sentence(), "attempts": attempts, "refused": refused,
            "fault": fault, "fault_note": FAULT_NOTE_KO if fault else ""}


def attempts_sentence(parent, course: Path, assignment: str, student: str) -> str:
    """What the feedback says about attempts (hub only): the attempt in ``submitted/`` found in the record by its
    submission secret, and the rules as they stood when it was graded; "" where there is no record (``make grade``
    of an LMS download)."""
    from hongong.grading.attempts import CourseRules, history_of, read_attempts

    history = history_of(read_attempts(course), assignment, student)
    secret = course / "submitted" / student / assignment / "submission_secret.txt"
    if not history or not secret.is_file():
        return ""
    for index, entry in enumerate(history):
        kept = course / "attempts" / assignment / student / entry["id"] / "submission_secret.txt"
        if kept.is_file() and kept.read_bytes() == secret.read_bytes():
            return CourseRules(parent=parent).sentence(history[:index + 1], entry)
    return ""


def local_book(coursedir) -> str:
    return (Path(coursedir.root).resolve() / "_build" / "html").as_uri()


class ItemsTable(Preprocessor):
    """After ``GetGrades`` in ``GenerateFeedback.preprocessors``: the summary the template shows at the top and per item."""

    enabled = Bool(True).tag(config=True)
    book_url = Unicode("", help="Address of the built book the feedback links to (empty: the course's _build/html).").tag(
        config=True)

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        names = resources["nbgrader"]
        coursedir = course_directory(self)
        entry = read_status(Path(coursedir.root)).get(names["assignment"], {}).get(names["student"], {})
        cells = [{"grade_id": c.metadata.nbgrader["grade_id"], "points": c.metadata.nbgrader.get("points", 0),
                  "score": c.metadata.nbgrader.get("score"), "manual": bool(c.metadata.nbgrader.get("solution"))}
                 for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        with Gradebook(names["db_url"]) as gradebook:  # a written answer nobody has graded yet has no score, not 0
            for cell in cells:
                if cell["manual"] and gradebook.find_grade(cell["grade_id"], names["notebook"], names["assignment"],
                                                           names["student"]).manual_score is None:
                    cell["score"] = None
        rows = item_rows(cells, source_items(coursedir, names["assignment"]), entry, self.book_url or local_book(coursedir))
        resources["hongong"] = summary(names["assignment"], names["student"], rows, names.get("score", 0),
                                       names.get("max_score", 0), HintRule(parent=self),
                                       late_penalty=names.get("late_penalty", 0),
                                       attempts=attempts_sentence(self, Path(coursedir.root), names["assignment"],
                                                                  names["student"]))
        return nb, resources


def write_ungradable_feedback(api, assignment: str, student: str, entry: dict) -> list[Path]:
    """A feedback page for a submission nbgrader could not grade: every autograded item "채점 불가 (reason)".

    Written where nbgrader writes feedback (``feedback/<student>/<assignment>/<notebook>.html``) with the same
    template, so the learner fetches it the same way; none of the submission's content is shown.
    """
    from nbgrader.converters import GenerateFeedback

    from hongong.grading.collect import notebooks_of

    coursedir = api.coursedir
    course = Path(coursedir.root)
    source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    items = source_items(coursedir, assignment)
    written = []
    for notebook in notebooks_of(course, assignment):
        released = nbformat.read(source / f"{notebook}.ipynb", as_version=4)
        cells = [{"grade_id": c.metadata.nbgrader["grade_id"], "points": c.metadata.nbgrader.get("points", 0),
                  "score": None, "manual": bool(c.metadata.nbgrader.get("solution"))}
                 for c in released.cells if c.metadata.get("nbgrader", {}).get("grade")]
        setting = ItemsTable(parent=api)
        rows = item_rows(cells, items, entry, setting.book_url or local_book(coursedir), anchors=False)
        problem = f"{REASON_KO.get(entry.get('reason', ''), entry.get('reason', ''))} - {entry.get('message', '')}"
        resources = {"nbgrader": {"notebook": notebook, "assignment": assignment, "student": student},
                     "hongong": summary(assignment, student, rows, "-", sum(c["points"] for c in cells), HintRule(parent=api),
                                        problem=problem, attempts=attempts_sentence(api, course, assignment, student))}
        converter = GenerateFeedback(coursedir=coursedir, parent=api)  # its config: the template and its CSS
        exporter = converter.exporter_class(parent=converter, config=converter.config)
        page, _ = exporter.from_notebook_node(nbformat.v4.new_notebook(), resources)
        path = course / "feedback" / student / assignment / f"{notebook}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
        written.append(path)
    return written


def refusal_page(course: Path, assignment: str, student: str, notebook: str, reason: str, rules, history: list[dict],
                 entry: dict, fault: bool = False) -> str:
    """The page a refused submission gets (hub only): why, and the attempts so far; no item is graded. ``fault``: it
    was accepted, but the grading service could not grade it (``reason`` says why; not the learner's doing)."""
    from hongong.grading.gradebook import nbgrader_api
    from nbgrader.converters import GenerateFeedback

    api = nbgrader_api(course)
    released = nbformat.read(course / "exercises" / assignment / f"{notebook}.ipynb", as_version=4)
    cells = [{"grade_id": c.metadata.nbgrader["grade_id"], "points": c.metadata.nbgrader.get("points", 0),
              "score": None, "manual": bool(c.metadata.nbgrader.get("solution"))}
             for c in released.cells if c.metadata.get("nbgrader", {}).get("grade")]
    setting = ItemsTable(parent=api)
    rows = item_rows(cells, source_items(api.coursedir, assignment), {"status": "failed", "reason": "refused"},
                     setting.book_url or local_book(api.coursedir), anchors=False)
    resources = {"nbgrader": {"notebook": notebook, "assignment": assignment, "student": student},
                 "hongong": summary(assignment, student, rows, "-", sum(c["points"] for c in cells), HintRule(parent=api),
                                    attempts=rules.sentence(history, entry), **{"fault" if fault else "refused": reason})}
    converter = GenerateFeedback(coursedir=api.coursedir, parent=api)
    exporter = converter.exporter_class(parent=converter, config=converter.config)
    page, _ = exporter.from_notebook_node(nbformat.v4.new_notebook(), resources)
    return page
