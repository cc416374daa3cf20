"""The trusted checker (hongong/grading/checker.py) with Keras: models, the checker process, early stopping, callbacks.

Quick tests: a .keras file with a Lambda or custom layer is refused before Keras sees it (its config checked against
an allowlist); the checker reads a model and measures its accuracy itself; the checker process judges answer files
and refuses a planted test set; ch07-3's early stopping is judged from the learner's rule against Keras's own, and
its callbacks by what Keras's callbacks do. Quiz values and functions: tests/test_checker_answers.py. Whole notebooks,
honest and dishonest, graded through nbgrader: tests/test_instructor_workflow.py.
"""

import base64
import json
import os
import random
import subprocess
import sys

import pytest

from conftest import ROOT
from hongong.exercise import answers
from hongong.grading import checker, checks, keras_model
from judging import items_of, judge


def test_a_model_config_is_checked_against_the_allowlist_before_keras_reads_it():
    safe = {"module": "keras", "class_name": "Sequential", "config": {"layers": [
        {"module": "keras.layers", "class_name": "Dense", "config": {"kernel_initializer": {
            "module": "keras.initializers", "class_name": "GlorotUniform", "config": {}}}, "registered_name": None}]}}
    assert keras_model.unsafe_parts(safe) == []
    lambda_layer = {"module": "keras.layers", "class_name": "Lambda",
                    "config": {"function": {"class_name": "__lambda__", "config": {"code": "4wEAAA"}}}}
    assert "keras.layers.Lambda" in keras_model.unsafe_parts({"config": {"layers": [lambda_layer]}})
    assert keras_model.unsafe_parts({"module": "os", "class_name": "system"}) == ["os.system"]
    assert keras_model.unsafe_parts({"module": "keras.layers", "class_name": "Dense", "registered_name": "Custom>Dense"})
    keras_function = {"module": "builtins", "class_name": "function", "registered_name": "function"}
    assert keras_model.unsafe_parts({"loss": keras_function | {"config": "sparse_categorical_crossentropy"}}) == []
    assert keras_model.unsafe_parts({"loss": keras_function | {"config": "exec"}}) == ["function exec"]


keras = pytest.importorskip("keras")


def dense_model(*layers):
    model = keras.Sequential([keras.Input(shape=(784,)), *layers, keras.layers.Dense(10, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_a_model_is_read_and_measured_by_the_checker_and_unsafe_ones_are_refused(tmp_path):
    items = [i for i in items_of("ch07-1") if i.grade_id in ("test-build-model", "test-train")]

    @keras.saving.register_keras_serializable(package="learner")
    class Shortcut(keras.layers.Layer):
        def call(self, x):
            return x

    verdicts = judge({"build_model": dense_model, "model": dense_model()}, items, tmp_path / "untrained")
    assert verdicts["test-build-model"]["passed"], verdicts
    assert not verdicts["test-train"]["passed"] and "정확도" in verdicts["test-train"]["message"]  # untrained: near chance
    for name, layer in [("lambda", keras.layers.Lambda(lambda x: x)), ("custom", Shortcut())]:
        verdicts = judge({"build_model": lambda layer=layer: dense_model(layer), "model": dense_model(layer)}, items,
                         tmp_path / name)
        assert not any(v["passed"] for v in verdicts.values())
        assert "안전하게 불러올 수 없습니다" in verdicts["test-build-model"]["message"], verdicts
    verdicts = judge({"build_model": lambda: "a model", "model": None}, items, tmp_path / "not-models")
    assert "케라스 모델이 아닙니다" in verdicts["test-build-model"]["message"]


def test_the_loss_is_right_however_keras_is_given_it_and_from_logits_is_told_apart(tmp_path):
    """The chapters' string, the function, a Loss object and the class's name are the same loss (issue 27)."""
    [item] = [i for i in items_of("ch07-1") if i.grade_id == "test-build-model"]

    def compiled(loss):
        model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10, activation="softmax")])
        model.compile(loss=loss, metrics=["accuracy"])
        return model

    right = ["sparse_categorical_crossentropy", keras.losses.sparse_categorical_crossentropy,
             keras.losses.SparseCategoricalCrossentropy(name="my_loss"), "SparseCategoricalCrossentropy"]
    wrong = ["categorical_crossentropy", keras.losses.SparseCategoricalCrossentropy(from_logits=True)]
    for n, loss in enumerate(right + wrong):
        verdict = judge({"build_model": lambda loss=loss: compiled(loss)}, [item], tmp_path / str(n))["test-build-model"]
        assert verdict["passed"] == (loss in right), (loss, verdict)


