"""The report stage: ``grades/report.png`` and ``grades/report.html`` for the instructor, from the exported CSV.

Who runs it: the instructor's process, after the export (:func:`hongong.grading.classroom.grade`, or
``python -m hongong.grading report``). The HTML escapes every learner id and item text it shows; the figure draws
item titles as plain text (no mathtext).

Per assignment: the score distribution, the share of learners who earned points on each autograded item, and the
item statistics of :mod:`hongong.grading.item_statistics` (difficulty and discrimination, the corrected item-total
point-biserial correlation, drawn against each other; a table with hint use and the not-attempted share).
"""

from __future__ import annotations

import csv
import html
from pathlib import Path

from hongong.grading.item_statistics import autograded_ids, counted, grade_ids, has_verdicts, item_statistics
from hongong.grading.status import STATUS_KO

NEGATIVE_FLAG = "⚠ 변별도가 음수"
NEGATIVE_COLOR, ITEM_COLOR = "#c0392b", "#4c72b0"

STATISTICS_KO = (
    "<h2>문항 통계</h2>"
    "<p>문항 통계는 채점된 제출물(기한 내 제출과 늦은 제출)만으로, 자동 채점 문항마다 계산합니다. 채점 실패와 미제출, "
    "손으로 채점하는 문항은 빠집니다.</p><ul>"
    "<li><b>n</b>: 이 문항의 통계에 들어간 제출물 수입니다.</li>"
    "<li><b>난이도 p</b>: 이 문항을 통과한 제출물의 비율로, 클수록 쉬운 문항입니다(틀린 답과 시도하지 않은 답은 "
    "통과하지 못한 것으로 셉니다).</li>"
    "<li><b>변별도</b>: 교정된 문항-총점 점이연 상관(corrected item-total point-biserial correlation), 곧 이 문항의 "
    "통과 여부(1 또는 0)와 같은 학습자가 <em>나머지</em> 자동 채점 문항에서 받은 점수 합 사이의 피어슨 상관계수로, "
    "문항 자신의 점수를 총점에서 빼므로 자기 자신과의 상관이 섞이지 않습니다. 제출물이 3개보다 적거나, 모두 같은 "
    "결과이거나(예: 모두 통과), 나머지 점수가 모두 같으면 정할 수 없습니다.</li>"
    "<li><b>변별도가 0보다 작으면</b> 다른 문항을 잘 푼 학습자일수록 이 문항을 더 자주 틀렸다는 뜻이므로, 문항의 "
    "문장과 채점 검사(checks)가 맞는지 확인하세요. 학습자가 적으면 변별도가 크게 흔들리니 확인할 신호로만 쓰세요.</li>"
    "<li><b>평균 힌트 수</b>: 제출물 하나가 이 문항에서 본 힌트 수의 평균이고, <b>힌트를 쓴 비율</b>은 힌트를 한 번 "
    "이상 본 제출물의 비율입니다(힌트 기록을 알 수 있는 제출물만 셉니다. 학습자가 지울 수 있는 기록이라 참고용입니다).</li>"
    "<li><b>시도하지 않은 비율</b>: 이 문항에 답을 쓰지 않은 제출물의 비율입니다.</li></ul>"
)


