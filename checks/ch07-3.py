"""Hidden checks of exercise ch07-3 (solutions/ch07-3/ch07-3.ipynb), decided by the trusted checker.

One function per autograded cell (its grade_id), judging the answers it declares as data, outside the
learner's kernel (see hongong/checker.py). Messages say what is wrong, never the expected answer.
Early stopping is judged from the two model files alone (the optimizer's step counts), not from the
learner's ``history``, which code in the kernel could rewrite.
"""

from hongong.checker import attributes, close, exact, expect, item, model, model_file, value


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


@item("test-early-stop", model("model"), model_file("best-model.keras"))
def stopped_early(live, best):
    # Steps the optimizer took: the live model's count is the whole training, the checkpoint's the best epoch's.
    # Early stopping with patience 2 stops exactly 2 epochs after the best one: live = best + 2 epochs.
    steps_per_epoch, remainder = divmod(live.iterations - best.iterations, 2)
    expect(steps_per_epoch > 0 and remainder == 0 and best.iterations % steps_per_epoch == 0,
           "훈련이 가장 좋은 에포크의 2 에포크 뒤에 멈추지 않았습니다. fit()에 두 콜백을 모두 주었나요?")
    epochs_run = live.iterations // steps_per_epoch
    expect(2 <= epochs_run < 20, f"{epochs_run} 에포크를 훈련했습니다. 조기 종료로 20 에포크 전에 멈춰야 합니다.")


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
