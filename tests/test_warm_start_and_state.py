"""warm_start, the single fitted state, KerasImageClassifier and reliability.

Every network here is tiny (an 8-unit MLP or a 2-filter convolution, 1-4
epochs on 200-300 images) so that the whole file runs in well under a minute
on two CPU cores.
"""

import pickle
import random
import re
import warnings
import zipfile

import keras
import numpy as np
import pytest
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, ShuffleSplit

from skfashion.exceptions import CacheEntryWarning, TrainingDivergedError
from skfashion.models import (
    KerasCNNClassifier,
    KerasImageClassifier,
    KerasMLPClassifier,
    load_model,
    save_model,
)

TINY = dict(hidden_layer_sizes=(8,), batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def data(sample):
    X, y = sample
    return X[:300], y[:300]


class _Recorder(keras.callbacks.Callback):
    """Records the weights and optimizer step count at every fit's start."""

    def __init__(self):
        super().__init__()
        self.start_weights = []
        self.start_iterations = []

    def on_train_begin(self, logs=None):
        self.start_weights.append([w.copy() for w in self.model.get_weights()])
        self.start_iterations.append(int(self.model.optimizer.iterations))


def _assert_weights_equal(a, b):
    assert len(a) == len(b)
    for wa, wb in zip(a, b, strict=True):
        np.testing.assert_array_equal(wa, wb)


def _forbid_training(monkeypatch):
    """Make any Keras training fail the test (to prove a fit was a cache hit)."""

    def no_fit(self, *args, **kwargs):
        raise AssertionError("keras.Model.fit was called: the fit trained")

    monkeypatch.setattr(keras.Model, "fit", no_fit)


def _count_training(monkeypatch):
    """Record ``(n_samples, initial_epoch, epochs)`` of every Keras fit."""
    import skfashion.models._base as base_module

    calls, rows = [], []
    original, batches = keras.Model.fit, base_module._epoch_batches

    def spy_batches(X, *args, **kwargs):
        rows.append(len(X))  # in-memory rows reach Keras as one pipeline
        return batches(X, *args, **kwargs)

    def spy(self, x=None, y=None, *args, **kwargs):
        n = rows[-1] if y is None else len(x)
        calls.append((n, kwargs.get("initial_epoch", 0), kwargs.get("epochs")))
        return original(self, x, y, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    monkeypatch.setattr(base_module, "_epoch_batches", spy_batches)
    return calls


# --------------------------------------------------------------- warm_start
def test_warm_start_adds_epochs_and_continues_from_last_weights(data):
    X, y = data
    rec = _Recorder()
    clf = KerasMLPClassifier(
        **TINY, epochs=2, schedule_epochs=5, warm_start=True, callbacks=[rec]
    )
    steps_per_epoch = int(np.ceil(len(y) / 32))
    clf.fit(X, y)
    model = clf.model_
    end_of_first = [w.copy() for w in model.get_weights()]
    first_loss = list(clf.history_["loss"])
    assert clf.n_iter_ == 2
    assert int(model.optimizer.iterations) == 2 * steps_per_epoch

    clf.fit(X, y)
    assert clf.model_ is model  # the same network, not a new one
    assert clf.n_iter_ == 4
    assert len(clf.history_["loss"]) == 4
    assert clf.history_["loss"][:2] == first_loss
    assert int(model.optimizer.iterations) == 4 * steps_per_epoch
    # the second fit starts exactly where the first one ended ...
    assert rec.start_iterations == [0, 2 * steps_per_epoch]
    _assert_weights_equal(rec.start_weights[1], end_of_first)
    # ... and really trains
    assert not np.array_equal(model.get_weights()[0], end_of_first[0])

    # a changed ``epochs`` is the number of epochs the next fit adds
    clf.set_params(epochs=1).fit(X, y)
    assert clf.n_iter_ == 5 == len(clf.history_["loss"])
    assert int(model.optimizer.iterations) == 5 * steps_per_epoch

    # new classes cannot be continued
    with pytest.raises(ValueError, match="new classes"):
        clf.fit(X[:20], np.where(y[:20] == 0, 10, y[:20]))

    # warm_start=False trains anew: counters restart
    clf.set_params(warm_start=False, epochs=2).fit(X, y)
    assert clf.model_ is not model
    assert clf.n_iter_ == 2 == len(clf.history_["loss"])
    assert int(clf.model_.optimizer.iterations) == 2 * steps_per_epoch
    assert rec.start_iterations[-1] == 0


def test_fit_leaves_the_global_random_state_alone(data):
    X, y = data
    saved = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        np.random.seed(123)  # noqa: NPY002
        random.seed(123)
        expected = np.random.random(3), random.random()  # noqa: NPY002
        np.random.seed(123)  # noqa: NPY002
        random.seed(123)
        KerasMLPClassifier(**TINY, epochs=1).fit(X[:100], y[:100])
        got = np.random.random(3), random.random()  # noqa: NPY002
    finally:
        np.random.set_state(saved[0])  # noqa: NPY002
        random.setstate(saved[1])
    np.testing.assert_array_equal(got[0], expected[0])
    assert got[1] == expected[1]


# ------------------------------------------------------------ fitted state
def _fitted_attributes(est):
    return {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}


def _simple(value):
    return isinstance(value, (int, float, str, tuple, list, dict, np.ndarray)) or (
        value is None or isinstance(value, np.dtype)
    )


@pytest.fixture(scope="module")
def reference_fit(data, tmp_path_factory):
    X, y = data
    cache = tmp_path_factory.mktemp("state-cache")
    params = dict(**TINY, epochs=2, validation_fraction=0.2, cache_dir=str(cache))
    return params, KerasMLPClassifier(**params).fit(X, y)


@pytest.mark.parametrize("route", ["cache_hit", "pickle", "save_load"])
def test_fitted_state_identical_whatever_the_route(
    route, reference_fit, data, tmp_path, monkeypatch
):
    X, y = data
    params, ref = reference_fit
    if route == "cache_hit":
        _forbid_training(monkeypatch)
        other = KerasMLPClassifier(**params).fit(X, y)
    elif route == "pickle":
        other = pickle.loads(pickle.dumps(ref))
    else:
        other = load_model(save_model(ref, tmp_path / "ref.skf"))
    assert type(other) is KerasMLPClassifier
    names = _fitted_attributes(ref)
    assert {"classes_", "history_", "n_iter_", "image_shape_", "model_"} <= names
    assert _fitted_attributes(other) == names
    for name in sorted(names):
        a, b = getattr(ref, name), getattr(other, name)
        if not _simple(a):
            continue
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=name)
            assert a.dtype == b.dtype, name
        else:
            assert type(a) is type(b), name
            assert a == b, name
    assert set(ref.history_) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert other.n_iter_ == 2
    np.testing.assert_array_equal(other.predict_proba(X), ref.predict_proba(X))
    assert other._fitted_state() == ref._fitted_state()


# ------------------------------------------------- the fitted-state table
def _table():
    from skfashion.models._state import FITTED_ATTRIBUTES

    return FITTED_ATTRIBUTES


def test_a_fit_sets_exactly_the_tabled_attributes(data):
    # A DataFrame, so that feature_names_in_ is set too.
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])])
    clf = KerasMLPClassifier(**TINY, epochs=1, validation_fraction=0.2)
    clf.fit(frame, y)
    table = {a.name for a in _table()}
    assert len(table) == len(_table()), "a row is listed twice"
    # Every public fitted attribute (name_) is a row; every row is set.
    assert _fitted_attributes(clf) == {n for n in table if not n.startswith("_")}
    assert table <= set(vars(clf))
    pickled = clf.__getstate__()
    kept = {a.name for a in _table() if a.pickle and not a.forget}
    assert set(pickled) & table == kept  # the rest travels as the record
    clf._forget_fitted_state()
    assert not _fitted_attributes(clf)
    assert set(vars(clf)) & table == {a.name for a in _table() if not a.forget}


