"""Hidden checks of exercise ch07-2 (solutions/ch07-2/ch07-2.ipynb), decided by the trusted checker.

One function per autograded cell (its grade_id), judging the answers it declares as data, outside the
learner's kernel (see hongong/grading/checker.py). Messages say what is wrong and which section of the book to
read again (titles as in chapters/7-2-deep-neural-network.ipynb), never the expected answer.
"""

from hongong.grading.checks import Wrong, calls, exact, expect, explains, integers_from, item, model, value


@item("test-q1", value("q1"))
def q1(answer):
    exact(answer, 2, "정답이 아닙니다. 7-2절 '층을 추가하는 다른 방법'에서 add()에 무엇을 전달하는지 다시 읽어 보세요.")


@item("test-q2", value("q2"))
def q2(answer):
    if answer == "Reshape":
        raise Wrong("정답이 아닙니다. Reshape도 입력을 펼칠 수 있지만 만들 때 목표 모양(target_shape)을 인자로 주어야 합니다. "
                    "7-2절에서 28×28 이미지를 넘파이의 reshape() 대신 모델 안에서 펼치는 방법을 다시 읽어 보세요.")
    # The subsection's title would name the answer: the message says what it is about instead.
    exact(answer, "Flatten", "정답이 아닙니다. 7-2절에서 28×28 이미지를 넘파이의 reshape() 대신 모델 안에서 펼치는 방법을 다시 읽어 보세요.")


@item("test-q3", value("q3"))
def q3(answer):
    # The section's title would name the answer: the message points at what the section is about instead.
    exact(answer, "relu", "정답이 아닙니다. 7-2절에서 시그모이드 함수의 단점(그레이디언트 소실)을 설명한 다음, 오늘날 은닉층에 "
                          "기본으로 쓰는 함수를 소개한 부분을 다시 읽어 보세요. activation에 적는 철자도 확인하세요.")


@item("test-q4", value("q4"))
def q4(answer):
    exact(answer, "SGD", "정답이 아닙니다. 7-2절 '옵티마이저'의 표와 적응적 학습률에 대한 주의 상자를 다시 읽어 보세요.")


@item("test-q5", value("q5"))
def q5(answer):
    exact(answer, [0, 784 * 100 + 100, 100 * 10 + 10],
          "정답이 아닙니다. 7-2절 '심층 신경망 만들기'의 summary() 설명을 다시 읽어 보세요. 층마다 가중치와 절편을 모두 세었나요?")


@item("test-q6", value("q6"))
def q6(answer):
    exact(answer, 2, "정답이 아닙니다. 7-2절 '심층 신경망 만들기'에서 summary()의 출력 크기를 설명한 부분을 다시 읽어 보세요.")


@item("test-q7", value("q7"))
def q7(answer):
    exact(answer, 1, "정답이 아닙니다. 7-2절 '은닉층에 비선형 활성화 함수가 필요한 이유'를 다시 읽어 보세요.")


def layer_stacks(rng):
    """Stacks of dense layers the learner's function has never seen, drawn when grading starts: [inputs, units, …]."""
    return [[[rng.randint(1, 1000) for _ in range(rng.randint(2, 5))]] for _ in range(6)] + [[[1, 1]]]


def stack_total(sizes, inputs=None):
    """Weights and biases of every dense layer; ``inputs`` fixed: every layer counted as if fed the first input."""
    return sum((inputs or n_in) * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


@item("test-stack-params", calls("stack_params", layer_stacks))
def stack_params(results):
    integers_from("stack_params", results)
    if explains(results, stack_total):
        return
    if explains(results, lambda sizes: sum(n_in * n_out for n_in, n_out in zip(sizes, sizes[1:]))):
        raise Wrong("채점기가 고른 층들에서 stack_params가 절편을 빠뜨렸습니다. 밀집층마다 뉴런 수만큼 절편이 있습니다.")
    if explains(results, lambda sizes: sizes[0] * sizes[1] + sizes[1]):
        raise Wrong("채점기가 고른 층들에서 stack_params가 첫 번째 밀집층만 세었습니다. 뒤에 이어지는 층도 모두 더하세요.")
    if explains(results, lambda sizes: stack_total(sizes, inputs=sizes[0])):
        raise Wrong("채점기가 고른 층들에서 stack_params가 모든 층의 입력 수를 처음 입력 수로 세었습니다. "
                    "두 번째 밀집층부터는 바로 앞 층의 뉴런 수가 입력 수입니다.")
    raise Wrong("채점기가 고른 층들 가운데 하나에서 stack_params가 틀린 값을 돌려주었습니다. "
                "7-2절 '심층 신경망 만들기'에서 층마다 파라미터를 세는 부분을 다시 읽어 보세요.")


@item("test-build-dnn", model("build_dnn", call=True))
def build_dnn(facts):
    expect(facts.input_shape == [28, 28], "build_dnn()의 모델은 28×28 이미지를 받아야 합니다.")
    expect([(layer.kind, layer.units, layer.activation) for layer in facts.layers]
           == [("Flatten", None, None), ("Dense", 100, "relu"), ("Dense", 10, "softmax")],
           "build_dnn()의 층 구성(종류, 뉴런 수, 활성화 함수)이 문제와 다릅니다. 7-2절 '렐루 함수'의 모델을 다시 보세요.")
    expect(facts.optimizer == "Adam", "Adam 옵티마이저로 compile()하지 않았습니다. 7-2절 '옵티마이저'를 다시 읽어 보세요.")
    expect(facts.loss == "sparse_categorical_crossentropy",
           "정수 레이블에 맞는 손실 함수로 compile()하지 않았습니다. 7-1절 '인공 신경망으로 패션 아이템 분류하기'를 다시 읽어 보세요.")


@item("test-train", model("model"))
def trained(facts):
    expect(facts.params == 79510, "model의 파라미터가 79,510개가 아닙니다. build_dnn()으로 만든 모델을 훈련하세요.")
    expect(facts.optimizer == "Adam", "model이 Adam 옵티마이저로 compile()되어 있지 않습니다.")
    # The solution trained with seeds 42-46 reaches 0.8288-0.8427 (seed 42: 0.8288): 0.81 is 0.019 below the lowest.
    expect(facts.accuracy is not None and facts.accuracy >= 0.81,
           f"채점기가 테스트 세트로 잰 model의 정확도({facts.accuracy or 0:.4f})가 기준 0.81보다 낮습니다. 훈련했나요? "
           "7-2절 '옵티마이저'에서 Adam으로 훈련하는 부분을 다시 보세요.")
