"""A learner's ``.keras`` file as the trusted checker reads it (run by :mod:`hongong.grading.checker`, outside the
learner's kernel): its config checked against an allowlist of Keras built-ins before Keras sees it, then loaded with
``safe_mode=True`` and described (layers, loss, optimizer), its accuracy measured here on the checksummed
Fashion-MNIST test set.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


class Refused(ValueError):
    """A model file that cannot be read safely; the message says why, in Korean, for the learner."""


# Every object in a .keras config must be one of these Keras built-ins (module keras or keras.*).
ALLOWED_CLASSES = frozenset({
    "Sequential", "Functional", "InputLayer", "Dense", "Flatten", "Dropout", "Activation", "Reshape",
    "Rescaling", "BatchNormalization", "DTypePolicy", "FloatDTypePolicy",
    "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal", "Zeros", "Ones",
    "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal", "L1", "L2", "L1L2",
    "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "Nadam",
    "SparseCategoricalCrossentropy", "CategoricalCrossentropy", "BinaryCrossentropy", "MeanSquaredError",
    "SparseCategoricalAccuracy", "CategoricalAccuracy", "Accuracy", "BinaryAccuracy", "MeanMetricWrapper",
    "ExponentialDecay", "PiecewiseConstantDecay", "CosineDecay", "InverseTimeDecay",
})
# A Keras function given by itself (``loss=keras.losses.sparse_categorical_crossentropy``) is saved as
# {"module": "builtins", "class_name": "function", "config": <its name>}: Keras looks the name up only in its own
# activations, losses, metrics… (keras/src/saving/serialization_lib.py). These names are allowed.
ALLOWED_FUNCTIONS = frozenset({
    "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy", "mean_squared_error",
    "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy",
})
MAX_MODEL_BYTES = 100 * 2**20  # uncompressed, all members of the .keras archive together


def unsafe_parts(config) -> list[str]:
    """What in a .keras config is not a Keras built-in on the allowlist (empty: safe to load)."""
    found = []
    if isinstance(config, dict):
        if (config.get("module"), config.get("class_name"), config.get("registered_name")) == ("builtins", "function",
                                                                                              "function"):
            named = config.get("config")
            return [] if isinstance(named, str) and named in ALLOWED_FUNCTIONS else [f"function {str(named)[:40]}"]
        if "class_name" in config or "module" in config:
            module, name = str(config.get("module", "keras")), str(config.get("class_name", ""))
            registered = config.get("registered_name")
            if not (module == "keras" or module.startswith("keras.")) or name not in ALLOWED_CLASSES:
                found.append(f"{module}.{name}")
            elif registered not in (None, name) and not str(registered).startswith("keras"):
                found.append(str(registered))
        for key, item_ in config.items():
            if key in ("function", "function_type", "__lambda__", "__python_function__"):
                found.append(key)
            found += unsafe_parts(item_)
    elif isinstance(config, list):
        for item_ in config:
            found += unsafe_parts(item_)
    return found


@dataclass
class Layer:
    kind: str
    units: int | None
    activation: str | None
    rate: float | None
    params: int


@dataclass
class ModelFacts:
    """What the checker read from a model file and measured itself."""

    layers: list[Layer]
    input_shape: list
    params: int
    loss: str | None
    optimizer: str | None
    accuracy: float | None  # on the Fashion-MNIST test set; None if the model cannot take its images
    predictions: object = None


_TEST_SET = None


def test_set():
    """The Fashion-MNIST test set, from Keras's cache, after its checksums are verified."""
    global _TEST_SET
    if _TEST_SET is None:
        from hongong.setup.data import cache_dir, default_keras_home, problems_in

        problems = problems_in(cache_dir(default_keras_home()))
        if problems:
            raise RuntimeError(f"Fashion-MNIST is not intact: {problems}")
        import keras

        _, (images, labels) = keras.datasets.fashion_mnist.load_data()
        _TEST_SET = ((images / 255.0).astype("float32"), labels)
    return _TEST_SET


def model_facts(data: bytes, name: str) -> ModelFacts:
    """Load a .keras file safely (allowlist, then safe mode) and describe it; :class:`Unusable` if it cannot be."""
    refused = f"모델을 안전하게 불러올 수 없습니다: {name}"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        if sum(member.file_size for member in archive.infolist()) > MAX_MODEL_BYTES:
            raise Refused(f"{refused} (파일이 너무 큽니다).")
        config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise Refused(f"{refused} (.keras 파일이 아닙니다).") from None
    unsafe = unsafe_parts(config)
    if unsafe:
        raise Refused(f"{refused} ({', '.join(sorted(set(unsafe))[:3])}). 채점기는 케라스 기본 층만 불러옵니다: "
                       "Lambda 층이나 직접 만든 층·함수는 쓰지 마세요.")
    import keras
    import numpy as np

    with tempfile.TemporaryDirectory(prefix="checker-") as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        try:
            loaded = keras.models.load_model(path, safe_mode=True)
        except Exception as error:
            raise Refused(f"{refused} ({type(error).__name__}).") from None
    layers = [Layer(type(layer).__name__, getattr(layer, "units", None),
                    getattr(getattr(layer, "activation", None), "__name__", None),
                    getattr(layer, "rate", None), int(layer.count_params())) for layer in loaded.layers]
    loss = getattr(loaded, "loss", None)
    optimizer = getattr(loaded, "optimizer", None)
    images, labels = test_set()
    try:
        predictions = np.argmax(loaded.predict(images.reshape(-1, *loaded.input_shape[1:]), verbose=0, batch_size=1000), axis=-1)
        accuracy = float(np.mean(predictions == labels))
    except Exception:
        predictions, accuracy = None, None
    return ModelFacts(layers=layers, input_shape=list(loaded.input_shape[1:]), params=int(loaded.count_params()),
                      loss=loss_name(loss),
                      optimizer=type(optimizer).__name__ if optimizer is not None else None,
                      accuracy=accuracy, predictions=predictions)


def loss_name(loss) -> str | None:
    """The loss a model was compiled with, by Keras's function name, however it was given: a string
    ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"), the function
    (``keras.losses.sparse_categorical_crossentropy``) or a ``Loss`` object; ``from_logits=True`` is told apart,
    since it expects scores without softmax."""
    if loss is None:
        return None
    if isinstance(loss, str):
        import keras

        try:
            loss = keras.losses.get(loss)
        except (ValueError, TypeError):
            return loss
    wrapped = getattr(loss, "fn", loss)  # a Loss object's function: its name= may be anything
    name = getattr(wrapped, "__name__", None) or getattr(loss, "name", None) or type(loss).__name__
    config = loss.get_config() if hasattr(loss, "get_config") else {}
    return f"{name}(from_logits=True)" if isinstance(config, dict) and config.get("from_logits") else name
