"""Learner content made inert (hongong/grading/inert.py): what a hostile submission puts in outputs, markdown, raw cells
and metadata is gone from the page nbconvert renders (formgrader and the feedback use nbconvert), while an
honest submission's outputs, written answer and test results read as before.

Quick tests on notebooks built here; the same notebooks graded through nbgrader, feedback included:
tests/test_instructor_workflow.py (learner ``hostile-html``); in formgrader in a real browser:
tests/test_formgrader_hostile.py.
"""

import base64
import time

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from conftest import ROOT
from hongong.grading.feedback import feedback_exporter, with_policy
from hongong.grading.inert import MakeInert

ACT = "window.__pwned = 1"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()


def hostile_notebook():
    outputs = [
        new_output("display_data", data={"text/html": f"<script>{ACT}</script><img src=x onerror='{ACT}'>"}),
        new_output("display_data", data={"application/javascript": ACT}),
        new_output("display_data", data={"image/svg+xml": f"<svg onload='{ACT}'><script>{ACT}</script></svg>",
                                         "text/latex": r"$\href{javascript:" + ACT + "}{x}$"}),
        new_output("display_data", data={"text/html": f"<iframe srcdoc='<script>{ACT}</script>'></iframe>"
                                                      f"<form action='/api/contents'><input></form><object data=x></object>"
                                                      f"<a href='javascript:{ACT}'>x</a><base href='//evil/'>"
                                                      "<img src='https://tracker.example/p.png'>"
                                                      "<div style='position:fixed;top:0'>fake banner</div>"
                                                      "<div class='navbar-fixed-top' style='margin:-300px 0 0 0'>채점 완료</div>"}),
        new_output("display_data", data={"image/png": PNG}, metadata={"image/png": {"width": f"1 onerror={ACT}"}}),
        new_output("stream", name=f"<script>{ACT}</script>", text="printed"),
        new_output("execute_result", data={"text/markdown": f"<img src=x onerror='{ACT}'> **bold**"}, execution_count=3),
    ]
    cells = [
        new_code_cell("x = 1", outputs=outputs),
        new_markdown_cell(f"답: <script>{ACT}</script> <img src=x onerror='{ACT}'> [link](javascript:{ACT}) "
                          f"<a href='javascript:{ACT}'>a</a> $\\href{{javascript:{ACT}}}{{x}}$ $\\require{{x}}$",
                          attachments={"shot.png": {"image/png": PNG}, "page.html": {"text/html": f"<script>{ACT}</script>"},
                                       "x.svg": {"image/svg+xml": f"<svg onload='{ACT}'/>"}}),
        new_raw_cell(f"<script>{ACT}</script><img src=x onerror='{ACT}'>", metadata={"format": "text/html"}),
    ]
    widgets = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2, "version_minor": 0}}
    return new_notebook(cells=cells, metadata={"language_info": {"name": f"<script>{ACT}</script>"}, "widgets": widgets})


def rendered(nb) -> str:
    return HTMLExporter(template_name="classic").from_notebook_node(nb)[0]


def inert(nb):
    return MakeInert().preprocess(nb, {})[0]


def test_nothing_a_learner_writes_can_act_in_the_rendered_page():
    nb = hostile_notebook()
    nb.cells[0].outputs.append({"output_type": "weird", "data": {"text/html": f"<script>{ACT}</script>"}})  # no such type
    nb.cells[0].execution_count = "<b>9</b>"  # the kernel announces any count it likes; nbconvert would refuse it
    page = rendered(inert(nb))
    soup = BeautifulSoup(page, "html.parser")
    assert [s for s in soup.find_all("script") if "__pwned" in s.get_text()] == []
    assert [(t.name, a) for t in soup.find_all(True) for a in t.attrs if a.lower().startswith("on")] == []
    assert soup.find_all(["iframe", "form", "object", "embed", "svg", "base"]) == []
    urls = [t.get("href", "") + t.get("src", "") for t in soup.find_all(True)]
    assert [u for u in urls if "javascript:" in u.lower() or "tracker.example" in u] == []
    assert [t for t in soup.find_all(style=True) if "position" in t["style"] or "margin" in t["style"]] == []
    assert soup.select(".output_area .navbar-fixed-top") == [] and "unpkg.com" not in page  # no overlay, no widget script
    assert [t for t in soup.find_all(True) if any("__pwned" in str(v) for v in t.attrs.values())] == []
    assert r"\href{" not in page and r"\require{" not in page  # the payload stays as text, never as an action
    assert "채점할 때 지운 출력: application/javascript" in page  # a dropped output says so where it was


def test_the_hostile_page_is_unsafe_without_it():
    """The same notebook rendered as nbconvert does by default: the payloads are live (so the test above can fail)."""
    soup = BeautifulSoup(rendered(hostile_notebook()), "html.parser")
    assert [s for s in soup.find_all("script") if "__pwned" in s.get_text()]
    assert [t for t in soup.find_all(True) if "onerror" in t.attrs]


