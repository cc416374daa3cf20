"""One status per submission and assignment, in ``grades/status.json``: graded, late, failed or missing.

Who runs it: the instructor's process. :mod:`hongong.grading.classroom` writes it as each submission is
recorded; :mod:`hongong.grading.export` reads it into the CSV files (which the report reads).

- ``missing``: the learner handed in nothing for this assignment (a real 0 is ``graded`` with 0);
- ``failed``: a notebook that is not JSON, missing or renamed, a kernel that died, a notebook that ran
  out of time, … with the reason (``reason``, one word) and a Korean ``message``;
- ``graded`` or ``late`` (graded, handed in after the due date).

An entry may also hold ``hints`` ({grade id: hints used}) and, once graded, ``items`` ({grade id: {verdict, score,
points, hints, message}}), written by :mod:`hongong.grading.record`; the words are :data:`VERDICT_KO`'s keys.
"""

from __future__ import annotations

import json
from pathlib import Path

STATUS_FILE = Path("grades") / "status.json"
STATUS_KO = {"graded": "채점됨", "late": "늦은 제출", "failed": "채점 실패", "missing": "미제출"}

# An item's verdict, the same words in the feedback, the export (the keys) and the report.
VERDICT_KO = {"passed": "통과", "wrong": "틀림", "not_attempted": "시도하지 않음", "ungradable": "채점 불가",
              "manual": "손 채점"}
# Why a submission could not be graded (``reason`` of a failed status), for "채점 불가 (…)".
REASON_KO = {"timeout": "시간 초과", "memory": "메모리 초과", "processes": "프로세스 수 초과",
             "output-too-large": "출력이 너무 큼", "kernel-died": "커널이 멈춤", "execution-failed": "실행 실패",
             "worker-lost": "채점 컴퓨터와 연결이 끊김", "checker-failed": "채점기 오류",
             "check-broken": "채점 기준 오류(강사)",
             "notebook-missing": "노트북이 없음", "invalid-notebook": "노트북이 손상됨",
             "gradebook-tampered": "성적부가 바뀜", "autograde-failed": "자동 채점 실패",
             "refused": "받지 않은 제출", "grading-command-failed": "채점 서비스 오류",
             "grading-timeout": "채점 서비스의 시간 초과"}


def read_status(course: Path) -> dict:
    path = course / STATUS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_status(course: Path, status: dict) -> None:
    path = course / STATUS_FILE
    path.parent.mkdir(exist_ok=True)
    temporary = path.with_suffix(".tmp")
    text = json.dumps(status, ensure_ascii=False, indent=1, sort_keys=True)
    # a lone surrogate (an undecodable name a learner chose) is written as \udcff rather than stopping the run
    temporary.write_bytes(text.encode("utf-8", "backslashreplace"))
    temporary.replace(path)  # atomic: an interrupted run leaves the previous file or the new one
