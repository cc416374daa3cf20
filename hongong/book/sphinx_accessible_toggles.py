"""Sphinx extension (book build): the "코드 보기" toggle of a hidden cell is named by what it shows.

MyST-NB writes ``<summary aria-label="Toggle hidden content">`` around the visible words "코드 보기"/"코드 숨기기"
(``myst_nb/sphinx_.py``), so a screen reader announces English words that are not on the screen (axe-core's
``label-content-name-mismatch``, WCAG 2.5.3). Without the ``aria-label`` the summary's name is its visible text.
"""

MYST_NB_SUMMARY = '<summary aria-label="Toggle hidden content">'


def drop_english_summary_label(app, pagename, templatename, context, doctree) -> None:
    if "body" in context:
        context["body"] = context["body"].replace(MYST_NB_SUMMARY, "<summary>")


def setup(app):
    app.connect("html-page-context", drop_english_summary_label)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
