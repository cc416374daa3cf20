"""The instructor's report: item statistics computed by hand on a small class, and what report.html / report.png show.

Quick (no nbgrader, no book): the test writes an exported ``grades/ch07-1.csv`` and ``solutions/ch07-1/items.toml``
into a temporary course folder and runs :func:`hongong.grading.report.report` on it.
"""

import csv
import re
import warnings

import pytest

from hongong.grading.item_statistics import correlation, item_statistics, short_label
from hongong.grading.report import chart_ids, report

HOSTILE_ID = "<img src=x onerror=alert(1)>"
HOSTILE_TITLE = 'q2. <script>alert("title")</script> 활성화 함수'
ITEMS = ["test-dense-params", "test-q2", "test-q3", "test-q4", "why-validation"]
COLUMNS = ["student_id", "status", "score", "max_score", "late_seconds", "needs_manual_grade",
           *[f"{g}{suffix}" for g in ITEMS for suffix in ("", ":verdict", ":hints")],
           "kernel_pass_checker_fail", "message"]
P, W, NA, U, M = "passed", "wrong", "not_attempted", "ungradable", "manual"

# The class. Points: test-dense-params 2, test-q2 1, test-q3 1, test-q4 1 (autograded), why-validation 2 (by hand).
# Per learner, per item: (points, verdict, hints). test-q3 is passed by the learners who did worse elsewhere
# (negative discrimination); test-q4 is passed by all (no variance: discrimination undefined); the hand-graded
# why-validation is highest for weak learners, so it would change every number if it leaked into the rest score.
CLASS = [
    # student, status, score, dense-params, q2, q3, q4, why-validation, kernel_pass_checker_fail
    ("ana", "graded", 4, (2, P, 0), (1, P, 0), (0, W, ""), (1, P, 1), (0, M, 0), ""),
    ("bo", "graded", 4, (2, P, 0), (1, P, 0), (0, NA, 0), (1, P, 0), (0, M, 0), ""),
    (HOSTILE_ID, "graded", 6, (2, P, 1), (0, W, 0), (1, P, 1), (1, P, 0), (2, M, 0), "test-q2"),
    ("dae", "graded", 4, (0, W, 2), (0, NA, 0), (1, P, 0), (1, P, 0), (2, M, 0), ""),
    ("eun", "late", 3, (0, NA, 0), (0, W, 0), (1, P, 1), (1, P, 0), (1, M, 0), ""),
    ("fin", "graded", 3, (0, W, 3), (0, W, 0), (0, W, 0), (1, P, 0), (2, M, 0), ""),
]
# Not counted: a failed submission (items ungradable) and a missing one (everything empty).
EXCLUDED = [
    ("gyu", "failed", "", ("", U, ""), ("", U, ""), ("", U, ""), ("", U, ""), ("", U, ""), ""),
    ("han", "missing", "", ("", "", ""), ("", "", ""), ("", "", ""), ("", "", ""), ("", "", ""), ""),
]

ITEMS_TOML = '''chapter = "chapters/7-1-artificial-neural-network"

[items.test-dense-params]
name = "dense_params"
title = "밀집층의 파라미터 수 세기"
section = "ch7-1-params"
section_title = "모델 파라미터 세기"
hints = ["개념", "단계"]

[items.test-q2]
name = "q2"
title = '{hostile}'
section = "ch7-1-activation"
section_title = "활성화 함수"
hints = ["개념", "단계"]

[items.test-q3]
name = "q3"
title = "q3. 손실 함수를 정하는 메서드"
section = "ch7-1-compile"
section_title = "모델 설정"
hints = ["개념", "단계"]

[items.why-validation]
name = "why_validation"
title = "검증 세트를 따로 두는 까닭"
section = "ch7-1-validation"
section_title = "검증 세트"
hints = ["개념", "단계"]
'''.format(hostile=HOSTILE_TITLE)


def row(student, status, score, *cells):
    *items, flagged = cells
    out = {"student_id": student, "status": status, "score": score, "max_score": 7, "late_seconds": "",
           "needs_manual_grade": "", "kernel_pass_checker_fail": flagged, "message": ""}
    for grade_id, (points, verdict, hints) in zip(ITEMS, items):
        out |= {grade_id: points, f"{grade_id}:verdict": verdict, f"{grade_id}:hints": hints}
    return out


