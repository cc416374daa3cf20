"""The trusted checker (hongong/grading/checker.py) and the kernel's side of the answer channel (hongong/exercise/answers.py).

Quick tests: answers written by :func:`hongong.exercise.answers.export` from a namespace (as the kernel would),
read back and judged by the checks in checks/; what does not deserialize as plain data earns 0 with its
own message; a .keras file with a Lambda or custom layer is refused before Keras sees it; the checker
process measures accuracy itself and refuses a planted test set. Whole notebooks, honest and dishonest,
graded through nbgrader: tests/test_instructor_workflow.py.
"""

import base64
import functools
import json
import math
import os
import random
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from hongong.exercise import answers
from hongong.grading import checker, checks

SOLVED_QUIZ = {"q1": 1010, "q2": "sigmoid", "q3": "compile", "q4": "sparse_categorical_crossentropy", "q5": 12000,
               "q6": 0, "q7": "softmax"}


def items_of(assignment, kinds=None):
    path = ROOT / "checks" / f"{assignment}.py"
    items = checks.load_items(path.read_text(encoding="utf-8"), str(path))
    return [i for i in items if kinds is None or all(a.kind in kinds for a in i.answers)]


def judge(namespace, items, tmp_path, rng=None, checks_name=""):
    """Export from ``namespace`` as the kernel does, read the files as the executor does, judge as the checker does."""
    spec = checks.collect_spec(items, rng or random.Random(1))
    folder = tmp_path / "answers"
    answers.export(namespace, spec, str(folder))
    files = {path.name: path.read_bytes() for path in folder.iterdir()}
    return checker.decide(items, spec, files, checks_name)


def test_plain_values_pass_and_everything_else_is_named():
    assert answers.plain([1, 2.5, "a", True, None, {"k": [0]}]) == [1, 2.5, "a", True, None, {"k": [0]}]

    class SneakyInt(int):
        def __eq__(self, other):
            return True

    for sneaky, name in [(SneakyInt(1010), "SneakyInt"), ((1, 2), "tuple"), ({1: "a"}, "dict"), ([object()], "object")]:
        with pytest.raises(answers.NotPlain, match=name):
            answers.plain(sneaky)


def test_quiz_answers_are_judged_as_data_with_exact_types(tmp_path):
    items = items_of("ch07-1", kinds={"value"})
    assert len(items) == 7
    assert all(v["passed"] for v in judge(dict(SOLVED_QUIZ), items, tmp_path / "right").values())

    class AlwaysEqual:
        def __eq__(self, other):
            return True

    class SneakyStr(str):
        def __eq__(self, other):
            return True

    wrong = {"q1": "1010", "q2": SneakyStr("x"), "q3": AlwaysEqual(), "q4": True, "q5": 12000.0, "q6": [0]}  # no q7
    verdicts = judge(wrong, items, tmp_path / "wrong")
    assert not any(v["passed"] for v in verdicts.values())
    assert "정수(int)로 답하세요" in verdicts["test-q1"]["message"]
    assert "단순한 값이 아닙니다" in verdicts["test-q2"]["message"] and "SneakyStr" in verdicts["test-q2"]["message"]
    assert "AlwaysEqual" in verdicts["test-q3"]["message"]
    assert "답이 없습니다: q7" in verdicts["test-q7"]["message"]
    assert {g: v["verdict"] for g, v in verdicts.items()} == {**{f"test-q{n}": "wrong" for n in range(1, 7)},
                                                              "test-q7": "not_attempted"}
    assert all("1010" not in v["message"] and "sigmoid" not in v["message"] for v in verdicts.values()), \
        "a message never gives the answer away"


def test_q6_right_value_passes_alone(tmp_path):
    verdicts = judge({"q6": 0}, [i for i in items_of("ch07-1", kinds={"value"}) if i.grade_id == "test-q6"], tmp_path)
    assert verdicts == {"test-q6": {"passed": True, "verdict": "passed", "message": "통과"}}


