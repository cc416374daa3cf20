"""The instructor's workflow, end to end, on a class of real submissions (tests/class_submissions.py).

As the README tells an instructor: set due dates, `nbgrader zip_collect` the LMS download of ch07-1,
drop ch07-2 and ch07-3 into submitted/, `python -m hongong.grading grade` (sandboxed, in parallel:
autograde, feedback, export, report; tests/class_grading.py). Then: every learner's exact status and score (escape
attempts, breached limits and in-kernel tricks among them: the tricks earn nothing and are flagged), no hidden
check in any feedback file, an export that tells missing / failed / 0 apart, a report with Korean
text, an intact gradebook. Some learners graded again, serially and on Dask, give identical results:
tests/test_regrading.py, on the same graded class (the class is graded once for both modules).
"""

import csv
import html
import json
import re

import nbformat
import pytest

from class_grading import exported, status
from class_submissions import (ALL_ITEMS, ASSIGNMENTS, AUTO_POINTS, CLASS, FLAGGED, HINTS_COUNTED, PARTLY_WRONG,
                               REASONS, quiz_answers)
from conftest import ROOT
from hongong.exercise.items import read_items

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(graded_course):
    """The class graded once, as the README says (shared with tests/test_regrading.py); returns (folder, log of the
    grading run)."""
    return graded_course


@pytest.mark.parametrize("student,assignment", sorted(CLASS), ids=[f"{s}-{a}" for s, a in sorted(CLASS)])
def test_each_learner_gets_exactly_their_status_and_score(course, student, assignment):
    folder, _ = course
    expected = CLASS[student, assignment]
    row = exported(folder, assignment)[student]
    assert row["status"] == expected.status, row["message"]
    assert row["score"] == ("" if expected.score is None else str(float(expected.score))), row
    if (student, assignment) in REASONS:
        assert status(folder)[assignment][student]["reason"] == REASONS[student, assignment]


def test_the_run_names_every_failed_submission_and_grades_the_rest(course):
    folder, log = course
    for (student, assignment), expected in CLASS.items():
        if expected.status == "failed":
            assert re.search(rf"\[{assignment} \d+/\d+\] {re.escape(student)}: failed", log), student
    assert f"채점 실패 {sum(e.status == 'failed' for e in CLASS.values())}건" in log


def test_feedback_shows_no_hidden_check_line_in_cells_or_tracebacks(course):
    folder, _ = course
    hidden = set()
    for assignment in ASSIGNMENTS:  # the checks' code, not their messages (those are written for the learner)
        for line in (ROOT / "checks" / f"{assignment}.py").read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) > 8 and not line.startswith(("#", '"', "@", "def ", "from ")) and '"' not in line:
                hidden.add(line)
    files = sorted((folder / "feedback").glob("*/*/*.html"))
    handed_in = [k for k, e in CLASS.items() if e.status in ("graded", "late", "failed")]
    assert len(files) == len(handed_in), "one feedback file per submission handed in, graded or not"
    assert len(hidden) > 20
    for path in files:
        page = path.read_text(encoding="utf-8")
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        leaked = [line for line in hidden if line in text or html.escape(line) in page]
        assert not leaked, f"{path.relative_to(folder)} shows {leaked[:3]}"
    # The learner still learns which item failed and why, in Korean: from the visible check and from the checker.
    page = html.unescape((folder / "feedback" / "wrong-types" / "ch07-1" / "ch07-1.html").read_text(encoding="utf-8"))
    assert "정수(int)로 답하세요" in page  # every quiz answer in the wrong type, nothing else written
    quiz = len(quiz_answers("ch07-1"))
    assert page.count("채점기: 틀림") == quiz and page.count("채점기: 시도하지 않음") == len(ALL_ITEMS["ch07-1"]) - quiz
    assert "채점기: 통과" not in page
    page = html.unescape((folder / "feedback" / "perfect" / "ch07-1" / "ch07-1.html").read_text(encoding="utf-8"))
    assert page.count("채점기: 통과") == len(ALL_ITEMS["ch07-1"]) and "채점기: 틀림" not in page


