"""Defaults that work on any data: batch size, batch-norm statistics,
pixel scales and colour images. Tiny networks, a few hundred images."""

import warnings

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skfashion.exceptions import PixelScaleWarning
from skfashion.models import (
    KerasCNNClassifier,
    KerasMLPClassifier,
    _scale,
    auto_batch_size,
    load_model,
    save_model,
)

TINY_CNN = dict(conv_filters=(4,), dense_units=8, epochs=1, random_state=0)
TINY_MLP = dict(hidden_layer_sizes=(8,), epochs=1, random_state=0)


# ------------------------------------------------------------------ batch size
def test_auto_batch_size_follows_the_data():
    sizes = [auto_batch_size(n) for n in (1, 100, 1023, 1024, 2048, 8191, 8192)]
    assert sizes == [16, 16, 16, 32, 64, 128, 256]
    assert auto_batch_size(600_000) == 256


def test_batch_size_used_is_fitted_and_stored(sample, tmp_path):
    X, y = sample
    clf = KerasMLPClassifier(**TINY_MLP).fit(X[:300], y[:300])
    assert clf.batch_size == "auto" and clf.batch_size_ == 16
    fixed = KerasMLPClassifier(**TINY_MLP, batch_size=64).fit(X[:300], y[:300])
    assert fixed.batch_size_ == 64
    loaded = load_model(save_model(clf, tmp_path / "m.skf"))
    assert loaded.batch_size_ == 16


def test_validation_split_counts_for_the_batch_size(sample):
    X, y = sample
    # 1,100 images, 10% held out: 990 training images give batch 16, not 32.
    X = np.concatenate([X, X[:100]])
    y = np.concatenate([y, y[:100]])
    clf = KerasMLPClassifier(**TINY_MLP, validation_fraction=0.1).fit(X, y)
    assert clf.batch_size_ == auto_batch_size(990) == 16


# ------------------------------------------------------- batch-norm statistics
def test_recompute_batch_norm_gives_the_data_statistics():
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, size=(70, 5)).astype(np.float32)
    inputs = keras.Input((5,))
    bn = keras.layers.BatchNormalization(momentum=0.9)
    model = keras.Model(inputs, bn(inputs))
    _scale.recompute_batch_norm(model, X, batch_size=32)
    # Batches of 32, 32 and 6 rows, weighted by their sizes.
    chunks = [X[:32], X[32:64], X[64:]]
    weights = np.array([len(c) for c in chunks]) / len(X)
    mean = sum(w * c.mean(axis=0) for w, c in zip(weights, chunks, strict=True))
    var = sum(w * c.var(axis=0) for w, c in zip(weights, chunks, strict=True))
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), var, rtol=1e-4)
    assert bn.momentum == 0.9  # put back


def test_short_fit_leaves_right_batch_norm_statistics(sample, monkeypatch):
    """A 1-epoch fit of 13 steps: without the recompute the moving
    statistics still hold much of their initial values (0 and 1)."""
    X, y = sample
    calls = []
    real = _scale.recompute_batch_norm

    def spy(model, X, *, rows=None, batch_size):
        calls.append(batch_size)
        return real(model, X, rows=rows, batch_size=batch_size)

    monkeypatch.setattr("skfashion.models._base.recompute_batch_norm", spy)
    clf = KerasMLPClassifier(**TINY_MLP).fit(X[:200], y[:200])
    assert calls == [16]
    # The first batch-norm layer sees the first dense layer's outputs: its
    # moving mean is their mean over the training images.
    bn = next(
        layer
        for layer in clf.model_.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    )
    upto = keras.Model(clf.model_.inputs, bn.input)
    seen = upto(np.asarray(X[:200], np.float32), training=True).numpy()
    np.testing.assert_allclose(
        bn.moving_mean.numpy(), seen.mean(axis=0), rtol=0.05, atol=0.05
    )

    # Long fits keep Keras' moving averages: no recompute.
    calls.clear()
    monkeypatch.setattr(_scale, "BN_RECOMPUTE_STEPS", 5)
    KerasMLPClassifier(**TINY_MLP).fit(X[:200], y[:200])
    assert calls == []


