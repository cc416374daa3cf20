"""The built book: strict build, figures on the pages, glued numbers from the execution.

Bands for the numbers: the reference figures are the textbook's own notebooks (../shared/reference.md:
last run with Keras 3.4.1, and the same notebooks run here on CPU with Keras 3.15, which land within 0.5 points).
Each band is the reference ± about 1.5 points: wide enough for another CPU or a library patch release
(5-epoch runs move by about half a point between such environments), narrow enough that a broken
model (no scaling, wrong loss, wrong split, dropout left out) falls outside it. Structural numbers
(parameter counts, set sizes) are exact.
"""

import base64
import io
import re

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from conftest import BUILD, ROOT, chapter_files, glued_values

pytestmark = pytest.mark.slow

CHAPTER_7_1 = ROOT / "chapters" / "7-1-artificial-neural-network.ipynb"
CHAPTER_7_2 = ROOT / "chapters" / "7-2-deep-neural-network.ipynb"
CHAPTER_7_3 = ROOT / "chapters" / "7-3-training-neural-networks.ipynb"


def page(chapter):
    html = BUILD / "html" / chapter.parent.relative_to(ROOT) / f"{chapter.stem}.html"
    return BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser"), html


def rendered(phrase: str) -> str:
    """A phrase glued as Markdown (glue_words) as it reads on the page: inline code loses its backticks."""
    return phrase.replace("`", "")


def test_book_builds_strictly_with_every_chapter_executed(built_book):
    assert "build succeeded" in built_book
    assert "WARNING:" not in built_book.replace("[IPKernelApp] WARNING", "")
    for chapter in chapter_files():
        assert page(chapter)[1].is_file(), f"{chapter.name} was not built"
        assert glued_values(chapter), f"{chapter.name} glued no number: was it executed?"


@pytest.mark.parametrize("chapter", chapter_files(), ids=lambda path: path.stem)
def test_chapter_page_shows_its_figures(built_book, chapter):
    soup, html = page(chapter)
    images = [img for img in soup.select("main img") if "logo" not in img.get("src", "")]
    assert len(images) >= 2, f"{chapter.stem}: expected figures on the page, found {len(images)}"
    for img in images:  # the chapters' figures come inline, with their description (hongong.book.plotting.show_figure)
        assert img["src"].startswith("data:image/png;base64,"), f"{chapter.stem}: {img['src'][:80]}"
        png = base64.b64decode(img["src"].split(",", 1)[1])
        assert len(png) > 1000, f"{chapter.stem}: an empty figure"
        with Image.open(io.BytesIO(png)) as picture:
            assert picture.format == "PNG" and min(picture.size) > 50


@pytest.mark.parametrize("chapter", chapter_files(), ids=lambda path: path.stem)
def test_chapter_page_has_no_error_warning_or_unrendered_glue(built_book, chapter):
    soup, _ = page(chapter)
    main = soup.select_one("main")
    assert not main.select(".output.stderr, .output.traceback, .output.error"), "stderr or an error on the page"
    text = main.get_text()
    assert "{glue" not in text and "np.float64" not in text and "np.int64" not in text
    assert "Traceback" not in text
    assert "WARNING:tensorflow" not in text and "UserWarning" not in text, "a library's log line reached the page"


def test_7_1_glued_numbers_are_plausible_and_shown_in_the_prose(built_book):
    values = glued_values(CHAPTER_7_1)
    assert values["keras_params"] == values["sgd_params"] == 7_850
    assert (values["n_train"], values["n_val"], values["n_test"]) == (48_000, 12_000, 10_000)
    assert values["per_class"] == 6_000
    assert 0.78 <= values["sgd_accuracy"] <= 0.86
    assert 0.82 <= values["keras_val_accuracy"] <= 0.88
    assert values["keras_val_accuracy"] > values["sgd_accuracy"]
    assert values["onehot_weight_gap"] < 1e-5 and values["onehot_same_predictions"] > 0.999

    soup, _ = page(CHAPTER_7_1)
    pasted = [span.get_text() for span in soup.select("main span.pasted-text")]
    for shown in (f"{values['sgd_accuracy']:.4f}", f"{values['keras_val_accuracy']:.4f}", "7,850", "48,000", "12,000"):
        assert shown in pasted, f"{shown} is not in the prose; pasted values: {pasted}"
    # SGDClassifier trained longer on the same split (the textbook's 5 iterations do not converge), and the
    # sentence chosen from the numbers is on the page.
    assert values["sgd_best_iter"] in (20, 50) and values["sgd_best_accuracy"] > values["sgd_holdout_5"]
    assert 0 < values["val_standard_error"] < 0.005
    text = soup.select_one("main").get_text()
    assert rendered(values["keras_vs_sgd_best"]) in text and rendered(values["sgd_gain_20"]) in text


