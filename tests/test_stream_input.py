"""Streams of batches as X are refused before any work, with the way out.

A ``tf.data.Dataset``, a generator or a ``keras.utils.PyDataset`` yields
batches one after the other: scikit-learn cannot index it (folds, the
validation split) or clone it. ``fit`` and ``predict`` refuse each one with
a ``TypeError`` that names what was given and points to memmaps
(``numpy.lib.format.open_memmap``) and ``load_image_folder``.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from skfashion.models import KerasMLPClassifier

N = 48
BATCH = 16


@pytest.fixture(scope="module")
def data(sample):
    X, y = sample
    return X[:N], y[:N]


class _Batches(keras.utils.PyDataset):
    """A PyDataset of (images, labels) batches, as Keras' fit takes it."""

    def __init__(self, X, y):
        super().__init__()
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X) // BATCH

    def __getitem__(self, i):
        part = slice(i * BATCH, (i + 1) * BATCH)
        return self.X[part], self.y[part]


def _streams(X, y):
    def batches():
        for start in range(0, len(X), BATCH):
            yield X[start : start + BATCH], y[start : start + BATCH]

    return {
        "tf.data.Dataset": tf.data.Dataset.from_tensor_slices((X, y)).batch(BATCH),
        "generator": batches(),
        "keras.utils.PyDataset": _Batches(X, y),
        "iterator": iter([X, y]),
    }


KINDS = ["tf.data.Dataset", "generator", "keras.utils.PyDataset", "iterator"]


def _assert_refusal(excinfo, kind):
    message = str(excinfo.value)
    article = "an" if kind == "iterator" else "a"
    assert f"KerasMLPClassifier got X as {article} {kind}" in message
    assert "not data that scikit-learn can index" in message
    assert "clone" in message
    assert "numpy.lib.format.open_memmap" in message
    assert "mmap_mode='r'" in message
    assert "skfashion.datasets.load_image_folder" in message


@pytest.mark.parametrize("kind", KINDS)
def test_fit_refuses_streams_before_training(data, kind, monkeypatch):
    X, y = data

    def no_keras_fit(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(keras.Model, "fit", no_keras_fit)
    estimator = KerasMLPClassifier(hidden_layer_sizes=(4,), epochs=1)
    with pytest.raises(TypeError) as excinfo:
        estimator.fit(_streams(X, y)[kind], y)
    _assert_refusal(excinfo, kind)
    assert not hasattr(estimator, "model_")


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return KerasMLPClassifier(
        hidden_layer_sizes=(4,), epochs=1, batch_size=BATCH, random_state=0
    ).fit(X, y)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score"])
@pytest.mark.parametrize("kind", KINDS)
def test_prediction_refuses_streams(data, fitted, kind, method):
    X, y = data
    args = (y,) if method == "score" else ()
    with pytest.raises(TypeError) as excinfo:
        getattr(fitted, method)(_streams(X, y)[kind], *args)
    _assert_refusal(excinfo, kind)


def test_arrays_and_lists_are_not_streams(data, fitted):
    X, y = data
    assert fitted.predict(X).shape == (N,)
    assert fitted.predict(list(X[:3])).shape == (3,)
    assert fitted.predict_proba(np.asarray(X[:3])).shape[0] == 3
