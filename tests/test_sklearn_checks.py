"""scikit-learn's estimator checks over every public estimator."""

import pytest
import tensorflow as tf
from sklearn.utils.estimator_checks import parametrize_with_checks

from skfashion.models import (
    KerasCNNClassifier,
    KerasImageClassifier,
    KerasMLPClassifier,
)


class LinearNet:
    """The smallest user network: flatten, then one logit per class.

    A callable object rather than a function so that its repr, and with it
    the test ids, is the same in every process (pytest-xdist compares them).
    """

    def __call__(self, input_shape, n_classes):
        import keras

        return keras.Sequential(
            [
                keras.Input(input_shape),
                keras.layers.Flatten(),
                keras.layers.Dense(n_classes),
            ]
        )

    def __repr__(self):
        return "LinearNet()"


# Tiny networks keep the ~60 checks per estimator fast. The check data are
# tabular blobs with negative values and arbitrary feature counts, so the pixel
# checks are off (pixel_range=None) and the CNN sees each sample as a
# 1-pixel-high image.
TINY = dict(
    epochs=2, batch_size=32, learning_rate=0.01, pixel_range=None, random_state=0
)
ESTIMATORS = [
    KerasCNNClassifier(conv_filters=(4,), dense_units=8, image_shape=(1, -1), **TINY),
    KerasMLPClassifier(hidden_layer_sizes=(16,), **TINY),
    KerasImageClassifier(LinearNet(), image_shape=(1, -1), **TINY),
]

# The same for both estimators: each comes from SciKeras' KerasClassifier,
# which the estimators build on and which cannot be changed from a subclass.
EXPECTED_FAILURES = {
    "check_estimator_tags_renamed": (
        "SciKeras' BaseWrapper defines the legacy _more_tags; our classes "
        "define __sklearn_tags__, which is what get_tags uses, but the check "
        "inspects every class in the MRO."
    ),
    "check_mixin_order": (
        "SciKeras' KerasClassifier lists ClassifierMixin after BaseEstimator; "
        "putting it first in a subclass is an MRO error. __sklearn_tags__ sets "
        "estimator_type='classifier' instead, so is_classifier() is True."
    ),
    "check_do_not_raise_errors_in_init_or_set_params": (
        "The check passes a parameter named after **kwargs. skfashion refuses "
        "unknown keyword arguments when the estimator is created (as skorch "
        "does), so that a misspelt parameter fails at once, not at fit."
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "Mini-batch SGD: weighting a sample by 2 is not the same optimisation "
        "path as repeating it, since batches and their sizes differ."
    ),
}


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
    ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILURES
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