def test_no_in_kernel_trick_earns_a_point_and_each_is_flagged(course):
    """Tricks that make the notebook's own test cells pass are flagged: the kernel said pass, the checker did not."""
    folder, log = course
    for (student, assignment), items in FLAGGED.items():
        entry = status(folder)[assignment][student]
        assert set(entry["kernel_pass_checker_fail"]) == items, (student, assignment, entry)
        assert exported(folder, assignment)[student]["kernel_pass_checker_fail"] == " ".join(entry["kernel_pass_checker_fail"])
    page = html.unescape((folder / "feedback" / "wraps-every-cell" / "ch07-1" / "ch07-1.html").read_text(encoding="utf-8"))
    assert "답이 없습니다: q1" in page
    page = html.unescape((folder / "feedback" / "lambda-model" / "ch07-1" / "ch07-1.html").read_text(encoding="utf-8"))
    assert "모델을 안전하게 불러올 수 없습니다" in page
    report = (folder / "grades" / "report.html").read_text(encoding="utf-8")
    assert "wraps-every-cell" in report and "커널에서는 통과, 채점기에서는 실패" in report
    assert "커널에서는 통과, 채점기에서는 실패한 문항이 있는 제출물" in log


def active_parts(markup: str) -> list:
    """What in a piece of HTML could act in a browser: scripts, event handlers, javascript: URLs, frames, forms, SVG."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    found = [tag.name for tag in soup.find_all(["script", "iframe", "form", "object", "embed", "svg", "base"])]
    found += [f"{tag.name}[{name}]" for tag in soup.find_all(True) for name in tag.attrs if name.lower().startswith("on")]
    return found + [str(tag)[:80] for tag in soup.find_all(True)
                    if "javascript:" in (tag.get("href", "") + tag.get("src", "")).replace(" ", "").lower()]


def test_learner_content_is_inert_in_the_autograded_notebook_and_the_feedback(course):
    """Scripts, event handlers, javascript: URLs, iframes, forms, JS and SVG outputs in outputs and in the written
    answer: none reaches autograded/ (what formgrader renders) or the feedback as anything but text; the work scores."""
    from bs4 import BeautifulSoup

    folder, _ = course
    graded = nbformat.read(folder / "autograded" / "hostile-html" / "ch07-1" / "ch07-1.ipynb", as_version=4)
    markup = [cell.source for cell in graded.cells if cell.cell_type == "markdown"] + [
        output.get("data", {}).get("text/html", "") for cell in graded.cells for output in cell.get("outputs", [])]
    assert [part for piece in markup for part in active_parts(piece)] == []
    kinds = {mime for cell in graded.cells for output in cell.get("outputs", []) for mime in output.get("data", {})}
    assert kinds <= {"text/plain", "text/html", "image/png"}, kinds
    shown = json.dumps([cell.get("outputs", []) for cell in graded.cells], ensure_ascii=False) + "".join(markup)
    assert "검증 세트가 필요한 이유는" in shown and "<IPython.core.display.Javascript object>" in shown  # text stays
    for path in sorted((folder / "feedback").glob("*/*/*.html")):  # every page, and the hostile one in detail
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        policy = page.head.find("meta")
        assert policy.get("http-equiv") == "Content-Security-Policy" and "default-src 'none'" in policy["content"], path
    page = (folder / "feedback" / "hostile-html" / "ch07-1" / "ch07-1.html").read_text(encoding="utf-8")
    cells = BeautifulSoup(page, "html.parser").select(".cell")  # the notebook's cells: the template's own scripts aside
    assert len(cells) > 10 and [part for cell in cells for part in active_parts(str(cell))] == []
    # cell metadata is the learner's too: no tag becomes a class, no cell loses its code (test-q3 keeps its anchor)
    assert all(set(cell.metadata) <= {"nbgrader"} for cell in graded.cells), [c.metadata for c in graded.cells]
    classes = {name for tag in BeautifulSoup(page, "html.parser").find_all(class_=True) for name in tag["class"]}
    assert not classes & {"navbar-fixed-top", "hidden", "celltag_x"}, classes
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find(id="test-q3") is not None and 'check_form("q3"' in soup.get_text()


def test_a_failure_reason_comes_from_the_engine_and_no_csv_cell_starts_a_formula(course):
    folder, log = course
    entry = status(folder)["ch07-1"]["sleeps-forever"]  # its written answer reads "[worker-lost] =HYPERLINK(…)"
    assert entry["reason"] == "timeout" and "HYPERLINK" not in entry["message"]
    assert "HYPERLINK" not in log and "worker-lost" not in log
    for path in sorted((folder / "grades").glob("*.csv")):
        with open(path, encoding="utf-8") as table:
            cells = [cell for row in csv.reader(table) for cell in row]
        assert cells and [cell for cell in cells if cell[:1] in ("=", "+", "@")] == [], path


def test_export_tells_missing_failed_and_zero_apart(course):
    folder, _ = course
    rows = exported(folder, "ch07-1")
    assert rows["blank"]["status"] == "graded" and rows["blank"]["score"] == "0.0"
    assert rows["corrupt-json"]["status"] == "failed" and rows["corrupt-json"]["score"] == ""
    assert "손상" in rows["corrupt-json"]["message"]
    assert rows["kernel-crash"]["status"] == "missing" and rows["kernel-crash"]["score"] == ""
    assert rows["late"]["status"] == "late" and float(rows["late"]["late_seconds"]) == pytest.approx(9.5 * 3600, abs=2)
    assert rows["perfect"]["test-q1"] == "1.0" and rows["wrong-types"]["test-q1"] == "0.0"
    with open(folder / "grades" / "grades.csv", encoding="utf-8") as table:
        overall = {row["student_id"]: row for row in csv.DictReader(table)}
    assert overall["perfect"]["total"] == str(3 * float(AUTO_POINTS))
    assert overall["kernel-crash"]["ch07-2_status"] == "failed" and overall["kernel-crash"]["total"] == ""


def titles(assignment) -> dict:
    return {grade_id: item.title for grade_id, item in read_items(ROOT / "solutions" / assignment / "items.toml").items()}


def feedback_page(folder, student, assignment) -> str:
    return (folder / "feedback" / student / assignment / f"{assignment}.html").read_text(encoding="utf-8")


def feedback_verdicts(page: str) -> dict:
    """The feedback's table of items as the learner reads it: {title: verdict (with its reason)}."""
    from bs4 import BeautifulSoup

    rows = BeautifulSoup(page, "html.parser").find(id="hongong-items").find_all("tr")[1:]
    return {row.find_all("td")[0].get_text(strip=True): row.find_all("td")[2].get_text(" ", strip=True) for row in rows}


