"""Behaviour of the CNN and MLP classifiers as scikit-learn estimators."""

import pickle
import random
import threading
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone, is_classifier
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from skfashion.exceptions import PixelScaleWarning
from skfashion.models import KerasCNNClassifier, KerasMLPClassifier

TINY_CNN = dict(
    conv_filters=(4,), dense_units=16, epochs=3, batch_size=32, random_state=0
)
TINY_MLP = dict(hidden_layer_sizes=(32,), epochs=3, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def fitted_cnn(sample_split):
    X, y, _, _ = sample_split
    return KerasCNNClassifier(**TINY_CNN, early_stopping=True, patience=3).fit(X, y)


@pytest.fixture(scope="module")
def fitted_mlp(sample_split):
    X, y, _, _ = sample_split
    return KerasMLPClassifier(**TINY_MLP).fit(X, y)


@pytest.mark.parametrize("cls", [KerasCNNClassifier, KerasMLPClassifier])
def test_declared_as_classifier(cls):
    est = cls()
    assert is_classifier(est)
    tags = get_tags(est)
    assert tags.estimator_type == "classifier"
    assert tags.input_tags.sparse is False
    assert tags.target_tags.required is True


def test_names_do_not_clash_with_sklearn():
    from sklearn.neural_network import MLPClassifier

    assert KerasMLPClassifier is not MLPClassifier
    assert "MLP" in KerasMLPClassifier.__name__ and "CNN" in KerasCNNClassifier.__name__


def test_fitted_attributes(fitted_cnn, sample_split):
    X, y, X_test, y_test = sample_split
    assert fitted_cnn.n_features_in_ == 784
    assert fitted_cnn.image_shape_ == (28, 28)
    assert fitted_cnn.pixel_range_ == "0-255"
    np.testing.assert_array_equal(fitted_cnn.classes_, np.arange(10))
    hist = fitted_cnn.history_
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(hist)
    assert len(hist["loss"]) == fitted_cnn.n_iter_ <= 3
    proba = fitted_cnn.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert fitted_cnn.score(X_test, y_test) > 0.3  # chance is 0.1


def test_image_layouts_give_same_predictions(fitted_cnn, sample_split):
    X_test = sample_split[2][:50]
    flat = fitted_cnn.predict_proba(X_test)
    np.testing.assert_array_equal(
        flat, fitted_cnn.predict_proba(X_test.reshape(-1, 28, 28))
    )
    np.testing.assert_array_equal(
        flat, fitted_cnn.predict_proba(X_test.reshape(-1, 28, 28, 1))
    )
    np.testing.assert_allclose(flat, fitted_cnn.predict_proba(X_test.astype(float)))


def test_string_labels_round_trip(sample_split):
    X, y, X_test, _ = sample_split
    names = np.array(
        [
            "top",
            "trouser",
            "pullover",
            "dress",
            "coat",
            "sandal",
            "shirt",
            "sneaker",
            "bag",
            "boot",
        ]
    )
    clf = KerasMLPClassifier(**TINY_MLP).fit(X, names[y])
    assert list(clf.classes_) == sorted(names)
    assert set(clf.predict(X_test)) <= set(names)


def test_non_square_images_need_shape():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, (40, 12, 20)).astype(np.uint8)
    y = np.arange(40) % 2
    clf = KerasCNNClassifier(**TINY_CNN).fit(X, y)
    assert clf.image_shape_ == (12, 20) and clf.n_features_in_ == 240
    with pytest.raises(ValueError, match="not a square number"):
        KerasCNNClassifier(**TINY_CNN).fit(X.reshape(40, -1), y)
    flat = KerasCNNClassifier(**TINY_CNN, image_shape=(12, -1)).fit(
        X.reshape(40, -1), y
    )
    assert flat.image_shape_ == (12, 20)


def test_same_seed_same_model(sample_split):
    X, y, X_test, _ = sample_split
    a = KerasCNNClassifier(**TINY_CNN, shift=0.1, random_erasing=0.5).fit(X, y)
    b = KerasCNNClassifier(**TINY_CNN, shift=0.1, random_erasing=0.5).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
    # augmentation is training-only: predictions are repeatable
    np.testing.assert_array_equal(a.predict_proba(X_test), a.predict_proba(X_test))


