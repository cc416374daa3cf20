"""Item statistics for the instructor's report: difficulty, discrimination, hint use and not-attempted share.

Who runs it: the instructor's process, from the report (:func:`hongong.grading.report.report`), on the rows of an
exported ``grades/<assignment>.csv`` (:mod:`hongong.grading.export`). Pure: rows in, numbers out (no files, no
matplotlib), so it can be tested by hand.

The CSV it reads: ``student_id, status, score, max_score, late_seconds, needs_manual_grade``, then per graded cell
``<grade_id>`` (points earned, empty if not graded), ``<grade_id>:verdict`` (a key of
:data:`hongong.grading.status.VERDICT_KO`, empty when the submission is missing) and ``<grade_id>:hints`` (hints the
learner used for the item, empty if unknown), then ``kernel_pass_checker_fail, message``. nbgrader's grade ids hold
only letters, digits, ``_`` and ``-``, so a column name with ``:`` is never a points column.

Which submissions count: those with status ``graded`` or ``late`` (failed and missing ones are left out), and for
each item only those where the item was judged (verdict ``passed``, ``wrong`` or ``not_attempted``; an
``ungradable`` item belongs to a failed submission anyway). Which items: the autograded ones, i.e. every item with a
verdict column and no ``manual`` verdict among the counted submissions.

Per item, over its ``n`` counted submissions:

- **difficulty** ``p``: the share with verdict ``passed`` (``wrong`` and ``not_attempted`` are not passed);
- **discrimination**: the *corrected item-total point-biserial correlation*, i.e. the Pearson correlation between
  the item's 0/1 (passed) and the learner's *rest score*: the autograded points earned on the OTHER autograded items
  (the item's own points are left out, so it does not correlate with itself). ``None`` (undefined) with fewer than
  3 submissions or when either the 0/1 or the rest score has no variance. Negative: learners who did better on the
  rest failed this item more often, a reason to read the item and its check again (:attr:`ItemStatistics.negative`);
- **hint use**: mean hints per submission and the share of submissions with at least one hint, over the
  submissions whose hint count is known (``None`` if none is);
- **not-attempted share**: the share with verdict ``not_attempted``.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

HEAD = ("student_id", "status", "score", "max_score", "late_seconds", "needs_manual_grade")
TAIL = ("kernel_pass_checker_fail", "message")
COUNTED_STATUS = ("graded", "late")
JUDGED = ("passed", "wrong", "not_attempted")
MIN_SUBMISSIONS = 3  # a correlation over fewer submissions is not reported


@dataclass(frozen=True)
class ItemStatistics:
    grade_id: str
    title: str
    label: str  # a short name for a plot: "q3", else the grade id
    n: int  # counted submissions (graded or late, the item judged)
    difficulty: float | None  # share passed; None when n is 0
    discrimination: float | None  # corrected item-total point-biserial correlation; None when undefined
    mean_hints: float | None  # mean hints per submission, over those with a known count
    hinted_share: float | None  # share with at least one hint, over those with a known count
    not_attempted_share: float | None

    @property
    def negative(self) -> bool:
        """True when learners who did better on the other items failed this one more often."""
        return self.discrimination is not None and self.discrimination < 0


def grade_ids(columns) -> list[str]:
    """The points columns of an exported CSV (the grade ids), in the CSV's order."""
    return [c for c in columns if c not in HEAD and c not in TAIL and ":" not in c]


def has_verdicts(columns) -> bool:
    """Whether the CSV has the per-item verdict columns (an export older than them has only points)."""
    return any(c.endswith(":verdict") for c in columns)


def counted(rows: list[dict]) -> list[dict]:
    """The submissions the statistics are over: status graded or late."""
    return [r for r in rows if r.get("status") in COUNTED_STATUS]


def autograded_ids(rows: list[dict]) -> list[str]:
    """The grade ids with a verdict column and no ``manual`` verdict among the counted submissions."""
    columns = list(rows[0].keys()) if rows else []
    submissions = counted(rows)
    return [g for g in grade_ids(columns) if f"{g}:verdict" in columns
            and not any(cell(r, f"{g}:verdict") == "manual" for r in submissions)]


def item_statistics(rows: list[dict], titles: dict[str, str] | None = None) -> list[ItemStatistics]:
    """The statistics of every autograded item of one assignment's CSV rows, in the CSV's order.

    ``titles``: {grade id: title} (from ``items.toml``); an item without one is titled by its grade id.
    """
    titles = titles or {}
    items = autograded_ids(rows)
    submissions = counted(rows)
    points = [{g: number(cell(r, g)) for g in items} for r in submissions]
    totals = [sum(p.values()) for p in points]
    result = []
    for grade_id in items:
        judged = [(i, cell(r, f"{grade_id}:verdict")) for i, r in enumerate(submissions)
                  if cell(r, f"{grade_id}:verdict") in JUDGED]
        n = len(judged)
        passed = [1.0 if verdict == "passed" else 0.0 for _, verdict in judged]
        rest = [totals[i] - points[i][grade_id] for i, _ in judged]
        hints = [h for h in (count(cell(submissions[i], f"{grade_id}:hints")) for i, _ in judged) if h is not None]
        title = titles.get(grade_id) or grade_id
        result.append(ItemStatistics(
            grade_id=grade_id, title=title, label=short_label(title, grade_id), n=n,
            difficulty=sum(passed) / n if n else None,
            discrimination=correlation(passed, rest),
            mean_hints=sum(hints) / len(hints) if hints else None,
            hinted_share=sum(h > 0 for h in hints) / len(hints) if hints else None,
            not_attempted_share=sum(v == "not_attempted" for _, v in judged) / n if n else None))
    return result


def correlation(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r of two equally long lists; None with fewer than 3 pairs or when either list has no variance."""
    n = len(xs)
    if n < MIN_SUBMISSIONS or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    r = statistics.correlation(xs, ys)  # Pearson's, the standard library's
    if abs(r) < 1e-12:  # rounding noise around a true 0 must not turn into a "negative" flag
        return 0.0
    return max(-1.0, min(1.0, r))


def short_label(title: str, grade_id: str) -> str:
    """"q3" for "q3. 손실 함수를 정하는 메서드": the part of the title before the first '.', if short; else the grade id."""
    head, dot, _ = title.partition(".")
    head = head.strip()
    return head if dot and head and len(head) <= 12 else grade_id


def cell(row: dict, column: str) -> str:
    value = row.get(column)
    return "" if value is None else str(value).strip()


def number(text: str) -> float:
    """Points: empty (not graded) counts as 0."""
    return float(text) if text else 0.0


def count(text: str) -> float | None:
    """A hint count; None when unknown (empty)."""
    return float(text) if text else None
