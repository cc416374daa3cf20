"""nbgrader's gradebook and commands, as the grading engine reaches them, and the guard around each recording.

Who runs it: the instructor's process (:mod:`hongong.grading.classroom`, :mod:`hongong.grading.export`).
:func:`rows_not_of` digests every row but one submission's own grades, so a recording that changed anything
else is found and undone.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from pathlib import Path


def rows_not_of(database: Path, student: str, assignment: str) -> str:
    """A digest of every gradebook row except the grades of this learner's submission of this assignment."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            return "damaged"
        digest = hashlib.sha256()
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        own_assignment = {row[0] for row in connection.execute(
            "SELECT sa.id FROM submitted_assignment sa JOIN assignment a ON sa.assignment_id = a.id "
            "WHERE sa.student_id = ? AND a.name = ?", (student, assignment))}
        own = {row[0] for row in connection.execute(
            f"SELECT id FROM submitted_notebook WHERE assignment_id IN ({','.join('?' * len(own_assignment))})",
            tuple(own_assignment))}
        for table in tables:
            columns = [row[1] for row in connection.execute(f"PRAGMA table_info('{table}')")]
            for row in connection.execute(f"SELECT * FROM '{table}' ORDER BY rowid"):
                record = dict(zip(columns, row))
                if table in ("grade", "comment") and record["notebook_id"] in own:
                    continue  # this submission's own grades: nbgrader rewrites them
                if (table, record.get("id")) in {("submitted_notebook", i) for i in own} | {
                        ("submitted_assignment", i) for i in own_assignment} | {("student", student)}:
                    continue
                digest.update(repr((table, row)).encode())
        return digest.hexdigest()
    except sqlite3.DatabaseError:
        return "damaged"
    finally:
        connection.close()


def nbgrader_api(course: Path, options: list[str] = ()):
    """nbgrader's Python API on the course's nbgrader_config.py, with ``--Class.trait=value`` options on top."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import KVArgParseConfigLoader, PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    if options:
        config.merge(KVArgParseConfigLoader(list(options)).load_config())
    return NbGraderAPI(coursedir=CourseDirectory(root=str(course), config=config), config=config)


def run_nbgrader(course: Path, *args: str) -> None:
    """Run an ``nbgrader`` command of this environment in the course directory; raise with its output if it fails.

    The environment's bin/ goes first on PATH: nbgrader starts ``alembic`` from there.
    """
    import subprocess

    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run([str(bin_dir / "nbgrader"), *args, "--log-level=WARN"], cwd=course, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def ensure_in_gradebook(course: Path, assignment: str) -> bool:
    """Record the assignment's cells in the gradebook if it is not there yet (a fresh clone has no gradebook.db).

    Runs ``nbgrader generate_assignment`` with a throwaway release folder, so the committed ``exercises/``
    is left as it is. Returns True when it had to.
    """
    import tempfile

    from nbgrader.api import Gradebook, MissingEntry

    if (course / "gradebook.db").exists():
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            try:
                if gradebook.find_assignment(assignment).notebooks:
                    return False
            except MissingEntry:
                pass
    with tempfile.TemporaryDirectory(prefix="release-") as release:
        run_nbgrader(course, "generate_assignment", assignment, "--force", f"--CourseDirectory.release_directory={release}")
    return True
