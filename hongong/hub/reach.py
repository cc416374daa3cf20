"""Who may reach what on a hub machine: a learner's account reaches what the course releases to it, and nothing else.

Who runs it: ``python -m hongong.hub prepare`` (root; ``make hub`` and ``make hub-start`` run it at every start).

Learners are system users of this machine, so file permissions are the boundary. What a learner's server must reach:
the Python installation and the repository's environment (``.venv``), this package (``hongong/``, code only: no
answers, checks or hints), the learners' Jupyter configuration (``jupyter_learner/``, the hub's ``learner-config/``),
the dataset (``.keras/``) and nbgrader's exchange. Everything else of the repository (``.git``, ``tests/``,
``solutions/``, ``checks/``, ``exercises/`` with every hint, a roster, the built book, logs ...), of the course
directory and of the hub's folder is closed to "others":

- :func:`open_path_to` gives "others" traverse (x, never read) on each folder above what a server must reach;
- :func:`close_around` closes every folder that holds such a path *as a gate*: "others" may traverse it but not list
  it (x only), and each of its entries that leads to nothing a learner needs loses every "others" permission. One
  closed entry closes everything below it, whatever the modes further down (a learner cannot list or guess past it).
  A closed entry goes to the instructors' group (read and traverse), so the instructor's server still opens it;
- a folder that holds nothing a learner needs (a course directory of its own) is closed whole;
- :func:`close_course` gives the instructors' group read and write on what the instructor's formgrader writes;
- the hub's ``state/`` (database, cookie secret, passwords) is root's only.
"""

from __future__ import annotations

import grp
import os
import stat
from pathlib import Path

from hongong.hub.place import INSTRUCTOR_GROUP

# What the instructor's server (formgrader, as the instructor) reads and writes in the course: answers, hidden checks,
# the release with every hint, every learner's work and grade.
# The folders among them that grading writes later: prepare() makes them before closing, so what lands there stays closed.
WRITTEN_LATER = ("submitted", "autograded", "feedback", "grades", "downloaded", "attempts")
PRIVATE = ("solutions", "checks", "exercises", "gradebook.db", "gradebook.db-journal", *WRITTEN_LATER, "nbgrader_config.py")


def instructors_gid() -> int | None:
    try:
        return grp.getgrnam(INSTRUCTOR_GROUP).gr_gid
    except KeyError:
        return None


def open_path_to(path: Path) -> list[Path]:
    """Let every user traverse (x, not read) each folder above ``path``; return the folders changed."""
    changed = []
    for folder in reversed(Path(path).resolve().parents):
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(folder, stat.S_IMODE(mode) | stat.S_IXOTH)
            changed.append(folder)
    return changed


def close_around(folder: Path, needed: list[Path]) -> list[Path]:
    """Close ``folder`` to "others" except the way to the ``needed`` paths below it (see the module's docstring);
    return the paths whose "others" permissions were taken."""
    folder = folder.resolve()
    keep = {p.resolve().relative_to(folder).parts[0] for p in needed
            if p.resolve() != folder and p.resolve().is_relative_to(folder)}
    gid, changed = instructors_gid(), []
    if not keep:
        return [folder] if restrict(folder, gid, traverse=False) else []
    if restrict(folder, None, traverse=True):
        changed.append(folder)
    for entry in folder.iterdir():
        if entry.name not in keep and not entry.is_symlink() and restrict(entry, gid, traverse=False):
            changed.append(entry)
    return changed


def restrict(path: Path, gid: int | None, traverse: bool) -> bool:
    """"Others" keep at most traverse (folders, with ``traverse``) and nothing else; ``gid``'s group may read (and
    traverse) it. True if a permission of "others" was taken."""
    mode = stat.S_IMODE(path.lstat().st_mode)
    others = stat.S_IXOTH if traverse and path.is_dir() else 0
    new = (mode & ~0o007) | others
    if gid is not None:
        os.chown(path, -1, gid)
        new |= 0o050 if path.is_dir() else 0o040
    os.chmod(path, new)
    return bool(mode & 0o007 & ~others)


