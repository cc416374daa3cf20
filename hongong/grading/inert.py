"""Learner content made inert before a person sees it: outputs, markdown and raw cells of a submission.

Who runs it: the instructor's process, as an nbgrader preprocessor. :class:`MakeInert` comes right after the
execution in ``Autograde.autograde_preprocessors`` (so ``autograded/``, formgrader and the feedback only ever
get the inert notebook) and again in ``GenerateFeedback.preprocessors`` (a notebook autograded some other
way is made inert too). Everything in a submission is the learner's to write: the outputs come from code the
learner wrote, the markdown and raw cells from the file the learner handed in, and so do output metadata.

What survives:

- outputs of the types nbformat defines, with the mime types a page shows safely: ``text/plain``;
  ``text/html`` through the sanitizer below, ``text/markdown`` rendered and then sanitized (as ``text/html``);
  ``image/png``, ``image/jpeg`` and ``image/gif`` as base64 text; an integer execution count. Everything else (``application/javascript``, ``image/svg+xml``, which can hold
  script, ``text/latex``, which MathJax would interpret, widgets, …) is dropped, with a note in its place;
- image metadata reduced to numeric ``width``/``height`` (nbconvert writes them into ``<img>`` attributes);
  notebook metadata reduced to the kernel and language names (``widgets`` would load a remote script);
- markdown cells rendered by nbconvert's own renderer and the resulting HTML sanitized (link and image
  syntax becomes ``<a>``/``<img>`` only when rendered), stored as one HTML block; pasted images (attachments)
  only as PNG, JPEG or GIF, inlined; raw cells through the sanitizer; MathJax's macros that act (links,
  styles, loading extensions) as plain text.

The sanitizer is nh3 (Python bindings of ammonia, the Rust HTML sanitizer built on html5ever's spec-
compliant parser): an allowlist, so a tag or attribute nobody thought of is dropped rather than kept; it is
maintained (bleach, which nbconvert's own ``SanitizeHTML`` uses, has been deprecated since 2023) and fast
enough to run on every cell. Allowed: text formatting, lists, tables, links (http, https, mailto, opened with
``rel="noopener noreferrer"``), images from ``data:image/png|jpeg|gif`` only (a remote image would tell
someone outside when the instructor opened the page), and ``style`` with a few visual properties (no
``position`` or ``margin``, and no ``class``, whose page styles include fixed bars: no fake overlay). No
script, no event handler, no ``javascript:`` or other ``data:`` URL, no iframe, object, embed, form, style
sheet or ``<base>``.

Markdown is bounded too: nbconvert's ``strip_files_prefix`` filter, which formgrader and the feedback apply
to every rendered markdown cell, takes time that grows with (number of ``[`` on a line) × (length of the
line): 80,000 unclosed ``[`` took a minute. Such a line is broken before every 20th ``[``, so the time grows
only with the cell's length.
"""

from __future__ import annotations

import base64
import binascii
import html
import re

import nh3
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details", "div",
        "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
        "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
        "th", "thead", "tr", "u", "ul"}
ATTRIBUTES = {"*": {"style", "title", "lang", "dir", "align"}, "a": {"href"},  # no class: the page's CSS has fixed bars
              "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"},
              "ol": {"start"}, "col": {"span"}}
STYLE_PROPERTIES = {"color", "background-color", "font-weight", "font-style", "text-align", "text-decoration",
                    "border", "border-left", "border-collapse", "padding", "vertical-align", "white-space"}  # no margin
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*$")
TEXT_TYPES = ("text/plain",)
STREAMS = ("stdout", "stderr")
NOTEBOOK_METADATA = ("kernelspec", "language_info", "nbgrader")  # every other key is dropped
LANGUAGE = re.compile(r"^[A-Za-z0-9_+./-]{1,60}$")  # python, 3.11.7, text/x-python, .py, ipython3
# TeX macros with which MathJax (formgrader loads it) makes links, classes, styles or loads code: made plain text.
MATHJAX_ACTIONS = re.compile(r"\\(href|url|class|cssId|style|unicode|require|data|html)\b")
BRACKET_BUDGET = 10**6  # ``[`` on a line × the line's length: 10^6 renders in well under a second
BRACKETS_PER_LINE = 20
MAX_MARKDOWN_CHARS = 300_000  # a written answer is a few hundred; a pasted data-URL screenshot ~160,000
REMOVED = "(채점할 때 지운 출력: {types}. 보안상 이런 형식은 보여 주지 않습니다.)"
# Terminal escape sequences (CSI: colours of an IPython traceback, cursor moves of a progress bar). nbconvert turns the
# colours into inline styles the page cannot restyle, and several fall below WCAG's 4.5:1 contrast (tracebacks'
# #008700, #5f8787, #d75f5f on grey); the text says everything they do, so they are removed.
TERMINAL_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


