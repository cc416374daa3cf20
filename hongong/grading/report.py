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
from statistics import median
from pathlib import Path

import jinja2

from hongong.grading.item_statistics import autograded_ids, counted, grade_ids, has_verdicts, item_statistics
from hongong.grading.status import STATUS_KO

PAGES = jinja2.Environment(loader=jinja2.PackageLoader("hongong.grading", "templates"), autoescape=True)
NEGATIVE_FLAG = "⚠ 변별도가 음수"
IGNORED_KO = {"unknown-assignment": "허브에 배포하지 않은 과제"}
NEGATIVE_COLOR, ITEM_COLOR = "#c0392b", "#4c72b0"

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
    flagged = [(assignment, row["student_id"], row["kernel_pass_checker_fail"]) for assignment, rows in tables.items()
               for row in rows if row.get("kernel_pass_checker_fail")]
    page = PAGES.get_template("report.html.j2").render(
        statuses=list(STATUS_KO.values()), flagged=flagged, attempts=attempt_rows(course),
        summary=[{"assignment": assignment, "counts": [counts[k] for k in STATUS_KO],
                  "mean": f"{sum(scores) / len(scores):.1f} / {maximum:g}" if scores else "-",
                  "spread": f"{min(scores):g} / {median(scores):g} / {max(scores):g}" if scores else "-",
                  "distribution": score_counts(scores)}
                 for assignment, counts, scores, maximum in summary],
        sections=[statistics_section(assignment, rows, statistics[assignment], title_errors[assignment])
                  for assignment, rows in tables.items()])
    (folder / "report.html").write_text(page, encoding="utf-8")
    return png


def score_counts(scores: list[float]) -> str:
    """The score histogram of report.png as text: "16점 3명, 9점 1명" (highest first)."""
    from collections import Counter

    return ", ".join(f"{score:g}점 {count}명" for score, count in sorted(Counter(scores).items(), reverse=True)) or "-"


def attempt_rows(course: Path) -> dict[str, list[tuple]]:
    """Every submission the hub's grading service took up (grades/attempts.json), per assignment, one row each (learner,
    attempt, time, state, score, counted, why); nothing for a course graded from LMS downloads."""
    from hongong.grading.attempts import REFUSAL_KO, read_attempts
    from hongong.grading.status import REASON_KO

    state_ko = {"accepted": "채점 대기·채점 중", "refused": "받지 않음", "ignored": "무시(채점 대상 아님)",
                "failed": "채점 서비스 오류"}
    found = {}
    for assignment, learners in sorted(read_attempts(course).items()):
        rows = found.setdefault(assignment, [])
        for student, history in sorted(learners.items()):
            for entry in history:
                state = state_ko.get(entry["state"]) or STATUS_KO.get(entry.get("status", ""), entry["state"])
                why = (REFUSAL_KO.get(entry.get("reason", ""), "") or REASON_KO.get(entry.get("reason", ""), "")
                       or REASON_KO.get(entry.get("status_reason", ""), ""))
                if entry["state"] == "ignored":  # the service's own sentence (it may quote a folder's name: escaped)
                    why = IGNORED_KO.get(entry.get("reason", ""), entry.get("reason", ""))
                if entry.get("restore") == "failed":
                    why = "가장 좋은 시도를 성적부에 되돌리지 못함 (허브 로그를 보세요)"
                score = "" if entry.get("score") is None else f"{entry['score']:g}"
                rows.append((student, "-" if entry["state"] == "failed" else entry.get("attempt", ""), entry.get("submitted", "")[:19].replace("T", " "), state,
                             score, "✔" if entry.get("counted") else "", why))
    return found


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


def statistics_section(assignment: str, rows: list[dict], statistics, title_error: str) -> dict:
    """One assignment's item statistics for the report: ``rows`` None (a CSV without verdicts), [] (nothing graded),
    or one row of text per item."""
    section = {"assignment": assignment, "graded": len(counted(rows)), "title_error": title_error, "rows": None}
    if statistics is not None:
        section["rows"] = [] if not any(s.n for s in statistics) else [
            (s.title, s.grade_id, s.n, fixed(s.difficulty),
             "정할 수 없음" if s.discrimination is None else f"{s.discrimination:.2f}", fixed(s.mean_hints, 1),
             percent(s.hinted_share), percent(s.not_attempted_share), NEGATIVE_FLAG if s.negative else "")
            for s in statistics]
    return section


def fixed(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"
