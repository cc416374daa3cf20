"""Execute the chapters the book's execution cache lacks, one per core at a time, before Jupyter Book builds.

Who runs it: ``make html`` (so ``make book`` and the tests' book fixture), as ``python -m hongong.book.execute_chapters``
right before ``jupyter-book build``.

Why: Jupyter Book executes the chapters one after another, and a chapter's training keeps about one core busy
(Keras on small dense networks, batches of 32), so on this 2-core machine half of it sat idle for the ~25 minutes a
fresh build executes. Here jupyter-cache's own ``local-parallel`` executor runs the chapters whose code is not in
the cache yet, as many at a time as there are cores, each in its own folder as the build would, with the build's
cell timeout, and stores them in the very cache the build reads (``_build/.jupyter_cache``). The build then takes
every chapter from the cache. A chapter that fails here is simply not cached: the build executes it again itself and
reports the error as it always did (strict build). Each chapter fixes its seeds and TensorFlow's op determinism, so
where it runs changes none of its numbers (``tests/test_determinism.py``).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import yaml

from hongong.book.notebook import book_chapters

CACHE = Path("_build") / ".jupyter_cache"


def execute_missing(root: Path) -> int:
    """Execute the chapters of the book at ``root`` that have no cached execution; return how many failed."""
    from jupyter_cache import get_cache
    from jupyter_cache.executors import load_executor

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))["execute"]
    logger = logging.getLogger("execute_chapters")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    cache = get_cache(root / CACHE)
    chapters = [str(path.resolve()) for path in book_chapters(root)]
    for chapter in chapters:  # in the table of contents' order: the pool starts them in this order
        cache.add_nb_to_project(chapter)
    missing = [record.uri for record in cache.list_unexecuted(filter_uris=chapters)]
    if not missing:
        logger.info("All %d chapters are in the execution cache.", len(chapters))
        return 0
    logger.info("Executing %d chapter(s), one per core at a time: %s", len(missing),
                ", ".join(Path(uri).name for uri in missing))
    executor = load_executor("local-parallel", cache=cache, logger=logger)
    result = executor.run_and_cache(filter_uris=missing, timeout=config["timeout"], allow_errors=config["allow_errors"])
    failed = result.excepted + result.errored
    for uri in failed:
        logger.info("Not cached (the build executes it again and shows the error): %s", Path(uri).name)
    return len(failed)


if __name__ == "__main__":
    execute_missing(Path.cwd())  # a failure is the build's to report: always exit 0 here