def test_seeded_fit_ignores_other_threads_drawing_random(sample_split):
    # Dask workers and threaded backends run other code beside a fit; if the
    # network took its seeds from Python's shared ``random`` module, those
    # draws would change the model built for the same random_state.
    X, y, X_test, _ = sample_split
    est = KerasCNNClassifier(**{**TINY_CNN, "epochs": 1}, dropout=0.2)
    alone = clone(est).fit(X, y).predict_proba(X_test)
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.random()

    thread = threading.Thread(target=draw)
    thread.start()
    try:
        beside = clone(est).fit(X, y).predict_proba(X_test)
    finally:
        stop.set()
        thread.join()
    np.testing.assert_array_equal(alone, beside)


def test_clone_and_routed_params(sample_split):
    X, y, _, _ = sample_split
    est = KerasMLPClassifier(**TINY_MLP, optimizer="adam", optimizer__beta_1=0.8)
    params = est.get_params()
    assert params["optimizer__beta_1"] == 0.8
    cloned = clone(est)
    assert cloned.get_params() == params
    cloned.set_params(
        optimizer__beta_1=0.7, learning_rate=0.005, lr_schedule="constant"
    )
    cloned.fit(X[:200], y[:200])
    opt = cloned.model_.optimizer
    assert float(opt.beta_1) == pytest.approx(0.7)
    assert float(opt.learning_rate) == pytest.approx(0.005)


def test_unknown_parameter_is_reported():
    with pytest.raises(TypeError, match="hiden_layer_sizes"):
        KerasMLPClassifier(hiden_layer_sizes=(3,)).fit(np.zeros((4, 4)), [0, 1, 0, 1])


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(optimizer="lbfgs"), "optimizer"),
        (dict(learning_rate=-1.0), "learning_rate"),
        (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
        (dict(activation=("relu", "tanh")), "activation has 2 entries"),
        (dict(early_stopping=True, validation_fraction=0.99), "leaves no samples"),
        (dict(pixel_range="0-100"), "pixel_range"),
    ],
)
def test_bad_parameters(params, match, sample):
    X, y = sample
    with pytest.raises(ValueError, match=match):
        KerasMLPClassifier(**{**TINY_MLP, **params}).fit(X[:20], y[:20])


def test_in_pipeline_and_cross_validate(sample):
    X, y = sample
    # The default pixel_range="auto" takes standardised values as features.
    pipe = make_pipeline(StandardScaler(), KerasMLPClassifier(**TINY_MLP))
    res = cross_validate(
        pipe,
        X,
        y,
        cv=KFold(3, shuffle=True, random_state=0),
        scoring=["accuracy", "roc_auc_ovr", "neg_log_loss"],
    )
    assert np.all(res["test_roc_auc_ovr"] > 0.8)
    assert np.all(np.isfinite(res["test_neg_log_loss"]))


@pytest.mark.parametrize(
    "transform, expected",
    [
        (lambda X: X, "0-255"),
        (lambda X: X / 255.0, "0-1"),
        (lambda X: (X - X.mean()) / X.std(), None),
        (lambda X: X * 4.0, "0-65535"),  # whole numbers above 255
        (lambda X: X * 4.0 + 0.5, None),  # fractions above 255: a warning
    ],
)
def test_auto_pixel_range_rule(transform, expected):
    from skfashion.models._input import infer_pixel_range

    X = np.arange(256, dtype=np.float64).reshape(4, 64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PixelScaleWarning)
        assert infer_pixel_range(transform(X), "auto", estimator_name="E") == expected


def test_auto_warns_when_non_negative_values_exceed_255():
    from skfashion.models._input import infer_pixel_range

    X = np.arange(256, dtype=np.float64).reshape(4, 64)
    X[0, 0] = 300.5
    with pytest.warns(PixelScaleWarning, match="not scaled"):
        assert infer_pixel_range(X, "auto", estimator_name="E") is None


def test_stated_pixel_range_still_refuses_other_values():
    from skfashion.models._input import infer_pixel_range

    X = np.array([[-1.0, 0.5]])
    with pytest.raises(ValueError, match=r"pixel_range='0-255'.*from -1 to 0.5"):
        infer_pixel_range(X, "0-255", estimator_name="E")


