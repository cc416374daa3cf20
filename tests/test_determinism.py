"""A rebuild gives the same numbers: the chapter executed again, outside the build, glues the same values.

Only wall-clock times may differ (names containing "seconds"). This re-executes the chapter (about a minute).
"""

import pytest

from conftest import chapter_files, glued_values
from hongong.book.notebook import execute_notebook, glued_in

pytestmark = pytest.mark.slow


def test_7_1_executed_again_gives_the_numbers_of_the_build(built_book):
    chapter = chapter_files()[0]
    built = glued_values(chapter)
    again = glued_in(execute_notebook(chapter))
    assert again.keys() == built.keys()
    differing = {name: (built[name], again[name]) for name in built if "seconds" not in name and built[name] != again[name]}
    assert not differing, f"not deterministic: {differing}"
