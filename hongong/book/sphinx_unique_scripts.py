"""A Sphinx extension that leaves each inline script once per page.

Jupyter Book 1 always loads sphinx-thebe, whose configuration script (``const THEBE_JS_URL = …``)
ends up twice on every page (and sphinx-togglebutton's selector too); the browser then reports
"Identifier 'THEBE_JS_URL' has already been declared" as a console error. The scripts are added by
other extensions' handlers after any ``html-page-context`` handler could see them, so this works on
the written pages instead: when the build has finished, an inline ``<script>…</script>`` line that
repeats an earlier one in the same page is removed. Scripts with a ``src`` are left alone.
"""

import re
from pathlib import Path

INLINE_SCRIPT = re.compile(r"^\s*<script>.*</script>\s*$")


def without_repeated_inline_scripts(html: str) -> str:
    seen, lines = set(), []
    for line in html.splitlines(keepends=True):
        if INLINE_SCRIPT.match(line):
            if line.strip() in seen:
                continue
            seen.add(line.strip())
        lines.append(line)
    return "".join(lines)


def remove_repeated_scripts(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        cleaned = without_repeated_inline_scripts(text)
        if cleaned != text:
            page.write_text(cleaned, encoding="utf-8")


def setup(app):
    app.connect("build-finished", remove_repeated_scripts)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