def test_feedback_gives_every_item_its_title_and_verdict_in_korean(course):
    """Perfect, blank, partly wrong and out of memory: the verdict each item deserves, under the notebook's titles."""
    folder, _ = course
    for assignment in ASSIGNMENTS:
        auto = {titles(assignment)[g] for g in ALL_ITEMS[assignment]}
        manual = set(titles(assignment).values()) - auto
        perfect = feedback_verdicts(feedback_page(folder, "perfect", assignment))
        assert perfect == {**dict.fromkeys(auto, "통과"), **dict.fromkeys(manual, "손 채점 (채점 전)")}
        blank = feedback_verdicts(feedback_page(folder, "blank", assignment))
        assert {blank[t] for t in auto} == {"시도하지 않음"}, blank
    partly = feedback_verdicts(feedback_page(folder, "partly-wrong", "ch07-1"))
    wrong = {titles("ch07-1")[g] for g in ("test-q2", "test-q5")}  # PARTLY_WRONG: q2 = "softmax", q5 = "12000"
    assert PARTLY_WRONG["ch07-1"][1] == len(wrong)
    assert {t for t, v in partly.items() if v == "틀림"} == wrong
    assert {t for t, v in partly.items() if v == "통과"} == {titles("ch07-1")[g] for g in ALL_ITEMS["ch07-1"]} - wrong
    hog = feedback_verdicts(feedback_page(folder, "memory-hog", "ch07-2"))
    assert set(hog) == set(titles("ch07-2").values()) and set(hog.values()) == {"채점 불가 (메모리 초과)"}
    for path in sorted((folder / "feedback").glob("*/*/*.html")):  # nbgrader's English labels are gone everywhere
        text = html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))
        assert not re.search(r"Test cell|Student's answer|Grade cell|Score:|Comments:|\(Top\)", text), path


