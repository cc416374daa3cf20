"""A submission folder in nbgrader's exchange, as the grading service takes it up: who made it, when, and its files.

Who runs it: the grading service (:mod:`hongong.hub.service`, root). Everything in a folder of ``inbound/`` is the
learner's: its name (which may claim another learner), its files (links to files the learner cannot read, FIFOs that
block whoever opens them, hard links to others' files, files that keep growing or are written into later), its own
``timestamp.txt``. So the author is the folder's owner and must be on the course's roster; every file is opened once,
without following a link or waiting, checked on its descriptor to be its author's regular file, and copied within
limits, the folder's entries read no further than :data:`MAX_ENTRIES`, and what was not taken listed briefly. The
latest change time of the folder and of every file copied is read after the copy (``Copied.changed``): its owner cannot
set a change time back, but a write through a shared memory mapping may not move it, so it is only a lower bound
(:func:`hongong.hub.intake.submission_time` says when it is used). The secret that names the feedback page is read from
the service's copy.
"""

from __future__ import annotations

import errno
import os
import pwd
import re
import shutil
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

MAX_FILES, MAX_BYTES = 100, 50 * 2**20  # a submission folder: an assignment's notebooks and a few files
MAX_ENTRIES = 1000  # entries of a folder read at most (links and the like included); more: nothing of it is taken
MAX_PROBLEMS = 20  # what was not taken, listed one by one in the record up to this many; then only how many more
NOT_TAKEN = "링크이거나 일반 파일이 아니거나 제출한 학습자의 파일이 아님"


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

    @property
    def shown(self) -> str:
        """The folder's name for a log line: the learner's characters, control characters (a newline, a terminal's
        escape) written as ``\\x..``."""
        return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in self.id)

    def uploader(self) -> str:
        """The account that made the folder (whatever its name says)."""
        try:
            return pwd.getpwuid(self.owner).pw_name
        except KeyError:
            return f"uid-{self.owner}"

    def author_problem(self) -> str | None:
        """Why this folder cannot be taken as its named author's submission, or None."""
        if not self.student or not self.folder.is_dir() or self.folder.is_symlink():
            return "nbgrader의 제출 폴더가 아닙니다(이름 형식이 다르거나 폴더가 아님)"
        try:
            uid = pwd.getpwnam(self.student).pw_uid
        except KeyError:
            return f"{self.student}은(는) 이 컴퓨터의 사용자가 아닙니다"
        if uid != self.owner:
            return f"폴더의 주인이 {self.student}이(가) 아닙니다"
        from hongong.hub.users import learners

        if self.student not in learners():
            return f"{self.student}은(는) 이 수업의 학습자 명단(hongong-learners)에 없습니다"
        return None


@dataclass
class Copied:
    problems: list[str] = field(default_factory=list)  # what was not taken, in Korean
    changed: datetime | None = None  # the latest change time of the folder and of every file taken


def open_regular(folder: int, name: str, owner: int | None) -> int:
    """A descriptor for the regular file ``name`` in the folder open as ``folder``: no link followed, a FIFO or device
    refused without waiting (``O_NONBLOCK``, then ``fstat`` on that descriptor), and with ``owner`` a file of anyone
    else refused (a hard link to a file the learner cannot read). OSError otherwise."""
    descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode) or (owner is not None and status.st_uid != owner):
        os.close(descriptor)
        raise OSError(errno.EPERM, NOT_TAKEN)
    return descriptor


def open_folder(path: Path) -> int:
    """A descriptor for the folder ``path`` itself: no link followed, nothing else opened (and never waited on)."""
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)


def entries_of(folder: int) -> list[str] | None:
    """The names in the folder open as ``folder``, sorted; None when it holds more than :data:`MAX_ENTRIES` (read no
    further: a folder of a hundred thousand links costs the service a thousand names, not all of them)."""
    names = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if len(names) == MAX_ENTRIES:
                return None
            names.append(entry.name)
    return sorted(names)


def copy_regular_files(source: Path, target: Path, owner: int | None = None) -> Copied:
    """Copy the regular files at the top of ``source`` (``owner``'s, if given) into a fresh ``target``, each opened once
    by :func:`open_regular`, within :data:`MAX_FILES` and :data:`MAX_BYTES`. ``changed`` is read after the copy from
    the same descriptors: a file written into after it was first made still moves the time (its change time, which its
    owner cannot set back)."""
    copied, count, total = Copied(), 0, 0
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    folder = open_folder(source)
    try:
        changes = [os.fstat(folder).st_ctime]
        names = entries_of(folder)
        if names is None:
            names = []
            copied.problems.append(f"폴더에 항목이 {MAX_ENTRIES}개보다 많아 아무것도 받지 않았습니다")
        skipped = 0
        for name in names:
            try:
                descriptor = open_regular(folder, name, owner)
            except OSError as error:
                why = NOT_TAKEN if error.errno in (errno.ELOOP, errno.EPERM) else error.strerror
                skipped += 1
                if skipped <= MAX_PROBLEMS:
                    copied.problems.append(f"{name[:100]}: 받지 않았습니다({why})")
                continue
            count += 1
            if count > MAX_FILES:
                os.close(descriptor)
                copied.problems.append(f"파일이 {MAX_FILES}개를 넘어 나머지는 받지 않았습니다")
                break
            with os.fdopen(descriptor, "rb") as handle, open(target / name, "wb") as copy:
                while chunk := handle.read(2**20):
                    total += len(chunk)
                    if total > MAX_BYTES:
                        break
                    copy.write(chunk)
                changes.append(os.fstat(handle.fileno()).st_ctime)
            if total > MAX_BYTES:
                copied.problems.append(f"파일 크기의 합이 {MAX_BYTES // 2**20} MB를 넘어 나머지는 받지 않았습니다")
                (target / name).unlink()
                break
        if skipped > MAX_PROBLEMS:
            copied.problems.append(f"그 밖에 {skipped - MAX_PROBLEMS}개 항목도 받지 않았습니다")
        changes.append(os.fstat(folder).st_ctime)
    finally:
        os.close(folder)
    copied.changed = datetime.fromtimestamp(max(changes), timezone.utc)
    return copied


def read_secret(folder: Path) -> str:
    """nbgrader's submission secret in ``folder`` (a copy the service made): 128 hex digits, or ValueError."""
    folder_descriptor = open_folder(folder)
    try:
        with os.fdopen(open_regular(folder_descriptor, "submission_secret.txt", None), "rb") as handle:
            secret = handle.read(1024).decode("ascii", "replace").strip()
    finally:
        os.close(folder_descriptor)
    if not re.fullmatch(r"[0-9a-f]{32,256}", secret):
        raise ValueError("submission_secret.txt가 nbgrader의 비밀값 형식이 아닙니다")
    return secret


def close_to_others(folder: Path) -> None:
    """Take "others" permissions off a submission folder once it is recorded. nbgrader's submit leaves it readable by
    everyone (for an instructor's ``nbgrader collect``), guarded only by its unguessable name in an unlistable
    ``inbound/``; closed, it tells a classmate who learnt the name nothing. Opened without following a link (a link
    or anything but a folder is left alone); its owner can still read it."""
    try:
        descriptor = open_folder(folder)
    except OSError:
        return
    try:
        os.fchmod(descriptor, stat.S_IMODE(os.fstat(descriptor).st_mode) & ~0o007)
    finally:
        os.close(descriptor)