# ----------------------------------------------------------------- pixel scales
@pytest.mark.parametrize(
    "X, expected",
    [
        (np.array([[0, 0.5], [1.0, 0.2]]), "0-1"),
        (np.array([[0, 16], [3, 7]], dtype=float), "0-16"),
        (np.array([[0, 255], [3, 7]], dtype=np.uint8), "0-255"),
        (np.array([[0, 3], [1, 7]], dtype=np.uint8), "0-255"),  # dark uint8
        (np.array([[0, 200.5], [3, 7]]), "0-255"),
        (np.array([[0, 40000], [3, 7]], dtype=np.uint16), "0-65535"),
        (np.array([[0, 4000], [3, 7]], dtype=np.int32), "0-65535"),
        (np.array([[-1.2, 0.3], [0.5, 2.0]]), None),  # standardised
    ],
    ids=[
        "0-1",
        "digits",
        "uint8",
        "dark-uint8",
        "float-255",
        "uint16",
        "int-16bit",
        "standardised",
    ],  # fmt: skip
)
def test_auto_pixel_range(X, expected):
    from skfashion.models._input import infer_pixel_range

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert infer_pixel_range(X, "auto", estimator_name="E") == expected


def test_values_beyond_every_scale_warn():
    from skfashion.models._input import infer_pixel_range

    with pytest.warns(PixelScaleWarning, match="none of the pixel scales"):
        assert (
            infer_pixel_range(np.array([[0, 300.5]]), "auto", estimator_name="E")
            is None
        )


def test_digits_are_read_on_their_0_16_scale():
    X, y = load_digits(return_X_y=True)
    clf = KerasMLPClassifier(hidden_layer_sizes=(32,), epochs=10, random_state=0).fit(
        X[:400], y[:400]
    )
    assert clf.pixel_range_ == "0-16"
    assert clf.score(X[400:800], y[400:800]) > 0.5  # chance is 0.1


def test_minmax_scaled_unseen_folds_are_accepted(sample):
    """The per-pixel scaler fitted on 800 images maps a few pixels of the
    other 200 far beyond 1 (as in cross_validate): predicted, not refused."""
    X, y = sample
    train, test = list(KFold(5, shuffle=True, random_state=0).split(X))[1]
    pipe = make_pipeline(MinMaxScaler(), KerasMLPClassifier(**TINY_MLP))
    pipe.fit(X[train], y[train])
    assert pipe[0].transform(X[test]).max() > 4
    assert pipe.predict(X[test]).shape == (200,)


def test_far_out_pixels_get_advice_that_fits(sample):
    X, y = sample
    clf = KerasMLPClassifier(**TINY_MLP).fit(X[:200] / 255.0, y[:200])
    with pytest.raises(
        ValueError, match=r"look like 0-255 pixels: rescale them \(X / 255\)"
    ):
        clf.predict(X[200:210].astype(float))
    digits = KerasMLPClassifier(**TINY_MLP).fit((X[:200] // 16).astype(float), y[:200])
    assert digits.pixel_range_ == "0-16"
    with pytest.raises(ValueError, match=r"X \* 16 / 255"):
        digits.predict(np.full((3, 784), 200.0))


def test_16_bit_images_train_on_their_scale(sample):
    X, y = sample
    X16 = X.astype(np.uint16) * 257
    clf = KerasMLPClassifier(**TINY_MLP).fit(X16[:300], y[:300])
    ref = KerasMLPClassifier(**TINY_MLP).fit(X[:300], y[:300])
    assert clf.pixel_range_ == "0-65535"
    np.testing.assert_allclose(
        clf.predict_proba(X16[300:320]), ref.predict_proba(X[300:320]), atol=1e-4
    )


# ------------------------------------------------------------------------ RGB
def test_rgb_flip_tta_mirrors_each_channel(sample):
    X, y = sample
    rng = np.random.default_rng(0)
    X_rgb = rng.integers(0, 256, size=(120, 6, 5, 3), dtype=np.uint8)
    y = y[:120]
    clf = KerasCNNClassifier(**TINY_CNN).fit(X_rgb, y)
    assert clf.image_shape_ == (6, 5, 3) and clf.tta == "auto"
    flat = X_rgb.reshape(120, -1)
    views = list(clf._tta_views(flat))
    assert len(views) == 2
    np.testing.assert_array_equal(views[1].reshape(X_rgb.shape), X_rgb[:, :, ::-1, :])
    proba = clf.predict_proba(X_rgb)
    assert proba.shape == (120, len(np.unique(y)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_overshoot_advice_names_no_scale_the_values_do_not_fill(sample):
    X, y = sample
    clf = KerasMLPClassifier(**TINY_MLP).fit(X[:200] / 255.0, y[:200])
    with pytest.raises(ValueError) as info:
        clf.predict(X[200:210] / 255.0 * 1.3 + 0.3)
    assert "look like" not in str(info.value)
