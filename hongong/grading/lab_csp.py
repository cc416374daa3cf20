"""The instructor's JupyterLab loads nothing from outside the server, and serves the files in it inert.

Who runs it: the instructor's Jupyter server (``make lab-instructor`` and the instructor's server on the hub read
``jupyter_server_config.py``, which sets the two below). Why: the instructor opens what learners handed in
(``submitted/``, ``autograded/``, ``feedback/``). A notebook's markdown image, ``background-image:url()`` or
``<video poster>`` pointing outside would tell the learner when the instructor looked (a beacon, again at every
reload, as JupyterLab reopens its tabs); a handed-in ``evil.html`` opened with "Open in New Browser Tab" would run
its script under the hub's address (jupyter_server serves files with ``sandbox allow-scripts``), enough for a
phishing page that sends what is typed into it anywhere.

- :data:`LAB_POLICY`, every page of the server (``c.ServerApp.tornado_settings["headers"]``): images, media, fonts,
  connections, frames and workers only from the server itself, ``data:`` and ``blob:``; scripts only from the
  server's own files (JupyterLab's bundles) and JupyterLab's one inline script (it takes the token out of the
  address), allowed by its hash, read from JupyterLab's page templates at start-up. JupyterLab validates its settings with ajv, which
  compiles schemas with ``new Function``, so ``'unsafe-eval'`` stays; an untrusted notebook's outputs are sanitised
  by JupyterLab itself. formgrader's pages keep their own, stricter policy (:mod:`hongong.grading.formgrader_csp`).
- :class:`InertFiles`, ``/files/...`` (``c.ContentsManager.files_handler_class``): every file is sent with
  ``default-src 'none'`` and ``sandbox`` *without* ``allow-scripts`` or ``allow-forms``: an HTML or SVG file shows
  its text and inline styles, runs nothing, submits no form and loads nothing remote.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import jupyterlab_server
from jupyter_server.base.handlers import AuthenticatedFileHandler
from jupyterlab.commands import get_app_dir

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", re.DOTALL)


def inline_script_hashes(template: Path) -> list[str]:
    """'sha256-…' of each constant inline script of a page template (none with a template expression in it)."""
    found = INLINE_SCRIPT.findall(template.read_text(encoding="utf-8"))
    return [f"'sha256-{base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()}'" for code in found
            if "{{" not in code and "{%" not in code]


# JupyterLab's page (its application folder's build) and jupyterlab_server's default page
TEMPLATES = [Path(get_app_dir()) / "static" / "index.html", Path(jupyterlab_server.__file__).parent / "templates" / "index.html"]
LAB_POLICY = "; ".join([
    "default-src 'self'",
    " ".join(["script-src 'self' 'unsafe-eval'", *dict.fromkeys(h for t in TEMPLATES if t.is_file() for h in inline_script_hashes(t))]),
    "style-src 'self' 'unsafe-inline'",  # JupyterLab's and the outputs' inline styles
    "img-src 'self' data: blob:",
    "media-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",               # the server's API and kernels' websockets (same host)
    "frame-src 'self' data: blob:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])

FILE_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"


class InertFiles(AuthenticatedFileHandler):
    """jupyter_server's ``/files/`` handler, with :data:`FILE_POLICY` instead of ``sandbox allow-scripts``."""

    @property
    def content_security_policy(self) -> str:
        return FILE_POLICY