def test_a_function_answer_is_called_on_inputs_drawn_at_grading_time(tmp_path):
    items = [i for i in items_of("ch07-1") if i.grade_id == "test-dense-params"]
    first = checks.collect_spec(items, random.SystemRandom())[0]["inputs"]
    second = checks.collect_spec(items, random.SystemRandom())[0]["inputs"]
    assert first != second, "fresh inputs for every submission"
    seen = []

    def lookup_table(n_inputs, n_units):  # knows only the visible test's case
        seen.append((n_inputs, n_units))
        return 7850 if (n_inputs, n_units) == (784, 10) else 0

    assert judge({"dense_params": lambda n, u: n * u + u}, items, tmp_path / "right")["test-dense-params"]["passed"]
    assert not judge({"dense_params": lookup_table}, items, tmp_path / "table")["test-dense-params"]["passed"]
    assert len(seen) == 7
    float_answer = judge({"dense_params": lambda n, u: float(n * u + u)}, items, tmp_path / "float")["test-dense-params"]
    assert not float_answer["passed"] and "정수(int)" in float_answer["message"]
    raises = judge({"dense_params": lambda n, u: 1 / 0}, items, tmp_path / "raises")["test-dense-params"]
    assert not raises["passed"] and raises["verdict"] == "wrong"


def stub(*arguments):
    raise NotImplementedError()


def test_a_stub_left_in_place_or_a_name_never_defined_is_not_attempted_and_a_crash_is_wrong(tmp_path):
    """The release's stub (``raise NotImplementedError()``), in a function or a model builder, and an undefined name
    are "시도하지 않음"; a function that fails some other way was attempted, so it is "틀림"."""
    items = {i.grade_id: i for i in items_of("ch07-1")}
    chosen = [items[g] for g in ("test-q1", "test-dense-params", "test-build-model")]
    verdicts = judge({"dense_params": stub, "build_model": stub}, chosen, tmp_path / "stubs")
    assert {g: v["verdict"] for g, v in verdicts.items()} == dict.fromkeys(verdicts, "not_attempted")
    assert "NotImplementedError" in verdicts["test-dense-params"]["message"]
    half = judge({"dense_params": lambda n, u: stub() if n > 500 else n * u + u}, chosen[1:2], tmp_path / "half")
    assert half["test-dense-params"]["verdict"] == "wrong", "a function that answers some inputs was attempted"


def test_an_answer_the_kernel_withheld_is_wrong_and_learner_text_in_a_message_stays_valid_utf8():
    """The export writes every answer; one missing was withheld (a replaced export), so it earns nothing as "틀림"
    (not "채점 불가", which would leave it out of the item statistics). A lone surrogate in what the kernel wrote
    cannot break the checker's UTF-8 output."""
    items = [i for i in items_of("ch07-1") if i.grade_id in ("test-q1", "test-q2", "test-dense-params")]
    spec = checks.collect_spec(items, random.SystemRandom())
    files = {f"{e['file']}.json": json.dumps({"not_plain": "\ud800"}).encode() for e in spec if e["name"] == "q2"}
    verdicts = checker.decide(items, spec, files)
    assert {v["verdict"] for v in verdicts.values()} == {"wrong"}
    assert "답을 받지 못했습니다: q1" in verdicts["test-q1"]["message"]
    assert "\\ud800" in verdicts["test-q2"]["message"]
    json.dumps(verdicts, ensure_ascii=False).encode("utf-8")  # as the checker writes it: no UnicodeEncodeError


def naive_softmax(z):
    exps = [math.exp(v) for v in z]  # overflows past about 709.78
    return [e / sum(exps) for e in exps]


def stable_softmax(z):
    exps = [math.exp(v - max(z)) for v in z]
    return [e / sum(exps) for e in exps]


def test_softmax_is_checked_on_fresh_vectors_large_ones_included_and_each_mistake_named(tmp_path):
    items = [i for i in items_of("ch07-1") if i.grade_id == "test-softmax"]
    drawn = checks.collect_spec(items, random.SystemRandom())[0]["inputs"]
    assert drawn != checks.collect_spec(items, random.SystemRandom())[0]["inputs"], "fresh inputs for every submission"
    assert any(max(z) > 709.78 for (z,) in drawn) and any(max(z) < -745 for (z,) in drawn), "past exp's range both ways"

    def verdict(function, name):
        return judge({"softmax": function}, items, tmp_path / name)["test-softmax"]

    assert verdict(stable_softmax, "stable")["passed"]
    naive = verdict(naive_softmax, "naive")
    assert not naive["passed"] and "OverflowError" in naive["message"] and "가장 큰 값을 먼저 빼고" in naive["message"]
    array = verdict(lambda z: __import__("numpy").array(stable_softmax(z)), "array")
    assert not array["passed"] and "ndarray" in array["message"] and ".tolist()" in array["message"]
    unnormalized = verdict(lambda z: [math.exp(v - max(z)) for v in z], "unnormalized")
    assert not unnormalized["passed"] and "합이 1이 아닙니다" in unnormalized["message"]
    example_only = verdict(lambda z: [0.5] * len(z), "example-only")
    assert not example_only["passed"]


