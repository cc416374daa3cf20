"""The instructor's Jupyter server (`make lab-instructor` passes this file with --config; the hub's instructor server
reads a copy of it).

hongong.grading.formgrader_csp puts a Content-Security-Policy on nbgrader's formgrader pages: a learner's notebook
shown there (HTML, JavaScript, SVG outputs, raw HTML in a markdown answer) runs no script in the
instructor's session. hongong.grading.lab_csp puts one on every other page (nothing loaded from outside the server:
no beacon in a learner's notebook reaches its author) and serves every file under /files/ inert (no script, no form).
nbgrader's own extensions stay enabled as nbgrader installs them.
"""

from hongong.grading.lab_csp import LAB_POLICY

c = get_config()  # noqa: F821 (provided by Jupyter)

c.ServerApp.jpserver_extensions = {"hongong.grading.formgrader_csp": True}
c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": LAB_POLICY}}
c.ContentsManager.files_handler_class = "hongong.grading.lab_csp.InertFiles"