def test_every_book_link_in_the_feedback_reaches_a_section_of_the_built_book(course, built_book):
    from urllib.parse import unquote, urlparse

    from bs4 import BeautifulSoup

    folder, _ = course
    checked, pages = set(), {}
    for path in sorted((folder / "feedback").glob("*/*/*.html")):
        for link in BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").select("a.hongong-book"):
            address = urlparse(link["href"])
            assert address.scheme == "file" and address.fragment, link["href"]
            target = unquote(address.path)
            if target not in pages:
                pages[target] = BeautifulSoup(open(target, encoding="utf-8").read(), "html.parser")
            assert pages[target].find(id=address.fragment) is not None, f"{path}: no #{address.fragment} in {target}"
            checked.add(link["href"])
    sections = {item.link((ROOT / "_build" / "html").as_uri()) for a in ASSIGNMENTS
                for item in read_items(ROOT / "solutions" / a / "items.toml").values()}
    assert checked == sections, "every item's section is linked from some feedback (blank learners get them all)"


def test_no_feedback_tells_an_expected_answer(course):
    """What the feedback says of its own (the table, each item's explanation, the checker's verdicts) holds no answer:
    no quiz value, no distinctive number of the solutions. The learner's own cells are the learner's."""
    from bs4 import BeautifulSoup

    folder, _ = course
    names = {item.name for a in ASSIGNMENTS for item in read_items(ROOT / "solutions" / a / "items.toml").values()}
    answers = {}  # an assignment's own answers: another's (compile() in 7-2's messages) are taught there, not asked
    for assignment in ASSIGNMENTS:
        answers[assignment] = {v for value in quiz_answers(assignment).values()
                               for v in (value if isinstance(value, list) else [value])
                               if isinstance(v, str) or (isinstance(v, int) and v >= 100)}
        answers[assignment] -= names  # "softmax" is q7's answer and also the function the learner writes
    answers["ch07-1"] |= {7850, "sparse_categorical_crossentropy"}
    answers["ch07-2"] |= {79510}
    assert sum(map(len, answers.values())) > 8
    for path in sorted((folder / "feedback").glob("*/*/*.html")):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        ours = " ".join(part.get_text(" ") for part in
                        soup.select("#hongong-items, .hongong-explain, .hongong-verdict, p.hongong-note"))
        told = [a for a in answers[path.parent.name]
                if re.search(rf"(?<![\w.]){re.escape(str(a))}(?![\w.])", ours.replace(",", ""))]
        assert not told, f"{path.relative_to(folder)} tells {told}"


def test_hints_used_are_read_from_the_submission_counted_once_and_exported(course):
    folder, _ = course
    assert status(folder)["ch07-1"]["partly-wrong"]["hints"] == HINTS_COUNTED
    row = exported(folder, "ch07-1")["partly-wrong"]
    assert {g: row[f"{g}:hints"] for g in ("test-q1", "test-dense-params", "test-q2", "test-q3")} == \
        {"test-q1": "2", "test-dense-params": "1", "test-q2": "0", "test-q3": "0"}  # forged records count for nothing
    assert float(row["score"]) == AUTO_POINTS - PARTLY_WRONG["ch07-1"][1], "hints are free by default"
    assert "이 문항에서 본 힌트: 2개" in feedback_page(folder, "partly-wrong", "ch07-1")
    assert {exported(folder, a)["perfect"][f"{g}:hints"] for a in ASSIGNMENTS for g in ALL_ITEMS[a]} == {"0"}


