"""The collect stage: who handed in what, and which hand-ins nbgrader must not be given.

Who runs it: the instructor's process. :class:`AttemptTimeCollector` is ``nbgrader zip_collect``'s file-name
plugin (``make collect``; the archives themselves are unpacked within limits by
:mod:`hongong.grading.collect_limits`); :func:`roster` and :func:`precheck` are called by
:func:`hongong.grading.classroom.grade` before anything executes.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import nbformat
from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Unicode


class AttemptTimeCollector(FileNameCollectorPlugin):
    """``nbgrader zip_collect`` for names with an attempt time ``YYYY-MM-DD-HH-MM-SS`` (Blackboard's form).

    - nbgrader hands that time to dateutil as it is, which reads ``2026-11-22-09-30-00`` as 09:00 (the
      ``-30-00`` is taken for a UTC offset). Here it becomes ISO 8601 with the LMS's UTC offset first; a time that
      is no time (``2026-99-99-…``) skips that file with a log line instead of stopping the whole collection.
    - A learner's upload may be an archive (unpacked one level deep, :mod:`hongong.grading.collect_limits`). The
      LMS named the archive, the learner named what is inside. So a file inside belongs to the learner and the time
      of the archive's LMS name, whatever its own name claims: a file named for another learner is refused (it
      could replace that learner's notebook), and a plain ``ch07-1.ipynb`` inside is collected as the uploader's.
    """

    utc_offset = Unicode("+09:00", help="UTC offset of the times in the file names (the LMS's clock).").tag(config=True)

    def collect(self, submitted_file):
        if os.path.splitext(submitted_file)[1] not in self.valid_ext:
            return super().collect(submitted_file)  # nbgrader skips it, with its own log line
        owner = self._uploader(submitted_file)
        info = super().collect(submitted_file)
        if owner is not None:
            if info and info.get("student_id") != owner.get("student_id"):
                self.log.error("수집하지 않음: %s 안의 파일이 다른 학습자(%s)의 이름을 달고 있습니다. / Refused: a file in "
                               "%s's upload is named for learner %s: %s", owner.get("student_id"), info.get("student_id"),
                               owner.get("student_id"), info.get("student_id"), submitted_file)
                return None
            info = {**owner, "file_id": info["file_id"] if info else os.path.basename(submitted_file)}
        if info is None:
            return None
        stamp = re.fullmatch(r"(\d{4}-\d{2}-\d{2})-(\d{2})-(\d{2})-(\d{2})", info.get("timestamp") or "")
        if stamp:
            day, hour, minute, second = stamp.groups()
            info["timestamp"] = f"{day}T{hour}:{minute}:{second}{self.utc_offset}"
        if info.get("timestamp"):
            try:
                datetime.fromisoformat(info["timestamp"])
            except ValueError:
                self.log.error("수집하지 않음: 제출 시각을 읽을 수 없습니다. / Refused: unreadable attempt time: %s", submitted_file)
                return None
        return info

    def _uploader(self, submitted_file: str) -> dict | None:
        """The LMS name of the archive ``submitted_file`` was unpacked from (student, time), or None if it was not."""
        parts = Path(submitted_file).parts
        below = next((i + 1 for i in range(len(parts) - 1, 1, -1)
                      if parts[i] == "extracted" and parts[i - 2] == "downloaded"), 0)
        for folder in parts[below:-1]:  # outermost first: the download's own folder does not match the pattern
            match = re.match(self.named_regexp, folder) if self.named_regexp else None
            if match and match.groupdict().get("student_id"):
                return {key: value for key, value in match.groupdict().items() if key in ("student_id", "timestamp")}
        return None


def printable(name: str) -> str:
    """A file name a learner chose, safe to store as UTF-8 and to print: undecodable bytes and control characters
    (terminal escapes) written as ``\\x..``."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}", text)


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
    handed_in = sorted(printable(p.name) for p in folder.glob("*.ipynb"))
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