def _attribute(element: str, attribute: str, value: str) -> str | None:
    """Images only from inline PNG/JPEG/GIF data, ``data:`` nowhere else; other URLs: nh3's scheme allowlist."""
    if element == "img" and attribute == "src":
        return value if DATA_IMAGE.match(value) else None
    if attribute in ("href", "src") and value.strip().lower().startswith("data:"):
        return None
    return value


def clean_html(text: str) -> str:
    """HTML with only the allowlisted tags, attributes, URL schemes and style properties (see the module)."""
    return nh3.clean(text, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto", "data"},
                     attribute_filter=_attribute, filter_style_properties=STYLE_PROPERTIES,
                     link_rel="noopener noreferrer", strip_comments=True)


def markdown_as_html(text: str, attachments: dict | None = None) -> str:
    """The markdown rendered as formgrader and the feedback render it, then sanitized: safe, inert HTML.

    Sanitizing the source is not enough: link and image syntax (``[x](javascript:…)``, ``![x](http://…)``,
    reference definitions) is plain text to an HTML sanitizer and becomes ``<a href>``/``<img src>`` only when
    mistune renders it. So the text is rendered first, with nbconvert's own renderer (pasted images become
    ``data:`` URLs), and the HTML is what nh3 cleans. Text that cannot be rendered (a missing attachment) or
    is longer than :data:`MAX_MARKDOWN_CHARS` is shown as it is, escaped, in ``<pre>``.
    """
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    rendered = None
    if len(text) <= MAX_MARKDOWN_CHARS:
        try:
            rendered = MarkdownWithMath(renderer=IPythonRenderer(escape=False, attachments=attachments or {})).render(text)
        except Exception:  # nbconvert's InvalidNotebook for a missing attachment, a renderer error
            rendered = None
    if rendered is None:
        rendered = f"<pre>{html.escape(text)}</pre>"
    return MATHJAX_ACTIONS.sub(r"\\ \1", clean_html(rendered))


def clean_markdown(text: str, attachments: dict | None = None) -> str:
    """Markdown made of one sanitized HTML block (:func:`markdown_as_html`) that renders as the original did.

    Markdown passes an HTML block through untouched until a blank line, so blank lines (kept inside ``<pre>``)
    become a line holding ``&#32;``, which shows the same, and the link syntax inside is never read again.
    Lines that would make nbconvert's link filter slow are broken (:func:`_bounded_line`).
    """
    lines = markdown_as_html(text, attachments).strip().split("\n")
    lines = [_bounded_line(line) if line.strip() else "&#32;" for line in lines]
    return "<div>\n" + "\n".join(lines).strip() + "\n</div>"


def _bounded_line(line: str) -> str:
    """A line with many ``[`` broken before every :data:`BRACKETS_PER_LINE`-th one, so the link filter stays linear.

    The filter runs on the rendered HTML, where ``[`` is ``[`` whatever the markdown wrote, so only a line
    break bounds it; in the page it shows as a space. Lines with few ``[`` (a pasted image's data URL has two)
    are left alone.
    """
    brackets = line.count("[")
    if brackets <= BRACKETS_PER_LINE or brackets * len(line) <= BRACKET_BUDGET:
        return line
    head, *rest = line.split("[")
    return head + "".join(("\n[" if n % BRACKETS_PER_LINE == 0 else "[") + part for n, part in enumerate(rest, start=1))


def _is_base64(data) -> bool:
    if not isinstance(data, str):
        return False
    try:
        base64.b64decode(data.replace("\n", ""), validate=True)
        return True
    except (binascii.Error, ValueError):
        return False


def _text(value) -> str:
    """nbformat allows multiline strings as lists of lines."""
    return "".join(value) if isinstance(value, list) else value if isinstance(value, str) else str(value)


def _terminal_text(value) -> str:
    """Text written to a terminal (a stream, a traceback line) without its escape sequences."""
    return TERMINAL_ESCAPE.sub("", _text(value))


