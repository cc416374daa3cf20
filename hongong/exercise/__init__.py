"""The learner's wing: what runs inside a learner's kernel, in JupyterLab and while a submission is graded.

Untrusted by design: the learner controls this process and may replace anything here, so nothing here decides a
grade, and nothing here imports the grading engine (:mod:`hongong.grading`); a test keeps it so.

- :mod:`hongong.exercise.forms`: :func:`check_form`, what the visible test cells call (the form of an answer,
  in Korean);
- :mod:`hongong.exercise.answers`: the answers written as data after the notebook ran (the sandboxed executor
  runs that one extra cell), for the trusted checker to judge.
"""

from hongong.exercise.forms import check_form

__all__ = ["check_form"]
