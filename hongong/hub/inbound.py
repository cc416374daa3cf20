"""A submission folder in nbgrader's exchange, as the grading service takes it up: who made it, when, and its files.

Who runs it: the grading service (:mod:`hongong.hub.service`, root). Everything in a folder of ``inbound/`` is the
learner's: its name (which may claim another learner), its files (which may be links to files the learner cannot
read, or keep growing), its own ``timestamp.txt``. So the author is the folder's owner, the time is its change
time (which its owner cannot set back), and only regular files are copied, without following a link, within limits.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
from datetime import datetime, timezone
from pathlib import Path

MAX_FILES, MAX_BYTES = 100, 50 * 2**20  # a submission folder: an assignment's notebooks and a few files


class Submission:
    """One folder of the exchange's inbound: ``<student>+<assignment>+<timestamp>+<random>``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.id = folder.name
        parts = folder.name.split("+")
        self.student, self.assignment = (parts[0], parts[1]) if len(parts) == 4 else ("", "")
        status = folder.lstat()
        self.owner = status.st_uid
        self.time = datetime.fromtimestamp(status.st_ctime, timezone.utc)

    def uploader(self) -> str:
        """The account that made the folder (whatever its name says)."""
        try:
            return pwd.getpwuid(self.owner).pw_name
        except KeyError:
            return f"uid-{self.owner}"

    def author_problem(self) -> str | None:
        """Why this folder cannot be taken as its named author's submission, or None."""
        if not self.student or not self.folder.is_dir() or self.folder.is_symlink():
            return "이름이 nbgrader의 제출 폴더 형식이 아닙니다"
        try:
            uid = pwd.getpwnam(self.student).pw_uid
        except KeyError:
            return f"{self.student}은(는) 이 컴퓨터의 사용자가 아닙니다"
        if uid != self.owner:
            return f"폴더의 주인이 {self.student}이(가) 아닙니다"
        return None


def copy_regular_files(source: Path, target: Path) -> list[str]:
    """Copy the regular files at the top of ``source`` into a fresh ``target``, following no link; return problems."""
    problems, count, total = [], 0, 0
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for entry in sorted(os.scandir(source), key=lambda e: e.name):
        if not entry.is_file(follow_symlinks=False):
            problems.append(f"{entry.name}: 일반 파일이 아니라서 받지 않았습니다")
            continue
        count += 1
        if count > MAX_FILES:
            problems.append(f"파일이 {MAX_FILES}개를 넘어 나머지는 받지 않았습니다")
            break
        try:
            descriptor = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as error:
            problems.append(f"{entry.name}: 열 수 없습니다({error.strerror})")
            continue
        with os.fdopen(descriptor, "rb") as handle, open(target / entry.name, "wb") as copy:
            while chunk := handle.read(2**20):
                total += len(chunk)
                if total > MAX_BYTES:
                    break
                copy.write(chunk)
        if total > MAX_BYTES:
            problems.append(f"파일이 모두 {MAX_BYTES // 2**20} MB를 넘어 나머지는 받지 않았습니다")
            (target / entry.name).unlink()
            break
    return problems


def close_to_others(folder: Path) -> None:
    """Take "others" permissions off a submission folder once it is recorded. nbgrader's submit leaves it readable by
    everyone (for an instructor's ``nbgrader collect``), guarded only by its unguessable name in an unlistable
    ``inbound/``; closed, it tells a classmate who learnt the name nothing. Opened without following a link (a link
    or anything but a folder is left alone); its owner can still read it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return
    try:
        os.fchmod(descriptor, stat.S_IMODE(os.fstat(descriptor).st_mode) & ~0o007)
    finally:
        os.close(descriptor)
