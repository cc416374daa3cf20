"""Hidden checks of exercise ch07-3 (solutions/ch07-3/ch07-3.ipynb), decided by the trusted checker.

One function per autograded cell (its grade_id), judging the answers it declares as data, outside the
learner's kernel (see hongong/grading/checker.py). Messages say what is wrong and which section of the book to
read again (titles as in chapters/7-3-training-neural-networks.ipynb), never the expected answer.
Early stopping is judged from the learner's ``epochs_until_stop`` called on cases drawn at grading time,
not from the training run: its ``history`` and the optimizer's step counts are numbers the kernel can set.
"""

from hongong.grading.checks import (Wrong, attributes, calls, close, exact, expect, explains, integers_from, item, model,
                                    model_file, value)


@item("test-q1", value("q1"))
def q1(answer):
    exact(answer, "val_loss", "정답이 아닙니다. 7-3절 '콜백'의 EarlyStopping 매개변수 표에서 monitor의 기본값을 다시 확인하세요.")


@item("test-q2", value("q2"))
def q2(answer):
    exact(answer, "restore_best_weights", "정답이 아닙니다. 7-3절 '콜백'의 EarlyStopping 매개변수 표를 다시 읽어 보세요.")


@item("test-q3", value("q3"))
def q3(answer):
    exact(answer, 5 + 3 - 1, "정답이 아닙니다. 7-3절 '콜백'에서 stopped_epoch를 설명한 부분을 다시 읽어 보세요. "
                            "에포크 번호를 0부터 세었나요?")


@item("test-q4", value("q4"))
def q4(answer):
    close(answer, 1 / (1 - 0.2), message="정답이 아닙니다. 7-3절 '드롭아웃'에서 훈련할 때 살아남은 출력을 "
                                                   "몇 배로 키우는지 다시 읽어 보세요.")


@item("test-q5", value("q5"))
def q5(answer):
    exact(answer, ".keras", "정답이 아닙니다. 7-3절 '모델 저장과 복원'에서 케라스 3의 기본이자 권장 형식을 다시 확인하세요.")


@item("test-build-model", model("build_model", call=True))
def build_model(facts):
    expect([(layer.kind, layer.units, layer.activation) for layer in facts.layers]
           == [("Flatten", None, None), ("Dense", 100, "relu"), ("Dropout", None, None), ("Dense", 10, "softmax")],
           "build_model()의 층 구성(종류, 뉴런 수, 활성화 함수)이 문제와 다릅니다. 7-3절 '드롭아웃'의 모델을 다시 보세요.")
    expect(abs(facts.layers[2].rate - 0.3) < 1e-9, "드롭아웃 비율이 문제와 다릅니다. 7-3절 '드롭아웃'을 다시 보세요.")
    expect(facts.optimizer == "Adam", "Adam 옵티마이저로 compile()하지 않았습니다. 7-2절 '옵티마이저'를 다시 읽어 보세요.")
    expect(facts.loss == "sparse_categorical_crossentropy",
           "정수 레이블에 맞는 손실 함수로 compile()하지 않았습니다. 7-1절 '인공 신경망으로 패션 아이템 분류하기'를 다시 읽어 보세요.")


KERAS_CALLBACKS = "keras.src.callbacks."
REREAD_CALLBACKS = "7-3절 '콜백'을 다시 읽어 보세요."


# Settings first, each with its own message; then whether both callbacks took part in a fit() that had validation
# data. Keras sets ``best`` (both: the lowest val_loss seen, None until one arrives), ``best_epoch`` (EarlyStopping,
# in on_train_begin) and ``_current_epoch`` (ModelCheckpoint, in on_epoch_begin): the last two exist only once the
# callback was given to fit(). Without validation_data there is no val_loss: ModelCheckpoint only warns and
# overwrites the file every epoch, EarlyStopping never stops nor restores (Keras 3.15, tests/test_checker.py).
@item("test-callbacks", attributes("checkpoint_cb", "save_best_only", "monitor", "filepath", "best", "_current_epoch"),
      attributes("early_stopping_cb", "patience", "restore_best_weights", "monitor", "best", "best_epoch"))