def test_docstrings_document_exactly_the_tabled_public_attributes():
    documented = [a.name for a in _table() if a.doc is not None]
    public = [a.name for a in _table() if not a.name.startswith("_")]
    assert set(documented) <= set(public)
    # skfashion's own public attributes are all documented; SciKeras'
    # bookkeeping (X_shape_, target_encoder_, ...) is not.
    own = [
        n for n in public if dict((a.name, a.owner) for a in _table())[n] == "skfashion"
    ]
    assert own == documented
    for cls in (KerasCNNClassifier, KerasMLPClassifier, KerasImageClassifier):
        section = cls.__doc__.split("Attributes\n    ----------\n")[1]
        section = section.split("\n\n")[0]
        listed = re.findall(r"^    (\w+) : ", section, flags=re.MULTILINE)
        assert listed == documented, cls.__name__


def test_scikeras_rows_are_what_restoring_rebuilds(reference_fit):
    # The SciKeras rows are SciKeras' bookkeeping: a restored estimator
    # gets each of them back from the record alone.
    _, ref = reference_fit
    other = pickle.loads(pickle.dumps(ref))
    for attr in _table():
        if attr.owner == "scikeras" and attr.pickle:
            assert hasattr(other, attr.name), attr.name


# --------------------------------------------------- KerasImageClassifier
#: kwargs that ``tiny_cnn`` was called with (serial fits only)
BUILD_CALLS = []


