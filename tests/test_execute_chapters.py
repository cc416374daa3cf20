"""The book's chapters executed ahead of the build into its cache (hongong/book/execute_chapters.py), on a tiny book.

Quick: three one-cell notebooks. What is executed lands in the cache the build reads (a second run executes nothing,
and a changed chapter runs again); a failing chapter is left out of the cache for the build to execute and report.
"""

import os

import nbformat
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from hongong.book.execute_chapters import CACHE, execute_missing

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def tiny_book(root, sources):
    (root / "chapters").mkdir()
    for name, source in sources.items():
        nbformat.write(new_notebook(cells=[new_markdown_cell(f"# {name}"), new_code_cell(source)], metadata=KERNEL),
                       root / "chapters" / f"{name}.ipynb")
    (root / "_config.yml").write_text(yaml.safe_dump({"execute": {"timeout": 60, "allow_errors": False}}))
    (root / "_toc.yml").write_text(yaml.safe_dump({"format": "jb-book", "root": "intro", "parts": [
        {"caption": "c", "chapters": [{"file": f"chapters/{name}"} for name in sources]}]}))


def cached_outputs(root, name):
    from jupyter_cache import get_cache

    cache = get_cache(root / CACHE)
    notebook = nbformat.read(root / "chapters" / f"{name}.ipynb", as_version=4)
    _, merged = cache.merge_match_into_notebook(notebook)
    return [output.get("text", "") for output in merged.cells[1].outputs]


def test_missing_chapters_run_at_once_into_the_cache_and_a_failing_one_is_left_to_the_build(tmp_path):
    sleep = "import os, time; start = time.time(); time.sleep(3); print(os.getcwd(), start, time.time())"
    tiny_book(tmp_path, {"one": sleep, "two": sleep, "broken": "raise RuntimeError('the build shows this')"})
    assert execute_missing(tmp_path) == 1  # the broken chapter
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
    assert execute_missing(tmp_path) == 1
    assert cached_outputs(tmp_path, "two") == ["changed\n"]  # a changed chapter runs again
    assert cached_outputs(tmp_path, "one") == first  # an unchanged one is not run again (same times)
