"""What the exercises' test cells call.

Visible tests (the learner sees them) check only the *form* of an answer and say in Korean what
to fix: :func:`check_form`. Hidden tests check values with exact types (``type(x) is int``), so an
object whose ``__eq__`` always answers True, or a subclass of ``int``/``str``, never passes.

A learner's Keras model is judged by :func:`model_report`: the model is saved to a ``.keras``
file and described by a **fresh Python process** that loads it with ``safe_mode=True`` and
measures its accuracy on the Fashion-MNIST test set itself. Nothing the learner's code patched
in the notebook's kernel (``numpy``, ``keras``, ``evaluate``…) exists in that process, the
process runs isolated (``python -I``: no ``PYTHONPATH``), the test set's checksums are verified
before use, and a reported accuracy is never taken from the learner. Code in the kernel can still
interfere with the call itself (replace this module's functions, ``subprocess``, ``sys.executable``);
closing that needs the verdict outside the kernel altogether.

``python -m hongong.grading MODEL.keras`` prints the report as one line of JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# "… + 로/으로": the particle follows the last Korean syllable, so it is part of each entry.
ANSWER_AS = {int: "정수(int)로", float: "실수(float)로", str: "문자열(str)로", list: "리스트(list)로", bool: "불리언(bool)으로"}


def check_form(name: str, value, expected_type: type, *, choices=None, example=None) -> None:
    """Raise AssertionError with a Korean message if ``value`` is not of the expected form.

    ``choices`` lists the accepted spellings of a text answer (the form, not the answer: all
    options are listed); ``example`` shows the expected form.
    """
    hint = f" 예: {name} = {example!r}" if example is not None else ""
    if type(value) is not expected_type:
        raise AssertionError(
            f"{name}의 자료형이 {type(value).__name__}입니다. "
            f"{ANSWER_AS.get(expected_type, expected_type.__name__ + ' 자료형으로')} 답하세요.{hint}"
        )
    if expected_type is list and not all(type(item) in (int, str) for item in value):
        raise AssertionError(f"{name}의 원소는 정수나 문자열이어야 합니다.{hint}")
    if choices is not None and value not in choices:
        raise AssertionError(f"{name}에는 다음 중 하나를 적으세요: {', '.join(map(repr, choices))}")


def model_report(model_or_path, timeout: int = 300) -> dict:
    """Describe a Keras model from a fresh Python process (see the module docstring).

    Returns ``{"layers": [...], "params": int, "loss": str, "optimizer": str, "accuracy": float}``
    or raises AssertionError with a Korean message if the model cannot be saved or loaded safely.
    """
    with tempfile.TemporaryDirectory(prefix="model-report-") as folder:
        if isinstance(model_or_path, (str, Path)):
            path = Path(model_or_path)
        else:
            path = Path(folder) / "model.keras"
            model_or_path.save(path)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        result = subprocess.run(  # -I: no PYTHONPATH or user site, so a planted `keras` is not imported
            [sys.executable, "-I", "-m", "hongong.grading", str(path)],
            capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL,
        )
    lines = result.stdout.strip().splitlines()
    if "Fashion-MNIST is not intact" in result.stderr:
        raise AssertionError("채점에 쓰는 테스트 세트가 바뀌었거나 손상되었습니다. KERAS_HOME이나 데이터 파일을 바꾸지 마세요.")
    if result.returncode != 0 or not lines:
        raise AssertionError("모델 파일을 안전하게 불러올 수 없습니다(사용자 정의 층이나 Lambda 층은 쓰지 마세요).")
    return json.loads(lines[-1])


def _describe(path: str) -> dict:
    """Run in the fresh process: load safely, read the architecture, measure test accuracy."""
    from hongong.data import cache_dir, default_keras_home, problems_in
    from hongong.notebook import import_tensorflow_quietly

    # The test set is the real one: a KERAS_HOME redirected to planted files fails here.
    problems = problems_in(cache_dir(default_keras_home()))
    if problems:
        raise SystemExit(f"Fashion-MNIST is not intact: {problems}")
    import_tensorflow_quietly()
    import keras
    import numpy as np

    model = keras.models.load_model(path, safe_mode=True)
    layers = []
    for layer in model.layers:
        activation = getattr(layer, "activation", None)
        layers.append({
            "class": type(layer).__name__,
            "units": getattr(layer, "units", None),
            "activation": getattr(activation, "__name__", None),
            "rate": getattr(layer, "rate", None),
            "params": layer.count_params(),
        })
    loss = getattr(model, "loss", None)
    _, (test_input, test_target) = keras.datasets.fashion_mnist.load_data()
    test_scaled = (test_input / 255.0).astype("float32").reshape(-1, *model.input_shape[1:])
    predictions = np.argmax(model.predict(test_scaled, verbose=0, batch_size=1000), axis=-1)
    return {
        "layers": layers,
        "input_shape": list(model.input_shape[1:]),
        "params": model.count_params(),
        "loss": loss if isinstance(loss, str) else getattr(loss, "name", type(loss).__name__),
        "optimizer": type(model.optimizer).__name__ if model.optimizer is not None else None,
        "accuracy": float(np.mean(predictions == test_target)),
    }


if __name__ == "__main__":
    print(json.dumps(_describe(sys.argv[1]), ensure_ascii=False))
