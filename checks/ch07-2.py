"""Hidden checks of exercise ch07-2 (solutions/ch07-2/ch07-2.ipynb), decided by the trusted checker.

One function per autograded cell (its grade_id), judging the answers it declares as data, outside the
learner's kernel (see hongong/grading/checker.py). Messages say what is wrong, never the expected answer.
"""

from hongong.grading.checks import exact, expect, item, model, value


@item("test-q1", value("q1"))
def q1(answer):
    exact(answer, 2)


@item("test-q2", value("q2"))
def q2(answer):
    exact(answer, "Flatten")


@item("test-q3", value("q3"))
def q3(answer):
    exact(answer, "relu")


@item("test-q4", value("q4"))
def q4(answer):
    exact(answer, "SGD")


@item("test-q5", value("q5"))
def q5(answer):
    exact(answer, [0, 784 * 100 + 100, 100 * 10 + 10], "정답이 아닙니다. 층마다 가중치와 절편을 모두 세었나요?")


@item("test-q6", value("q6"))
def q6(answer):
    exact(answer, 2)


@item("test-q7", value("q7"))
def q7(answer):
    exact(answer, 1)


@item("test-build-dnn", model("build_dnn", call=True))
def build_dnn(facts):
    expect(facts.input_shape == [28, 28], "build_dnn()의 모델은 28×28 이미지를 받아야 합니다.")
    expect([(layer.kind, layer.units, layer.activation) for layer in facts.layers]
           == [("Flatten", None, None), ("Dense", 100, "relu"), ("Dense", 10, "softmax")],
           "build_dnn()의 층 구성(종류, 뉴런 수, 활성화 함수)이 문제와 다릅니다.")
    expect(facts.optimizer == "Adam", "Adam 옵티마이저로 compile()하지 않았습니다.")
    expect(facts.loss == "sparse_categorical_crossentropy", "정수 레이블에 맞는 손실 함수로 compile()하지 않았습니다.")


@item("test-train", model("model"))
def trained(facts):
    expect(facts.params == 79510, "model의 파라미터가 79,510개가 아닙니다. build_dnn()으로 만든 모델을 훈련하세요.")
    expect(facts.optimizer == "Adam", "model이 Adam 옵티마이저로 compile()되어 있지 않습니다.")
    # The solution trained with seeds 42-46 reaches 0.8288-0.8427 (seed 42: 0.8288): 0.81 is 0.019 below the lowest.
    expect(facts.accuracy is not None and facts.accuracy >= 0.81,
           f"채점기가 테스트 세트로 잰 model의 정확도가 {facts.accuracy or 0:.4f}로 기준 0.81에 못 미칩니다. 훈련했나요?")