def test_random_and_grid_search(sample):
    X, y = sample
    search = RandomizedSearchCV(
        KerasMLPClassifier(**TINY_MLP),
        {"dropout": [0.0, 0.2], "learning_rate": [1e-3, 3e-3]},
        n_iter=2,
        cv=KFold(2, shuffle=True, random_state=0),
        random_state=0,
    ).fit(X, y)
    assert set(search.best_params_) == {"dropout", "learning_rate"}
    grid = GridSearchCV(
        KerasCNNClassifier(**TINY_CNN),
        {"dense_units": [8, 16]},
        cv=StratifiedKFold(2),
        scoring="roc_auc_ovr",
    ).fit(X, y)
    assert grid.best_score_ > 0.8


def test_confusion_matrix_display_accepts_estimator(fitted_mlp, sample_split):
    _, _, X_test, y_test = sample_split
    disp = ConfusionMatrixDisplay.from_estimator(fitted_mlp, X_test, y_test)
    assert disp.confusion_matrix.sum() == len(y_test)


def test_pixel_scale_mismatch(fitted_mlp, sample_split):
    _, _, X_test, _ = sample_split
    with pytest.warns(PixelScaleWarning, match="Multiply X by 255"):
        fitted_mlp.predict(X_test / 255.0)
    X, y, _, _ = sample_split
    unit = KerasMLPClassifier(**TINY_MLP).fit(X / 255.0, y)
    assert unit.pixel_range_ == "0-1"
    with pytest.raises(ValueError, match=r"rescale them \(X / 255\)"):
        unit.predict(X_test)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unit.predict(X_test / 255.0)


def _bad_inputs(X, y):
    Xf = X[:30].astype(float)
    nan = Xf.copy()
    nan[0, 0] = np.nan
    inf = Xf.copy()
    inf[1, 3] = np.inf
    return [
        ("nan", nan, y[:30], ValueError, "NaN"),
        ("inf", inf, y[:30], ValueError, "infinity"),
        ("sparse", sp.csr_matrix(Xf), y[:30], TypeError, "sparse"),
        ("one class", Xf, np.zeros(30), ValueError, "only one class"),
        ("empty", np.zeros((0, 784)), np.zeros(0), ValueError, "0 sample"),
        (
            "text",
            np.full((30, 784), "a"),
            y[:30],
            ValueError,
            "[Ss]tring|numeric|convert",
        ),
        ("length", Xf, y[:29], ValueError, "inconsistent numbers of samples"),
        ("5-d", Xf.reshape(30, 28, 28, 1, 1), y[:30], ValueError, "must be"),
        ("continuous y", Xf, np.linspace(0, 1, 30), ValueError, "Unknown label type"),
    ]


@pytest.mark.parametrize("case", range(9))
def test_bad_fit_input(case, sample):
    name, X, y, exc, match = _bad_inputs(*sample)[case]
    with pytest.raises(exc, match=match):
        KerasMLPClassifier(**TINY_MLP).fit(X, y)


def test_bad_predict_input(fitted_mlp, sample_split):
    X_test = sample_split[2]
    with pytest.raises(ValueError, match="X has 783 features, but KerasMLPClassifier"):
        fitted_mlp.predict(X_test[:, :-1])
    with pytest.raises(TypeError, match="sparse"):
        fitted_mlp.predict(sp.csr_matrix(X_test))
    with pytest.raises(ValueError, match="NaN"):
        fitted_mlp.predict(np.full((2, 784), np.nan))


def test_sample_weight_is_not_modified(sample):
    X, y = sample
    sw = np.ones(len(y))
    KerasMLPClassifier(**TINY_MLP, class_weight="balanced").fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(sw, np.ones(len(y)))


def test_validation_split_is_stratified(sample):
    _, y = sample
    est = KerasMLPClassifier(validation_fraction=0.2, random_state=0)
    val = est._validation_indices(y)
    assert len(val) == 200
    np.testing.assert_array_equal(np.bincount(y[val]), np.full(10, 20))


def test_early_stopping_stops(sample):
    X, y = sample
    rng = np.random.RandomState(0)
    noise = rng.permutation(y)  # labels unrelated to images: validation loss rises
    est = KerasMLPClassifier(
        hidden_layer_sizes=(64,),
        epochs=40,
        early_stopping=True,
        patience=2,
        lr_schedule="constant",
        random_state=0,
    ).fit(X, noise)
    assert est.n_iter_ < 40


