"""The instructor's Jupyter server (`make lab-instructor` passes this file with --config).

hongong.grading.formgrader_csp puts a Content-Security-Policy on nbgrader's formgrader pages: a learner's notebook
shown there (HTML, JavaScript, SVG outputs, raw HTML in a markdown answer) runs no script in the
instructor's session. nbgrader's own extensions stay enabled as nbgrader installs them.
"""

c = get_config()  # noqa: F821 (provided by Jupyter)

c.ServerApp.jpserver_extensions = {"hongong.grading.formgrader_csp": True}
