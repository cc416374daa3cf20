"""The book's chapters executed ahead of the build into its cache (hongong/book/execute_chapters.py), on a tiny book.

Quick: three one-cell notebooks. What is executed lands in the cache the build reads (a second run executes nothing,
and a changed chapter runs again); a failing chapter is left out of the cache for the build to execute and report.

It runs as ``make html`` runs it, in a process of its own: jupyter-cache's pool forks its workers, and a fork of this
test process (where other tests imported TensorFlow) crashed in TensorFlow's garbage collection, leaving the pool
waiting for a worker that was gone (a CI run hung here until its time ran out).
"""

import os
import subprocess
import sys

import nbformat
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from hongong.book.execute_chapters import CACHE

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def tiny_book(root, sources):
    (root / "chapters").mkdir()
    for name, source in sources.items():
        nbformat.write(new_notebook(cells=[new_markdown_cell(f"# {name}"), new_code_cell(source)], metadata=KERNEL),
                       root / "chapters" / f"{name}.ipynb")
    (root / "_config.yml").write_text(yaml.safe_dump({"execute": {"timeout": 60, "allow_errors": False}}))
    (root / "_toc.yml").write_text(yaml.safe_dump({"format": "jb-book", "root": "intro", "parts": [
        {"caption": "c", "chapters": [{"file": f"chapters/{name}"} for name in sources]}]}))


def execute_missing(root):
    """Run ``python -m hongong.book.execute_chapters`` in ``root`` as ``make html`` does; return the chapters not cached."""
    run = subprocess.run([sys.executable, "-m", "hongong.book.execute_chapters"], cwd=root, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    print(run.stdout, run.stderr)  # shown by pytest when an assertion below fails: why a chapter was not cached
    return [line.rsplit(": ", 1)[-1] for line in run.stdout.splitlines() if line.startswith("Not cached")]


def cached_outputs(root, name):
    from jupyter_cache import get_cache

    cache = get_cache(root / CACHE)
    notebook = nbformat.read(root / "chapters" / f"{name}.ipynb", as_version=4)
    _, merged = cache.merge_match_into_notebook(notebook)
    return [output.get("text", "") for output in merged.cells[1].outputs]


def test_missing_chapters_run_at_once_into_the_cache_and_a_failing_one_is_left_to_the_build(tmp_path):
    # Each chapter's code its own: jupyter-cache keys an execution by the notebook's hash, and two identical notebooks
    # run at once raced for one cache folder (FileExistsError, one of them "Not cached"; a CI run failed so).
    sleep = "import os, time; start = time.time(); time.sleep(3); print(os.getcwd(), start, time.time())  # {}"
    tiny_book(tmp_path, {"one": sleep.format("one"), "two": sleep.format("two"),
                         "broken": "raise RuntimeError('the build shows this')"})
    assert execute_missing(tmp_path) == ["broken.ipynb"]  # reported, and left to the build
    runs = {}
    for name in ("one", "two"):  # executed in the chapter's own folder, as the build does
        [printed] = cached_outputs(tmp_path, name)
        folder, start, end = printed.split()
        assert folder == str(tmp_path / "chapters")
        runs[name] = (float(start), float(end))
    if (os.cpu_count() or 1) >= 2:  # one per core: the two chapters ran at the same time
        assert runs["one"][0] < runs["two"][1] and runs["two"][0] < runs["one"][1], runs
    from jupyter_cache import get_cache

    cache = get_cache(tmp_path / CACHE)
    unexecuted = {r.uri.rsplit("/", 1)[-1] for r in cache.list_unexecuted()}
    assert unexecuted == {"broken.ipynb"}

    first = cached_outputs(tmp_path, "one")
    nbformat.write(new_notebook(cells=[new_markdown_cell("# two"), new_code_cell("print('changed')")], metadata=KERNEL),
                   tmp_path / "chapters" / "two.ipynb")
    assert execute_missing(tmp_path) == ["broken.ipynb"]
    assert cached_outputs(tmp_path, "two") == ["changed\n"]  # a changed chapter runs again
    assert cached_outputs(tmp_path, "one") == first  # an unchanged one is not run again (same times)
