"""The built book in a real browser: Debian's Chromium driven by Playwright (no browser download).

Every page loads without console errors or failed requests and with every image drawn, the
self-check answers open on click, term links reach the glossary, each chapter offers its notebook and
its exercise for download, and the search finds Korean words with or without a particle.
Screenshots of every page are saved under _build/screenshots/ to be looked at.
"""

from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import BUILD

pytestmark = pytest.mark.slow

HTML = BUILD / "html"
PAGES = ["intro", "chapters/7-1-artificial-neural-network", "chapters/7-2-deep-neural-network",
         "chapters/7-3-training-neural-networks", "chapters/appendix-output-layers-losses-encoding", "chapters/glossary"]
CHAPTERS = {"chapters/7-1-artificial-neural-network": "ch07-1", "chapters/7-2-deep-neural-network": "ch07-2",
            "chapters/7-3-training-neural-networks": "ch07-3"}


@pytest.fixture(scope="module")
def browser(browser, built_book):
    """conftest.py's Chromium, once the book is built."""
    return browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    page = context.new_page()
    page.problems = []
    page.on("console", lambda message: page.problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.on("requestfailed", lambda request: page.problems.append(f"failed: {request.url}"))
    yield page
    context.close()


def url(name, query=""):
    return (HTML / f"{name}.html").as_uri() + query


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_without_errors_and_every_image_is_drawn(page, name):
    page.goto(url(name), wait_until="load")
    broken = page.eval_on_selector_all("img", "images => images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    assert not broken, broken
    assert not page.problems, page.problems
    assert page.locator("html").get_attribute("lang") == "ko"
    shots = BUILD / "screenshots"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / f"{Path(name).name}.png"), full_page=True)


@pytest.mark.parametrize("name", list(CHAPTERS) + ["chapters/appendix-output-layers-losses-encoding"])
def test_self_check_answer_is_hidden_until_clicked(page, name):
    page.goto(url(name))
    dropdown = page.locator("details.sd-dropdown").first
    answer = dropdown.locator(".sd-summary-content")
    assert page.locator("details.sd-dropdown").count() >= 3
    assert not answer.is_visible()
    dropdown.locator("summary").click()
    answer.wait_for(state="visible")
    assert len(answer.inner_text()) > 20


def test_a_term_link_leads_to_its_glossary_entry(page):
    page.goto(url("chapters/7-1-artificial-neural-network"))
    page.locator("a[href*='glossary.html#term']", has_text="밀집층").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("glossary.html#term-0") or "glossary.html#term-" in page.url
    target = page.url.split("#")[1]
    assert "밀집층" in page.locator(f"[id='{target}']").inner_text()


@pytest.mark.parametrize("name,assignment", CHAPTERS.items())
def test_chapter_offers_its_notebook_and_its_exercise_for_download(page, name, assignment):
    page.goto(url(name))
    links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    notebook = [link for link in links if link.endswith(f"{Path(name).name}.ipynb")]
    exercise = [link for link in links if link.endswith(f"/{assignment}.ipynb")]
    assert notebook and exercise, links
    for link in notebook[:1] + exercise[:1]:
        path = Path(link.removeprefix("file://"))
        assert path.exists() and path.stat().st_size > 1000, link


@pytest.mark.parametrize("query", ["밀집층", "밀집층을", "밀집층은", "dense"])
def test_search_finds_a_korean_term_with_or_without_its_particle(page, query):
    page.goto(url("search", f"?q={quote(query)}"))
    results = page.locator("#search-results li a")
    results.first.wait_for(timeout=15_000)
    found = results.evaluate_all("links => links.map(a => a.href)")
    assert any("7-1-artificial-neural-network" in link for link in found), found
