"""Hidden checks of exercise ch07-1 (solutions/ch07-1/ch07-1.ipynb), decided by the trusted checker.

One function per autograded cell (its grade_id), judging the answers it declares as data, outside the
learner's kernel (see hongong/grading/checker.py). Messages are what the learner reads in the feedback: what is
wrong and which section of the book to read again (titles as in chapters/7-1-artificial-neural-network.ipynb),
never the expected answer. The points are the cell's, from the gradebook.
"""

import math

from hongong.grading.checks import NotAValue, Wrong, calls, exact, expect, explains, item, model, value


@item("test-q1", value("q1"))
def q1(answer):
    exact(answer, 200 * 20 + 20,
          "정답이 아닙니다. 7-1절 '모델 파라미터 세기'를 다시 읽어 보세요. 가중치(입력 수 × 뉴런 수)와 절편(뉴런 수)을 모두 세었나요?")


@item("test-q2", value("q2"))
def q2(answer):
    if answer == "softmax":
        raise Wrong("정답이 아닙니다. 뉴런이 하나뿐인 출력층에 소프트맥스를 쓰면 출력이 늘 1입니다. "
                    "7-1절 '인공 신경망'에서 이진 분류의 출력층에 쓰는 활성화 함수를 다시 찾아보세요.")
    exact(answer, "sigmoid", "정답이 아닙니다. 7-1절 '인공 신경망'에서 이진 분류의 출력층에 쓰는 활성화 함수를 다시 찾아보세요.")


@item("test-q3", value("q3"))
def q3(answer):
    exact(answer, "compile",
          "정답이 아닙니다. 7-1절 '인공 신경망으로 패션 아이템 분류하기'에서 훈련하기 전에 손실 함수와 측정 지표를 정하는 메서드를 다시 찾아보세요.")


@item("test-q4", value("q4"))
def q4(answer):
    if type(answer) is str and answer == "SparseCategoricalCrossentropy":  # Keras takes the class's name too: right
        return
    exact(answer, "sparse_categorical_crossentropy",
          "정답이 아닙니다. 7-1절 '인공 신경망으로 패션 아이템 분류하기'의 손실 함수 설명(정수 레이블과 원-핫 인코딩)을 다시 읽어 보세요.")


@item("test-q5", value("q5"))
def q5(answer):
    exact(answer, 60000 // 5,
          "정답이 아닙니다. 7-1절 '인공 신경망으로 모델 만들기'에서 검증 세트를 떼어 내는 부분을 다시 읽어 보세요. "
          "test_size는 떼어 낼 비율입니다.")


@item("test-q6", value("q6"))
def q6(answer):
    if answer == 784 * 10 + 10:
        raise Wrong("정답이 아닙니다. 밀집층의 파라미터를 세었습니다. 이 문제는 입력층(keras.Input)만 묻습니다. "
                    "7-1절 '인공 신경망'의 입력층 설명을 다시 읽어 보세요.")
    exact(answer, 0, "정답이 아닙니다. 7-1절 '인공 신경망'의 입력층 설명과 '인공 신경망으로 모델 만들기'의 keras.Input 설명을 "
                     "다시 읽어 보세요. 입력층에 가중치나 절편이 있나요?")


@item("test-q7", value("q7"))
def q7(answer):
    exact(answer, "softmax", "정답이 아닙니다. 7-1절 '인공 신경망'에서 다중 분류의 출력층에 쓰는 활성화 함수를 다시 찾아보세요.")


def layer_sizes(rng):
    """Layers the learner's function has never seen: drawn when grading starts, plus the smallest one."""
    return [[rng.randint(2, 1000), rng.randint(2, 300)] for _ in range(6)] + [[1, 1]]


@item("test-dense-params", calls("dense_params", layer_sizes))
def dense_params(results):
    for _, got in results:
        expect(type(got) is int, "dense_params가 정수(int)가 아닌 값을 돌려주거나 오류를 냈습니다.")
    if explains(results, lambda n_inputs, n_units: n_inputs * n_units + n_units):
        return
    if explains(results, lambda n_inputs, n_units: n_inputs * n_units):
        raise Wrong("채점기가 고른 다른 크기의 층에서 dense_params가 절편을 빠뜨렸습니다. 절편은 뉴런마다 하나씩 있습니다.")
    raise Wrong("dense_params가 채점기가 고른 다른 크기의 층에서 틀린 값을 돌려주었습니다. 가중치와 절편을 모두 세었나요? "
                "7-1절 '모델 파라미터 세기'를 다시 읽어 보세요.")


