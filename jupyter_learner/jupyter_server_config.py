"""The learner's Jupyter server: nbgrader's Validate button and Assignment List, none of the instructor's tools.

This folder (``jupyter_learner/``) is a Jupyter configuration directory for learners' servers. Who uses it:

- ``make lab`` puts it first on ``JUPYTER_CONFIG_PATH`` and starts JupyterLab (no ``--config``);
- a class server (JupyterHub) starts each learner's server with the same variable, e.g. in
  ``jupyterhub_config.py``: ``c.Spawner.environment = {"JUPYTER_CONFIG_PATH": "/srv/course/jupyter_learner"}``.

The instructor's JupyterLab is ``make lab-instructor``: the repository root's ``jupyter_server_config.py`` (formgrader
with its Content-Security-Policy, every nbgrader tool), without this folder.

Jupyter reads two files here, on top of what nbgrader installed in the environment (``.venv/etc/jupyter``):

- this file: nbgrader's *server* extensions ``formgrader`` and ``course_list`` are off, so ``/formgrader`` is not
  served (404); ``validate_assignment`` (the Validate button) and ``assignment_list`` stay as installed;
- ``labconfig/page_config.json``: nbgrader's *JupyterLab* plugins ``formgrader`` (its launcher command and menu
  items), ``create-assignment`` (the "Create Assignment" sidebar) and ``course-list`` are disabled, and locked, so
  JupyterLab's plugin manager cannot turn them back on. nbgrader's ``menu`` plugin stays: without those plugins
  its "Nbgrader" menu has one item, "Assignment List" (the commands of disabled plugins do not exist, so their
  items are not shown), and ``validate-assignment`` keeps the Validate button in the notebook's toolbar.

This tidies the learner's screen; it is not what keeps solutions and grades from learners. A learner who controls
their own server can turn these back on (``~/.jupyter`` comes before this folder); what formgrader would then show
is only what the learner's account can read, so the instructor's files (``solutions/``, ``checks/``,
``gradebook.db``) must stay out of learners' reach.
"""

c = get_config()  # noqa: F821 (provided by Jupyter)

# Merged with the extensions enabled in the environment's jupyter_server_config.d/: these two are turned off.
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
}