def report(course: Path) -> Path:
    """grades/report.png (score distribution, per-item success, difficulty vs discrimination) and report.html."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hongong.book.plotting import use_korean_font

    use_korean_font()
    folder = course / "grades"
    tables = {p.stem: list(csv.DictReader(p.open(encoding="utf-8"))) for p in sorted(folder.glob("ch*.csv"))}
    titles, title_errors = {}, {}
    for assignment in tables:
        titles[assignment], title_errors[assignment] = item_titles(course, assignment)
    statistics = {assignment: None if rows and not has_verdicts(rows[0]) else item_statistics(rows, titles[assignment])
                  for assignment, rows in tables.items()}
    heights = [max(4.2, 0.34 * len(chart_ids(rows)) + 1.6) for rows in tables.values()] or [4.2]
    with matplotlib.rc_context({"text.parse_math": False}):  # a '$' in a title is text, not mathtext
        figure, axes = plt.subplots(len(heights), 3, figsize=(20, sum(heights)), squeeze=False,
                                    gridspec_kw={"height_ratios": heights, "width_ratios": [1, 1.35, 1.1]})
        summary = []
        for (assignment, rows), (left, middle, right) in zip(tables.items(), axes):
            scores, maximum = draw_scores(left, assignment, rows)
            draw_success(middle, assignment, rows, titles[assignment])
            draw_items(right, assignment, statistics[assignment])
            counts = {key: sum(r["status"] == key for r in rows) for key in STATUS_KO}
            summary.append((assignment, counts, scores, maximum))
        if not tables:
            axes[0][0].set_title("내보낸 성적 파일(grades/ch*.csv)이 없습니다")
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
                 "틀린 값도 여기에 나옵니다. 답이 아예 없는데(채점기: 시도하지 않음 - 답이 없습니다) 테스트 셀이 통과했다면 "
                 "노트북 안에서 테스트를 속이려 한 것일 수 있으니 피드백을 열어 보세요.</p>")
    if flagged:
        lines.append("<table border='1' cellpadding='4'><tr><th>과제</th><th>학습자</th><th>문항</th></tr>"
                     + "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(s)}</td><td>{html.escape(q)}</td></tr>"
                               for a, s, q in flagged) + "</table>")
    lines.append(STATISTICS_KO)
    for assignment, rows in tables.items():
        lines.extend(statistics_html(assignment, rows, statistics[assignment], title_errors[assignment]))
    lines.extend(attempts_html(course))
    lines.append("<p><img src='report.png' alt='과제별 점수 분포, 문항별 정답률, 문항 난이도와 변별도' "
                 "style='max-width:100%'></p></html>")
    (folder / "report.html").write_text("\n".join(lines), encoding="utf-8")
    return png


def attempts_html(course: Path) -> list[str]:
    """Every submission the hub's grading service took up (grades/attempts.json), per assignment and learner; nothing
    for a course graded from LMS downloads."""
    from hongong.grading.attempts import REFUSAL_KO, read_attempts
    from hongong.grading.status import REASON_KO

    record = read_attempts(course)
    if not record:
        return []
    state_ko = {"accepted": "채점 대기", "refused": "받지 않음", "ignored": "무시(남의 이름)",
                "failed": "채점 못 함(서비스 오류)"}
    lines = ["<h2>시도 (JupyterHub 채점 서비스)</h2><p>채점 서비스가 받은 제출 전부입니다. "
             "<b>성적</b>에 표시한 시도의 점수가 성적부에 있습니다.</p>"]
    for assignment, learners in sorted(record.items()):
        rows = []
        for student, history in sorted(learners.items()):
            for entry in history:
                state = state_ko.get(entry["state"]) or STATUS_KO.get(entry.get("status", ""), entry["state"])
                why = (REFUSAL_KO.get(entry.get("reason", ""), "") or REASON_KO.get(entry.get("reason", ""), "")
                       or REASON_KO.get(entry.get("status_reason", ""), ""))
                if entry.get("restore") == "failed":
                    why = "가장 좋은 시도를 성적부에 되돌리지 못함 (채점 서비스의 로그를 보세요)"
                score = "" if entry.get("score") is None else f"{entry['score']:g}"
                cells = (student, entry.get("attempt", ""), entry.get("submitted", "")[:19].replace("T", " "), state, score,
                         "✔" if entry.get("counted") else "", why)
                rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
        lines.append(f"<h3>{html.escape(assignment)}</h3><table border='1' cellpadding='4'><tr><th>학습자</th><th>시도</th>"
                     "<th>제출 시각 (UTC)</th><th>상태</th><th>점수</th><th>성적</th><th>이유</th></tr>" + "".join(rows)
                     + "</table>")
    return lines


def item_titles(course: Path, assignment: str) -> tuple[dict[str, str], str]:
    """{grade id: title} from ``solutions/<assignment>/items.toml`` ({} if absent), and why it could not be read."""
    from hongong.exercise.items import ITEMS_FILE, read_items

    path = course / "solutions" / assignment / ITEMS_FILE
    if not path.is_file():
        return {}, ""
    try:
        return {grade_id: item.title for grade_id, item in read_items(path).items()}, ""
    except (ValueError, OSError) as error:  # a broken items.toml must not stop the report: grade ids instead
        return {}, str(error)


def chart_ids(rows: list[dict]) -> list[str]:
    """The points columns the per-item chart shows: the autograded items (the ``test-…`` cells in an older CSV)."""
    if not rows:
        return []
    if has_verdicts(rows[0]):
        return autograded_ids(rows)
    return [g for g in grade_ids(rows[0]) if g.startswith("test-")]


def integer_counts(axis) -> None:
    """Ticks at whole numbers only: an axis that counts learners."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def draw_scores(ax, assignment: str, rows: list[dict]) -> tuple[list[float], float]:
    """The histogram of the graded scores; returns them and the maximum score."""
    graded = counted(rows)
    maximum = float(rows[0]["max_score"]) if rows and rows[0]["max_score"] else 0
    scores = [float(r["score"]) for r in graded if r["score"] != ""]
    ax.hist(scores, bins=range(0, int(maximum) + 2), color=ITEM_COLOR, edgecolor="white", align="left")
    ax.set_title(f"{assignment} 점수 분포 (채점된 {len(graded)}명)")
    ax.set_xlabel("점수")
    ax.set_ylabel("학습자 수")
    integer_counts(ax.yaxis)
    if not scores:
        ax.set_ylim(0, 1)
    return scores, maximum


