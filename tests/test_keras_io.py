"""Keras behaviour the chapters teach, checked fast on a tiny model: saving and loading, dropout."""

import numpy as np
import pytest

from conftest import ROOT
from hongong.book.notebook import scratch_dir

keras = pytest.importorskip("keras")


def tiny_trained_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.3), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).random((64, 4)).astype("float32")
    y = (x.sum(axis=1) * 1.5).astype(int) % 3
    model.fit(x, y, epochs=2, verbose=0)
    return model, x, y


def test_saved_weights_and_saved_model_give_the_same_predictions(tmp_path):
    model, x, y = tiny_trained_model()
    model.save_weights(tmp_path / "tiny.weights.h5")
    model.save(tmp_path / "tiny.keras")

    same_architecture = keras.models.clone_model(model)
    same_architecture.load_weights(tmp_path / "tiny.weights.h5")
    reloaded = keras.models.load_model(tmp_path / "tiny.keras")

    expected = model.predict(x, verbose=0)
    assert np.array_equal(same_architecture.predict(x, verbose=0), expected)
    assert np.array_equal(reloaded.predict(x, verbose=0), expected)
    by_hand = np.mean(np.argmax(expected, axis=-1) == y)
    assert reloaded.evaluate(x, y, verbose=0)[1] == pytest.approx(by_hand, abs=1e-6)


def test_keras_3_file_names_for_weights_and_whole_models(tmp_path):
    """What the chapter's note says about the textbook's Keras 2 file names."""
    model, _, _ = tiny_trained_model()
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        model.save_weights(tmp_path / "model-weights.h5")
    model.save(tmp_path / "model-whole.h5")  # still accepted, in the legacy HDF5 format
    assert (tmp_path / "model-whole.h5").stat().st_size > 0
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save(tmp_path / "model-whole.hdf")


def test_dropout_zeroes_and_rescales_only_while_training():
    layer = keras.layers.Dropout(0.3)
    ones = np.ones((1, 1000), dtype="float32")
    training = keras.ops.convert_to_numpy(layer(ones, training=True))
    kept = training[training != 0]
    assert np.allclose(kept, 1 / 0.7)
    assert 0.2 < np.mean(training == 0) < 0.4
    assert np.array_equal(keras.ops.convert_to_numpy(layer(ones, training=False)), ones)
    assert layer.count_params() == 0


def test_scratch_dir_is_inside_the_ignored_build_folder():
    folder = scratch_dir("test")
    assert folder.is_dir() and folder == ROOT / "_build" / "scratch" / "test"
