"""Shared helpers of the course book (혼자 공부하는 머신러닝+딥러닝, chapter 7).

- :mod:`hongong.data`: Fashion-MNIST in Keras's cache, offline, verified (introduced in 7-1);
- :mod:`hongong.notebook`: the set-up every chapter runs first, ``glue_value`` for numbers in prose,
  ``scratch_dir`` for files a chapter saves (7-3);
- :mod:`hongong.plotting`: the Korean font for figures;
- :mod:`hongong.apt`: Debian packages the set-up installs;
- :mod:`hongong.grading`: what the exercises' test cells call;
- :mod:`hongong.autograde`, :mod:`hongong.sandbox` and :mod:`hongong.classroom`: the instructor's side
  (how a submission is executed, the sandbox it executes in; grading a class in parallel or on Dask,
  feedback, export, report).
"""

from hongong.data import CLASS_NAMES
from hongong.notebook import glue_value, scratch_dir, setup_notebook

__all__ = ["CLASS_NAMES", "glue_value", "scratch_dir", "setup_notebook"]