def tiny_cnn(input_shape, n_classes, units=4):
    """A build function: one small convolution, logits output."""
    BUILD_CALLS.append(dict(input_shape=input_shape, n_classes=n_classes, units=units))
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Conv2D(2, 3, strides=2, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(n_classes),
        ]
    )


def _tiny_net(softmax):
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(2, 3, strides=2, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax" if softmax else None),
        ]
    )


IMG = dict(epochs=1, batch_size=32, random_state=0)


def test_image_classifier_build_function_in_grid_search(data):
    X, y = data
    X, y = X[:200], y[:200]
    est = KerasImageClassifier(tiny_cnn, model__units=2, **IMG)
    assert est.get_params()["model__units"] == 2
    search = GridSearchCV(
        est, {"model__units": [2, 5]}, cv=2, error_score="raise", refit=False
    )
    BUILD_CALLS.clear()
    search.fit(X, y)
    assert [p["model__units"] for p in search.cv_results_["params"]] == [2, 5]
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    # the routed parameter became the build function's keyword argument
    assert BUILD_CALLS == [
        dict(input_shape=(28, 28, 1), n_classes=10, units=u) for u in (2, 2, 5, 5)
    ]
    assert est.get_params()["model__units"] == 2  # the user's estimator is intact


def test_image_classifier_keras_model_instance_is_never_modified(data):
    X, y = data
    X, y = X[:200], y[:200]
    net = _tiny_net(softmax=True)
    before = [w.copy() for w in net.get_weights()]
    first = KerasImageClassifier(net, **IMG).fit(X, y)
    second = KerasImageClassifier(net, **IMG).fit(X, y)
    _assert_weights_equal(net.get_weights(), before)
    assert first.model_ is not second.model_
    user_vars = {id(v) for v in net.weights}
    for est in (first, second):
        assert not user_vars & {id(v) for v in est.model_.weights}
    # same seed, same (re-initialised) start: the same fit twice
    np.testing.assert_allclose(
        first.predict_proba(X[:20]), second.predict_proba(X[:20]), rtol=1e-5
    )
    # a softmax network gets no extra softmax
    assert not any(layer.name == "proba" for layer in second.model_.layers)


def test_image_classifier_logits_get_a_softmax_and_width_is_checked(data, tmp_path):
    X, y = data
    X, y = X[:200], y[:200]
    clf = KerasImageClassifier(_tiny_net(softmax=False), **IMG).fit(X, y)
    last = clf.model_.layers[-1]
    assert isinstance(last, keras.layers.Activation) and last.name == "proba"
    raw = clf.model_.predict(X[:50], verbose=0)
    assert np.all(raw >= 0)
    np.testing.assert_allclose(raw.sum(axis=1), 1.0, rtol=1e-5)
    proba = clf.predict_proba(X[:50])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # save/load round trip of a network of Keras layers
    loaded = load_model(save_model(clf, tmp_path / "img.skf"))
    assert type(loaded) is KerasImageClassifier
    assert loaded.model is None  # the user's network is not stored
    np.testing.assert_array_equal(loaded.predict_proba(X[:50]), proba)
    assert loaded._fitted_state() == clf._fitted_state()

    def too_wide(input_shape, n_classes):
        return keras.Sequential(
            [keras.Input(input_shape), keras.layers.Flatten(), keras.layers.Dense(3)]
        )

    with pytest.raises(ValueError, match=r"one score\s+per class"):
        KerasImageClassifier(too_wide, **IMG).fit(X, y)


class _UnregisteredScale(keras.layers.Layer):
    def call(self, x):
        return x * 1.0