def test_stack_params_is_checked_on_fresh_stacks_and_the_usual_miscounts_are_named(tmp_path):
    items = [i for i in items_of("ch07-2") if i.grade_id == "test-stack-params"]
    drawn = checks.collect_spec(items, random.SystemRandom())[0]["inputs"]
    assert drawn != checks.collect_spec(items, random.SystemRandom())[0]["inputs"]
    assert any(len(sizes) >= 3 for (sizes,) in drawn)
    pairs = lambda sizes: list(zip(sizes, sizes[1:]))  # noqa: E731
    cases = {
        "right": (lambda sizes: sum(a * b + b for a, b in pairs(sizes)), None),
        "no-biases": (lambda sizes: sum(a * b for a, b in pairs(sizes)), "절편을 빠뜨렸습니다"),
        "first-only": (lambda sizes: sizes[0] * sizes[1] + sizes[1] + 0 * len(sizes), "첫 번째 밀집층만"),
        "first-input": (lambda sizes: sum(sizes[0] * b + b for _, b in pairs(sizes)), "처음 입력 수로"),
        "example-only": (lambda sizes: 79510, "틀린 값"),
        "float": (lambda sizes: float(sum(a * b + b for a, b in pairs(sizes))), "정수(int)"),
    }
    for name, (function, message) in cases.items():
        verdict = judge({"stack_params": function}, items, tmp_path / name, rng=random.Random(3))["test-stack-params"]
        assert verdict["passed"] is (message is None), (name, verdict)
        assert message is None or message in verdict["message"], (name, verdict)


def test_best_epoch_is_checked_on_fresh_losses_with_ties_and_off_by_one_is_named(tmp_path):
    items = [i for i in items_of("ch07-3") if i.grade_id == "test-best-epoch"]
    drawn = checks.collect_spec(items, random.SystemRandom())[0]["inputs"]
    assert drawn != checks.collect_spec(items, random.SystemRandom())[0]["inputs"]
    assert any(losses.count(min(losses)) > 1 for (losses,) in drawn), "a tie at the lowest loss is always drawn"
    last = lambda losses: len(losses) - losses[::-1].index(min(losses))  # noqa: E731
    cases = {
        "right": (lambda losses: losses.index(min(losses)) + 1, None),
        "from-zero": (lambda losses: losses.index(min(losses)), "0부터"),
        "last-tie": (last, "처음 나온 에포크"),
        "example-only": (lambda losses: 2, "틀린 에포크"),
    }
    for name, (function, message) in cases.items():
        verdict = judge({"best_epoch": function}, items, tmp_path / name)["test-best-epoch"]
        assert verdict["passed"] is (message is None), (name, verdict)
        assert message is None or message in verdict["message"], (name, verdict)


def test_answers_that_are_missing_malformed_or_forged_files_earn_nothing():
    items = [i for i in items_of("ch07-1", kinds={"value"}) if i.grade_id == "test-q1"]
    spec = checks.collect_spec(items, random.Random(1))
    cases = {
        "nothing": {},
        "not json": {"00.json": b"q1 = 1010"},
        "a list instead of the envelope": {"00.json": b"[1010]"},
        "an unknown envelope": {"00.json": json.dumps({"value": 1010, "extra": 1}).encode()},
        "raised while exporting": {"00.json": json.dumps({"raised": "RecursionError"}).encode()},
    }
    for case, files in cases.items():
        verdict = checker.decide(items, spec, files)["test-q1"]
        assert verdict["passed"] is False, case


def test_a_model_config_is_checked_against_the_allowlist_before_keras_reads_it():
    safe = {"module": "keras", "class_name": "Sequential", "config": {"layers": [
        {"module": "keras.layers", "class_name": "Dense", "config": {"kernel_initializer": {
            "module": "keras.initializers", "class_name": "GlorotUniform", "config": {}}}, "registered_name": None}]}}
    assert checker.unsafe_parts(safe) == []
    lambda_layer = {"module": "keras.layers", "class_name": "Lambda",
                    "config": {"function": {"class_name": "__lambda__", "config": {"code": "4wEAAA"}}}}
    assert "keras.layers.Lambda" in checker.unsafe_parts({"config": {"layers": [lambda_layer]}})
    assert checker.unsafe_parts({"module": "os", "class_name": "system"}) == ["os.system"]
    assert checker.unsafe_parts({"module": "keras.layers", "class_name": "Dense", "registered_name": "Custom>Dense"})


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


