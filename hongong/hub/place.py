"""Where a hub keeps its files, and who may read them.

One folder, ``HONGONG_HUB_DIR`` (default ``<repository>/.hub``), holds:

- ``state/`` (root only, 0700): JupyterHub's database, cookie secret, the proxy's pid file, the users' passwords;
- ``exchange/`` (nbgrader's exchange: released assignments, submissions in ``inbound/`` that only their author and the
  grader can open, feedback files named by each submission's secret);
- ``learner-config/``: the Jupyter configuration of learners' servers (course id, exchange) on top of ``jupyter_learner/``;
- ``instructor-config/``: the instructor's (formgrader on the course directory).

The course directory (solutions, checks, gradebook, submissions) is the repository root unless ``HONGONG_COURSE_DIR``
says otherwise. Learners are system users of this machine, so :func:`close_course` takes every instructor-only
folder out of their reach (no permission for "others"); :func:`open_path_to` lets them traverse to what their servers
must run (the Python installation, this package, the exchange), and nothing more.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
COURSE_ID = "hongong-ch7"
INSTRUCTOR_GROUP = "hongong-instructors"
LEARNER_GROUP = "hongong-learners"
# What only the instructor (and the grader, root) may read: answers, hidden checks, every learner's work and grade.
PRIVATE = ("solutions", "checks", "gradebook.db", "gradebook.db-journal", "submitted", "autograded", "feedback",
           "grades", "downloaded", "attempts", "nbgrader_config.py", ".hub/state")


def hub_dir() -> Path:
    return Path(os.environ.get("HONGONG_HUB_DIR", REPOSITORY / ".hub")).resolve()


def course_dir() -> Path:
    return Path(os.environ.get("HONGONG_COURSE_DIR", REPOSITORY)).resolve()


def state_dir() -> Path:
    return hub_dir() / "state"


def exchange_dir() -> Path:
    return hub_dir() / "exchange"


def open_path_to(path: Path) -> list[Path]:
    """Let every user traverse (x, not read) each folder above ``path``; return the folders changed."""
    changed = []
    for folder in reversed(Path(path).resolve().parents):
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(folder, stat.S_IMODE(mode) | stat.S_IXOTH)
            changed.append(folder)
    return changed


def close_course(course: Path) -> list[Path]:
    """Take "others" permissions off every instructor-only path of the course, and give them to the instructors'
    group (read and write; folders setgid, so what the grading service writes later belongs to the group too: the
    instructor's formgrader runs as the instructor). Return the paths whose "others" permissions were taken."""
    import grp

    try:
        group = grp.getgrnam(INSTRUCTOR_GROUP).gr_gid
    except KeyError:
        group = None
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


def runtime_paths() -> list[Path]:
    """What a user's server must reach: this Python (its installation and the environment) and this package."""
    return [Path(os.path.realpath(sys.base_prefix)), Path(sys.prefix), REPOSITORY / "hongong", REPOSITORY / ".keras"]


def release_feedback(released: Path, submission_folder: Path, notebook: str, page: str) -> None:
    """Put ``page`` in the exchange's ``released`` folder where nbgrader's fetch_feedback looks for this submission's
    notebook: named by the hash of the submission's secret, so its author finds it and nobody else can."""
    released.mkdir(parents=True, exist_ok=True)
    os.chmod(released, 0o711)  # nbgrader's mode: anyone may open a file whose name they know, nobody may list
    target = released_page(released, submission_folder, notebook)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(page, encoding="utf-8")
    os.chmod(temporary, 0o644)
    temporary.replace(target)


def released_page(released: Path, submission_folder: Path, notebook: str) -> Path:
    """nbgrader's name for a submission's feedback page in the exchange: the hash of the submission's secret."""
    from nbgrader.utils import notebook_hash

    secret = (submission_folder / "submission_secret.txt").read_text()
    return released / f"{notebook_hash(secret=secret, notebook_id=notebook)}.html"
