"""The report stage: ``grades/report.png`` and ``grades/report.html`` for the instructor, from the exported CSV.

Who runs it: the instructor's process, after the export (:func:`hongong.grading.classroom.grade`, or
``python -m hongong.grading report``). The HTML escapes every learner id and item name it shows.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path

from hongong.grading.status import STATUS_KO


def report(course: Path) -> Path:
    """grades/report.png (score distribution and per-question success per assignment) and report.html."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hongong.book.plotting import use_korean_font

    use_korean_font()
    folder = course / "grades"
    tables = {p.stem: list(csv.DictReader(p.open(encoding="utf-8"))) for p in sorted(folder.glob("ch*.csv"))}
    figure, axes = plt.subplots(len(tables), 2, figsize=(12, 3.6 * len(tables)), squeeze=False)
    summary = []
    for (assignment, rows), (left, right) in zip(tables.items(), axes):
        graded = [r for r in rows if r["status"] in ("graded", "late")]
        maximum = float(rows[0]["max_score"]) if rows else 0
        scores = [float(r["score"]) for r in graded]
        left.hist(scores, bins=range(0, int(maximum) + 2), color="#4c72b0", edgecolor="white", align="left")
        left.set_title(f"{assignment} 점수 분포 (채점된 {len(graded)}명)")
        left.set_xlabel("점수")
        left.set_ylabel("학습자 수")
        questions = [c for c in (rows[0].keys() if rows else []) if c.startswith("test-")]
        rates = []
        for question in questions:
            earned = [float(r[question]) for r in graded if r[question] != ""]
            rates.append((sum(e > 0 for e in earned) / len(earned) if earned else 0, question))
        rates.sort()
        right.barh([q for _, q in rates], [100 * r for r, _ in rates], color="#dd8452")
        right.set_xlim(0, 100)
        right.set_title(f"{assignment} 문항별 정답률 (낮은 문항이 위)")
        right.set_xlabel("점수를 받은 학습자 비율 (%)")
        right.invert_yaxis()
        counts = {key: sum(r["status"] == key for r in rows) for key in STATUS_KO}
        summary.append((assignment, counts, scores, maximum))
    figure.tight_layout()
    png = folder / "report.png"
    figure.savefig(png, dpi=100)
    plt.close(figure)
    lines = ["<!doctype html><html lang='ko'><meta charset='utf-8'><title>채점 보고서</title>",
             "<h1>채점 보고서</h1><table border='1' cellpadding='4'><tr><th>과제</th>"
             + "".join(f"<th>{STATUS_KO[k]}</th>" for k in STATUS_KO) + "<th>평균 점수</th></tr>"]
    for assignment, counts, scores, maximum in summary:
        mean = f"{sum(scores) / len(scores):.1f} / {maximum:g}" if scores else "-"
        lines.append(f"<tr><td>{html.escape(assignment)}</td>" + "".join(f"<td>{counts[k]}</td>" for k in STATUS_KO)
                     + f"<td>{mean}</td></tr>")
    lines.append("</table>")
    flagged = [(assignment, row["student_id"], row["kernel_pass_checker_fail"]) for assignment, rows in tables.items()
               for row in rows if row.get("kernel_pass_checker_fail")]
    lines.append(f"<h2>커널에서는 통과, 채점기에서는 실패 ({len(flagged)}건)</h2>"
                 "<p>노트북 안의 테스트 셀은 통과했지만 채점기가 답을 인정하지 않은 문항입니다. 보이는 테스트는 답의 형식만 보므로 "
                 "틀린 값도 여기에 나옵니다. 답이 아예 없는데(채점기: 답을 찾을 수 없습니다) 테스트 셀이 통과했다면 "
                 "노트북 안에서 테스트를 속이려 한 것일 수 있으니 피드백을 열어 보세요.</p>")
    if flagged:
        lines.append("<table border='1' cellpadding='4'><tr><th>과제</th><th>학습자</th><th>문항</th></tr>"
                     + "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(s)}</td><td>{html.escape(q)}</td></tr>"
                               for a, s, q in flagged) + "</table>")
    lines.append("<p><img src='report.png' alt='점수 분포와 문항별 정답률' style='max-width:100%'></p></html>")
    (folder / "report.html").write_text("\n".join(lines), encoding="utf-8")
    return png