LARGE = 700  # math.exp overflows a float above about 709.78: these inputs need the largest value subtracted first


def logits(rng):
    """Vectors z the learner's function has never seen: five ordinary ones, then very large and very negative ones."""
    cases = [[[round(rng.uniform(-10, 10), 3) for _ in range(rng.randint(2, 10))]] for _ in range(5)]
    cases.append([[round(rng.uniform(750, 1000), 1) for _ in range(rng.randint(2, 6))]])
    cases.append([[round(rng.uniform(-1000, -750), 1) for _ in range(rng.randint(2, 6))]])
    return cases


def reference_softmax(z):
    largest = max(z)
    exps = [math.exp(v - largest) for v in z]
    return [e / sum(exps) for e in exps]


@item("test-softmax", calls("softmax", logits))
def softmax(results):
    for (z,), got in results:
        large = max(abs(v) for v in z) > LARGE
        if isinstance(got, NotAValue):
            if large:
                raise Wrong(f"z에 아주 큰 값이나 아주 작은 값이 있을 때 softmax가 오류를 냈습니다({got.description}). "
                            "문제의 안내처럼 가장 큰 값을 먼저 빼고 exp를 계산하세요.")
            raise Wrong(f"softmax가 오류를 냈거나 단순한 값이 아닌 것을 돌려주었습니다({got.description}). "
                        "실수의 리스트로 돌려주세요(넘파이 배열이면 .tolist()).")
        expect(type(got) is list and all(type(p) is float for p in got),
               "softmax가 실수(float)의 리스트를 돌려주지 않았습니다. 넘파이 배열은 .tolist()로 바꿔 돌려주세요.")
        expect(len(got) == len(z), "softmax가 돌려준 리스트의 길이가 z와 다릅니다. z의 값마다 확률 하나를 돌려주세요.")
        if not all(math.isfinite(p) for p in got):
            raise Wrong("z에 아주 큰 값이나 아주 작은 값이 있을 때 softmax가 nan이나 inf를 돌려주었습니다. "
                        "exp가 넘치지 않도록 가장 큰 값을 먼저 빼고 계산하세요." if large else
                        "softmax가 nan이나 inf를 돌려주었습니다. 0으로 나누지 않았는지 확인하세요.")
        expect(abs(sum(got) - 1) <= 1e-6,
               "채점기가 고른 z에서 softmax가 돌려준 확률의 합이 1이 아닙니다. 모든 exp 값의 합으로 나누었나요?")
        expect(all(abs(p - q) <= 1e-6 for p, q in zip(got, reference_softmax(z))),
               "채점기가 고른 z에서 softmax가 돌려준 확률이 틀렸습니다. 각 확률은 exp(z_i)를 모든 exp(z_j)의 합으로 나눈 값입니다. "
               "7-1절 '인공 신경망'의 활성화 함수 설명을 다시 읽어 보세요.")


@item("test-build-model", model("build_model", call=True))
def build_model(facts):
    expect(facts.input_shape == [784], "build_model()의 모델은 입력 784개를 받아야 합니다. "
                                       "7-1절 '인공 신경망으로 모델 만들기'의 keras.Input을 다시 보세요.")
    expect([(layer.kind, layer.units, layer.activation) for layer in facts.layers] == [("Dense", 10, "softmax")],
           "build_model()의 모델이 뉴런 10개, 소프트맥스 활성화 함수인 밀집층 하나가 아닙니다. "
           "7-1절 '인공 신경망으로 모델 만들기'를 다시 읽어 보세요.")
    expect(facts.loss == "sparse_categorical_crossentropy",
           "정수 레이블에 맞는 손실 함수로 compile()하지 않았습니다. 7-1절 '인공 신경망으로 패션 아이템 분류하기'를 다시 읽어 보세요.")


@item("test-train", model("model"))
def trained(facts):
    expect(facts.params == 7850, "model의 파라미터가 7,850개가 아닙니다. build_model()로 만든 모델을 훈련하세요.")
    # The solution trained with seeds 42-46 reaches 0.7948-0.8233 (seed 42: 0.8174): 0.78 is 0.015 below the lowest.
    expect(facts.accuracy is not None and facts.accuracy >= 0.78,
           f"채점기가 테스트 세트로 잰 model의 정확도({facts.accuracy or 0:.4f})가 기준 0.78보다 낮습니다. 훈련했나요? "
           "7-1절 '인공 신경망으로 패션 아이템 분류하기'의 fit()을 다시 보세요.")
