"""Korean particles after numbers and words, for the sentences a chapter writes from its own results.

A Korean particle has two forms, chosen by how the word before it ends when read aloud: 0.8746 is read
"영 점 팔칠사육", so it takes 으로 and 이 (육 ends in a consonant), while 0.8742 (…이) takes 로 and 가. A number
therefore cannot be followed by a fixed particle in prose that is glued from an execution; the chapter builds
the phrase with :func:`with_particle` and glues it (:func:`hongong.book.notebook.glue_words`).

Why a helper of our own: tossi, the Korean-particle library on PyPI that reads numbers, does read them correctly,
but its last release (0.3.1) is from January 2018 and it pulls in ``six``; the rule for the numbers a chapter prints
is the few lines below, tested digit by digit in ``tests/test_korean.py``.
"""

from __future__ import annotations

#: How each digit is read (Sino-Korean), and the place words for an integer ending in zeros.
DIGITS = "영일이삼사오육칠팔구"
PLACES = [(8, "억"), (4, "만"), (3, "천"), (2, "백"), (1, "십")]

#: Particle pairs: the form after a final consonant, then the form after a vowel.
PAIRS = {
    "이/가": ("이", "가"),
    "은/는": ("은", "는"),
    "을/를": ("을", "를"),
    "과/와": ("과", "와"),
    "으로/로": ("으로", "로"),
    "이나/나": ("이나", "나"),
}

_HANGUL_FIRST, _HANGUL_LAST, _CODAS = 0xAC00, 0xD7A3, 28
_RIEUL = 8  # the index of ㄹ among the final consonants


def last_syllable(word: str) -> str:
    """The syllable a word ends with when read aloud: a Hangul word's last letter, a number's last spoken word.

    Numbers: ``1,010`` → 십 (천십), ``0.8746`` → 육, ``20`` → 십, ``10,000`` → 만, ``0`` → 영. Exponent notation
    (``1.7e-06``) and words ending in anything else are refused: rephrase so no particle follows them.
    """
    text = word.strip().replace(",", "")
    if text and _HANGUL_FIRST <= ord(text[-1]) <= _HANGUL_LAST:
        return text[-1]
    number = text.lstrip("+-")
    if not number or not all(c.isdigit() or c == "." for c in number) or number.count(".") > 1 or number[-1] == ".":
        raise ValueError(f"no reading known for {word!r}: write the sentence so that no particle follows it")
    if "." in number:
        return DIGITS[int(number[-1])]
    integer = int(number)
    if integer == 0:
        return "영"
    zeros = len(number) - len(number.rstrip("0"))
    for at_least, place in PLACES:
        if zeros >= at_least:
            return place
    return DIGITS[integer % 10]


def particle(word: str, pair: str) -> str:
    """The form of ``pair`` (e.g. ``"이/가"``, ``"으로/로"``) that follows ``word`` as it is read."""
    after_consonant, after_vowel = PAIRS[pair]
    coda = (ord(last_syllable(word)) - _HANGUL_FIRST) % _CODAS
    if pair == "으로/로":
        return after_consonant if coda and coda != _RIEUL else after_vowel
    return after_consonant if coda else after_vowel


def with_particle(word: str, pair: str) -> str:
    """``word`` followed by the right form of ``pair``: ``with_particle("0.8746", "으로/로")`` is ``"0.8746으로"``."""
    return word + particle(word, pair)
