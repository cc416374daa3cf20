"""Hidden checks of exercise ch07-3 (solutions/ch07-3/ch07-3.ipynb), decided by the trusted checker.

One function per autograded cell (its grade_id), judging the answers it declares as data, outside the
learner's kernel (see hongong/grading/checker.py). Messages say what is wrong, never the expected answer.
Early stopping is judged from the learner's ``epochs_until_stop`` called on cases drawn at grading time,
not from the training run: its ``history`` and the optimizer's step counts are numbers the kernel can set.
"""

from hongong.grading.checks import attributes, calls, close, exact, expect, item, model, model_file, value


@item("test-q1", value("q1"))
def q1(answer):
    exact(answer, "val_loss")


@item("test-q2", value("q2"))
def q2(answer):
    exact(answer, "restore_best_weights")


@item("test-q3", value("q3"))
def q3(answer):
    exact(answer, 5 + 3 - 1, "정답이 아닙니다. 에포크 번호를 0부터 세었나요?")


@item("test-q4", value("q4"))
def q4(answer):
    close(answer, 1 / (1 - 0.2))


@item("test-q5", value("q5"))
def q5(answer):
    exact(answer, ".keras")


@item("test-build-model", model("build_model", call=True))
def build_model(facts):
    expect([(layer.kind, layer.units, layer.activation) for layer in facts.layers]
           == [("Flatten", None, None), ("Dense", 100, "relu"), ("Dropout", None, None), ("Dense", 10, "softmax")],
           "build_model()의 층 구성(종류, 뉴런 수, 활성화 함수)이 문제와 다릅니다.")
    expect(abs(facts.layers[2].rate - 0.3) < 1e-9, "드롭아웃 비율이 문제와 다릅니다.")
    expect(facts.optimizer == "Adam", "Adam 옵티마이저로 compile()하지 않았습니다.")
    expect(facts.loss == "sparse_categorical_crossentropy", "정수 레이블에 맞는 손실 함수로 compile()하지 않았습니다.")


KERAS_CALLBACKS = "keras.src.callbacks."


@item("test-callbacks", attributes("checkpoint_cb", "save_best_only", "monitor", "filepath"),
      attributes("early_stopping_cb", "patience", "restore_best_weights", "monitor"))
def callbacks(checkpoint, early_stopping):
    expect(checkpoint["class"].startswith(KERAS_CALLBACKS) and checkpoint["class"].endswith(".ModelCheckpoint"),
           "checkpoint_cb가 케라스의 ModelCheckpoint가 아닙니다.")
    expect(checkpoint["save_best_only"] is True and checkpoint["monitor"] == "val_loss"
           and isinstance(checkpoint["filepath"], str) and checkpoint["filepath"].endswith("best-model.keras"),
           "checkpoint_cb의 설정(가장 좋은 모델만 저장, 파일 이름)이 문제와 다릅니다.")
    expect(early_stopping["class"].startswith(KERAS_CALLBACKS) and early_stopping["class"].endswith(".EarlyStopping"),
           "early_stopping_cb가 케라스의 EarlyStopping이 아닙니다.")
    expect(early_stopping["patience"] == 2 and type(early_stopping["patience"]) is int
           and early_stopping["restore_best_weights"] is True and early_stopping["monitor"] == "val_loss",
           "early_stopping_cb의 설정(patience, 가장 좋은 가중치로 되돌리기)이 문제와 다릅니다.")


def stopping_cases(rng):
    """Validation losses and patiences the learner's function has never seen, drawn when grading starts.

    Losses wander down and up in steps of 0.01, so ties (which are not improvements) come up; one fixed case
    holds a tie right before the stop.
    """
    cases = [[[0.5, 0.4, 0.4, 0.3], 1]]
    for _ in range(7):
        level, losses = rng.uniform(0.4, 0.9), []
        for _ in range(rng.randint(3, 20)):
            level = max(0.05, level + rng.uniform(-0.08, 0.05))
            losses.append(round(level, 2))
        cases.append([losses, rng.randint(1, 4)])
    return cases


def keras_epochs(val_losses, patience):
    """Epochs fit() trains with EarlyStopping(patience=patience) (val_loss, min_delta 0): Keras 3's own rule,
    step by step as in EarlyStopping.on_epoch_end (tests/test_checker.py runs it against Keras)."""
    best, wait = float("inf"), 0
    for epoch, loss in enumerate(val_losses):
        wait += 1
        if loss < best:  # an improvement: Keras starts counting again
            best, wait = loss, 0
            continue
        if wait >= patience and epoch > 0:
            return epoch + 1
    return len(val_losses)  # never stopped: every epoch trained


# The epochs the training cell ran are not judged: the history and the optimizer's step count in the two
# model files are numbers code in the kernel can set. The learner's rule, called on fresh cases, is not.
@item("test-early-stop", calls("epochs_until_stop", stopping_cases))
def stopped_early(results):
    for (val_losses, patience), got in results:
        expect(type(got) is int, "epochs_until_stop이 정수(int)가 아닌 값을 돌려주었거나 오류를 냈습니다.")
        expect(got == keras_epochs(val_losses, patience),
               "채점기가 고른 손실 목록 가운데 하나에서 epochs_until_stop이 돌려준 에포크 수가 EarlyStopping과 다릅니다. "
               "최저값과 같은 손실을 나아진 것으로 세지 않았는지 확인하세요.")


@item("test-reload", model("model"), model_file("best-model.keras"))
def reloaded(live, best):
    expect([layer.kind for layer in best.layers] == ["Flatten", "Dense", "Dropout", "Dense"],
           "best-model.keras의 층 구성이 문제와 다릅니다.")
    expect(best.predictions is not None and live.predictions is not None
           and (best.predictions == live.predictions).all(),
           "best-model.keras와 model의 예측이 다릅니다. restore_best_weights=True를 주었나요?")
    # The solution trained with seeds 42-46 reaches 0.8482-0.8548, stopping after 11-18 epochs: 0.83 is 0.018 below.
    expect(best.accuracy >= 0.83,
           f"채점기가 테스트 세트로 잰 정확도가 {best.accuracy:.4f}로 기준 0.83에 못 미칩니다.")
