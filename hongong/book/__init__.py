"""The book's wing: what runs when the book is built (Sphinx) and in each chapter's kernel.

- :mod:`hongong.book.notebook`: ``setup_notebook`` (every chapter's first cell), ``glue_value`` for numbers in
  the prose, ``glue_words`` for phrases chosen from them, ``scratch_dir`` for files a chapter saves; executing a chapter outside the build (tests, benchmarks);
- :mod:`hongong.book.korean`: the particle that follows a number or word as it is read (``with_particle``);
- :mod:`hongong.book.plotting`: the Korean font for figures (also used by the grading report);
- :mod:`hongong.book.sphinx_korean_search` and :mod:`hongong.book.sphinx_unique_scripts`: Sphinx extensions
  listed in ``_config.yml``;
- :mod:`hongong.book.execute_chapters`: ``make html`` runs it before Jupyter Book: the chapters missing from the
  execution cache, executed one per core at a time into that cache.
"""