def inert_data(data: dict) -> tuple[dict, list[str]]:
    """A display output's mime bundle with only what renders safely; returns it and the dropped types."""
    kept, dropped = {}, []
    for mime, value in data.items():
        if mime in TEXT_TYPES:
            kept[mime] = _text(value)
        elif mime == "text/html":
            kept[mime] = clean_html(_text(value))
        elif mime == "text/markdown":  # rendered here, shown as the HTML it became
            kept.setdefault("text/html", markdown_as_html(_text(value)))
        elif mime in IMAGE_TYPES and _is_base64(_text(value)):
            kept[mime] = _text(value)
        else:
            dropped.append(str(mime)[:60])
    if dropped and "text/plain" not in kept:
        kept["text/plain"] = REMOVED.format(types=", ".join(sorted(dropped)))
    return kept, dropped


def inert_metadata(metadata) -> dict:
    """Only numeric width and height of each image type: nbconvert writes them into the ``<img>`` tag."""
    kept = {}
    for mime in IMAGE_TYPES:
        sizes = metadata.get(mime) if isinstance(metadata, dict) else None
        if isinstance(sizes, dict):
            numeric = {k: sizes[k] for k in ("width", "height")
                       if type(sizes.get(k)) in (int, float) and 0 < sizes[k] < 100_000}
            if numeric:
                kept[mime] = numeric
    return kept


def inert_output(output):
    """One output made inert, or None to drop it (an output type nbformat does not define)."""
    import nbformat

    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name") if output.get("name") in STREAMS else "stdout"
        return nbformat.v4.new_output("stream", name=name, text=_terminal_text(output.get("text", "")))
    if kind == "error":
        return nbformat.v4.new_output("error", ename=_text(output.get("ename", "")), evalue=_text(output.get("evalue", "")),
                                      traceback=[_terminal_text(line) for line in output.get("traceback", [])
                                                 if isinstance(line, str)])
    if kind in ("display_data", "execute_result"):
        data, _ = inert_data(output.get("data", {}) if isinstance(output.get("data"), dict) else {})
        made = nbformat.v4.new_output(kind, data=data, metadata=inert_metadata(output.get("metadata", {})))
        if kind == "execute_result":
            count = output.get("execution_count")
            made.execution_count = count if type(count) is int else None
        return made
    return None


def inert_attachments(attachments) -> dict:
    """Pasted images of a markdown cell: PNG, JPEG or GIF only."""
    kept = {}
    for name, bundle in (attachments or {}).items():
        if not isinstance(bundle, dict):
            continue
        images = {mime: _text(value) for mime, value in bundle.items() if mime in IMAGE_TYPES and _is_base64(_text(value))}
        if images and re.fullmatch(r"[\w.\- ]{1,100}", str(name)):
            kept[name] = images
    return kept


class MakeInert(Preprocessor):
    """nbgrader/nbconvert preprocessor: every output, markdown and raw cell, every cell's metadata (nbgrader's kept)
    and the notebook's language name made inert."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        for key in [key for key in nb.metadata if key not in NOTEBOOK_METADATA]:  # "widgets" loads a remote script
            del nb.metadata[key]
        info = nb.metadata.get("language_info")  # the kernel's answer: templates put some of it into the page
        if isinstance(info, dict):
            kept = {key: value for key, value in info.items() if isinstance(value, str) and LANGUAGE.match(value)}
            nb.metadata["language_info"] = {**kept, "name": kept.get("name", "python")}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        # a cell's metadata is the learner's too: nbconvert writes tags into class="…" (Bootstrap's navbar-fixed-top
        # pins a cell over the page, hidden hides a verdict) and obeys transient.remove_source; only nbgrader's stays
        for key in [key for key in cell.metadata if key != "nbgrader"]:
            del cell.metadata[key]
        if cell.cell_type == "code":
            cell.outputs = [made for made in map(inert_output, cell.get("outputs", [])) if made is not None]
            if type(cell.get("execution_count")) is not int:  # the kernel can announce any value; the page needs a number
                cell.execution_count = None
        elif cell.cell_type == "markdown":  # pasted images go into the HTML as data: URLs, checked by nh3
            cell.source = clean_markdown(_text(cell.source), inert_attachments(cell.pop("attachments", None)))
        elif cell.cell_type == "raw":  # a raw cell marked text/html would be copied into the page as it is
            cell.source = clean_html(_text(cell.source))
        return cell, resources