def test_image_classifier_custom_unregistered_layer_refused_at_save(data, tmp_path):
    X, y = data

    def net(input_shape, n_classes):
        return keras.Sequential(
            [
                keras.Input(input_shape),
                _UnregisteredScale(),
                keras.layers.Flatten(),
                keras.layers.Dense(n_classes),
            ]
        )

    clf = KerasImageClassifier(net, **IMG).fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="register_keras_serializable") as info:
        save_model(clf, tmp_path / "custom.skf")
    assert "_UnregisteredScale" in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: KerasMLPClassifier(hidden_layer_size=(8,)), "hidden_layer_size"),
        (lambda: KerasMLPClassifier(model__units=3), "KerasImageClassifier"),
        (lambda: KerasCNNClassifier(model__filters=3), "KerasImageClassifier"),
        (lambda: KerasImageClassifier(tiny_cnn, unit=3), "'unit'"),
    ],
)
def test_unknown_constructor_kwargs_raise_type_error(make, match):
    with pytest.raises(TypeError, match=match):
        make()


def test_routed_constructor_kwargs_are_accepted():
    clf = KerasMLPClassifier(optimizer__beta_1=0.8, fit__shuffle=False)
    assert clf.get_params()["optimizer__beta_1"] == 0.8
    img = KerasImageClassifier(tiny_cnn, model__units=3)
    assert img.get_params()["model__units"] == 3


# ------------------------------------------------------------- reliability
def _drop_member(path, member):
    with zipfile.ZipFile(path) as zin:
        items = {n: zin.read(n) for n in zin.namelist() if n != member}
    with zipfile.ZipFile(path, "w") as zout:
        for name, blob in items.items():
            zout.writestr(name, blob)


def test_damaged_cache_entry_is_reported_retrained_and_rewritten(
    data, tmp_path, monkeypatch
):
    X, y = data
    X, y = X[:200], y[:200]
    params = dict(**TINY, epochs=1, cache_dir=str(tmp_path))
    first = KerasMLPClassifier(**params).fit(X, y)
    (entry,) = list(tmp_path.iterdir())
    calls = _count_training(monkeypatch)
    for damage in ("garbage", "no_model_member"):
        if damage == "garbage":
            entry.write_bytes(b"\x00not a zip file\xff" * 10)
        else:
            _drop_member(entry, "model.keras")
        with pytest.warns(CacheEntryWarning, match=re.escape(str(entry))):
            second = KerasMLPClassifier(**params).fit(X, y)
        assert len(calls) == 1, damage  # trained again
        calls.clear()
        assert [p.name for p in tmp_path.iterdir()] == [entry.name]  # no temp files
        restored = load_model(entry)  # the entry was overwritten by a good one
        np.testing.assert_array_equal(
            restored.predict_proba(X[:30]), second.predict_proba(X[:30])
        )
        np.testing.assert_allclose(
            second.predict_proba(X[:30]), first.predict_proba(X[:30]), rtol=1e-5
        )
    # and it is a normal cache entry again: no warning, no training
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheEntryWarning)
        KerasMLPClassifier(**params).fit(X, y)
    assert calls == []


def test_cache_key_includes_the_inferred_image_shape(data, tmp_path, monkeypatch):
    X, y = data
    X, y = X[:200], y[:200]
    params = dict(**TINY, epochs=1, cache_dir=str(tmp_path))
    calls = _count_training(monkeypatch)
    wide = KerasMLPClassifier(**params).fit(X.reshape(-1, 14, 56), y)
    assert wide.image_shape_ == (14, 56)
    square = KerasMLPClassifier(**params).fit(X.reshape(-1, 28, 28), y)
    assert len(calls) == 2  # not a cache hit
    assert square.image_shape_ == (28, 28)
    assert len(list(tmp_path.iterdir())) == 2
    square.predict(X[:5].reshape(-1, 28, 28))
    with pytest.raises(ValueError, match=r"\(14, 56\)"):
        wide.predict(X[:5].reshape(-1, 28, 28))
    # the same layout again is a hit
    again = KerasMLPClassifier(**params).fit(X.reshape(-1, 14, 56), y)
    assert len(calls) == 2
    assert again.image_shape_ == (14, 56)


@pytest.mark.parametrize("weights", [{0: -1.0}, {0: 1.0, 3: -0.5}, {1: np.nan}])
def test_negative_class_weight_raises(weights, data):
    X, y = data
    clf = KerasMLPClassifier(**TINY, epochs=1, class_weight=weights)
    with pytest.raises(ValueError, match="class_weight"):
        clf.fit(X[:50], y[:50])
    assert not hasattr(clf, "model_")