def test_7_2_parameter_counts_are_exact_and_accuracies_near_the_textbook(built_book):
    values = glued_values(CHAPTER_7_2)
    assert (values["dense1_params"], values["dense2_params"]) == (78_500, 1_010)
    assert values["sigmoid_params"] == values["relu_params"] == 79_510
    assert values["flatten_params"] == 0
    assert values["collapse_gap"] < 1e-4
    assert 0.861 <= values["sigmoid_train_accuracy"] <= 0.891  # textbook 0.8759
    assert 0.852 <= values["relu_val_accuracy"] <= 0.882  # textbook 0.8665
    assert 0.858 <= values["adam_val_accuracy"] <= 0.888  # textbook 0.8726
    # The prose says the hidden layer improved on 7-1's single layer.
    assert values["sigmoid_val_accuracy"] > glued_values(CHAPTER_7_1)["keras_val_accuracy"]
    optimizers = [values[f"opt_{name}_accuracy"] for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")]
    assert all(0.5 < accuracy < 0.9 for accuracy in optimizers)
    # The same model over four seeds: a spread above zero and well under the chapter's gaps between optimizers.
    assert 0 < values["seed_spread"] < 0.03 and values["seed_min"] + values["seed_spread"] == pytest.approx(values["seed_max"])
    text = page(CHAPTER_7_2)[0].select_one("main").get_text()
    for phrase in ("relu_vs_sigmoid", "adam_vs_rmsprop", "opt_rmsprop_vs_adam"):
        assert rendered(values[phrase]) in text, phrase


def test_7_3_callbacks_stop_early_and_accuracies_near_the_textbook(built_book):
    values = glued_values(CHAPTER_7_3)
    assert values["dropout_params"] == values["early_params"] == 79_510
    assert 0.863 <= values["dropout10_val_accuracy"] <= 0.893  # textbook 0.878
    assert 0.872 <= values["checkpoint_val_accuracy"] <= 0.902  # textbook 0.8871
    assert 0.871 <= values["early_val_accuracy"] <= 0.901  # textbook 0.8859
    # Early stopping really stopped early, and the glued epochs agree with patience=2.
    assert values["early_epochs_run"] < 20 and values["early_stopped_epoch"] == values["early_epochs_run"] - 1
    assert values["early_best_epoch"] == values["early_epochs_run"] - 2
    assert 0.855 <= values["test_accuracy"] <= 0.895
    # Over 20 epochs the validation loss turns up again (the overfitting the chapter shows).
    assert values["rmsprop_best_epoch"] < 20 and values["rmsprop_val_loss_last"] > values["rmsprop_val_loss_best"]
    # Dropout over 1,000 inputs zeroes about its rate; fit()'s first-epoch loss is above the validation loss.
    assert abs(values["dropped_share"] - 0.3) < 0.05
    assert values["rmsprop_first_loss"] > values["rmsprop_first_val_loss"]
    text = page(CHAPTER_7_3)[0].select_one("main").get_text()
    assert rendered(values["confused_pair"]) in text and rendered(values["test_vs_val"]) in text


def test_7_3_summary_table_collects_the_models_of_every_chapter(built_book):
    soup, _ = page(CHAPTER_7_3)
    table = next(t for t in soup.select("main article table") if "층 구성" in t.get_text())
    rows = [[cell.get_text(strip=True) for cell in row.select("td")] for row in table.select("tbody tr")]
    assert [row[0] for row in rows] == ["7-1", "7-2", "7-2", "7-2", "7-3", "7-3"]
    v1, v2, v3 = glued_values(CHAPTER_7_1), glued_values(CHAPTER_7_2), glued_values(CHAPTER_7_3)
    expected = [v1["keras_val_accuracy"], v2["sigmoid_val_accuracy"], v2["relu_val_accuracy"], v2["adam_val_accuracy"],
                v3["dropout10_val_accuracy"], v3["early_val_accuracy"]]
    assert [row[5] for row in rows] == [f"{value:.4f}" for value in expected]
    assert [row[4] for row in rows] == ["7,850"] + ["79,510"] * 5
    # The prose under the table reads the gaps against 7-2's seed-to-seed spread, pasted from 7-2.
    text = soup.select_one("main").get_text()
    assert f"{v2['seed_spread']:.4f}쯤 흔들립니다" in text


def test_chapter_7_1_page_reads_in_korean_with_english_terms(built_book):
    soup, _ = page(CHAPTER_7_1)
    text = soup.select_one("main").get_text(" ")
    assert soup.select_one("main h1").get_text().startswith("7-1 인공 신경망")
    for term in ("밀집층", "dense layer", "활성화 함수", "activation function", "검증 세트", "validation set"):
        assert term in text
    headings = [h.get_text().rstrip("#") for h in soup.select("main article h2")]
    assert headings[0] == "개요" and headings[-2:] == ["요약", "확인 문제"]


def test_nbgrader_folders_are_not_book_pages(built_book):
    html = BUILD / "html"
    assert not (html / "solutions").exists() and not (html / "exercises").exists()
    assert not list(html.rglob("README.html"))


def test_offline_mathjax_is_served_by_the_book(built_book):
    soup, _ = page(CHAPTER_7_1)
    sources = [script.get("src", "") for script in soup.find_all("script")]
    mathjax = [src for src in sources if "mathjax" in src.lower()]
    assert mathjax and not any(re.match(r"https?://", src) for src in mathjax), mathjax
    assert (BUILD / "html" / "_static" / "mathjax" / "tex-chtml.js").is_file()


def test_appendix_says_what_its_own_runs_show(built_book):
    appendix = ROOT / "chapters" / "appendix-output-layers-losses-encoding.ipynb"
    values = glued_values(appendix)
    # Two separately trained binary output layers need not agree; their conversion does, to rounding.
    assert values["bin_difference"] < 1e-5
    # No scaling ends stuck on the majority class with every ReLU unit silent; the page says so in words.
    assert values["scale_none"] == pytest.approx(values["majority_share"]) and values["dead_units"] == 16
    soup = page(appendix)[0]
    text = soup.select_one("main").get_text()
    assert rendered(values["bin_accuracy_words"]) in text and rendered(values["minmax_early"]) in text
    encoding = next(h2.parent for h2 in soup.select("main section > h2") if h2.get_text().startswith("레이블 인코딩과"))
    assert "로제(1)는 레드(0)와 화이트(2)의 한가운데" in encoding.get_text() and "두 배" not in encoding.get_text()