def checker_process(request, **env):
    return subprocess.run([sys.executable, "-I", "-m", "hongong.grading.checker"], input=json.dumps(request), text=True,
                          capture_output=True, timeout=300, env=dict(os.environ, **env))


def test_the_checker_process_judges_files_and_refuses_a_planted_test_set(tmp_path):
    path = ROOT / "checks" / "ch07-1.py"
    items = [i for i in items_of("ch07-1") if i.grade_id == "test-train"]
    spec = checks.collect_spec(items, random.Random(1))
    answers.export({"model": dense_model()}, spec, str(tmp_path / "answers"))
    request = {"checks": path.read_text(encoding="utf-8"), "checks_name": str(path), "spec": spec,
               "files": {p.name: base64.b64encode(p.read_bytes()).decode() for p in (tmp_path / "answers").iterdir()}}
    result = checker_process(request)
    verdicts = json.loads(result.stdout.splitlines()[-1])["verdicts"]
    assert set(verdicts) == {"test-q1", "test-q2", "test-q3", "test-q4", "test-q5", "test-q6", "test-q7",
                             "test-dense-params", "test-softmax", "test-build-model", "test-train"}
    assert "정확도" in verdicts["test-train"]["message"] and "답을 찾을 수 없습니다" in verdicts["test-q1"]["message"]
    planted = tmp_path / "planted"
    (planted / "datasets" / "fashion-mnist").mkdir(parents=True)
    result = checker_process(request, KERAS_HOME=str(planted))
    assert result.returncode != 0 and "Fashion-MNIST is not intact" in result.stderr


def keras_early_stopping_epochs(val_losses, patience):
    """What Keras itself does: its EarlyStopping fed one val_loss per epoch, as fit() feeds it."""
    import keras

    class Trainee:  # what EarlyStopping touches of a model when restore_best_weights is off
        stop_training = False

    callback = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)
    callback.set_model(Trainee())
    callback.on_train_begin()
    for epoch, loss in enumerate(val_losses):
        callback.on_epoch_end(epoch, {"val_loss": loss})
        if callback.model.stop_training:
            return epoch + 1
    return len(val_losses)


def test_the_early_stopping_reference_is_keras_own_rule():
    namespace = {"__name__": "checks"}
    exec((ROOT / "checks" / "ch07-3.py").read_text(encoding="utf-8"), namespace)
    rng = random.Random(7)
    cases = [case for _ in range(40) for case in namespace["stopping_cases"](rng)]
    assert any(keras_early_stopping_epochs(*case) < len(case[0]) for case in cases)
    assert any(keras_early_stopping_epochs(*case) == len(case[0]) for case in cases)
    for val_losses, patience in cases:
        assert namespace["keras_epochs"](val_losses, patience) == keras_early_stopping_epochs(val_losses, patience), \
            (val_losses, patience)


def test_early_stopping_is_judged_from_the_learners_rule_on_fresh_cases_not_from_the_training_run(tmp_path):
    items = [i for i in items_of("ch07-3") if i.grade_id == "test-early-stop"]
    assert [a.kind for a in items[0].answers] == ["calls"], "no model, history or step count decides this item"

    def honest(val_losses, patience):
        best, waited = float("inf"), 0
        for epoch, loss in enumerate(val_losses, start=1):
            if loss < best:
                best, waited = loss, 0
            else:
                waited += 1
                if waited >= patience:
                    return epoch
        return len(val_losses)

    def counts_ties_as_better(val_losses, patience):
        return honest([loss - 1e-9 * i for i, loss in enumerate(val_losses)], patience)

    assert judge({"epochs_until_stop": honest}, items, tmp_path / "right")["test-early-stop"]["passed"]
    wrong = judge({"epochs_until_stop": counts_ties_as_better}, items, tmp_path / "ties")["test-early-stop"]
    assert not wrong["passed"] and "최저값과 같은 손실" in wrong["message"]
    assert not judge({"epochs_until_stop": lambda v, p: 4}, items, tmp_path / "visible-only")["test-early-stop"]["passed"]