@pytest.fixture(scope="module")
def diverged(data, tmp_path_factory):
    """A fit that blows up (learning rate 1e12), with an unused cache_dir."""
    X, y = data
    cache = tmp_path_factory.mktemp("diverged-cache")
    clf = KerasMLPClassifier(
        **TINY, epochs=2, optimizer="sgd", learning_rate=1e12, cache_dir=cache
    )
    try:
        clf.fit(X[:200], y[:200])
    except Exception as exc:  # checked by the tests
        return clf, exc, cache
    return clf, None, cache


@pytest.mark.parametrize("how", ["huge_learning_rate", "huge_inputs"])
def test_diverging_training_raises(how, diverged, data, tmp_path):
    if how == "huge_learning_rate":
        clf, error, cache = diverged
    else:
        X, y = data
        X = np.full((200, X.shape[1]), 1e37, dtype=np.float32)
        cache = tmp_path
        clf = KerasMLPClassifier(**TINY, epochs=2, pixel_range=None, cache_dir=cache)
        with pytest.raises(TrainingDivergedError) as info:
            clf.fit(X, y[:200])
        error = info.value
    assert isinstance(error, TrainingDivergedError)
    assert isinstance(error, ArithmeticError)
    assert "KerasMLPClassifier" in str(error) and "diverged" in str(error)
    assert list(cache.iterdir()) == []  # a diverged fit is never cached


def test_diverged_fit_leaves_no_fitted_network(diverged, data):
    from sklearn.exceptions import NotFittedError

    X, _ = data
    clf, error, _ = diverged
    assert isinstance(error, TrainingDivergedError)
    # "the network diverged and is not returned": the estimator must not
    # look fitted, and must stay picklable (joblib, search results)
    with pytest.raises(NotFittedError):
        clf.predict(X[:5])
    pickle.loads(pickle.dumps(clf))


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
def test_diverging_candidate_gets_nan_in_a_search(data):
    X, y = data
    X, y = X[:200], y[:200]
    clf = KerasMLPClassifier(**TINY, epochs=1, optimizer="sgd")
    search = RandomizedSearchCV(
        clf,
        {"learning_rate": [1e-3, 1e12]},
        n_iter=2,
        cv=ShuffleSplit(n_splits=1, test_size=0.5, random_state=0),
        refit=False,
        random_state=0,
        error_score=np.nan,
    )
    with pytest.warns(FitFailedWarning, match="TrainingDivergedError") as record:
        search.fit(X, y)
    assert any("the network diverged" in str(w.message) for w in record)
    lrs = [p["learning_rate"] for p in search.cv_results_["params"]]
    scores = dict(zip(lrs, search.cv_results_["mean_test_score"], strict=True))
    assert np.isnan(scores[1e12])
    assert np.isfinite(scores[1e-3])
    # the failing fit is the diverging one
    assert sum("the network diverged" in str(w.message) for w in record) == 1


def test_cache_layout_and_schedule_epochs_continuation(data, tmp_path, monkeypatch):
    """Resumable fits (schedule_epochs set) are stored as ``<key>-e<epochs>.skf``
    and a longer fit of the same run continues the longest shorter cut."""
    X, y = data
    X, y = X[:200], y[:200]
    resumable = dict(**TINY, schedule_epochs=3, cache_dir=tmp_path)
    short = KerasMLPClassifier(**resumable, epochs=1).fit(X, y)
    (name,) = [p.name for p in tmp_path.iterdir()]
    match = re.fullmatch(r"([0-9a-f]+)-e1\.skf", name)
    assert match, name
    key = match.group(1)

    calls = _count_training(monkeypatch)
    longer = KerasMLPClassifier(**resumable, epochs=3).fit(X, y)
    assert calls == [(200, 1, 3)]  # epochs 2 and 3 only
    assert longer.n_iter_ == 3 == len(longer.history_["loss"])
    assert longer.history_["loss"][0] == short.history_["loss"][0]
    steps = int(np.ceil(200 / 32))
    assert int(longer.model_.optimizer.iterations) == 3 * steps
    # a cut between two stored ones continues the longest shorter one (e1)
    calls.clear()
    KerasMLPClassifier(**resumable, epochs=2).fit(X, y)
    assert calls == [(200, 1, 2)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{key}-e{e}.skf" for e in (1, 2, 3)
    ]
    # the full length is a plain cache hit
    calls.clear()
    again = KerasMLPClassifier(**resumable, epochs=3).fit(X, y)
    assert calls == []
    np.testing.assert_array_equal(again.predict_proba(X), longer.predict_proba(X))