# --- every quiz message points to the book, never to the answer --------------------------------------------

CHAPTERS = {"7-1": "7-1-artificial-neural-network", "7-2": "7-2-deep-neural-network", "7-3": "7-3-training-neural-networks"}
SAID_IN_KOREAN = {"relu": "렐루", "sigmoid": "시그모이드", "softmax": "소프트맥스", "val_loss": "검증 손실", "Flatten": "펼치는 층"}


@functools.cache
def headings(section):
    import nbformat

    notebook = nbformat.read(ROOT / "chapters" / f"{CHAPTERS[section]}.ipynb", as_version=4)
    return {line.lstrip("#").strip() for cell in notebook.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("##")}


def test_every_section_a_check_message_cites_is_a_heading_of_that_chapter():
    cited = [(section, title) for assignment in ("ch07-1", "ch07-2", "ch07-3")
             for section, title in re.findall(r"(7-\d)절 '([^']+)'", (ROOT / "checks" / f"{assignment}.py").read_text(encoding="utf-8"))]
    assert len(cited) > 20
    missing = [(section, title) for section, title in cited if title not in headings(section)]
    assert missing == [], "a message sends the learner to a section the chapter does not have"


def wrong_like(answer):
    """A wrong answer of the right type."""
    if type(answer) is list:
        return [n + 1 for n in answer]
    return "wrong" if type(answer) is str else answer + type(answer)(1000)


@pytest.mark.parametrize("assignment", ["ch07-1", "ch07-2", "ch07-3"])
def test_a_wrong_quiz_answer_is_sent_to_a_section_of_the_book_without_the_answer(assignment, tmp_path):
    from class_submissions import quiz_answers

    right = quiz_answers(assignment)
    special = {"ch07-1": {"q2": ["softmax"], "q6": [7850, 784]}, "ch07-2": {"q2": ["Reshape"]}}.get(assignment, {})
    items = items_of(assignment, kinds={"value"})
    section = assignment[2:].lstrip("0")  # ch07-1 -> 7-1
    chapter_headings = headings(section)
    for name, answer in right.items():
        for wrong in [wrong_like(answer), *special.get(name, [])]:
            message = judge({name: wrong}, [i for i in items if i.grade_id == f"test-{name}"], tmp_path / f"{name}-{wrong}")[
                f"test-{name}"]["message"]
            assert message.startswith("정답이 아닙니다.") and f"{section}절" in message, (name, message)
            titles = re.findall(r"'([^']+)'", message)
            assert all(title in chapter_headings for title in titles), (name, titles)
            values = answer if isinstance(answer, list) else [answer]
            for value in values:
                if isinstance(value, str):
                    assert value not in message and SAID_IN_KOREAN.get(value, value) not in message, (name, message)
                elif len(str(value)) > 1:
                    assert not re.search(rf"(?<![\d.,]){value:,}(?![\d,])|(?<![\d.,]){value}(?![\d,])", message), (name, message)


BUGGY_CHECKS = '''from hongong.grading.checks import exact, item, value


@item("test-q1", value("q1"))
def q1(answer):
    exact(answer, 1010 + offset)


@item("test-q2", value("q2"))
def q2(answer):
    exact(answer)


@item("test-q3", value("q3"))
def q3(answer):
    exact(answer + 1, 1011)
'''


def test_a_checks_own_bug_stops_the_judging_but_a_learners_odd_value_is_only_wrong(tmp_path):
    items = {i.grade_id: i for i in checks.load_items(BUGGY_CHECKS, "checks/ch07-9.py")}
    with pytest.raises(checker.CheckBroken, match=r"checks/ch07-9.py의 test-q1, 6행: NameError: name 'offset'"):
        judge({"q1": 1010}, [items["test-q1"]], tmp_path / "name", checks_name="checks/ch07-9.py")
    with pytest.raises(checker.CheckBroken, match=r"test-q2, 11행: TypeError: .*missing 1 required"):
        judge({"q2": 1010}, [items["test-q2"]], tmp_path / "arity", checks_name="checks/ch07-9.py")
    assert judge({"q3": 1010}, [items["test-q3"]], tmp_path / "right")["test-q3"]["passed"]
    odd = judge({"q3": "1010"}, [items["test-q3"]], tmp_path / "odd")["test-q3"]  # str + int: the learner's value
    assert (odd["verdict"], odd["message"]) == ("wrong", "답의 형식이 맞지 않아 확인할 수 없습니다(TypeError).")