@pytest.mark.parametrize("module", [pickle, joblib])
def test_pickle_round_trip(module, fitted_cnn, sample_split, tmp_path):
    X_test = sample_split[2]
    path = tmp_path / "model.bin"
    if module is pickle:
        restored = pickle.loads(pickle.dumps(fitted_cnn))
    else:
        joblib.dump(fitted_cnn, path)
        restored = joblib.load(path)
    np.testing.assert_array_equal(
        restored.predict_proba(X_test), fitted_cnn.predict_proba(X_test)
    )


def test_fits_do_not_keep_earlier_models_alive(sample):
    # A CV search fits dozens of models in one process: neither the wrapper
    # nor Keras' global state may keep the earlier networks alive, nor
    # TensorFlow their traced train steps (Keras' optimizer once registered a
    # custom gradient per train function in TensorFlow's global registry,
    # which kept each traced step alive: about 9 MiB per fit; see
    # benchmarks/bench_memory.py for the resident-memory figures).
    import gc
    import weakref

    from tensorflow.python.framework import ops
    from tensorflow.python.framework.func_graph import FuncGraph

    def train_steps():
        gc.collect()
        return sum(
            isinstance(o, FuncGraph) and o.name == "one_step_on_data"
            for o in gc.get_objects()
        )

    X, y = sample
    refs = []
    registry = ops._gradient_registry.list()
    steps = None
    for i in range(6):
        est = KerasMLPClassifier(hidden_layer_sizes=(16,), epochs=1).fit(
            X[:200], y[:200]
        )
        refs.append(weakref.ref(est.model_))
        del est
        if i == 0:
            steps = train_steps()
    gc.collect()
    alive = sum(ref() is not None for ref in refs)
    assert alive == 0, f"{alive} of {len(refs)} Keras models are still alive"
    assert train_steps() <= steps, "traced train steps of finished fits are alive"
    grown = set(ops._gradient_registry.list()) - set(registry)
    assert not grown, f"fits registered {sorted(grown)} in TensorFlow's registry"


_DTYPES = [
    "uint8",
    "int16",
    "int64",
    "float16",
    "float32",
    "float64",
    "bool",
    "complex64",
    "object",
    "U3",
    "datetime64[s]",
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.lists(st.integers(0, 5), min_size=1, max_size=5),
    dtype=st.sampled_from(_DTYPES),
    n_labels=st.integers(0, 12),
)
def test_random_inputs_work_or_raise_clearly(shape, dtype, n_labels):
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 300, size=shape)
    X = X.astype(dtype) if dtype != "datetime64[s]" else X.astype("int64").astype(dtype)
    n = shape[0]
    y = rng.randint(0, 3, size=n_labels)
    est = KerasMLPClassifier(hidden_layer_sizes=(4,), epochs=1, batch_size=8)
    try:
        est.fit(X, y)
    except (ValueError, TypeError) as exc:
        assert str(exc)  # a message, not a bare error
        return
    # it worked: predictions must then be well-formed
    proba = est.predict_proba(X)
    assert proba.shape == (n, len(est.classes_))
    with pytest.raises((ValueError, TypeError)):
        est.predict(np.zeros((2, est.n_features_in_ + 1)))


@settings(max_examples=25, deadline=None)
@given(
    shape=st.lists(st.integers(0, 30), min_size=1, max_size=5),
    dtype=st.sampled_from(_DTYPES),
)
def test_random_predict_inputs(shape, dtype, request):
    fitted = request.getfixturevalue("fitted_mlp")
    X = np.ones(shape)
    X = X.astype(dtype) if dtype != "datetime64[s]" else X.astype("int64").astype(dtype)
    try:
        pred = fitted.predict(X)
    except (ValueError, TypeError) as exc:
        assert str(exc)
        return
    assert len(pred) == shape[0]


def test_batch_norm_predicts_sensibly_after_few_steps(sample_split):
    # With Keras' default BN momentum the moving statistics are still wrong
    # after a few dozen steps and every image gets the same class.
    X, y, X_test, y_test = sample_split
    clf = KerasCNNClassifier(
        conv_filters=(8, 16),
        batch_norm=True,
        dense_units=32,
        epochs=3,
        batch_size=64,
        random_state=0,
    ).fit(X, y)
    assert len(np.unique(clf.predict(X_test))) >= 5
    assert clf.score(X_test, y_test) > 0.5


