"""Clear errors instead of silent nonsense or raw tracebacks.

Each case is refused before any training, or on one tiny MLP fitted once
for the whole module (8 hidden units, one epoch on 120 images).
"""

import copy
import io
import json
import zipfile

import keras
import numpy as np
import pytest

from skfashion.exceptions import ModelFileError
from skfashion.models import (
    KerasImageClassifier,
    KerasMLPClassifier,
    load_model,
    load_model_card,
    save_model,
)

N = 120


@pytest.fixture(scope="module")
def data(sample):
    X, y = sample
    return X[:N], y[:N]


@pytest.fixture(scope="module")
def tiny(data):
    X, y = data
    return KerasMLPClassifier(hidden_layer_sizes=(8,), epochs=1, random_state=0).fit(
        X, y
    )


@pytest.fixture
def no_training(monkeypatch):
    def fit(self, *args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(keras.Model, "fit", fit)


# ------------------------------------------------------------ user networks
def _sigmoid_net(input_shape, n_classes):
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Flatten(),
            keras.layers.Dense(n_classes, activation="sigmoid", name="scores"),
        ]
    )


def _two_outputs(input_shape, n_classes):
    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs)
    return keras.Model(
        inputs, [keras.layers.Dense(n_classes)(x), keras.layers.Dense(n_classes)(x)]
    )


def test_network_ending_in_a_sigmoid_is_refused(data, no_training):
    X, y = data
    clf = KerasImageClassifier(_sigmoid_net, epochs=1, random_state=0)
    with pytest.raises(ValueError, match=r"'scores'.*sigmoid.*softmax.*logits"):
        clf.fit(X, y)


def test_network_with_two_outputs_is_refused(data, no_training):
    X, y = data
    clf = KerasImageClassifier(_two_outputs, epochs=1, random_state=0)
    with pytest.raises(ValueError, match="one output"):
        clf.fit(X, y)


def test_doubly_nested_model_parameter_is_refused(data, no_training):
    X, y = data

    def net(input_shape, n_classes, a=None):  # pragma: no cover - never built
        raise AssertionError

    with pytest.raises(ValueError, match="model__a__b"):
        KerasImageClassifier(net, model__a__b=1)
    clf = KerasImageClassifier(net, epochs=1, random_state=0)
    clf.set_params(model__a__b=1)
    with pytest.raises(ValueError, match="model__a__b"):
        clf.fit(X, y)


# ----------------------------------------------------------- tta and labels
def test_invalid_tta_set_after_fit_is_the_parameter_error(tiny, data):
    X, _ = data
    est = KerasMLPClassifier(**tiny.get_params())
    with pytest.raises(ValueError, match="The 'tta' parameter") as at_fit:
        est.set_params(tta="bogus").fit(X, np.asarray(data[1]))
    fitted = copy.copy(tiny).set_params(tta="bogus")  # the same network
    with pytest.raises(ValueError, match="The 'tta' parameter") as at_predict:
        fitted.predict(X[:5])
    assert str(at_predict.value) == str(at_fit.value)


def test_tta_refuses_a_guessed_image_shape(tiny, tmp_path, no_training):
    rng = np.random.default_rng(0)
    features = rng.random((60, 100))
    labels = np.arange(60) % 3
    # 100 flat features that are no image: 100 being a square number, the
    # shape (10, 10) would be assumed, and the features flipped as pixels.
    clf = KerasMLPClassifier(hidden_layer_sizes=(8,), epochs=1, tta="flip")
    with pytest.raises(ValueError, match=r"tta='flip'.*image_shape"):
        clf.fit(features, labels)
    # tiny was fitted on flat Fashion-MNIST rows: switching tta on later is
    # refused the same way, also once saved and loaded.
    assert tiny.image_shape_ == (28, 28)
    for est in (tiny, load_model(save_model(tiny, tmp_path / "tiny.skf"))):
        est = copy.copy(est).set_params(tta="shift")
        with pytest.raises(ValueError, match=r"tta='shift'.*image_shape=\(28, 28\)"):
            est.predict(np.zeros((2, 784), dtype=np.uint8))


def test_tta_works_with_a_known_image_shape(tiny, data):
    X, y = data
    stated = KerasMLPClassifier(
        hidden_layer_sizes=(8,), epochs=1, image_shape=(28, 28), random_state=0
    ).fit(X, y)
    stated.set_params(tta="flip")
    assert stated.predict_proba(X[:3]).shape == (3, 10)
    # or stated after a fit on flat rows
    later = copy.copy(tiny).set_params(tta="flip", image_shape=(28, 28))
    proba = later.predict_proba(X[:3])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("first", [0, "shirt"])
def test_mixed_label_types_are_a_clear_error(first, data, no_training):
    X, _ = data
    other = "shirt" if first == 0 else 0
    y = np.array([first, other] * (N // 2), dtype=object)
    with pytest.raises(ValueError, match=r"y .*int.*str"):
        KerasMLPClassifier(hidden_layer_sizes=(8,), epochs=1).fit(X, y)


# -------------------------------------------------------------- model cards
def _rewritten(path, out, *, change=None, drop=None):
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    if change is not None:
        meta = json.loads(members["estimator.json"])
        change(meta)
        members["estimator.json"] = json.dumps(meta).encode()
    members.pop(drop, None)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    out.write_bytes(buf.getvalue())
    return out


@pytest.mark.parametrize(
    "damage",
    [
        dict(change=lambda m: m["params"].update(learning_rate=-1.0)),
        dict(change=lambda m: m["params"].update(hidden_layer_sizes=["a"])),
        dict(change=lambda m: m["params"].update(wings=2)),
        dict(drop="model.keras"),
    ],
    ids=["param_out_of_range", "bad_architecture", "unknown_param", "no_network"],
)
def test_model_card_refuses_what_load_model_refuses(damage, tiny, tmp_path):
    good = save_model(tiny, tmp_path / "good.skf")
    bad = _rewritten(good, tmp_path / "bad.skf", **damage)
    with pytest.raises(ModelFileError) as loading:
        load_model(bad)
    with pytest.raises(ModelFileError) as card:
        load_model_card(bad)
    assert str(card.value) == str(loading.value)
