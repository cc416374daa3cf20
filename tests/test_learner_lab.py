"""`make lab` is the learner's JupyterLab (jupyter_learner/), `make lab-instructor` the instructor's.

The learner keeps nbgrader's Validate button and Assignment List; formgrader, the course list and "Create
Assignment" are gone from both the server (``/formgrader`` is 404) and JupyterLab (disabled and locked plugins in
the page config). The instructor's lab still serves formgrader, with its Content-Security-Policy.
Each lab is started from the Makefile's own recipe (tests/lab_server.py) in a copy of the course.
The learner's screen itself (no "Create Assignment", an Nbgrader menu with "Assignment List" only, Validate):
tests/test_learner_journey.py.
"""

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from lab_server import Lab, make_recipe

LEARNER = ROOT / "jupyter_learner"
NBGRADER = "@jupyter/nbgrader"
INSTRUCTOR_PLUGINS = {f"{NBGRADER}:formgrader", f"{NBGRADER}:create-assignment", f"{NBGRADER}:course-list"}
LEARNER_PLUGINS = {f"{NBGRADER}:validate-assignment", f"{NBGRADER}:assignment-list", f"{NBGRADER}:menu"}


def nbgrader_plugin_ids() -> set[str]:
    """The ids of the plugins in the nbgrader JupyterLab extension installed in this environment."""
    from jupyter_core.paths import jupyter_path

    bundles = [path for folder in jupyter_path("labextensions")
               for path in (Path(folder) / NBGRADER / "static").glob("*.js")]
    assert bundles, "nbgrader's JupyterLab extension is not installed"
    return {found for path in bundles for found in re.findall(rf'"({NBGRADER}:[a-z-]+)"', path.read_text())}


def test_the_learner_config_names_plugins_and_extensions_nbgrader_has():
    """A plugin renamed by a new nbgrader would silently come back: every name in jupyter_learner/ must exist."""
    page_config = json.loads((LEARNER / "labconfig" / "page_config.json").read_text(encoding="utf-8"))
    assert {name for name, on in page_config["disabledExtensions"].items() if on} == INSTRUCTOR_PLUGINS
    assert {name for name, on in page_config["lockedExtensions"].items() if on} == INSTRUCTOR_PLUGINS
    assert INSTRUCTOR_PLUGINS | LEARNER_PLUGINS <= nbgrader_plugin_ids()
    import nbgrader.server_extensions.course_list  # noqa: F401 (the modules the learner's config turns off)
    import nbgrader.server_extensions.formgrader  # noqa: F401


def test_make_lab_is_the_learners_and_make_lab_instructor_the_instructors():
    environment, command = make_recipe("lab")
    assert environment == {"JUPYTER_CONFIG_PATH": str(LEARNER)} and not any(w.startswith("--config") for w in command)
    environment, command = make_recipe("lab-instructor")
    assert not environment and f"--config={ROOT / 'jupyter_server_config.py'}" in command


@pytest.fixture
def course(tmp_path):
    """A copy of the course root as the labs see it: nbgrader's config and the released exercises."""
    folder = tmp_path / "course"
    folder.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(ROOT / "exercises", folder / "exercises")
    return folder


@pytest.mark.slow
def test_learner_lab_has_validate_and_assignment_list_but_no_instructor_tools(course, tmp_path):
    lab = Lab("lab", course, tmp_path / "learner-lab.log")
    try:
        # Server: formgrader (pages and API) and the course list are not served; Validate and the assignment list are.
        for path in ["/formgrader", "/formgrader/gradebook", "/formgrader/api/status", "/formgraders"]:
            assert lab.status(path) == 404, path
        assert lab.status("/assignments/validate") == 405  # exists, POST only: the Validate button's handler
        status, _, body = lab.request("/courses")  # the assignment list's (it answers even without an exchange)
        assert status == 200 and "success" in json.loads(body), body
        # JupyterLab: the instructor's plugins are disabled and locked; Validate, the assignment list and the menu stay.
        page_config = lab.page_config()
        assert INSTRUCTOR_PLUGINS <= set(page_config["disabledExtensions"])
        assert INSTRUCTOR_PLUGINS <= set(page_config["lockedExtensions"])
        assert not LEARNER_PLUGINS & set(page_config["disabledExtensions"])
    finally:
        lab.stop()
    log = lab.log.read_text()
    assert "nbgrader.server_extensions.validate_assignment | extension was successfully loaded" in log, log[-3000:]
    assert "nbgrader.server_extensions.formgrader" not in log, log[-3000:]


@pytest.mark.slow
def test_instructor_lab_serves_formgrader_with_its_policy(course, tmp_path):
    lab = Lab("lab-instructor", course, tmp_path / "instructor-lab.log")
    try:
        status, headers, body = lab.request("/formgrader/manage_assignments")
        assert status == 200 and "Manage Assignments" in body, lab.log.read_text()[-3000:]
        assert "script-src 'nonce-" in headers["Content-Security-Policy"]
        assert lab.status("/formgraders") == 200
        assert not INSTRUCTOR_PLUGINS & set(lab.page_config()["disabledExtensions"])
    finally:
        lab.stop()