def write_course(folder, rows):
    (folder / "grades").mkdir(parents=True)
    with open(folder / "grades" / "ch07-1.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    (folder / "solutions" / "ch07-1").mkdir(parents=True)
    (folder / "solutions" / "ch07-1" / "items.toml").write_text(ITEMS_TOML, encoding="utf-8")


def read_rows(folder):
    with open(folder / "grades" / "ch07-1.csv", encoding="utf-8") as table:
        return list(csv.DictReader(table))


@pytest.fixture
def course(tmp_path):
    write_course(tmp_path, [row(*learner) for learner in CLASS + EXCLUDED])
    return tmp_path


def test_item_statistics_match_the_hand_calculation(course):
    titles = {"test-dense-params": "밀집층의 파라미터 수 세기", "test-q2": HOSTILE_TITLE,
              "test-q3": "q3. 손실 함수를 정하는 메서드"}
    stats = {s.grade_id: s for s in item_statistics(read_rows(course), titles)}
    assert list(stats) == ["test-dense-params", "test-q2", "test-q3", "test-q4"]  # why-validation is graded by hand
    assert all(s.n == 6 for s in stats.values())  # ana, bo, <img…>, dae, eun (late), fin; not gyu, han

    # Rest score = autograded points on the OTHER items; learners in the order ana, bo, <img…>, dae, eun, fin.
    dense = stats["test-dense-params"]
    # passed x = 1,1,1,0,0,0 -> p = 3/6
    assert dense.difficulty == pytest.approx(0.5)
    # rest = q2+q3+q4 = 2,2,2,2,2,1; mean x = 1/2, mean rest = 11/6
    # deviations x: +1/2 ×3, -1/2 ×3; rest: +1/6 ×5, -5/6
    # Sxy = 1/2·(3·1/6) - 1/2·(1/6+1/6-5/6) = 1/4 + 1/4 = 1/2
    # Sxx = 6·1/4 = 3/2; Syy = 5·1/36 + 25/36 = 5/6
    # r = (1/2) / sqrt(3/2 · 5/6) = 0.5 / sqrt(1.25) = 0.5 / 1.1180340 = 0.4472136
    assert dense.discrimination == pytest.approx(0.4472136, abs=1e-6)
    assert dense.not_attempted_share == pytest.approx(1 / 6)  # eun
    # hints 0,0,1,2,0,3: mean 6/6 = 1.0; at least one: 3 of 6
    assert dense.mean_hints == pytest.approx(1.0) and dense.hinted_share == pytest.approx(0.5)

    q2 = stats["test-q2"]
    # x = 1,1,0,0,0,0 -> p = 2/6 = 0.3333
    assert q2.difficulty == pytest.approx(0.3333333, abs=1e-6)
    # rest = dense+q3+q4 = 3,3,4,2,2,1; mean x = 1/3, mean rest = 15/6 = 2.5
    # deviations x: +2/3 ×2, -1/3 ×4; rest: +0.5, +0.5, +1.5, -0.5, -0.5, -1.5
    # Sxy = 2/3·(0.5+0.5) - 1/3·(1.5-0.5-0.5-1.5) = 2/3 + 1/3 = 1
    # Sxx = 2·4/9 + 4·1/9 = 4/3; Syy = 0.25+0.25+2.25+0.25+0.25+2.25 = 5.5
    # r = 1 / sqrt(4/3 · 5.5) = 1 / sqrt(7.3333) = 1 / 2.7080128 = 0.3692745
    assert q2.discrimination == pytest.approx(0.3692745, abs=1e-6)
    assert q2.not_attempted_share == pytest.approx(1 / 6)  # dae
    assert q2.mean_hints == 0 and q2.hinted_share == 0

    q3 = stats["test-q3"]
    # x = 0,0,1,1,1,0 -> p = 3/6
    assert q3.difficulty == pytest.approx(0.5)
    # rest = dense+q2+q4 = 4,4,3,1,1,1; mean x = 1/2, mean rest = 14/6 = 7/3
    # deviations x: -1/2, -1/2, +1/2, +1/2, +1/2, -1/2; rest: +5/3, +5/3, +2/3, -4/3, -4/3, -4/3
    # Sxy = -1/2·(5/3+5/3-4/3) + 1/2·(2/3-4/3-4/3) = -1 - 1 = -2
    # Sxx = 6·1/4 = 3/2; Syy = 2·25/9 + 4/9 + 3·16/9 = 102/9 = 34/3
    # r = -2 / sqrt(3/2 · 34/3) = -2 / sqrt(17) = -2 / 4.1231056 = -0.4850713
    assert q3.discrimination == pytest.approx(-0.4850713, abs=1e-6)
    assert q3.negative and not dense.negative and not q2.negative
    assert q3.not_attempted_share == pytest.approx(1 / 6)  # bo
    # hints: ana's is unknown (empty); the other five 0,1,0,1,0: mean 2/5, share 2/5
    assert q3.mean_hints == pytest.approx(0.4) and q3.hinted_share == pytest.approx(0.4)

    q4 = stats["test-q4"]
    # passed by all 6: p = 6/6, and the 0/1 has no variance: discrimination undefined, not flagged
    assert q4.difficulty == 1.0 and q4.discrimination is None and not q4.negative
    assert q4.not_attempted_share == 0
    assert q4.mean_hints == pytest.approx(1 / 6) and q4.hinted_share == pytest.approx(1 / 6)  # ana's one hint

    assert [s.label for s in stats.values()] == ["test-dense-params", "q2", "q3", "test-q4"]
    assert q4.title == "test-q4"  # no entry in items.toml: titled by its grade id


def test_failed_and_missing_submissions_are_not_counted():
    # gyu (failed) and han (missing) get verdicts and points that would change every number if they were counted.
    odd = [("gyu", "failed", "", (2, P, 5), (1, P, 5), (1, P, 5), (0, W, 5), ("", U, ""), ""),
           ("han", "missing", "", (0, W, 5), (0, W, 5), (0, W, 5), (0, NA, 5), ("", "", ""), "")]
    counted_only = item_statistics([row(*learner) for learner in CLASS])
    with_others = item_statistics([row(*learner) for learner in odd[:1] + CLASS + odd[1:]])
    assert [s.n for s in with_others] == [6, 6, 6, 6]
    assert with_others == counted_only
    # The same class with fewer than 3 counted submissions: no correlation is reported.
    assert all(s.discrimination is None for s in item_statistics([row(*learner) for learner in CLASS[:2] + odd]))
    assert correlation([1, 0], [3, 1]) is None and correlation([1, 0, 1], [2, 2, 2]) is None
    assert short_label("q3. 손실 함수", "test-q3") == "q3" and short_label("밀집층 세기", "test-x") == "test-x"


def test_report_shows_item_statistics_escaped_and_the_figure(course):
    rows = read_rows(course)
    assert chart_ids(rows) == ["test-dense-params", "test-q2", "test-q3", "test-q4"]  # points columns only
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = report(course)
    assert not [w for w in caught if "Glyph" in str(w.message) or "missing from font" in str(w.message)]
    assert png == course / "grades" / "report.png" and png.stat().st_size > 20_000
    page = (course / "grades" / "report.html").read_text(encoding="utf-8")

    statistics = page.split("<h2>문항 통계</h2>")[1]
    table_rows = re.findall(r"<tr>.*?</tr>", statistics, re.S)
    flagged = [r for r in table_rows if "⚠ 변별도가 음수" in r]
    assert len(flagged) == 1 and "test-q3" in flagged[0] and "-0.49" in flagged[0]
    item_rows = {grade_id: next(r for r in table_rows if f"<td>{grade_id}</td>" in r)
                 for grade_id in ("test-dense-params", "test-q2", "test-q3", "test-q4")}
    assert "<td>밀집층의 파라미터 수 세기</td>" in item_rows["test-dense-params"]
    assert "<td>0.45</td>" in item_rows["test-dense-params"] and "<td>50%</td>" in item_rows["test-dense-params"]
    assert "<td>0.33</td>" in item_rows["test-q2"] and "<td>0.37</td>" in item_rows["test-q2"]
    assert "<td>q3. 손실 함수를 정하는 메서드</td>" in item_rows["test-q3"]
    assert "정할 수 없음" in item_rows["test-q4"] and "<td>1.00</td>" in item_rows["test-q4"]
    assert "why-validation" not in page and "검증 세트를 따로 두는 까닭" not in page  # hand-graded: no statistics
    assert "교정된 문항-총점 점이연 상관" in page and "corrected item-total point-biserial" in page

    assert HOSTILE_ID not in page and "<script>" not in page
    assert f"<td>{html_escaped(HOSTILE_ID)}</td><td>test-q2</td>" in page  # the kernel-pass / checker-fail table
    assert html_escaped(HOSTILE_TITLE) in item_rows["test-q2"]


def html_escaped(text):
    """As the report's template escapes text (Jinja2's autoescape: a quote becomes &#34;)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")
