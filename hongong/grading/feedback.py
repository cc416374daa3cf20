"""The feedback stage: what a learner's feedback page shows and what it never does.

Who runs it: ``nbgrader generate_feedback`` in the instructor's process (:mod:`hongong.grading.classroom` calls it
through nbgrader's API), configured in ``nbgrader_config.py``: :class:`HideHiddenTests` among
``GenerateFeedback.preprocessors`` (before :class:`hongong.grading.inert.MakeInert`), and
:func:`feedback_exporter` as ``GenerateFeedback.exporter_class``. What the page says about each item (the table,
the verdicts, the links to the book) is :mod:`hongong.grading.feedback_items`.
"""

from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)
HIDDEN_NOTE = "# (숨은 테스트: 채점할 때만 실행되고 피드백에는 보이지 않습니다)\n"
VISIBLE_VERDICTS = {"NotAttempted", "WrongForm", "NotLikeExample"}  # hongong.exercise.forms


class HideHiddenTests(Preprocessor):
    """For ``GenerateFeedback.preprocessors``: drop hidden tests from test cells, and from their tracebacks.

    A failing hidden ``assert`` would otherwise be quoted line by line in the traceback (nbgrader#917,
    #1363). An error in a test cell keeps its type and message (visible checks speak Korean there)
    and loses its traceback.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            cell.source = HIDDEN.sub(HIDDEN_NOTE, cell.source)
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    detail = output.evalue or "숨은 테스트를 통과하지 못했습니다."
                    # the visible tests' own verdicts already read "시도하지 않음: …", "형식이 틀림: …"
                    output.traceback = [detail if output.ename in VISIBLE_VERDICTS else f"{output.ename}: {detail}"]
        return cell, resources


# The feedback page allows no script at all: a second lock behind MakeInert, for whoever opens the file.
FEEDBACK_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
                   "base-uri 'none'; form-action 'none'")


def with_policy(page: str, policy: str = FEEDBACK_POLICY) -> str:
    """The page with a Content-Security-Policy ``<meta>`` as the first element of its ``<head>``."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    if "<head>" not in page:
        raise ValueError("no <head> in the feedback page: cannot put the Content-Security-Policy first")
    return page.replace("<head>", f"<head>\n{meta}", 1)


def feedback_exporter():
    """``GenerateFeedback.exporter_class``: nbgrader's HTML exporter, its pages carrying :data:`FEEDBACK_POLICY`.

    Its template is ours (``c.HTMLExporter.extra_template_basedirs`` in ``nbgrader_config.py``: the folder
    :data:`hongong.grading.feedback_items.TEMPLATES`, whose ``feedback`` template replaces nbgrader's of that name):
    Korean, with the table of items at the top.

    The feedback has no math and no widget, so blocking every script (MathJax and require.js from a CDN
    included) costs the learner nothing.
    """
    from nbconvert.exporters import HTMLExporter

    class FeedbackWithoutScripts(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            page, resources = super().from_notebook_node(nb, resources, **kw)
            return with_policy(page), resources

    return FeedbackWithoutScripts
