"""Where a hub keeps its files: its state, the exchange, the users' configuration and the course.

One folder, ``HONGONG_HUB_DIR`` (default ``<repository>/.hub``), holds:

- ``state/`` (root only, 0700): JupyterHub's database, cookie secret, the proxy's pid file, the users' passwords;
- ``exchange/`` (nbgrader's exchange: released assignments, submissions in ``inbound/`` that only their author and the
  grader can open, feedback files named by each submission's secret);
- ``learner-config/``: the Jupyter configuration of learners' servers (course id, exchange) on top of ``jupyter_learner/``;
- ``instructor-config/``: the instructor's (formgrader on the course directory).

The course directory (solutions, checks, gradebook, submissions) is the repository root unless ``HONGONG_COURSE_DIR``
says otherwise. Who may read what of all this is :mod:`hongong.hub.reach`'s job; :func:`learner_paths` lists what a
learner's server must reach.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
COURSE_ID = "hongong-ch7"
INSTRUCTOR_GROUP = "hongong-instructors"
LEARNER_GROUP = "hongong-learners"


def hub_dir() -> Path:
    return Path(os.environ.get("HONGONG_HUB_DIR", REPOSITORY / ".hub")).resolve()


def course_dir() -> Path:
    return Path(os.environ.get("HONGONG_COURSE_DIR", REPOSITORY)).resolve()


def state_dir() -> Path:
    return hub_dir() / "state"


def exchange_dir() -> Path:
    return hub_dir() / "exchange"


def runtime_paths() -> list[Path]:
    """What a user's server must run: this Python (its installation and the environment) and this package."""
    return [Path(os.path.realpath(sys.base_prefix)), Path(sys.prefix), REPOSITORY / "hongong", REPOSITORY / ".keras"]


def learner_paths() -> list[Path]:
    """Everything a learner's server must reach: what it runs, the learners' Jupyter configuration, the exchange."""
    return [*runtime_paths(), REPOSITORY / "jupyter_learner", hub_dir() / "learner-config", exchange_dir()]


def release_feedback(released: Path, secret: str, notebook: str, page: str) -> None:
    """Put ``page`` in the exchange's ``released`` folder where nbgrader's fetch_feedback looks for this submission's
    notebook: named by the hash of the submission's ``secret``, so its author finds it and nobody else can."""
    released.mkdir(parents=True, exist_ok=True)
    os.chmod(released, 0o711)  # nbgrader's mode: anyone may open a file whose name they know, nobody may list
    target = released_page(released, secret, notebook)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(page, encoding="utf-8")
    os.chmod(temporary, 0o644)
    temporary.replace(target)


def released_page(released: Path, secret: str, notebook: str) -> Path:
    """nbgrader's name for a submission's feedback page in the exchange: the hash of the submission's secret."""
    from nbgrader.utils import notebook_hash

    return released / f"{notebook_hash(secret=secret, notebook_id=notebook)}.html"
