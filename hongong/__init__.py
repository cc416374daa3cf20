"""The course's package, in wings named for who runs the code and how far it is trusted.

- :mod:`hongong.setup` (``make setup``; its data helpers also run in chapter and exercise kernels and in the checker):
  Fashion-MNIST in Keras's cache, Debian packages;
- :mod:`hongong.book` (book build and chapter kernels): the set-up every chapter runs first, glue, Korean
  figures, the two Sphinx extensions;
- :mod:`hongong.exercise` (the learner's kernel: untrusted, imports nothing from the grading engine): the form
  checks of the visible test cells, the answer export the executor calls after a notebook ran;
- :mod:`hongong.grading` (the instructor's engine, one module per stage): collect → precheck → execute in the
  sandbox → answers as data → trusted checker → record → feedback → export → report.

The chapters and exercises start with ``from hongong import setup_notebook``: the names below are that door.
"""

from hongong.book.korean import with_particle
from hongong.book.notebook import glue_value, glue_words, scratch_dir, setup_notebook
from hongong.book.plotting import show_figure
from hongong.setup.data import CLASS_NAMES

__all__ = ["CLASS_NAMES", "glue_value", "glue_words", "scratch_dir", "setup_notebook", "show_figure", "with_particle"]
