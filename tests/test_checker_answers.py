"""The trusted checker (hongong/grading/checker.py) judges answers as data, each on inputs drawn at grading time (quick).

Answers written by :func:`hongong.exercise.answers.export` from a namespace (as the kernel would), read back and
judged by the checks in checks/: quiz values with exact types, functions called on fresh inputs (softmax, stacked
parameters, the best epoch), stubs and undefined names not attempted; what does not deserialize as plain data, or
was withheld, earns 0 with its own message; a bug of the checks' own stops the judging. Models, the checker process,
early stopping and callbacks: tests/test_checker.py; what a wrong answer's message cites: tests/test_check_messages.py.
"""

import json
import math
import random

import pytest

from hongong.exercise import answers
from hongong.grading import checker, checks
from judging import items_of, judge

SOLVED_QUIZ = {"q1": 4020, "q2": "sigmoid", "q3": "compile", "q4": "sparse_categorical_crossentropy", "q5": 12000,
               "q6": 0, "q7": "softmax"}


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

    wrong = {"q1": "4020", "q2": SneakyStr("x"), "q3": AlwaysEqual(), "q4": True, "q5": 12000.0, "q6": [0]}  # no q7
    verdicts = judge(wrong, items, tmp_path / "wrong")
    assert not any(v["passed"] for v in verdicts.values())
    assert "정수(int)로 답하세요" in verdicts["test-q1"]["message"]
    assert "단순한 값이 아닙니다" in verdicts["test-q2"]["message"] and "SneakyStr" in verdicts["test-q2"]["message"]
    assert "AlwaysEqual" in verdicts["test-q3"]["message"]
    assert "답이 없습니다: q7" in verdicts["test-q7"]["message"]
    assert {g: v["verdict"] for g, v in verdicts.items()} == {**{f"test-q{n}": "wrong" for n in range(1, 7)},
                                                              "test-q7": "not_attempted"}
    assert all("4020" not in v["message"] and "sigmoid" not in v["message"] for v in verdicts.values()), \
        "a message never gives the answer away"


def test_a_quiz_answer_written_another_way_keras_takes_is_right(tmp_path):
    """Keras takes the loss by its class's name as well as its function's (issue 27); another spelling is still wrong."""
    [q4] = [i for i in items_of("ch07-1", kinds={"value"}) if i.grade_id == "test-q4"]
    for answer, right in [("SparseCategoricalCrossentropy", True), ("sparse_categorical_crossentropy", True),
                          ("sparsecategoricalcrossentropy", False), ("CategoricalCrossentropy", False)]:
        assert judge({"q4": answer}, [q4], tmp_path / answer)["test-q4"]["passed"] is right, answer


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