def draw_success(ax, assignment: str, rows: list[dict], titles: dict[str, str]) -> None:
    graded = counted(rows)
    rates = []
    for question in chart_ids(rows):
        earned = [float(r[question]) for r in graded if (r.get(question) or "") != ""]
        rates.append((sum(e > 0 for e in earned) / len(earned) if earned else 0, question))
    rates.sort()
    positions = range(len(rates))  # positions, not names: two items with the same title stay two bars
    ax.barh(positions, [100 * r for r, _ in rates], color="#dd8452")
    ax.set_yticks(positions, [shorten(titles.get(q) or q) for _, q in rates], fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_title(f"{assignment} 문항별 정답률 (낮은 문항이 위)")
    ax.set_xlabel("점수를 받은 학습자 비율 (%)")
    ax.invert_yaxis()


def draw_items(ax, assignment: str, statistics) -> None:
    ax.set_title(f"{assignment} 문항 난이도와 변별도")
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("난이도 p (통과한 비율, 클수록 쉬움)")
    ax.set_ylabel("변별도 (교정된 문항-총점 점이연 상관)")
    ax.axhline(0, color="gray", linewidth=1)
    if statistics is None:
        ax.text(0.5, 0.75, "문항별 판정 열(:verdict)이 없는 CSV입니다.\n내보내기를 다시 실행하세요.",
                transform=ax.transAxes, ha="center", va="center")
        return
    if not any(s.n for s in statistics):
        ax.text(0.5, 0.75, "채점된 제출물이나 자동 채점 문항이 없습니다.", transform=ax.transAxes, ha="center")
        return
    shown = [s for s in statistics if s.difficulty is not None and s.discrimination is not None]
    ax.scatter([s.difficulty for s in shown], [s.discrimination for s in shown],
               c=[NEGATIVE_COLOR if s.negative else ITEM_COLOR for s in shown], s=36, zorder=3)
    for s in shown:
        ax.annotate(s.label, (s.difficulty, s.discrimination), xytext=(4, 4), textcoords="offset points", fontsize=8,
                    color=NEGATIVE_COLOR if s.negative else "black")
    undefined = [s.label for s in statistics if s.discrimination is None]
    if undefined:
        ax.text(0.01, 0.02, shorten(f"변별도를 정할 수 없어 빠진 문항: {', '.join(undefined)}", 70),
                transform=ax.transAxes, fontsize=8, color="gray")


def shorten(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def statistics_html(assignment: str, rows: list[dict], statistics, title_error: str) -> list[str]:
    e = html.escape
    lines = [f"<h3>{e(assignment)} 문항 통계 (채점된 제출물 {len(counted(rows))}개)</h3>"]
    if title_error:
        lines.append(f"<p>items.toml을 읽지 못해 문항 제목 대신 grade id를 씁니다: {e(title_error)}</p>")
    if statistics is None:
        lines.append("<p>이 CSV에는 문항별 판정 열(:verdict)이 없어 문항 통계를 낼 수 없습니다. 내보내기를 다시 "
                     "실행하세요.</p>")
        return lines
    if not any(s.n for s in statistics):
        lines.append("<p>채점된 제출물이나 자동 채점 문항이 없어 문항 통계가 없습니다.</p>")
        return lines
    lines.append("<table border='1' cellpadding='4'><tr><th>문항</th><th>grade id</th><th>n</th><th>난이도 p</th>"
                 "<th>변별도</th><th>평균 힌트 수</th><th>힌트를 쓴 비율</th><th>시도하지 않은 비율</th><th>표시</th></tr>")
    for s in statistics:
        discrimination = "정할 수 없음" if s.discrimination is None else f"{s.discrimination:.2f}"
        lines.append(f"<tr><td>{e(s.title)}</td><td>{e(s.grade_id)}</td><td>{s.n}</td><td>{fixed(s.difficulty)}</td>"
                     f"<td>{discrimination}</td><td>{fixed(s.mean_hints, 1)}</td><td>{percent(s.hinted_share)}</td>"
                     f"<td>{percent(s.not_attempted_share)}</td><td>{NEGATIVE_FLAG if s.negative else ''}</td></tr>")
    lines.append("</table>")
    return lines


def fixed(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"
