"""Every page a person reads passes axe-core's WCAG 2.x A/AA rules in Debian's Chromium (tests/axe_audit.py): the
book's pages in light and dark mode at 1280 and 390 px, learners' feedback pages and the class report. Every figure of
the book is described in Korean, and the book's controls work from the keyboard.

The grading service's record page and a feedback page served by the hub are audited in tests/test_hub.py, where the
hub runs. Slow: needs the built book (and, for the feedback and the report, the class graded once per run).
"""

import re

import pytest
from bs4 import BeautifulSoup

from axe_audit import set_colour_mode, violations
from conftest import BUILD

pytestmark = pytest.mark.slow

HTML = BUILD / "html"
PAGES = ["intro", "chapters/7-1-artificial-neural-network", "chapters/7-2-deep-neural-network",
         "chapters/7-3-training-neural-networks", "chapters/appendix-output-layers-losses-encoding", "chapters/glossary",
         "search", "genindex"]
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def opened(browser, address: str, width: int = 1280, mode: str = "light"):
    # The feedback pages forbid every script (their Content-Security-Policy); only this browser sets it aside, to run axe.
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ko-KR", bypass_csp=True)
    set_colour_mode(context, mode)
    page = context.new_page()
    page.goto(address, wait_until="load")
    return context, page


def test_the_audit_covers_every_page_the_book_builds(built_book):
    built = {path.relative_to(HTML).with_suffix("").as_posix() for path in HTML.rglob("*.html")
             if not path.relative_to(HTML).parts[0].startswith("_")} - {"index"}  # index.html only redirects to intro
    assert built == set(PAGES)


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_book_page_has_no_serious_axe_violation(built_book, browser, name, mode, width):
    context, page = opened(browser, (HTML / f"{name}.html").as_uri(), width, mode)
    try:
        assert page.evaluate("document.documentElement.dataset.theme") == mode
        found = violations(page)
    finally:
        context.close()
    assert not found, "\n".join(found)


@pytest.mark.parametrize("width", [640, 390])  # 1280 px at 200 % zoom; a phone
def test_a_book_page_needs_no_sideways_scrolling(built_book, browser, width):
    """Wide outputs (tables, code) scroll inside their own box; the page itself fits the window."""
    wide = {}
    for name in PAGES:
        context, page = opened(browser, (HTML / f"{name}.html").as_uri(), width)
        try:
            if page.evaluate("document.documentElement.scrollWidth") > width:
                wide[name] = page.evaluate("document.documentElement.scrollWidth")
        finally:
            context.close()
    assert not wide, wide


def test_every_figure_of_the_book_is_described_in_korean(built_book):
    """Not a path, a file name or nothing: a sentence in Korean, written by the code that drew the figure."""
    figures = 0
    for name in PAGES:
        soup = BeautifulSoup((HTML / f"{name}.html").read_text(encoding="utf-8"), "html.parser")
        for image in soup.select("main img"):
            if "logo" in " ".join(image.get("class", [])) or "logo" in image.get("src", "")[:200]:
                continue
            alt = image.get("alt", "")
            figures += 1
            assert HANGUL.search(alt) and len(alt) >= 20, (name, alt)
            assert not re.search(r"\.(png|jpe?g|svg)\b|_images/|[0-9a-f]{16}", alt), (name, alt)
    assert figures >= 14, figures  # 7-1: 2, 7-2: 2, 7-3: 8, appendix: 2


def focus_order(page, presses: int = 700) -> list[str]:
    """What Tab reaches, in order: one line per focused element (tag, classes, name, text)."""
    reached = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("""() => { const e = document.activeElement;
            return [e.tagName, e.className, e.getAttribute('aria-label') || '', (e.textContent || '').trim().slice(0, 40)]
                .join(' | '); }"""))
    return reached


def test_the_book_s_controls_are_reached_and_used_with_the_keyboard(built_book, browser):
    """Tab reaches search, colour mode, download, a self-check answer and a hidden cell's toggle; Enter opens them."""
    context, page = opened(browser, (HTML / "chapters/7-3-training-neural-networks.html").as_uri())
    try:
        reached = "\n".join(focus_order(page))
        for control in ("search-button__button", "theme-switch-button", "이 페이지 다운로드", "코드 보기"):
            assert control in reached, control
        assert re.search(r"^SUMMARY \| .*sd-summary-title", reached, re.M), "a self-check answer's summary"

        answer = page.locator("details.sd-dropdown").first
        answer.locator("summary").focus()
        page.keyboard.press("Enter")
        answer.locator(".sd-summary-content").wait_for(state="visible")

        code = page.locator("details.hide").first
        code.locator("summary").focus()
        page.keyboard.press("Enter")
        code.locator("pre").first.wait_for(state="visible")

        page.locator(".dropdown-download-buttons button").first.focus()
        page.keyboard.press("Enter")
        page.locator(".dropdown-download-buttons .dropdown-menu a").first.wait_for(state="visible")
        page.keyboard.press("Escape")

        page.locator("button.search-button__button").first.focus()
        page.keyboard.press("Enter")
        search = page.locator("#pst-search-dialog input[name='q']")
        search.wait_for(state="visible")
        page.keyboard.type("밀집층")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"search\.html\?q="))
        page.locator("#search-results li a").first.wait_for(timeout=30_000)
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_feedback_pages_and_the_report_have_no_serious_axe_violation(graded_course, browser, width):
    """A passed, a wrong and a broken submission's feedback, and grades/report.html with its figure and tables."""
    folder, _ = graded_course
    pages = [folder / "feedback" / student / assignment / f"{assignment}.html"
             for student, assignment in (("perfect", "ch07-1"), ("wrong-types", "ch07-1"), ("kernel-crash", "ch07-2"))]
    pages.append(folder / "grades" / "report.html")
    found = []
    for path in pages:
        assert path.is_file(), path
        context, page = opened(browser, path.as_uri(), width)
        try:
            found += [f"{path.relative_to(folder)}: {line}" for line in violations(page)]
        finally:
            context.close()
    assert not found, "\n".join(found)
    report = BeautifulSoup((folder / "grades" / "report.html").read_text(encoding="utf-8"), "html.parser")
    assert HANGUL.search(report.select_one("figure img")["alt"]) and report.select_one("figure figcaption")
    assert all(table.select("th[scope]") for table in report.select("table"))