def test_export_has_a_verdict_per_item(course):
    folder, _ = course
    rows = exported(folder, "ch07-1")
    verdicts = lambda student: {g: rows[student][f"{g}:verdict"] for g in [*ALL_ITEMS["ch07-1"], "why-validation"]}  # noqa: E731
    assert verdicts("perfect") == {**dict.fromkeys(ALL_ITEMS["ch07-1"], "passed"), "why-validation": "manual"}
    assert verdicts("blank") == {**dict.fromkeys(ALL_ITEMS["ch07-1"], "not_attempted"), "why-validation": "manual"}
    assert set(verdicts("corrupt-json").values()) == {"ungradable"}
    assert set(verdicts("kernel-crash").values()) == {""}, "kernel-crash handed in nothing for ch07-1"
    assert exported(folder, "ch07-2")["memory-hog"]["test-train:verdict"] == "ungradable"
    with open(folder / "grades" / "items.csv", encoding="utf-8") as table:  # the column names as a person reads them
        legend = {(row["assignment"], row["grade_id"]): row["title"] for row in csv.DictReader(table)}
    assert legend == {(a, g): title for a in ASSIGNMENTS for g, title in titles(a).items()}


def test_item_statistics_of_the_class_agree_with_an_independent_computation(course):
    """Difficulty, corrected item-total point-biserial and shares on the class's real export, recomputed here with
    numpy from the CSV columns (the formulas are checked by hand on a small class in tests/test_report.py)."""
    import numpy as np

    from hongong.grading.item_statistics import item_statistics

    folder, _ = course
    with open(folder / "grades" / "ch07-1.csv", encoding="utf-8") as table:
        rows = list(csv.DictReader(table))
    found = {s.grade_id: s for s in item_statistics(rows, titles("ch07-1"))}
    assert set(found) == ALL_ITEMS["ch07-1"]
    graded = [r for r in rows if r["status"] in ("graded", "late")]
    items = sorted(ALL_ITEMS["ch07-1"])
    points = np.array([[float(r[g] or 0) for g in items] for r in graded])  # tests-deleted has cells nobody graded
    for column, grade_id in enumerate(items):
        judged = np.array([r[f"{grade_id}:verdict"] in ("passed", "wrong", "not_attempted") for r in graded])
        passed = np.array([r[f"{grade_id}:verdict"] == "passed" for r in graded], dtype=float)[judged]
        rest = (points.sum(axis=1) - points[:, column])[judged]
        assert found[grade_id].n == judged.sum() > 10
        assert found[grade_id].difficulty == pytest.approx(passed.mean())
        expected = np.corrcoef(passed, rest)[0, 1] if passed.std() and rest.std() else None
        assert found[grade_id].discrimination == (None if expected is None else pytest.approx(expected))
        assert found[grade_id].not_attempted_share == pytest.approx(
            np.mean([r[f"{grade_id}:verdict"] == "not_attempted" for r, j in zip(graded, judged) if j]))
    assert found["test-q1"].mean_hints == pytest.approx(2 / found["test-q1"].n)  # partly-wrong's two hints on q1
    page = (folder / "grades" / "report.html").read_text(encoding="utf-8")
    assert "문항 통계" in page and html.escape(titles("ch07-1")["test-q1"]) in page and "점이연" in page


def test_report_draws_the_class_with_korean_labels(course):
    folder, log = course
    assert "Glyph" not in log and "missing from font" not in log
    page = (folder / "grades" / "report.html").read_text(encoding="utf-8")
    assert "채점 실패" in page and "미제출" in page
    assert (folder / "grades" / "report.png").stat().st_size > 20_000


def test_a_breached_limit_ends_only_that_submission(course):
    folder, log = course
    for (student, assignment), reason in REASONS.items():
        if reason in ("timeout", "memory", "processes", "output-too-large"):
            assert status(folder)[assignment][student]["reason"] == reason
            page = (folder / "feedback" / student / assignment / f"{assignment}.html").read_text(encoding="utf-8")
            assert "채점 불가" in page and "통과" not in feedback_verdicts(page).values()
    assert "요약" in log and "가장 오래 걸린 제출물" in log
    assert "다시 실행한 노트북" not in log, "every execution done ahead of time was used by nbgrader"
    import psutil
    from hongong.grading.sandbox import SANDBOX_UIDS

    leftover = [p.pid for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real in SANDBOX_UIDS]
    assert leftover == [], "no sandboxed process outlives the run"