def test_what_an_honest_notebook_shows_and_scores_by_is_kept():
    png = new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"},
                     metadata={"image/png": {"width": 400, "height": 300}})
    table = new_output("execute_result", data={"text/html": "<table class='dataframe'><tr><th>a</th><td>1</td></tr></table>",
                                               "text/plain": "   a\n0  1"}, execution_count=2)
    error = new_output("error", ename="AssertionError", evalue="q1의 자료형이 str입니다.", traceback=["Traceback", "AssertionError"])
    nb = new_notebook(cells=[new_code_cell("x", outputs=[png, table, new_output("stream", name="stderr", text="warn"), error]),
                             new_markdown_cell("> 인용\n\n- 목록 **굵게**와 [책](https://example.com/7-3.html#dropout)\n\n드롭아웃은 과대적합을 줄입니다.")])
    before = nbformat.writes(nb)
    after = inert(nbformat.reads(before, as_version=4))
    outputs = after.cells[0].outputs
    assert outputs[0].data == png.data and outputs[0].metadata == {"image/png": {"width": 400, "height": 300}}
    assert "<table" in outputs[1].data["text/html"] and outputs[1].execution_count == 2
    assert (outputs[2].name, outputs[2].text) == ("stderr", "warn")  # a test cell's stderr still scores 0
    assert (outputs[3].ename, outputs[3].evalue) == ("AssertionError", "q1의 자료형이 str입니다.")
    page = rendered(after)
    assert "<blockquote>" in page and 'href="https://example.com/7-3.html#dropout"' in page and "<li>" in page
    assert shown_text(rendered(nbformat.reads(before, as_version=4))) == shown_text(page)


def shown_text(page: str) -> str:
    """What a reader sees of the notebook's cells: their text, whitespace and heading anchors (¶) aside."""
    cells = BeautifulSoup(page, "html.parser").select(".text_cell_render, .output_area")
    return " ".join(" ".join(cell.get_text(" ").replace("¶", " ").split()) for cell in cells)


def test_the_exercises_own_markdown_reads_the_same_after_it():
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        nb.cells = [cell for cell in nb.cells if cell.cell_type == "markdown"]
        before = shown_text(rendered(nb))
        assert len(before) > 500 and shown_text(rendered(inert(nb))) == before, path.name


def test_markdown_links_and_images_are_checked_after_rendering():
    """Link syntax is text to an HTML sanitizer: it must be judged as the <a>/<img> it renders to."""
    source = (f"[a](javascript:{ACT}) [b](javascript&#58;{ACT}) [c][r] [d](data:text/html;base64,PHNjcmlwdD4=) "
              f"![e](http://tracker.example/t.png) ![f](attachment:shot.png) [g](https://example.com)\n\n"
              f"<div>\n\n[h](javascript:{ACT})\n\n</div>\n\n[r]: javascript:{ACT}")
    cell = new_markdown_cell(source, attachments={"shot.png": {"image/png": PNG}})
    soup = BeautifulSoup(rendered(inert(new_notebook(cells=[cell]))), "html.parser")
    hrefs = [a.get("href") for a in soup.select(".text_cell_render a")]
    assert hrefs.count("https://example.com") == 1 and set(hrefs) - {"https://example.com"} <= {None}, hrefs
    assert [img.get("src", "")[:22] for img in soup.select(".text_cell_render img")] == ["", "data:image/png;base64,"]
    missing = inert(new_notebook(cells=[new_markdown_cell("![x](attachment:nowhere.png) 본문")]))
    assert "본문" in shown_text(rendered(missing))  # nbconvert would refuse the notebook; here it is shown as text


def test_markdown_that_made_the_renderer_take_a_minute_renders_at_once():
    """80,000 unclosed ``[`` took about 60 s in nbconvert's HTML exporter (its strip_files_prefix filter)."""
    nb = inert(new_notebook(cells=[new_markdown_cell("[" * 80_000), new_markdown_cell("[x" * 40_000)]))
    start = time.perf_counter()
    page = rendered(nb)
    assert time.perf_counter() - start < 10  # a bound on a hang, not a speed target (benchmarks hold those)
    assert page.count("[") >= 120_000  # every bracket still shown


# Written out, not imported: the policy the pages must send, so that a change to the constant shows up here.
EXACT_FEEDBACK_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
                         "base-uri 'none'; form-action 'none'")


def test_the_feedback_page_forbids_every_script():
    """No script-src: default-src 'none' forbids every script, and every request but inline styles and data: images."""
    page = with_policy("<!DOCTYPE html>\n<html>\n<head>\n<meta charset='utf-8'>")
    first = BeautifulSoup(page, "html.parser").head.find("meta")
    assert (first["http-equiv"], first["content"]) == ("Content-Security-Policy", EXACT_FEEDBACK_POLICY)
    exporter = feedback_exporter()(template_name="classic")
    output, _ = exporter.from_notebook_node(new_notebook(cells=[new_markdown_cell("안녕")]))
    first = BeautifulSoup(output, "html.parser").head.find("meta")
    assert (first["http-equiv"], first["content"]) == ("Content-Security-Policy", EXACT_FEEDBACK_POLICY)


def test_terminal_colours_of_a_traceback_and_a_stream_are_removed_and_their_text_kept():
    """nbconvert would turn them into inline colours that fall below WCAG's contrast on the feedback page (issue 28)."""
    from hongong.grading.inert import inert_output

    error = inert_output(new_output("error", ename="ValueError", evalue="x",
                                    traceback=["\x1b[31m---------\x1b[39m", "\x1b[38;5;28mValueError\x1b[0m: x"]))
    stream = inert_output(new_output("stream", name="stdout", text="\x1b[1m굵게\x1b[0m 100%\x1b[2K"))
    assert error.traceback == ["---------", "ValueError: x"] and stream.text == "굵게 100%"
    page = HTMLExporter().from_notebook_node(new_notebook(cells=[new_code_cell("1/0", outputs=[error, stream])]))[0]
    assert '<span class="ansi' not in page and "rgb(0,135,0)" not in page.replace(" ", "")