@pytest.mark.parametrize(
    "batch_norm, pooling, expected",
    [
        (True, "max", "C B C B P C B C B P D B"),
        ("after_conv", "avg", "C B C B P C B C B P D B"),
        ("after_pool", "max", "C B C P B C B C P B D B"),
        ("after_pool", None, "C B C B C B C B D B"),
        (False, "max", "C C P C C P D"),
    ],
)
def test_batch_norm_placement(batch_norm, pooling, expected):
    # Where each block's normalisation goes: after every convolution by
    # default, after a block's pooling for "after_pool" when it pools.
    X = np.random.default_rng(0).random((16, 64), dtype=np.float32)
    clf = KerasCNNClassifier(
        conv_filters=(2, 3),
        convs_per_block=2,
        batch_norm=batch_norm,
        pooling=pooling,
        dense_units=4,
        epochs=1,
        random_state=0,
    )
    clf.fit(X, np.arange(16) % 2)
    letters = {"Conv2D": "C", "FusedBatchNormalization": "B", "Dense": "D"}
    names = [type(layer).__name__ for layer in clf.model_.layers]
    seq = [letters.get(n, "P" if "Pooling" in n else None) for n in names]
    assert " ".join(c for c in seq if c) == expected + " D"


@pytest.mark.parametrize("shape", [(32, 5, 5, 3), (32, 7)])
def test_fused_batch_norm_matches_keras(shape, monkeypatch):
    # The fused layer must compute what Keras' BatchNormalization computes,
    # in a traced function as in training: outputs, gradients and moving
    # statistics in training mode, outputs at inference; and it must really
    # run TensorFlow's fused kernel.
    import keras
    import tensorflow as tf

    from skfashion.models._layers import FusedBatchNormalization

    kernel, calls = tf.compat.v1.nn.fused_batch_norm, []

    def counting(*args, **kwargs):
        calls.append(kwargs.get("is_training"))
        return kernel(*args, **kwargs)

    monkeypatch.setattr(tf.compat.v1.nn, "fused_batch_norm", counting)
    x = tf.constant(np.random.default_rng(0).normal(2.0, 3.0, size=shape), "float32")
    ours = FusedBatchNormalization(momentum=0.9)
    theirs = keras.layers.BatchNormalization(momentum=0.9)
    for layer in (ours, theirs):
        layer.build(shape)
    weights = [w + 0.1 * i for i, w in enumerate(theirs.get_weights())]
    ours.set_weights(weights)
    theirs.set_weights(weights)

    def step(layer):
        @tf.function
        def run(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer(x, training=True)
                loss = tf.reduce_sum(tf.sin(y))
            grads = tape.gradient(loss, [x, layer.gamma, layer.beta])
            return y, grads

        return run(x)

    (y_ours, g_ours), (y_theirs, g_theirs) = step(ours), step(theirs)
    np.testing.assert_allclose(y_ours, y_theirs, atol=1e-5)
    for a, b in zip(g_ours, g_theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-5)
    assert calls == [True, False]


def _scramble_batch_norms(model, X, rng, negative=False):
    # Moving statistics near the activations' own (set by a training-mode
    # call with momentum 0), then scales and shifts far from the identity,
    # so that a wrong fold shows; half the scales negative when asked.
    norms = [layer for layer in model.layers if hasattr(layer, "moving_mean")]
    for layer in norms:
        layer.momentum = 0.0
    model(X, training=True)
    for layer in norms:
        layer.momentum = 0.9
        n = layer.moving_mean.shape[0]
        std = np.sqrt(layer.moving_variance.numpy())
        layer.moving_mean.assign(layer.moving_mean + rng.normal(0, 0.3, n) * std)
        layer.moving_variance.assign(std**2 * rng.uniform(0.5, 2, n))
        gamma = rng.uniform(0.5, 1.5, n) * np.where(np.arange(n) % 2, -1, 1)
        layer.gamma.assign(np.abs(gamma) if not negative else gamma)
        layer.beta.assign(rng.normal(0, 0.3, n))


@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(convs_per_block=2, batch_norm="after_pool"),
        dict(convs_per_block=2, padding="valid", pooling="avg"),
        dict(kernel_size=5, pooling=None, dense_units=(8, 4)),
        "mlp",
    ],
)
def test_folded_batch_norm_predicts_like_the_network(params):
    # predict_proba folds each batch normalisation into the next linear
    # layer; its probabilities must be the network's own, with the
    # normalisation nowhere in the traced graph, and must follow the
    # weights when they change after a first prediction (to negative
    # scales, which may not move past a max pooling).
    from skfashion.models._base import _inference_function

    rng = np.random.default_rng(0)
    X = (rng.random((24, 400)) ** rng.uniform(0.2, 5, (24, 1))).astype("float32")
    if params == "mlp":
        clf = KerasMLPClassifier(hidden_layer_sizes=(8, 6), epochs=1, random_state=0)
    else:
        # one view per image: the network's own probabilities
        params = dict(conv_filters=(3, 4), dense_units=6, epochs=1, tta=None) | params
        clf = KerasCNNClassifier(**params, random_state=0)
    clf.fit(X, np.arange(24) % 3)
    before = clf.predict_proba(X)
    for negative in (False, True):
        _scramble_batch_norms(clf.model_, X, rng, negative)
        expected = clf.model_(X, training=False).numpy()
        proba = clf.predict_proba(X)
        # the new statistics matter, and the images get different answers
        assert np.abs(expected - before).max() > 0.02
        assert expected.std(axis=0).max() > 1e-3
        np.testing.assert_allclose(proba, expected, atol=1e-5)
        before = proba
    graph = _inference_function(clf.model_).get_concrete_function().graph
    ops = {op.type for op in graph.get_operations()}
    assert not any("BatchNorm" in op for op in ops), ops


