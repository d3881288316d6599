"""partial_fit: one epoch per call, continuing the network.

Tiny networks (a 16-unit MLP, a 4-filter convolution) for 1-3 epochs on 300
images of the bundled sample.
"""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

from skfashion.exceptions import TrainingDivergedError
from skfashion.models import (
    KerasCNNClassifier,
    KerasMLPClassifier,
    load_model,
    save_model,
)

CLASSES = np.arange(10)


def _mlp(**params):
    return KerasMLPClassifier(
        **{"hidden_layer_sizes": (16,), "epochs": 3, "random_state": 0, **params}
    )


def _cnn(**params):
    return KerasCNNClassifier(
        **{
            "conv_filters": (4,),
            "dense_units": 8,
            "epochs": 3,
            "random_state": 0,
            **params,
        }
    )


@pytest.fixture(scope="module")
def data(sample):
    X, y = sample
    return X[:300], y[:300]


def _weights(est):
    return [w.copy() for w in est.model_.get_weights()]


def test_partial_fit_is_advertised():
    # scikit-learn and the searchers look for the method itself.
    assert hasattr(_mlp(), "partial_fit")
    assert hasattr(_cnn(), "partial_fit")


def test_each_call_trains_one_epoch_and_continues(data):
    X, y = data
    est = _mlp()
    assert est.partial_fit(X, y, classes=CLASSES) is est
    first = _weights(est)
    steps = int(est.model_.optimizer.iterations)
    assert est.n_iter_ == 1 and len(est.history_["loss"]) == 1
    est.partial_fit(X, y)
    assert est.n_iter_ == 2 and len(est.history_["loss"]) == 2
    # The same optimizer goes on counting its steps (and so its schedule).
    assert int(est.model_.optimizer.iterations) == 2 * steps
    pairs = zip(first, _weights(est), strict=True)
    assert any(not np.array_equal(a, b) for a, b in pairs)
    # Later calls may repeat the classes.
    est.partial_fit(X, y, classes=CLASSES[::-1])
    assert est.n_iter_ == 3
    np.testing.assert_array_equal(est.classes_, CLASSES)


@pytest.mark.parametrize("make", [_mlp, _cnn], ids=["mlp", "cnn"])
def test_k_calls_equal_a_fit_of_k_epochs(make, data):
    # Same data order per epoch, same schedule position, same dropout and
    # augmentation draws: the same network, to the bit, on CPU.
    X, y = data
    fitted = make(epochs=3).fit(X, y)
    partial = make(epochs=3)
    for _ in range(3):
        partial.partial_fit(X, y, classes=CLASSES)
    assert partial.history_["loss"] == fitted.history_["loss"]
    np.testing.assert_array_equal(partial.predict_proba(X), fitted.predict_proba(X))


def test_classes_are_required_on_the_first_call(data):
    X, y = data
    est = _mlp()
    with pytest.raises(ValueError, match=r"classes must be passed on the first call"):
        est.partial_fit(X, y)
    assert not hasattr(est, "model_")


def test_labels_outside_classes_are_refused(data):
    X, y = data
    with pytest.raises(ValueError, match=r"labels \[9\] that are not in classes"):
        _mlp().partial_fit(X, y, classes=np.arange(9))
    est = _mlp().partial_fit(X, y, classes=CLASSES)
    with pytest.raises(ValueError, match="is not the same as the classes"):
        est.partial_fit(X, y, classes=np.arange(11))
    with pytest.raises(ValueError, match="cannot be the classes"):
        _mlp().partial_fit(X, y, classes=[3])


def test_a_call_may_hold_one_class_and_later_calls_all(data):
    X, y = data
    one = y == 3
    est = _mlp().partial_fit(X[one], y[one], classes=CLASSES)
    assert est.predict_proba(X[:2]).shape == (2, 10)
    est.partial_fit(X, y)
    assert est.n_iter_ == 2


