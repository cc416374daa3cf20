"""hongong.grading, the helpers of the exercises' test cells: form checks and the fresh-process model report."""

import pytest

from hongong.grading import check_form, model_report

keras = pytest.importorskip("keras")


def test_form_check_accepts_the_right_form_and_says_in_korean_what_is_wrong():
    check_form("q1", 1010, int)
    check_form("q2", "relu", str, choices=["relu", "sigmoid"])
    with pytest.raises(AssertionError, match=r"q1의 자료형이 str입니다\. 정수\(int\)로 답하세요\. 예: q1 = 123"):
        check_form("q1", "1010", int, example=123)
    with pytest.raises(AssertionError, match="q2에는 다음 중 하나를 적으세요: 'relu', 'sigmoid'"):
        check_form("q2", "relue", str, choices=["relu", "sigmoid"])


def test_form_check_rejects_subclasses_and_look_alike_objects():
    class SneakyInt(int):
        def __eq__(self, other):
            return True

    with pytest.raises(AssertionError, match="SneakyInt"):
        check_form("q1", SneakyInt(3), int)
    with pytest.raises(AssertionError):
        check_form("q1", True, int)  # bool is a subclass of int, not an int answer


def small_model():
    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.slow
def test_report_reads_architecture_and_measures_accuracy_in_a_fresh_process():
    report = model_report(small_model())
    assert [(layer["class"], layer["units"], layer["activation"]) for layer in report["layers"]] == [("Dense", 10, "softmax")]
    assert report["params"] == 7850 and report["loss"] == "sparse_categorical_crossentropy"
    assert report["optimizer"] == "RMSprop" and 0.0 <= report["accuracy"] < 0.3  # untrained: near chance


def test_report_refuses_a_test_set_planted_through_keras_home(tmp_path, monkeypatch):
    planted = tmp_path / "datasets" / "fashion-mnist"
    planted.mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(AssertionError, match="테스트 세트가 바뀌었거나 손상되었습니다"):
        model_report(small_model())


@pytest.mark.slow
def test_report_refuses_a_model_that_cannot_be_loaded_safely():
    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Lambda(lambda x: x * 0), keras.layers.Dense(10)])
    with pytest.raises(AssertionError, match="안전하게 불러올 수 없습니다"):
        model_report(model)
