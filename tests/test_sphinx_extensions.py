"""The book's small Sphinx extensions, without building the book (the browser tests use them built)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hongong.book.sphinx_accessible_toggles import MYST_NB_SUMMARY, drop_english_summary_label
from hongong.book.sphinx_korean_search import JS_STEMMER, PARTICLES, strip_particle
from hongong.book.sphinx_unique_scripts import without_repeated_inline_scripts


@pytest.mark.parametrize("word,stem", [
    ("밀집층", "밀집층"), ("밀집층을", "밀집층"), ("밀집층은", "밀집층"), ("밀집층에서는", "밀집층"),
    ("은닉층이", "은닉층"), ("모델의", "모델"), ("옵티마이저로", "옵티마이저"),
    ("결과", "결과"), ("이유", "이유"),  # two syllables stay whole: 과 and 유 are not cut off
    ("dense", "dense"),
])
def test_a_korean_word_loses_one_particle_and_keeps_two_syllables(word, stem):
    assert strip_particle(word) == stem


def test_longer_particles_are_tried_first():
    assert PARTICLES.index("에서는") < PARTICLES.index("에서") < PARTICLES.index("에")


@pytest.mark.skipif(shutil.which("node") is None and not shutil.which("chromium"), reason="no JavaScript engine")
def test_the_browser_side_stemmer_agrees_with_the_index_side(tmp_path):
    words = ["밀집층을", "밀집층은", "은닉층이", "결과", "모델의", "옵티마이저로", "dense"]
    if shutil.which("node"):
        script = tmp_path / "stem.js"
        script.write_text(JS_STEMMER + f"\nconsole.log(JSON.stringify({json.dumps(words, ensure_ascii=False)}.map(w => new Stemmer().stemWord(w))));",
                          encoding="utf-8")
        stems = json.loads(subprocess.run(["node", str(script)], capture_output=True, text=True, check=True).stdout)
    else:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page()
            page.add_script_tag(content=JS_STEMMER)
            stems = page.evaluate(f"{json.dumps(words, ensure_ascii=False)}.map(w => new Stemmer().stemWord(w))")
            browser.close()
    assert stems == [strip_particle(word) for word in words]


def test_a_repeated_inline_script_is_kept_once_and_scripts_with_src_are_left_alone():
    page = ('<head>\n    <script>const A = 1;</script>\n    <script src="x.js"></script>\n'
            '    <script src="x.js"></script>\n    <script>const A = 1;</script>\n    <script>const B = 2;</script>\n</head>\n')
    cleaned = without_repeated_inline_scripts(page)
    assert cleaned.count("const A = 1;") == 1 and cleaned.count('src="x.js"') == 2 and "const B = 2;" in cleaned


def write_glue(folder, doc, **values):
    path = folder / f"{doc}.glue.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({name: {"data": {"text/plain": repr(value)}} for name, value in values.items()}))


def test_a_cross_chapter_claim_that_turned_false_fails_the_build(tmp_path):
    from sphinx.errors import ExtensionError

    from hongong.book.sphinx_cross_chapter_claims import check_claims, false_claims

    claim = "chapters/b::deep > chapters/a::linear"
    write_glue(tmp_path, "chapters/a", linear=0.8458)
    write_glue(tmp_path, "chapters/b", deep=0.8641)
    assert false_claims([claim], tmp_path) == []
    write_glue(tmp_path, "chapters/b", deep=0.8401)  # a rebuild where the deeper model came out lower
    assert false_claims([claim], tmp_path) == [f"{claim} (now 0.8401 > 0.8458 is false)"]

    class App:  # what check_claims reads of Sphinx's application at build-finished
        class builder:
            format = "html"
        config = type("Config", (), {"hongong_cross_chapter_claims": [claim]})
        outdir = str(tmp_path / "html")

    write_glue(tmp_path / "jupyter_execute", "chapters/a", linear=0.8458)
    write_glue(tmp_path / "jupyter_execute", "chapters/b", deep=0.8401)
    with pytest.raises(ExtensionError, match="no longer agree"):
        check_claims(App, None)


def test_a_claim_about_a_missing_number_or_in_another_form_is_refused(tmp_path):
    from sphinx.errors import ExtensionError

    from hongong.book.sphinx_cross_chapter_claims import false_claims

    write_glue(tmp_path, "chapters/a", linear=0.8)
    with pytest.raises(ExtensionError, match="glued no 'deep'"):
        false_claims(["chapters/a::deep > chapters/a::linear"], tmp_path)
    with pytest.raises(ExtensionError, match="not executed"):
        false_claims(["chapters/z::deep > chapters/a::linear"], tmp_path)
    with pytest.raises(ExtensionError, match="not understood"):
        false_claims(["chapters/a::linear is larger"], tmp_path)


def test_the_book_declares_its_cross_chapter_claims_on_numbers_the_chapters_glue():
    import yaml

    from conftest import ROOT
    from hongong.book.sphinx_cross_chapter_claims import CLAIM

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert "hongong.book.sphinx_cross_chapter_claims" in config["sphinx"]["extra_extensions"]
    claims = config["sphinx"]["config"]["hongong_cross_chapter_claims"]
    assert claims
    for claim in claims:
        match = CLAIM.match(claim)
        assert match, claim
        for reference in (match["left"], match["right"]):
            doc, name = reference.split("::")
            source = (ROOT / f"{doc}.ipynb").read_text(encoding="utf-8")
            assert f'glue_value(\\"{name}\\"' in source, f"{doc} glues no {name}"


def test_a_hidden_cell_s_toggle_loses_myst_nb_s_english_label_and_keeps_its_visible_words():
    body = f'<details class="hide above-input">{MYST_NB_SUMMARY}\n<p class="collapsed">코드 보기</p></summary></details>'
    context = {"body": body}
    drop_english_summary_label(None, "chapters/x", "page.html", context, None)
    assert context["body"] == '<details class="hide above-input"><summary>\n<p class="collapsed">코드 보기</p></summary></details>'
    import myst_nb  # the string is MyST-NB's own: a new version that names the toggle otherwise shows up here

    assert MYST_NB_SUMMARY in (Path(myst_nb.__file__).parent / "sphinx_.py").read_text(encoding="utf-8")
