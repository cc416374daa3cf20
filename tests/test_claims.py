"""The chapters' claims about their own numbers, fed contrary numbers: a guard fails, chosen words change.

The book build runs these cells with the real results (tests/test_book.py reads what they glued); here each
cell runs alone on numbers that would make its sentence false, to show that the build would then stop or say
something else. The cells are the chapters' own source, read from the notebooks.
"""

import json

import numpy as np
import pytest

from conftest import ROOT

CHAPTERS = ROOT / "chapters"


def cell_with(chapter: str, marker: str) -> str:
    notebook = json.loads((CHAPTERS / chapter).read_text(encoding="utf-8"))
    sources = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    found = [source for source in sources if marker in source]
    assert len(found) == 1, f"{chapter}: {len(found)} code cells contain {marker!r}"
    return found[0]


def run(source: str, **names) -> dict:
    """Execute a chapter cell with ``names`` defined; what it glued is returned under 'glued'."""
    from hongong.book.korean import with_particle

    glued = {}
    namespace = {"np": np, "with_particle": with_particle, "glued": glued,
                 "glue_value": glued.__setitem__, "glue_words": glued.__setitem__, **names}
    exec(compile(source, "<chapter cell>", "exec"), namespace)
    return glued


def test_7_1_says_more_iterations_helped_sgd_only_while_they_did():
    source = cell_with("7-1-artificial-neural-network.ipynb", 'glue_value("holdout_gap_5"')
    honest = {"holdout_accuracy": {5: 0.835, 20: 0.8434, 50: 0.8412}, "holdout_iterations": {5: 5, 20: 20, 50: 50},
              "val_accuracy": 0.8458, "sgd_accuracy": 0.8194, "val_target": np.zeros(12_000)}
    glued = run(source, **honest)
    assert glued["sgd_gain_20"] == "0.0084만큼 오릅니다"
    assert glued["keras_vs_sgd_best"].startswith("0.0024로 줄어") and "작아집니다" in glued["keras_vs_sgd_best"]
    assert glued["sgd_stop_50"] == "멈출 조건에 닿지 않아 50번을 모두 반복하고"
    assert run(source, **{**honest, "holdout_iterations": {5: 5, 20: 20, 50: 31}})["sgd_stop_50"] == "31번 반복한 뒤 스스로 멈추고"
    # A rebuild where SGDClassifier did best at 5 iterations: the sentence "5번 반복은 모자랐다" would be false.
    with pytest.raises(AssertionError):
        run(source, **{**honest, "holdout_accuracy": {5: 0.845, 20: 0.840, 50: 0.838}})


@pytest.fixture
def seed_cell_names():
    return {"seed_accuracy": {1: 0.861, 2: 0.874, 3: 0.866, 4: 0.870}, "seed_spread": 0.013,
            "relu_val_accuracy": 0.8648, "sigmoid_val_accuracy": 0.8572, "adam_val_accuracy": 0.8707,
            "final": {"SGD": 0.80, "RMSprop": 0.866, "Adam": 0.871}}


def test_7_2_compares_a_gap_with_the_seed_to_seed_spread_and_picks_its_words(seed_cell_names):
    source = cell_with("7-2-deep-neural-network.ipynb", "def against_noise")
    glued = run(source, **seed_cell_names)
    assert glued["adam_vs_rmsprop"].startswith("두 점수의 차이는 0.0059로, 시드만 바꿔도 생기는 흔들림(0.0130) 안에 있어서")
    assert glued["opt_rmsprop_vs_adam"].startswith("5 에포크 뒤의 RMSprop과 Adam을 비교하면 두 점수의 차이는 0.0050으로,")
    assert glued["relu_note"].startswith("렐루가 돕는 것은")
    wide = {**seed_cell_names, "seed_spread": 0.004}
    assert run(source, **wide)["adam_vs_rmsprop"] == "Adam이 0.0059 높아, 시드만 바꿔도 생기는 흔들림(0.0040)보다 큰 차이입니다."
    assert run(source, **wide)["relu_vs_sigmoid"].startswith("렐루 모델이 0.0076 높아")
    assert run(source, **wide)["relu_note"].startswith("은닉층이 하나뿐이라 기울기 소실이 이 차이의 원인이라고 보기는 어렵고")
    assert "0.0076으로" in run(source, **{**seed_cell_names, "seed_spread": 0.02})["relu_vs_sigmoid"]
    # "RMSprop과 Adam은 5 에포크 안에 SGD보다 높은 곳에 닿습니다" stops the build when it is false.
    with pytest.raises(AssertionError):
        run(source, **{**seed_cell_names, "final": {"SGD": 0.87, "RMSprop": 0.866, "Adam": 0.871}})


def test_7_3_guards_its_sentence_about_adam_against_rmsprop():
    source = cell_with("7-3-training-neural-networks.ipynb", 'glue_value("adam20_best_epoch"')
    rmsprop = {"val_loss": [0.42, 0.38, 0.36, 0.37, 0.40]}
    history = type("History", (), {"history": {"val_loss": [0.40, 0.35, 0.34, 0.35, 0.36]}})
    run(source, history=history, adam_best=3, rmsprop_history=rmsprop)
    lower_only_at_the_end = type("History", (), {"history": {"val_loss": [0.40, 0.37, 0.365, 0.37, 0.38]}})
    with pytest.raises(AssertionError):  # Adam's lowest point above RMSprop's: "더 낮은 곳까지" is false
        run(source, history=lower_only_at_the_end, adam_best=3, rmsprop_history=rmsprop)
