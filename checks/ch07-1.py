"""Hidden checks of exercise ch07-1 (solutions/ch07-1/ch07-1.ipynb), decided by the trusted checker.

One function per autograded cell (its grade_id), judging the answers it declares as data, outside the
learner's kernel (see hongong/grading/checker.py). Messages are what the learner reads in the feedback: what is
wrong, never the expected answer. The points are the cell's, from the gradebook.
"""

from hongong.grading.checks import calls, exact, expect, item, model, value


@item("test-q1", value("q1"))
def q1(answer):
    exact(answer, 100 * 10 + 10, "정답이 아닙니다. 가중치(입력 수 × 뉴런 수)와 절편(뉴런 수)을 모두 세었나요?")


@item("test-q2", value("q2"))
def q2(answer):
    exact(answer, "sigmoid")


@item("test-q3", value("q3"))
def q3(answer):
    exact(answer, "compile")


@item("test-q4", value("q4"))
def q4(answer):
    exact(answer, "sparse_categorical_crossentropy")


@item("test-q5", value("q5"))
def q5(answer):
    exact(answer, 60000 // 5)


@item("test-q6", value("q6"))
def q6(answer):
    exact(answer, 0, "정답이 아닙니다. 입력층에 가중치가 있나요?")


@item("test-q7", value("q7"))
def q7(answer):
    exact(answer, "softmax")


def layer_sizes(rng):
    """Layers the learner's function has never seen: drawn when grading starts, plus the smallest one."""
    return [[rng.randint(2, 1000), rng.randint(2, 300)] for _ in range(6)] + [[1, 1]]


@item("test-dense-params", calls("dense_params", layer_sizes))
def dense_params(results):
    for (n_inputs, n_units), got in results:
        expect(type(got) is int, "dense_params가 정수(int)가 아닌 값을 돌려주거나 오류를 냈습니다.")
        expect(got == n_inputs * n_units + n_units,
               "dense_params가 채점기가 고른 다른 크기의 층에서 틀린 값을 돌려주었습니다. 가중치와 절편을 모두 세었나요?")


@item("test-build-model", model("build_model", call=True))
def build_model(facts):
    expect(facts.input_shape == [784], "build_model()의 모델은 입력 784개를 받아야 합니다.")
    expect([(layer.kind, layer.units, layer.activation) for layer in facts.layers] == [("Dense", 10, "softmax")],
           "build_model()의 모델이 뉴런 10개, 소프트맥스 활성화 함수인 밀집층 하나가 아닙니다.")
    expect(facts.loss == "sparse_categorical_crossentropy", "정수 레이블에 맞는 손실 함수로 compile()하지 않았습니다.")


@item("test-train", model("model"))
def trained(facts):
    expect(facts.params == 7850, "model의 파라미터가 7,850개가 아닙니다. build_model()로 만든 모델을 훈련하세요.")
    # The solution trained with seeds 42-46 reaches 0.7948-0.8233 (seed 42: 0.8174): 0.78 is 0.015 below the lowest.
    expect(facts.accuracy is not None and facts.accuracy >= 0.78,
           f"채점기가 테스트 세트로 잰 model의 정확도가 {facts.accuracy or 0:.4f}로 기준 0.78에 못 미칩니다. 훈련했나요?")