def close_course(course: Path) -> list[Path]:
    """Give the instructors' group read and write on every instructor-only path of the course (folders setgid, so what
    the grading service writes later belongs to the group too: the instructor's formgrader runs as the instructor),
    and take "others" permissions off them. Return the paths whose "others" permissions were taken."""
    group = instructors_gid()
    changed = []
    if group is not None:  # the course folder itself: the instructor's server must be able to write the gradebook there
        os.chown(course, -1, group)
        os.chmod(course, stat.S_IMODE(course.stat().st_mode) | 0o070 | stat.S_ISGID)
    for name in PRIVATE:
        path = course / name
        if not path.exists() and not path.is_symlink():
            continue
        for item in [path, *(path.rglob("*") if path.is_dir() and not path.is_symlink() else [])]:
            if item.is_symlink():
                continue
            mode = stat.S_IMODE(item.lstat().st_mode)
            if mode & 0o007:
                changed.append(item)
            mode &= ~0o007
            if group is not None:
                os.chown(item, -1, group)
                mode |= 0o060 | (0o010 | stat.S_ISGID if item.is_dir() else 0)
            os.chmod(item, mode)
    return changed


def close_state(state: Path) -> None:
    """The hub's state (JupyterHub's database, cookie secret, proxy pid, the users' first passwords): root's only."""
    for item in [state, *state.rglob("*")]:
        if item.is_symlink():
            continue
        os.chown(item, 0, 0)
        os.chmod(item, 0o700 if item.is_dir() else 0o600)


# The course's folders in nbgrader's exchange (its release_assignment's modes; inbound/ sticky as well, so that nobody
# renames or removes another's submission folder whose name they learnt) and the service's feedback/ (0711).
COURSE_EXCHANGE = {".": 0o755, "outbound": 0o755, "inbound": 0o3733, "feedback": 0o711}


class ExchangeTaken(RuntimeError):
    """A folder of the course's exchange that someone untrusted made first (the exchange's root is writable by all)."""


def claim_course_exchange(folder: Path) -> None:
    """Make the course's folders of the exchange (``folder`` = ``<exchange>/<course id>``) before any learner can:
    the exchange's root is open to every account (nbgrader's 1777), so a learner who made ``<course id>/`` first would
    own the course's releases and submissions. Existing ones must be folders of root or an instructor (not links);
    else :class:`ExchangeTaken`, and the hub does not start. ``inbound/`` gets the sticky bit if it lacks it."""
    trusted = {0} | set(instructor_uids())
    for name, mode in COURSE_EXCHANGE.items():
        path = folder / name if name != "." else folder
        try:
            status = path.lstat()
        except FileNotFoundError:
            path.mkdir()
            os.chmod(path, mode)  # mkdir's mode goes through the umask; nbgrader chmods too
            continue
        if not stat.S_ISDIR(status.st_mode) or status.st_uid not in trusted:
            raise ExchangeTaken(f"{path}: root나 강사가 아닌 계정(uid {status.st_uid})이 먼저 만들었거나 폴더가 아닙니다"
                                "(링크 등). 학습자가 과제 배포나 제출을 가로채려고 만든 것일 수 있으니 내용을 확인하고 지운 뒤 "
                                "허브를 다시 시작하세요.")
        if name == "inbound" and not status.st_mode & stat.S_ISVTX:
            os.chmod(path, stat.S_IMODE(status.st_mode) | stat.S_ISVTX)


def instructor_uids() -> list[int]:
    """The accounts of the instructors' group (its members and those whose primary group it is)."""
    import pwd

    gid = instructors_gid()
    if gid is None:
        return []
    members = set(grp.getgrgid(gid).gr_mem)
    return [user.pw_uid for user in pwd.getpwall() if user.pw_name in members or user.pw_gid == gid]
