"""Learners and the instructor as local system users of this machine, from a roster.

Who runs it: the administrator (root), ``python -m hongong.hub users ROSTER.csv [--instructor NAME]``.

The roster is a CSV file with a ``student_id`` column (nbgrader's own roster format, as ``nbgrader db student import``
reads it; ``first_name``, ``last_name`` and ``email`` are kept in the gradebook when present). Each learner gets a
system account (``useradd``, home folder, group ``hongong-learners``) and a random password, written with the
others to ``.hub/state/passwords.csv`` (root only) for the instructor to hand out; an account that already exists
keeps its password. The learners are added to the course's gradebook, so formgrader and the export list them.

An id must be a valid, unprivileged user name (lower-case letters, digits, ``-`` and ``_``, starting with a letter,
at most 32 characters), not a reserved name and not a system account of this machine (``root``, ``www-data`` ...: an
instructor named so would become a hub admin who logs in as that account): anything else is refused with its line
number, before any account is made. An existing ordinary account is adopted (its password kept) and said so.
"""

from __future__ import annotations

import csv
import grp
import os
import pwd
import re
import secrets
import subprocess
from pathlib import Path

from hongong.hub.place import INSTRUCTOR_GROUP, LEARNER_GROUP, state_dir

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
RESERVED = {"root", "daemon", "bin", "sys", "sync", "nobody", "admin", "jupyterhub"}


class RosterError(ValueError):
    """The roster cannot be used as it is (nothing was created)."""


def read_roster(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "student_id" not in rows[0]:
        raise RosterError(f"{path}: 'student_id' 열이 있는 CSV가 아닙니다.")
    bad = [(number, row["student_id"]) for number, row in enumerate(rows, start=2)
           if not NAME.match(row["student_id"] or "") or row["student_id"] in RESERVED]
    if bad:
        raise RosterError("시스템 계정 이름으로 쓸 수 없는 student_id: "
                          + ", ".join(f"{number}행 {name!r}" for number, name in bad)
                          + " (영문 소문자로 시작, 소문자·숫자·-·_만, 32자 이하)")
    seen, repeated = set(), []
    for row in rows:
        repeated += [row["student_id"]] if row["student_id"] in seen else []
        seen.add(row["student_id"])
    if repeated:
        raise RosterError(f"명단에 두 번 나온 student_id: {', '.join(sorted(set(repeated)))}")
    return rows


def system_account(name: str) -> bool:
    """An account of this machine below the first user id (``UID_MIN`` of /etc/login.defs: daemons, www-data ...):
    never a learner's or an instructor's, whatever a roster says."""
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return False
    return uid < first_user_id()


def first_user_id() -> int:
    try:
        for line in Path("/etc/login.defs").read_text().splitlines():
            if line.split()[:1] == ["UID_MIN"]:
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 1000


def ensure_group(name: str) -> None:
    try:
        grp.getgrnam(name)
    except KeyError:
        subprocess.run(["groupadd", "--system", name], check=True)


def exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def ensure_user(name: str, group: str, passwords: dict[str, str]) -> bool:
    """Create the account if it is missing (with a new password in ``passwords``); True if it was created."""
    if exists(name):
        subprocess.run(["usermod", "--append", "--groups", group, name], check=True)
        return False
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--groups", group, name], check=True)
    os.chmod(pwd.getpwnam(name).pw_dir, 0o700)  # Debian's useradd follows the umask (0755): a learner's work is theirs
    password = passwords.get(name) or secrets.token_urlsafe(12)
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
    passwords[name] = password
    return True


def password_file() -> Path:
    return state_dir() / "passwords.csv"


def read_passwords() -> dict[str, str]:
    path = password_file()
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["user"]: row["password"] for row in csv.DictReader(handle)}


def write_passwords(passwords: dict[str, str]) -> None:
    path = password_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    with open(temporary, "w", newline="", encoding="utf-8", opener=lambda p, f: os.open(p, f, 0o600)) as handle:
        writer = csv.writer(handle)
        writer.writerow(["user", "password"])
        writer.writerows(sorted(passwords.items()))
    temporary.replace(path)


def create_accounts(roster: Path, instructor: str, course: Path, given: dict[str, str] | None = None) -> dict:
    """Accounts for the roster's learners and the instructor; learners into the gradebook. ``given``: passwords to
    use for new accounts (tests); returns ``{"created": [...], "existing": [...]}``."""
    rows = read_roster(roster)
    if not NAME.match(instructor) or instructor in RESERVED or system_account(instructor):
        raise RosterError(f"강사 계정 이름으로 쓸 수 없습니다: {instructor!r} (예약된 이름이거나 시스템 계정)")
    taken = [row["student_id"] for row in rows if system_account(row["student_id"])]
    if taken:
        raise RosterError(f"이미 있는 시스템 계정과 이름이 같은 student_id: {', '.join(taken)}")
    if instructor in {row["student_id"] for row in rows}:
        raise RosterError(f"강사 계정 {instructor!r}이(가) 학습자 명단에도 있습니다.")
    ensure_group(LEARNER_GROUP)
    ensure_group(INSTRUCTOR_GROUP)
    passwords = read_passwords() | dict(given or {})
    created, existing = [], []
    for name, group in [(row["student_id"], LEARNER_GROUP) for row in rows] + [(instructor, INSTRUCTOR_GROUP)]:
        (created if ensure_user(name, group, passwords) else existing).append(name)
    write_passwords({name: passwords[name] for name in passwords if exists(name)})
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for row in rows:
            gradebook.update_or_create_student(row["student_id"], **{k: row[k] for k in ("first_name", "last_name", "email")
                                                                     if row.get(k)})
    return {"created": created, "existing": existing}


def learners() -> list[str]:
    try:
        return sorted(grp.getgrnam(LEARNER_GROUP).gr_mem)
    except KeyError:
        return []


def instructors() -> list[str]:
    try:
        return sorted(grp.getgrnam(INSTRUCTOR_GROUP).gr_mem)
    except KeyError:
        return []