def test_uint8_memmap_reaches_keras_without_a_float_copy(tmp_path, sample, monkeypatch):
    import keras

    X, y = sample
    path = tmp_path / "images.u8"
    stored = np.memmap(path, dtype=np.uint8, mode="w+", shape=X.shape)
    stored[:] = X
    stored.flush()
    del stored
    images = np.memmap(path, dtype=np.uint8, mode="r", shape=X.shape)

    handed = []
    original_fit = keras.Model.fit

    def spy(model, x=None, y=None, *args, validation_data=None, **kwargs):
        handed.append(x)
        if validation_data is not None:
            handed.append(validation_data[0])
        return original_fit(
            model, x, y, *args, validation_data=validation_data, **kwargs
        )

    monkeypatch.setattr(keras.Model, "fit", spy)
    clf = KerasMLPClassifier(
        hidden_layer_sizes=(8,), epochs=1, validation_fraction=0.2, random_state=0
    ).fit(images, y)
    # Training images reach Keras as uint8 batches read from the memmap
    # (Keras would copy a whole array into one tensor), validation images as
    # uint8 (scaled per batch inside the network): never a float32 copy.
    assert len(handed) == 2
    batches, val = handed
    assert isinstance(batches, keras.utils.PyDataset)
    first = batches[0]
    assert first[0].dtype == np.uint8 and first[0].shape == (clf.batch_size_, 784)
    seen = np.concatenate([batches[i][1] for i in range(len(batches))])
    assert val.dtype == np.uint8
    assert len(seen) + len(val) == X.shape[0]
    assert clf.pixel_range_ == "0-255"
    # Seeded: the same memmap fit twice gives the same model.
    again = KerasMLPClassifier(
        hidden_layer_sizes=(8,), epochs=1, validation_fraction=0.2, random_state=0
    ).fit(images, y)
    np.testing.assert_array_equal(
        clf.predict_proba(X[:50]), again.predict_proba(X[:50])
    )


def test_test_time_augmentation_averages_the_views(fitted_cnn, sample_split):
    import copy

    X = sample_split[2][:50]
    one_view = copy.copy(fitted_cnn).set_params(tta=None)  # the same network
    plain = one_view.predict_proba(X)
    images = X.reshape(-1, 28, 28)
    # Moved one pixel down, up, right and left, repeating the edge row/column.
    down = np.concatenate([images[:, :1], images[:, :-1]], axis=1)
    up = np.concatenate([images[:, 1:], images[:, -1:]], axis=1)
    right = np.concatenate([images[:, :, :1], images[:, :, :-1]], axis=2)
    left = np.concatenate([images[:, :, 1:], images[:, :, -1:]], axis=2)
    views = [plain] + [one_view.predict_proba(v) for v in (down, up, right, left)]
    expected = np.mean(views, axis=0)
    expected /= expected.sum(axis=1, keepdims=True)
    est = copy.copy(fitted_cnn).set_params(tta="shift")  # the same network
    np.testing.assert_allclose(est.predict_proba(X), expected, rtol=1e-5)
    est.set_params(tta="flip")
    flipped = (plain + one_view.predict_proba(images[:, :, ::-1])) / 2
    flipped /= flipped.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(est.predict_proba(X), flipped, rtol=1e-5)
    assert (est.predict(X) == est.classes_[flipped.argmax(axis=1)]).all()
    # "auto", the CNN's default, averages flips for a network trained with
    # them and nothing otherwise; the fitted estimator's setting is untouched
    assert fitted_cnn.tta == "auto" and fitted_cnn.horizontal_flip
    np.testing.assert_allclose(fitted_cnn.predict_proba(X), flipped, rtol=1e-5)
    est.set_params(tta="auto", horizontal_flip=False)  # as if trained without
    np.testing.assert_allclose(est.predict_proba(X), plain, rtol=1e-5)


