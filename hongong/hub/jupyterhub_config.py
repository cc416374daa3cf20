"""JupyterHub's configuration for a class (``jupyterhub -f hongong/hub/jupyterhub_config.py``; ``make hub`` starts it).

Who reads it: the hub process (root). Everything site-specific comes from the environment, so a test can run a second
hub beside the first: ``HONGONG_HUB_DIR`` (state, exchange, users' configuration; default ``.hub``),
``HONGONG_COURSE_DIR`` (default: the repository), ``HONGONG_HUB_PORT`` (8000; the hub's API, the proxy's API and the
grading service take the three ports after it) and ``HONGONG_BOOK_URL`` (where learners' hints link; default none).

- Users: local system users, PAM passwords (:mod:`hongong.hub.users` makes them from a roster); members of
  ``hongong-learners`` and ``hongong-instructors`` may log in, the instructors are the hub's admins.
- Servers: JupyterLab as the user, from this repository's environment. Learners get ``jupyter_learner/`` (no
  formgrader, no Create Assignment) and the exchange of the course; the instructor gets formgrader on the course.
- The grading service (:mod:`hongong.hub.service`) is managed by the hub: started and stopped with it, reached at
  ``/services/grader/``, authenticated through the hub. Every user's token may call it (``access:services!service=
  grader``); what it answers a learner is only about that learner.
"""

import os
import sys
from pathlib import Path

from hongong.hub.place import INSTRUCTOR_GROUP, LEARNER_GROUP, REPOSITORY, course_dir, hub_dir, state_dir
from hongong.hub.users import instructors, learners

c = get_config()  # noqa: F821 (provided by JupyterHub)

PORT = int(os.environ.get("HONGONG_HUB_PORT", "8000"))
BIN = Path(sys.executable).parent
STATE = state_dir()

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = PORT
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = PORT + 1
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 2}"
c.ConfigurableHTTPProxy.command = [str(REPOSITORY / ".hub" / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.log_level = os.environ.get("HONGONG_HUB_LOG_LEVEL", "INFO")

c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {LEARNER_GROUP, INSTRUCTOR_GROUP}
c.Authenticator.allowed_users = set(learners()) | set(instructors())  # in the hub's database from the start
c.Authenticator.admin_users = set(instructors())

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
SHARED = {"PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin", "KERAS_HOME": str(REPOSITORY / ".keras"),
          "TF_CPP_MIN_LOG_LEVEL": "3", "LANG": "C.UTF-8"}
if os.environ.get("HONGONG_BOOK_URL"):
    SHARED["HONGONG_BOOK_URL"] = os.environ["HONGONG_BOOK_URL"]


def configuration_path(spawner) -> str:
    """Learners: the exchange's course and jupyter_learner/; instructors: formgrader (with its Content-Security-Policy)
    on the course directory (``python -m hongong.hub prepare`` writes both folders)."""
    if spawner.user.name in instructors():
        return str(hub_dir() / "instructor-config")
    return f"{hub_dir() / 'learner-config'}:{REPOSITORY / 'jupyter_learner'}"


def course_as_root_for_instructors(spawner) -> None:
    """An instructor's server opens on the course directory: nbgrader's formgrader works only on a course directory
    inside the server's root ("The course directory root is not a subdirectory of the notebook server root")."""
    if spawner.user.name in instructors():
        spawner.notebook_dir = str(course_dir())


c.Spawner.pre_spawn_hook = course_as_root_for_instructors


SERVICE_PORT = PORT + 3
# hint() in a learner's kernel asks the grading service for hints held back until enough graded attempts, with the
# server's own token: that token may reach the service (and the user's server), nothing else of the hub.
c.Spawner.environment = {**SHARED, "JUPYTER_CONFIG_PATH": configuration_path,
                         "HONGONG_GRADER_URL": f"http://127.0.0.1:{SERVICE_PORT}/services/grader/"}
c.Spawner.server_token_scopes = ["users:activity!user", "access:services!service=grader"]

c.JupyterHub.services = [{
    "name": "grader",
    "url": f"http://127.0.0.1:{SERVICE_PORT}",
    "command": [sys.executable, "-m", "hongong.hub.service"],
    "cwd": str(course_dir()),
    "oauth_no_confirm": True,  # the course's own service: no "Authorize access" page before a learner's attempts
    "environment": {**SHARED, "HONGONG_HUB_DIR": str(hub_dir()), "HONGONG_COURSE_DIR": str(course_dir()),
                    "PYTHONUNBUFFERED": "1"},
}]
c.JupyterHub.load_roles = [
    {"name": "user", "scopes": ["self", "access:services!service=grader"]},
    {"name": "grader", "services": ["grader"], "scopes": ["read:users:name", "list:users"]},
]
