"""The learner's wing: what runs inside a learner's kernel, in JupyterLab and while a submission is graded.

Untrusted by design: the learner controls this process and may replace anything here, so nothing here decides a
grade, and nothing here imports the grading engine (:mod:`hongong.grading`); a test keeps it so.

- :mod:`hongong.exercise.forms`: what the visible test cells call (:func:`check_form`, :func:`answer`,
  :func:`expect`, :func:`form_ok`): the form of an answer in Korean, as not attempted, wrong form or form OK;
- :mod:`hongong.exercise.hints`: :func:`hint`, the ladder of hints per item, recorded in the notebook;
- :mod:`hongong.exercise.items`: the assignment's ``items.toml`` (titles, sections, hints), which the instructor's
  process reads too (standard library only);
- :mod:`hongong.exercise.answers`: the answers written as data after the notebook ran (the sandboxed executor
  runs that one extra cell), for the trusted checker to judge.
"""

from hongong.exercise.forms import answer, check_form, expect, form_ok, setup_exercise
from hongong.exercise.hints import hint

__all__ = ["answer", "check_form", "expect", "form_ok", "hint", "setup_exercise"]