# --- ch07-3's callbacks, with Keras's own callbacks on a tiny model ------------------------------------------


def tiny_model():
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def tiny_data():
    rng = __import__("numpy").random.default_rng(0)
    return rng.random((64, 4)), rng.integers(0, 2, 64)


def callbacks_in(folder, **early_stopping):
    checkpoint = keras.callbacks.ModelCheckpoint(str(folder / "best-model.keras"), save_best_only=True)
    return checkpoint, keras.callbacks.EarlyStopping(**{"patience": 2, "restore_best_weights": True, **early_stopping})


def test_what_the_exercise_says_about_keras_callbacks_is_what_keras_does(tmp_path):
    """ch07-3's task text: without validation_data ModelCheckpoint only warns and writes every epoch and
    EarlyStopping neither stops nor restores; EarlyStopping starts afresh at each fit(), ModelCheckpoint keeps the
    lowest val_loss it saw, so an old checkpoint callback saves nothing for a new model that never beats it."""
    import warnings

    x, y = tiny_data()
    checkpoint, early_stopping = callbacks_in(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = tiny_model().fit(x, y, epochs=3, verbose=0, callbacks=[checkpoint, early_stopping])
    assert "val_loss" not in history.history and len(history.history["loss"]) == 3
    assert any("Can save best model only with val_loss available" in str(w.message) for w in caught)
    assert (tmp_path / "best-model.keras").exists(), "written anyway, every epoch"
    assert checkpoint.best is None and early_stopping.best is None and early_stopping.best_weights is None

    checkpoint, early_stopping = callbacks_in(tmp_path)
    tiny_model().fit(x, y, epochs=3, verbose=0, validation_data=(x, y), callbacks=[checkpoint, early_stopping])
    assert checkpoint.best is not None and early_stopping.best is not None
    # What both remember from that fit(), made lower than anything the next model reaches: a model with zero weights
    # starts at val_loss ln 2 = 0.693 (probability 1/2 for each sample), and two epochs on random labels stay near it.
    checkpoint.best, early_stopping.best = 0.5, 0.0
    written = (tmp_path / "best-model.keras").stat().st_mtime_ns
    worse = tiny_model()
    worse.set_weights([w * 0 for w in worse.get_weights()])
    history = worse.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[checkpoint, early_stopping])
    assert checkpoint.best == 0.5, "ModelCheckpoint remembers the last fit()'s best"
    assert (tmp_path / "best-model.keras").stat().st_mtime_ns == written, "so the new model was never saved"
    assert early_stopping.best == min(history.history["val_loss"]), "EarlyStopping started afresh"


@pytest.mark.filterwarnings("ignore:.*(val_loss|val_accuracy).*:UserWarning")
def test_callbacks_are_judged_on_their_settings_and_on_having_seen_a_val_loss(tmp_path):
    items = [i for i in items_of("ch07-3") if i.grade_id == "test-callbacks"]
    x, y = tiny_data()

    def verdict(name, validation=True, fit=True, **early_stopping):
        folder = tmp_path / name
        folder.mkdir()
        checkpoint, early = callbacks_in(folder, **early_stopping)
        if fit:
            tiny_model().fit(x, y, epochs=2, verbose=0, callbacks=[checkpoint, early],
                             **({"validation_data": (x, y)} if validation else {}))
        return judge({"checkpoint_cb": checkpoint, "early_stopping_cb": early}, items, folder)["test-callbacks"]

    assert verdict("right") == {"passed": True, "verdict": "passed", "message": "통과"}
    wrong_monitor = verdict("monitor", monitor="val_accuracy")
    assert not wrong_monitor["passed"] and "early_stopping_cb의 monitor" in wrong_monitor["message"]
    not_restoring = verdict("restore", restore_best_weights=False)
    assert not not_restoring["passed"] and "restore_best_weights" not in not_restoring["message"], "q2's answer"
    no_validation = verdict("no-validation", validation=False)
    assert not no_validation["passed"] and "validation_data=(val_scaled, val_labels)" in no_validation["message"]
    never_fit = verdict("never-fit", fit=False)
    assert not never_fit["passed"] and "fit()에 주지 않은 콜백" in never_fit["message"]
