"""The collect stage: who handed in what, and which hand-ins nbgrader must not be given.

Who runs it: the instructor's process. :class:`AttemptTimeCollector` is ``nbgrader zip_collect``'s file-name
plugin (``make collect``; the archives themselves are unpacked within limits by
:mod:`hongong.grading.collect_limits`); :func:`roster` and :func:`precheck` are called by
:func:`hongong.grading.classroom.grade` before anything executes.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Unicode


class AttemptTimeCollector(FileNameCollectorPlugin):
    """``nbgrader zip_collect`` for names with an attempt time ``YYYY-MM-DD-HH-MM-SS`` (Blackboard's form).

    nbgrader hands that time to dateutil as it is, which reads ``2026-11-22-09-30-00`` as 09:00 (the
    ``-30-00`` is taken for a UTC offset). Here it becomes ISO 8601 with the LMS's UTC offset first.
    """

    utc_offset = Unicode("+09:00", help="UTC offset of the times in the file names (the LMS's clock).").tag(config=True)

    def collect(self, submitted_file):
        info = super().collect(submitted_file)
        stamp = re.fullmatch(r"(\d{4}-\d{2}-\d{2})-(\d{2})-(\d{2})-(\d{2})", (info or {}).get("timestamp", ""))
        if stamp:
            day, hour, minute, second = stamp.groups()
            info["timestamp"] = f"{day}T{hour}:{minute}:{second}{self.utc_offset}"
        return info


def roster(course: Path) -> list[str]:
    """Every learner known to the course: the gradebook's students and every folder in submitted/."""
    from nbgrader.api import Gradebook

    names = {p.name for p in (course / "submitted").glob("*") if p.is_dir()}
    if (course / "gradebook.db").exists():
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            names |= {student.id for student in gradebook.students}
    return sorted(names)


def notebooks_of(course: Path, assignment: str) -> list[str]:
    """Names of the notebooks the release of ``assignment`` contains."""
    return sorted(p.stem for p in (course / "exercises" / assignment).glob("*.ipynb"))


def precheck(course: Path, assignment: str, student: str) -> dict | None:
    """A status for a submission nbgrader must not be given (missing, renamed, not JSON), or None."""
    folder = course / "submitted" / student / assignment
    if not folder.is_dir():
        return {"status": "missing", "message": "제출하지 않았습니다."}
    handed_in = sorted(p.name for p in folder.glob("*.ipynb"))
    for name in notebooks_of(course, assignment):
        if f"{name}.ipynb" not in handed_in:
            found = f" 제출된 노트북: {', '.join(handed_in)}." if handed_in else " 폴더에 노트북이 없습니다."
            return {"status": "failed", "reason": "notebook-missing",
                    "message": f"{name}.ipynb가 없습니다(이름을 바꾸지 말고 제출해야 합니다).{found}"}
        try:
            nbformat.validate(nbformat.read(folder / f"{name}.ipynb", as_version=4))
        except Exception as error:  # JSON errors, nbformat validation errors, undecodable bytes
            return {"status": "failed", "reason": "invalid-notebook",
                    "message": f"{name}.ipynb를 노트북으로 읽을 수 없습니다({type(error).__name__}). 파일이 손상되었습니다."}
    return None