def test_test_time_augmentation_needs_images(sample):
    X, y = sample
    est = KerasMLPClassifier(hidden_layer_sizes=(4,), epochs=1, tta="shift")
    # 700 features are no square image: refused before training.
    with pytest.raises(ValueError, match="tta='shift'.*image_shape"):
        est.fit(X[:50, :700], y[:50])
    assert not hasattr(est, "model_")
    # "auto" averages flips only for a network trained with them: nothing to
    # average here, so features of any shape are fine.
    est.set_params(tta="auto").fit(X[:50, :700], y[:50])
    assert est.predict_proba(X[:5, :700]).shape == (5, len(est.classes_))
    with pytest.raises(ValueError, match="tta"):
        KerasMLPClassifier(tta="rotate").fit(X[:50], y[:50])


def test_ema_weights_are_the_fitted_and_predicting_weights(sample_split):
    import keras

    X, y = sample_split[0][:256], sample_split[1][:256]

    class LastRawWeights(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.weights = [w.numpy() for w in self.model.trainable_weights]

    raw = LastRawWeights()
    clf = KerasMLPClassifier(
        hidden_layer_sizes=(16,),
        ema_momentum=0.9,
        lr_schedule="constant",
        epochs=2,
        batch_size=32,
        random_state=0,
        callbacks=[raw],
    ).fit(X, y)
    model = clf.model_
    averages = model.optimizer._model_variables_moving_average
    # The network ends the fit holding the averages, not its last raw step...
    for weight, average in zip(model.trainable_weights, averages, strict=True):
        np.testing.assert_array_equal(weight.numpy(), average.numpy())
    assert not all(
        np.allclose(weight.numpy(), last, atol=1e-4)
        for weight, last in zip(model.trainable_weights, raw.weights, strict=True)
    )
    # ... and predicts with them.
    np.testing.assert_allclose(
        clf.predict_proba(X[:20]),
        model(np.float32(clf._prepare_X(X[:20], reset=False)), training=False),
        atol=1e-6,
    )


def test_nothing_is_installed_on_tensorflow_logging_at_import():
    # Importing skfashion must leave TensorFlow's logger as it found it.
    import subprocess
    import sys

    code = (
        "import logging, skfashion.models, skfashion.model_selection;"
        "assert not logging.getLogger('tensorflow').filters, "
        "logging.getLogger('tensorflow').filters"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_retracing_warning_dropped_only_during_fit_and_predict(sample):
    # Every fit traces new Keras functions, which TensorFlow (counting
    # traces per code object) reports as "retracing" after five models.
    import logging

    from skfashion.models._tracing import quiet_retracing

    logger = logging.getLogger("tensorflow")
    before = list(logger.filters)
    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    handler = Keep(level=logging.WARNING)
    logger.addHandler(handler)
    retracing = "5 out of the last 5 calls to <f> triggered tf.function retracing."
    try:
        with quiet_retracing():
            with quiet_retracing():  # nested (and threaded) blocks share one
                logger.warning(retracing)
            logger.warning(retracing)
            logger.warning("another warning")
        logger.warning(retracing)  # outside fit and predict: shown
        X, y = sample
        est = KerasMLPClassifier(hidden_layer_sizes=(4,), epochs=1, batch_size=32)
        est.fit(X[:64], y[:64]).predict(X[:10])
    finally:
        logger.removeHandler(handler)
    assert seen[:2] == ["another warning", retracing]
    assert not any("retracing" in message for message in seen[2:])
    assert logger.filters == before
