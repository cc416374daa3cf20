"""One status per submission and assignment, in ``grades/status.json``: graded, late, failed or missing.

Who runs it: the instructor's process. :mod:`hongong.grading.classroom` writes it as each submission is
recorded; :mod:`hongong.grading.export` reads it into the CSV files (which the report reads).

- ``missing``: the learner handed in nothing for this assignment (a real 0 is ``graded`` with 0);
- ``failed``: a notebook that is not JSON, missing or renamed, a kernel that died, a notebook that ran
  out of time, … with the reason (``reason``, one word) and a Korean ``message``;
- ``graded`` or ``late`` (graded, handed in after the due date).
"""

from __future__ import annotations

import json
from pathlib import Path

STATUS_FILE = Path("grades") / "status.json"
STATUS_KO = {"graded": "채점됨", "late": "늦은 제출", "failed": "채점 실패", "missing": "미제출"}


def read_status(course: Path) -> dict:
    path = course / STATUS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_status(course: Path, status: dict) -> None:
    path = course / STATUS_FILE
    path.parent.mkdir(exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(status, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    temporary.replace(path)  # atomic: an interrupted run leaves the previous file or the new one
