"""Particles after glued numbers (hongong/book/korean.py), and no fixed particle after a glued number in the prose."""

import json
import re

import pytest

from conftest import chapter_files
from hongong.book.korean import last_syllable, particle, with_particle

# How a number ending in each digit is read, and the particles that follow it (checked by reading aloud).
ENDINGS = {
    "0": ("영", "이", "은", "을", "과", "으로"),
    "1": ("일", "이", "은", "을", "과", "로"),
    "2": ("이", "가", "는", "를", "와", "로"),
    "3": ("삼", "이", "은", "을", "과", "으로"),
    "4": ("사", "가", "는", "를", "와", "로"),
    "5": ("오", "가", "는", "를", "와", "로"),
    "6": ("육", "이", "은", "을", "과", "으로"),
    "7": ("칠", "이", "은", "을", "과", "로"),
    "8": ("팔", "이", "은", "을", "과", "로"),
    "9": ("구", "가", "는", "를", "와", "로"),
}
PAIRS = ("이/가", "은/는", "을/를", "과/와", "으로/로")


@pytest.mark.parametrize("digit", sorted(ENDINGS))
@pytest.mark.parametrize("template", ["0.874{}", "0.00{}", "12.{}", "-0.5{}", "{}.0{}"])
def test_a_decimal_takes_the_particle_of_its_last_digit(digit, template):
    number = template.format(digit, digit)
    reading, *expected = ENDINGS[digit]
    assert last_syllable(number) == reading
    assert [particle(number, pair) for pair in PAIRS] == expected
    assert with_particle(number, "으로/로") == number + expected[-1]


@pytest.mark.parametrize("number, reading, ro", [
    ("7", "칠", "로"), ("9", "구", "로"), ("10", "십", "으로"), ("20", "십", "으로"), ("100", "백", "으로"),
    ("1,000", "천", "으로"), ("1,010", "십", "으로"), ("10,000", "만", "으로"), ("79,510", "십", "으로"),
    ("7,850", "십", "으로"), ("48,000", "천", "으로"), ("100,000", "만", "으로"), ("300,000,000", "억", "으로"),
    ("0", "영", "으로"), ("12", "이", "로"), ("1,001", "일", "로"),
])
def test_an_integer_is_read_with_its_place_word(number, reading, ro):
    assert last_syllable(number) == reading
    assert particle(number, "으로/로") == ro


def test_hangul_words_take_their_own_particles():
    assert with_particle("모델", "으로/로") == "모델로"  # ㄹ takes 로
    assert with_particle("옵티마이저", "이/가") == "옵티마이저가"
    assert with_particle("손실", "은/는") == "손실은"
    with pytest.raises(ValueError):  # no reading is assumed for Latin letters
        particle("Adam", "이/가")


@pytest.mark.parametrize("word", ["1.7e-06", "87.5%", "", "0.", "1.2.3"])
def test_a_form_without_a_known_reading_is_refused_so_the_prose_is_rephrased(word):
    with pytest.raises(ValueError, match="no reading"):
        particle(word, "이/가")


# A particle whose form depends on the word before it, written right after a glued number.
FIXED_PARTICLE = re.compile(r"\{glue:text\}`[^`]+`(이나|나|이|가|은|는|을|를|과|와|으로|로|이라|라)(?![가-힣])")


@pytest.mark.parametrize("chapter", chapter_files(), ids=lambda path: path.stem)
def test_no_prose_writes_a_fixed_particle_after_a_glued_number(chapter):
    notebook = json.loads(chapter.read_text(encoding="utf-8"))
    found = [match.group(0) for cell in notebook["cells"] if cell["cell_type"] == "markdown"
             for match in FIXED_PARTICLE.finditer("".join(cell["source"]))]
    assert not found, f"{chapter.name}: a particle after a glued number; glue the phrase from with_particle: {found}"
