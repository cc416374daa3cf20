"""A Sphinx search language for Korean: words are indexed and searched without their particles.

Sphinx has no Korean search language and falls back to English: Korean words are indexed with the
particle attached (밀집층을, 밀집층은, 밀집층의 are three different words), so a reader searching
밀집층 misses pages that only say 밀집층을 (jupyter-book#1606, #1607). This extension registers
``ko``: a word loses one trailing particle (조사) or copula ending, both when the page is indexed
(Python, :func:`strip_particle`) and when the reader's query is read (the same rule in JavaScript),
so 밀집층, 밀집층을 and 밀집층은 all meet at 밀집층. A word keeps at least two syllables, so short
words such as 결과 or 이유 are left whole.

Used from ``_config.yml`` (``sphinx.extra_extensions``); the book's ``language`` is ``ko``.
"""

from __future__ import annotations

import json

from sphinx.search import SearchLanguage

# Longest first: 에서는 before 에서 before 에; each a particle or ending that follows a noun.
PARTICLES = sorted(
    """은 는 이 가 을 를 의 에 와 과 도 만 로 으로 에서 에게 까지 부터 처럼 보다 이나 나 이며 이고 이다 입니다 이라 라는
    이라는 에는 에서는 으로는 로는 와는 과는 에도 으로도 로도 에서도 만큼 마다 뿐 들 들은 들이 들을 들의 인 일 이면 면""".split(),
    key=len, reverse=True,
)
MIN_STEM = 2  # syllables a word keeps


def strip_particle(word: str) -> str:
    """밀집층을 → 밀집층; a word that would keep fewer than MIN_STEM characters stays whole."""
    for particle in PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= MIN_STEM:
            return word[: -len(particle)]
    return word


JS_STEMMER = """
var KOREAN_PARTICLES = %s;
var Stemmer = function() {
  this.stemWord = function(word) {
    for (var i = 0; i < KOREAN_PARTICLES.length; i++) {
      var particle = KOREAN_PARTICLES[i];
      if (word.length - particle.length >= %d && word.slice(-particle.length) === particle) {
        return word.slice(0, -particle.length);
      }
    }
    return word;
  };
};
""" % (json.dumps(PARTICLES, ensure_ascii=False), MIN_STEM)


class SearchKorean(SearchLanguage):
    lang = "ko"
    language_name = "Korean"
    js_stemmer_code = JS_STEMMER  # the code itself (js_stemmer_rawcode would name a file of Sphinx's)
    stopwords = set()

    def stem(self, word: str) -> str:
        return strip_particle(word.lower())


def setup(app):
    app.add_search_language(SearchKorean)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
