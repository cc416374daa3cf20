"""A Sphinx extension that fails the build when a sentence comparing two chapters' numbers stops being true.

A chapter's kernel can only check claims about its own results (its hidden assertion cells do). A sentence such
as "7-2절의 모델이 7-1절의 모델보다 좋아졌습니다" compares numbers that two kernels produced, so it is declared in
``_config.yml`` (``sphinx.config.hongong_cross_chapter_claims``) as ``"<doc>::<name> <op> <doc>::<name>"`` and
checked here against what the chapters glued (``_build/jupyter_execute/<doc>.glue.json``) once every page is
written. A false claim raises, so ``make html`` fails and names it.
"""

from __future__ import annotations

import json
import operator
import re
from pathlib import Path

from sphinx.errors import ExtensionError

from hongong.book.notebook import glued_value

OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
CLAIM = re.compile(r"^\s*(?P<left>\S+::\w+)\s*(?P<op>>=|<=|>|<)\s*(?P<right>\S+::\w+)\s*$")


def glued(glue_dir: Path, reference: str):
    """The value glued as ``name`` by the chapter ``doc`` (``"chapters/7-1-…::name"``)."""
    doc, name = reference.split("::")
    path = glue_dir / f"{doc}.glue.json"
    if not path.is_file():
        raise ExtensionError(f"cross-chapter claim: {doc} was not executed ({path} is missing)")
    values = json.loads(path.read_text(encoding="utf-8"))
    if name not in values:
        raise ExtensionError(f"cross-chapter claim: {doc} glued no {name!r}")
    return glued_value(values[name])


def false_claims(claims: list[str], glue_dir: Path) -> list[str]:
    """The claims that do not hold, each with the two values."""
    failed = []
    for claim in claims:
        match = CLAIM.match(claim)
        if not match:
            raise ExtensionError(f"cross-chapter claim not understood: {claim!r} (write 'doc::name > doc::name')")
        left, right = glued(glue_dir, match["left"]), glued(glue_dir, match["right"])
        if not OPERATORS[match["op"]](left, right):
            failed.append(f"{claim} (now {left!r} {match['op']} {right!r} is false)")
    return failed


def check_claims(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    failed = false_claims(app.config.hongong_cross_chapter_claims, Path(app.outdir).parent / "jupyter_execute")
    if failed:
        raise ExtensionError("a sentence of the book compares numbers that no longer agree with it: " + "; ".join(failed))


def setup(app):
    app.add_config_value("hongong_cross_chapter_claims", [], "html")
    app.connect("build-finished", check_claims)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
