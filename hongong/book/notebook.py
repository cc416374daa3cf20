"""A chapter's own helpers: the first cell of every chapter (and exercise) calls :func:`setup_notebook`, before Keras.

Also here: :func:`glue_value` (numbers for the prose), :func:`glue_words` (phrases chosen from them), :func:`scratch_dir` (files a chapter saves), and for tests and
benchmarks, the chapters in the table of contents and executing one outside the build (:func:`execute_notebook`,
:func:`glued_in`).
"""

from __future__ import annotations

import os
import sys
from numbers import Integral, Real

from hongong.setup.data import REPOSITORY, default_keras_home, ensure_fashion_mnist
from hongong.book.plotting import use_accessible_style, use_korean_font


def setup_notebook() -> None:
    """Data cache, log level, Korean figures and a quiet TensorFlow import, in that order.

    - ``KERAS_HOME`` defaults to the repository's ``.keras/`` (Keras reads it once, when imported),
      and Fashion-MNIST is made ready there (:func:`hongong.setup.data.ensure_fashion_mnist`);
    - ``TF_CPP_MIN_LOG_LEVEL=3`` hides TensorFlow's C++ log lines, errors included: TensorFlow 2.21
      with Keras 3.15 logs a harmless ERROR line ("NodeDef mentions attribute
      use_unbounded_threadpool") whenever ``fit()`` gets ``validation_data``; real failures still
      raise Python exceptions;
    - matplotlib draws Korean with NanumGothic, in colours and line styles told apart without colour;
    - TensorFlow is imported once with its start-up notices discarded (see
      :func:`import_tensorflow_quietly`), so the pages show no log noise and anything a cell
      writes to stderr afterwards is a real warning (the book's build treats it as an error).
    """
    os.environ.setdefault("KERAS_HOME", str(default_keras_home()))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    ensure_fashion_mnist()
    use_korean_font()
    use_accessible_style()
    import_tensorflow_quietly()


def import_tensorflow_quietly():
    """Import TensorFlow with what its C++ start-up writes to file descriptor 2 discarded.

    TensorFlow 2.21 prints the oneDNN notice through absl before its log level applies, so
    ``TF_CPP_MIN_LOG_LEVEL`` cannot hide it. Python-level warnings are not affected: they go to
    ``sys.stderr``, not to the file descriptor. An import error is raised as usual.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    return tensorflow


def glue_value(name: str, value) -> None:
    """``myst_nb.glue`` a number for the prose, as a plain Python int or float.

    NumPy scalars would be pasted as ``np.float64(0.85)`` (MyST-NB#610); bool stays bool.
    """
    from myst_nb import glue

    if isinstance(value, Integral) and not isinstance(value, bool):
        value = int(value)
    elif isinstance(value, Real) and not isinstance(value, bool):
        value = float(value)
    glue(name, value, display=False)


def glue_words(name: str, text: str) -> None:
    """``myst_nb.glue`` a phrase the chapter chose from its own results, pasted inline with ``{glue:md}`name```.

    For sentences whose words depend on an executed number (higher or lower, a particle after a number: see
    :mod:`hongong.book.korean`), so that a rebuild with other numbers cannot leave the prose false.
    """
    from IPython.display import Markdown
    from myst_nb import glue

    glue(name, Markdown(text), display=False)


def scratch_dir(name: str):
    """A build-local folder for the files a chapter writes (saved models): ``_build/scratch/<name>/``.

    Inside the git-ignored build folder, so nothing a chapter saves ends up in the repository.
    """
    folder = REPOSITORY / "_build" / "scratch" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def book_chapters(root) -> list:
    """The chapter notebooks of the book at ``root``, in the order of its ``_toc.yml``."""
    from pathlib import Path

    import yaml

    root = Path(root)
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [entry["file"] for part in toc["parts"] for entry in part["chapters"]]
    return [root / f"{file}.ipynb" for file in files if (root / f"{file}.ipynb").exists()]


def execute_notebook(path, timeout: int = 600):
    """Execute a chapter notebook outside the book build (nbclient, in the notebook's folder), as the build does.

    Used by the determinism test and the build benchmark. Returns the executed notebook.
    """
    from pathlib import Path

    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


def glued_in(notebook) -> dict:
    """name -> value of every ``glue_value`` in an executed notebook."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                values[name] = glued_value(output)
    return values


def glued_value(output):
    """The Python value of one glue output (a phrase from :func:`glue_words` is its text)."""
    from ast import literal_eval

    data = output["data"]
    for key in ("text/markdown", "application/papermill.record/text/markdown"):
        if key in data:
            return data[key]
    return literal_eval(data.get("text/plain") or data["application/papermill.record/text/plain"])
