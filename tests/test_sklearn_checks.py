"""scikit-learn's estimator checks over every public estimator.

The settings and the expected failures come from the public
:mod:`skfashion.estimator_checks`, so that users run the same checks.
"""

import functools
import inspect

import pytest
import tensorflow as tf
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import (
    estimator_checks_generator,
    parametrize_with_checks,
)

from skfashion import models
from skfashion.estimator_checks import expected_failed_checks, fast_check_settings
from skfashion.models import (
    KerasCNNClassifier,
    KerasImageClassifier,
    KerasMLPClassifier,
)
from skfashion.models._base import _BaseImageClassifier

#: Every public estimator class of skfashion.models, with its defaults.
ESTIMATOR_CLASSES = [
    obj
    for obj in map(functools.partial(getattr, models), models.__all__)
    if isinstance(obj, type) and issubclass(obj, _BaseImageClassifier)
]
ESTIMATORS = [fast_check_settings(cls()) for cls in ESTIMATOR_CLASSES]

# Strict: a listed check that passes fails the test, so that the published
# list never claims a failure that does not happen (scikit-learn >= 1.8).
STRICT = (
    {"xfail_strict": True}
    if "xfail_strict" in inspect.signature(parametrize_with_checks).parameters
    else {}
)

#: Listed checks that train networks: the strict xfail above shows that
#: they fail; test_listed_check_fails_without_its_entry runs the others.
TRAINING_CHECKS = {"check_sample_weight_equivalence_on_dense_data"}


@pytest.fixture(autouse=True, scope="module")
def _eager_training():
    """Run the checks' many tiny fits eagerly.

    The checks test the scikit-learn API, not TensorFlow's graph mode (the
    other test modules do); tracing the train step costs more than training
    a few dozen samples, so eager execution halves the time of each fit.
    """
    previous = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(True)
    try:
        yield
    finally:
        tf.config.run_functions_eagerly(previous)


@pytest.mark.filterwarnings("ignore:Even though the:UserWarning")
@parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=expected_failed_checks, **STRICT
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_every_estimator_is_checked():
    assert {type(est) for est in ESTIMATORS} >= {
        KerasCNNClassifier,
        KerasMLPClassifier,
        KerasImageClassifier,
    }


def _check_name(check):
    while not hasattr(check, "__name__"):
        check = check.func
    return check.__name__


def _checks_run(estimator):
    """Each check that scikit-learn runs on ``estimator``, by name."""
    return {
        _check_name(check): check for _, check in estimator_checks_generator(estimator)
    }


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda est: type(est).__name__)
def test_every_expected_failure_has_a_reason(estimator):
    failed = expected_failed_checks(estimator)
    assert failed, "SciKeras' base classes alone make some checks fail"
    run = _checks_run(estimator)
    for name, reason in failed.items():
        assert name in run, f"{name} is not a check the installed scikit-learn runs"
        assert isinstance(reason, str) and len(reason.split()) >= 15, name


@pytest.mark.parametrize(
    "estimator, name",
    [
        (est, name)
        for est in ESTIMATORS
        for name in sorted(expected_failed_checks(est))
        if name not in TRAINING_CHECKS
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_listed_check_fails_without_its_entry(estimator, name):
    check = _checks_run(estimator)[name]
    with pytest.raises((AssertionError, TypeError, ValueError)):
        check(estimator)


def test_expected_failed_checks_warns_when_the_data_cannot_fit():
    with pytest.warns(UserWarning, match=r"image_shape=\(1, -1\)"):
        failed = expected_failed_checks(KerasCNNClassifier())
    # The image shape is not the estimator's failure: nothing more is listed.
    assert failed == expected_failed_checks(fast_check_settings(KerasCNNClassifier()))
    with pytest.warns(UserWarning, match="image_shape"):
        expected_failed_checks(KerasMLPClassifier(image_shape=(28, 28)))


def test_expected_failed_checks_refuses_other_estimators():
    with pytest.raises(TypeError, match="skfashion"):
        expected_failed_checks(LogisticRegression())
    with pytest.raises(TypeError, match=r"KerasMLPClassifier\(\)"):
        expected_failed_checks(KerasMLPClassifier)
    with pytest.raises(TypeError, match="skfashion"):
        fast_check_settings(LogisticRegression())


def test_fast_check_settings_changes_only_what_the_checks_need():
    user = KerasMLPClassifier(
        hidden_layer_sizes=(64, 32),
        activation=("relu", "tanh"),
        pixel_range="0-255",
        random_state=7,
        optimizer="sgd",
        image_shape=(28, 28),
        tta="flip",
    )
    before = user.get_params()
    fast = fast_check_settings(user)
    assert user.get_params() == before
    assert fast is not user
    params = fast.get_params()
    assert params["hidden_layer_sizes"] == (16, 16)  # depth kept, per-layer
    assert params["activation"] == ("relu", "tanh")  # activations still fit
    assert params["image_shape"] == (1, -1)
    assert params["pixel_range"] == "auto"
    assert params["random_state"] == 7
    assert params["optimizer"] == "sgd"
    assert params["tta"] == "flip"
    assert (params["epochs"], params["batch_size"]) == (2, 256)

    cnn = fast_check_settings(KerasCNNClassifier(conv_filters=(8, 16, 32)))
    assert cnn.conv_filters == (4, 4, 4) and cnn.image_shape == (1, -1)
    assert fast_check_settings(KerasMLPClassifier()).image_shape is None

    def net(input_shape, n_classes):  # pragma: no cover - never built
        raise AssertionError

    assert fast_check_settings(KerasImageClassifier(net)).model is net
    assert fast_check_settings(KerasImageClassifier()).model is not None