def callbacks(checkpoint, early_stopping):
    expect(checkpoint["class"].startswith(KERAS_CALLBACKS) and checkpoint["class"].endswith(".ModelCheckpoint"),
           "checkpoint_cb가 케라스의 ModelCheckpoint가 아닙니다. " + REREAD_CALLBACKS)
    expect(early_stopping["class"].startswith(KERAS_CALLBACKS) and early_stopping["class"].endswith(".EarlyStopping"),
           "early_stopping_cb가 케라스의 EarlyStopping이 아닙니다. " + REREAD_CALLBACKS)
    expect(checkpoint["monitor"] == "val_loss",
           "checkpoint_cb의 monitor가 검증 손실(val_loss)이 아닙니다. 두 콜백 모두 검증 손실을 지켜봐야 합니다.")
    expect(early_stopping["monitor"] == "val_loss",
           "early_stopping_cb의 monitor가 검증 손실(val_loss)이 아닙니다. 두 콜백 모두 검증 손실을 지켜봐야 합니다.")
    expect(checkpoint["save_best_only"] is True,
           "checkpoint_cb가 가장 좋은 모델만 저장하도록 설정되어 있지 않습니다. " + REREAD_CALLBACKS)
    expect(isinstance(checkpoint["filepath"], str) and checkpoint["filepath"].endswith("best-model.keras"),
           "checkpoint_cb가 저장하는 파일의 이름이 문제와 다릅니다('best-model.keras').")
    expect(early_stopping["patience"] == 2 and type(early_stopping["patience"]) is int,
           "early_stopping_cb의 patience가 문제와 다릅니다.")
    expect(early_stopping["restore_best_weights"] is True,
           "early_stopping_cb가 멈춘 뒤 가장 좋았던 에포크의 가중치로 되돌리도록 설정되어 있지 않습니다. "
           "7-3절 '콜백'의 EarlyStopping 매개변수 표를 다시 읽어 보세요.")
    unused = [name for name, used in (("checkpoint_cb", checkpoint["_current_epoch"]),
                                      ("early_stopping_cb", early_stopping["best_epoch"])) if type(used) is not int]
    expect(not unused, f"fit()에 주지 않은 콜백이 있습니다: {', '.join(unused)}. "
                       "fit()에 callbacks=[checkpoint_cb, early_stopping_cb]를 주어 훈련하세요.")
    expect(checkpoint["best"] is not None and early_stopping["best"] is not None,
           "훈련하는 동안 검증 손실(val_loss)이 한 번도 계산되지 않았습니다. fit()에 validation_data=(val_scaled, val_labels)를 "
           "주세요. 검증 손실이 없으면 checkpoint_cb는 에포크마다 모델을 덮어쓰고 early_stopping_cb는 멈추지도 되돌리지도 않습니다.")


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


def loss_lists(rng):
    """Validation losses the learner's function has never seen: one fixed tie, and walks like stopping_cases'."""
    cases = [[[0.5, 0.3, 0.4, 0.3]]]
    for _ in range(7):
        level, losses = rng.uniform(0.4, 0.9), []
        for _ in range(rng.randint(3, 20)):
            level = max(0.05, level + rng.uniform(-0.08, 0.05))
            losses.append(round(level, 2))
        cases.append([losses])
    return cases


def first_lowest(val_losses):
    """The 1-based epoch of the first lowest loss (written unlike the solution, whose code the feedback shows)."""
    lowest = min(val_losses)
    return next(epoch for epoch, loss in enumerate(val_losses, start=1) if loss == lowest)


@item("test-best-epoch", calls("best_epoch", loss_lists))
def best_epoch(results):
    integers_from("best_epoch", results)
    if explains(results, first_lowest):
        return
    # A mistake is named only when it explains every answer (the fixed case tells the two apart from a constant).
    if explains(results, lambda losses: first_lowest(losses) - 1):
        raise Wrong("best_epoch가 에포크 번호를 0부터 세었습니다. 문제는 첫 에포크를 1로 셉니다.")
    if explains(results, lambda losses: len(losses) - losses[::-1].index(min(losses))):
        raise Wrong("가장 낮은 손실이 여러 번 나올 때 best_epoch가 마지막 에포크를 돌려주었습니다. "
                    "최저값과 같은 손실은 나아진 것이 아니므로 처음 나온 에포크가 가장 좋은 에포크입니다.")
    raise Wrong("채점기가 고른 손실 목록 가운데 하나에서 best_epoch가 틀린 에포크를 돌려주었습니다. "
                "7-3절 '콜백'에서 가장 좋았던 에포크를 찾는 부분을 다시 보세요.")


# The epochs the training cell ran are not judged: the history and the optimizer's step count in the two
# model files are numbers code in the kernel can set. The learner's rule, called on fresh cases, is not.
@item("test-early-stop", calls("epochs_until_stop", stopping_cases))
def stopped_early(results):
    for (val_losses, patience), got in results:
        expect(type(got) is int, "epochs_until_stop이 정수(int)가 아닌 값을 돌려주었거나 오류를 냈습니다.")
        expect(got == keras_epochs(val_losses, patience),
               "채점기가 고른 손실 목록 가운데 하나에서 epochs_until_stop이 돌려준 에포크 수가 EarlyStopping과 다릅니다. "
               "최저값과 같은 손실을 나아진 것으로 세지 않았는지 확인하세요. 7-3절 '콜백'의 EarlyStopping 설명을 다시 읽어 보세요.")


@item("test-reload", model("model"), model_file("best-model.keras"))
def reloaded(live, best):
    expect([layer.kind for layer in best.layers] == ["Flatten", "Dense", "Dropout", "Dense"],
           "best-model.keras의 층 구성이 문제와 다릅니다. build_model()로 만든 모델을 훈련하세요.")
    expect(best.predictions is not None and live.predictions is not None
           and (best.predictions == live.predictions).all(),
           "best-model.keras와 model의 예측이 다릅니다. early_stopping_cb가 가장 좋았던 에포크의 가중치로 되돌리게 했나요? "
           "두 콜백을 훈련 셀에서 fit() 바로 앞에 새로 만들었나요? 7-3절 '콜백'을 다시 읽어 보세요.")
    # The solution trained with seeds 42-46 reaches 0.8482-0.8548, stopping after 11-18 epochs: 0.83 is 0.018 below.
    expect(best.accuracy is not None and best.accuracy >= 0.83,
           f"채점기가 테스트 세트로 잰 best-model.keras의 정확도({best.accuracy or 0:.4f})가 기준 0.83보다 낮습니다. "
           "7-3절 '콜백'에서 두 콜백으로 훈련하는 부분을 다시 보세요.")
