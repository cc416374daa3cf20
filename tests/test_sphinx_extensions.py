"""The book's two small Sphinx extensions, without building the book (the browser tests use them built)."""

import json
import shutil
import subprocess

import pytest

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