def test_set_params_that_change_the_network_start_a_new_one(data):
    X, y = data
    est = _mlp().partial_fit(X, y, classes=CLASSES)
    # What each call reads afresh keeps the network.
    est.set_params(verbose=0, tta=None, early_stopping=True)
    est.partial_fit(X, y)
    assert est.n_iter_ == 2
    est.set_params(hidden_layer_sizes=(8,))
    with pytest.raises(ValueError, match=r"changed hidden_layer_sizes.*Pass classes="):
        est.partial_fit(X, y)
    est.partial_fit(X, y, classes=CLASSES)
    assert est.n_iter_ == 1
    assert [layer.units for layer in est.model_.layers if hasattr(layer, "units")] == [
        8,
        10,
    ]
    # Under the constant schedule epochs is per call.
    const = _mlp(lr_schedule="constant").partial_fit(X, y, classes=CLASSES)
    const.set_params(epochs=7)
    const.partial_fit(X, y)
    assert const.n_iter_ == 2


def test_partial_fit_continues_a_fit_and_a_loaded_model(data, tmp_path):
    X, y = data
    # The cosine schedule spans 10 epochs: the fit's 3, then 3 calls.
    est = _mlp(schedule_epochs=10).fit(X, y)
    est.partial_fit(X, y)
    assert est.n_iter_ == 4
    path = tmp_path / "m.skf"
    save_model(est, path)
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict_proba(X), est.predict_proba(X), atol=1e-6)
    assert loaded.n_iter_ == 4
    loaded.partial_fit(X, y)
    assert loaded.n_iter_ == 5 and len(loaded.history_["loss"]) == 5
    copy = pickle.loads(pickle.dumps(loaded))
    copy.partial_fit(X, y)
    assert copy.n_iter_ == 6


def test_features_must_stay_the_same(data):
    X, y = data
    est = _mlp().partial_fit(X, y, classes=CLASSES)
    with pytest.raises(ValueError, match="X has 783 features"):
        est.partial_fit(X[:, :-1], y)


def test_refused_settings_name_the_fix(data):
    X, y = data
    with pytest.raises(ValueError, match="lr_schedule='plateau'.*'constant'"):
        _mlp(lr_schedule="plateau").partial_fit(X, y, classes=CLASSES)
    with pytest.raises(ValueError, match="'balanced'.*compute_class_weight"):
        _mlp(class_weight="balanced").partial_fit(X, y, classes=CLASSES)
    weights = compute_class_weight("balanced", classes=CLASSES, y=y)
    est = _mlp(class_weight=dict(zip(CLASSES.tolist(), weights, strict=True)))
    est.partial_fit(X, y, classes=CLASSES, sample_weight=np.ones(len(y)))
    assert est.n_iter_ == 1


def test_calls_past_the_cosine_schedule_warn_once(data):
    X, y = data
    est = _mlp(epochs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.partial_fit(X, y, classes=CLASSES)
    before = _weights(est)
    with pytest.warns(UserWarning, match="past the cosine learning-rate schedule"):
        est.partial_fit(X, y)
    # The schedule's final rate is 0: the weights stay (batch-norm moving
    # statistics aside, which are no weights of the optimizer).
    after = _weights(est)
    for var, a, b in zip(est.model_.weights, before, after, strict=True):
        if var.trainable:
            np.testing.assert_array_equal(a, b)


def test_early_stopping_and_validation_are_ignored(data):
    X, y = data
    est = _mlp(early_stopping=True, patience=1).partial_fit(X, y, classes=CLASSES)
    assert "val_loss" not in est.history_
    est.partial_fit(X, y)
    assert est.n_iter_ == 2


def test_a_failed_call_leaves_no_fitted_state(data):
    X, y = data
    est = _mlp(pixel_range=None).partial_fit(X, y, classes=CLASSES)
    huge = np.full(X.shape, 1e37, dtype=np.float32)
    with pytest.raises(TrainingDivergedError):
        est.partial_fit(huge, y)
    assert not hasattr(est, "model_") and not hasattr(est, "classes_")
    pickle.loads(pickle.dumps(est))
