"""scikit-learn's estimator checks for the skfashion estimators.

:func:`sklearn.utils.estimator_checks.check_estimator` and
:func:`~sklearn.utils.estimator_checks.parametrize_with_checks` test an
estimator against scikit-learn's conventions on small tabular data sets:
2-D arrays of 1 to 30 features, often with negative values. Two things make
these checks meaningful for skfashion's Keras image classifiers:

- :func:`fast_check_settings` gives a copy of an estimator that takes flat
  input of any number of features, as a one-pixel-high image, and trains a
  tiny version of its network for 2 epochs, so that the ~60 checks finish in
  a few minutes;
- :func:`expected_failed_checks` names the few checks that cannot pass, with
  the reason of each, in the form both scikit-learn functions accept.

Without the first, :class:`~skfashion.models.KerasCNNClassifier` and
:class:`~skfashion.models.KerasImageClassifier` fail most checks on the
image shape alone: without ``image_shape`` they take flat input as square
images, and refuse 3 features.

Examples
--------
>>> from sklearn.utils.estimator_checks import check_estimator
>>> from skfashion.estimator_checks import expected_failed_checks, fast_check_settings
>>> from skfashion.models import KerasCNNClassifier
>>> est = fast_check_settings(KerasCNNClassifier())
>>> check_estimator(  # doctest: +SKIP
...     est, expected_failed_checks=expected_failed_checks(est)
... )
"""

import inspect
import warnings
from numbers import Integral

from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import has_fit_parameter

from ._sklearn_privates import InvalidParameterError, validate_parameter_constraints
from .models._base import _BaseImageClassifier
from .models._input import PIXEL_TOPS

__all__ = ["expected_failed_checks", "fast_check_settings"]

#: Why each check cannot pass, by check name. Which of them apply to an
#: estimator is decided by :func:`expected_failed_checks` from the cause
#: itself, so that an entry goes away once its cause is fixed.
_REASONS = {
    "check_estimator_tags_renamed": (
        "SciKeras' BaseWrapper, a base class of every skfashion estimator, "
        "defines the pre-1.6 _more_tags and no __sklearn_tags__; the check "
        "refuses that in any class of the MRO. skfashion's classes define "
        "__sklearn_tags__, which is what get_tags reads, so the tags "
        "themselves are right; only SciKeras can remove the legacy method."
    ),
    "check_mixin_order": (
        "SciKeras' KerasClassifier, the base class of every skfashion "
        "estimator, lists ClassifierMixin after BaseEstimator; a subclass "
        "cannot put it first (Python refuses the inconsistent MRO). "
        "__sklearn_tags__ sets estimator_type='classifier' instead, so "
        "is_classifier() is True."
    ),
    "check_do_not_raise_errors_in_init_or_set_params": (
        "The check passes a keyword named after the **kwargs of __init__, "
        "which takes only routed Keras parameters (optimizer__beta_1=...). "
        "skfashion refuses any other keyword when the estimator is created, "
        "so that a misspelt parameter fails at once rather than at fit."
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "Training is mini-batch gradient descent on shuffled batches: a "
        "sample of weight 2 is not the same optimisation path as the sample "
        "repeated, nor weight 0 as the sample removed, since the number, "
        "size and content of the batches change, and with them the "
        "batch-normalisation statistics and dropout masks; the predicted "
        "probabilities differ far beyond the check's 1e-7 tolerance."
    ),
}

#: Each sample is a one-pixel-high image of as many pixels as it has
#: features: any flat input fits.
_ANY_WIDTH = (1, -1)
#: Widths of the tiny networks of :func:`fast_check_settings`.
_TINY_CONV_FILTERS = 4
_TINY_DENSE_UNITS = 8
_TINY_HIDDEN_UNITS = 16
_FAST_EPOCHS = 2
_FAST_BATCH_SIZE = 256


class _LinearNetwork:
    """The smallest network for KerasImageClassifier: flatten, then logits.

    A callable object rather than a function, so that its repr, and with it
    the ids of ``parametrize_with_checks``, is the same in every process.
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
        return "LinearNetwork()"


def _check_skfashion_estimator(estimator, caller):
    if isinstance(estimator, type):
        raise TypeError(
            f"{caller} takes an estimator instance, got the class "
            f"{estimator.__name__}: pass {estimator.__name__}()."
        )
    if not isinstance(estimator, _BaseImageClassifier):
        raise TypeError(
            f"{caller} describes skfashion's estimators "
            "(skfashion.models.KerasCNNClassifier, KerasMLPClassifier, "
            f"KerasImageClassifier), got {type(estimator).__name__}."
        )


def _needs_image_shape(estimator):
    return bool(getattr(type(estimator), "_needs_image_shape", False))


def _takes_any_feature_count(estimator):
    """Whether flat input of any number of features reaches the network."""
    shape = estimator.image_shape
    if shape is None:
        return not _needs_image_shape(estimator)
    return tuple(shape) in ((1, -1), (-1, 1))


def _legacy_tags_only(cls):
    """Whether a class of ``cls``' MRO defines legacy tags and no new ones."""
    return any(
        ("_more_tags" in vars(klass) or "_get_tags" in vars(klass))
        and "__sklearn_tags__" not in vars(klass)
        for klass in cls.mro()
    )


def _classifier_mixin_after_base_estimator(cls):
    mro = cls.mro()
    return (
        ClassifierMixin in mro
        and BaseEstimator in mro
        and mro.index(ClassifierMixin) > mro.index(BaseEstimator)
    )


def _refuses_var_keyword_name(cls):
    """Whether ``cls(<name of its **kwargs>=...)`` raises, as the check does."""
    var_keyword = [
        name
        for name, param in inspect.signature(cls).parameters.items()
        if param.kind is inspect.Parameter.VAR_KEYWORD
    ]
    if not var_keyword:
        return False
    try:
        cls(**{var_keyword[0]: None})
    except TypeError:
        return True
    return False


def expected_failed_checks(estimator):
    """The scikit-learn checks that an skfashion estimator cannot pass.

    Pass the result as ``expected_failed_checks`` to
    :func:`sklearn.utils.estimator_checks.check_estimator`, or the function
    itself to :func:`~sklearn.utils.estimator_checks.parametrize_with_checks`.
    Each entry is listed only while its cause is there, so the list stays
    as short as the installed SciKeras and skfashion allow:

    - ``check_estimator_tags_renamed`` and ``check_mixin_order``: SciKeras'
      base classes, which a subclass cannot change, declare the legacy
      ``_more_tags`` and put ``ClassifierMixin`` after ``BaseEstimator``;
    - ``check_do_not_raise_errors_in_init_or_set_params``: unknown keyword
      arguments are refused when the estimator is created, and the check
      passes one named ``kwargs``;
    - ``check_sample_weight_equivalence_on_dense_data``: mini-batch training
      cannot make a weight of 2 the same as a repeated sample.

    The checks feed 2-D arrays of 1 to 30 features. An estimator that cannot
    take them (:class:`~skfashion.models.KerasCNNClassifier` and
    :class:`~skfashion.models.KerasImageClassifier` infer a square image
    without ``image_shape``) fails most checks for that reason alone; those
    failures are not listed here, since they say nothing about the
    estimator's API. A warning points to :func:`fast_check_settings`
    instead.

    Parameters
    ----------
    estimator : estimator object
        An instance of an skfashion estimator; its parameters do not change
        the list.

    Returns
    -------
    expected_failed_checks : dict of str to str
        ``{check name: reason}`` for each check expected to fail.

    Warns
    -----
    UserWarning
        When ``estimator`` cannot take flat input of any number of features,
        because of its ``image_shape``.

    See Also
    --------
    fast_check_settings : A copy of an estimator that the checks can train
        quickly.

    Examples
    --------
    >>> from skfashion.estimator_checks import expected_failed_checks
    >>> from skfashion.models import KerasMLPClassifier
    >>> failed = expected_failed_checks(KerasMLPClassifier())
    >>> for name in sorted(failed):
    ...     print(name)
    check_do_not_raise_errors_in_init_or_set_params
    check_estimator_tags_renamed
    check_mixin_order
    check_sample_weight_equivalence_on_dense_data
    >>> print(failed["check_mixin_order"])
    SciKeras' KerasClassifier, the base class of every skfashion estimator, ...

    With :func:`~sklearn.utils.estimator_checks.parametrize_with_checks`
    in a test module:

    >>> from sklearn.utils.estimator_checks import parametrize_with_checks
    >>> from skfashion.estimator_checks import fast_check_settings
    >>> @parametrize_with_checks(
    ...     [fast_check_settings(KerasMLPClassifier())],
    ...     expected_failed_checks=expected_failed_checks,
    ... )
    ... def test_sklearn_compatible_estimator(estimator, check):
    ...     check(estimator)
    """
    _check_skfashion_estimator(estimator, "expected_failed_checks")
    cls = type(estimator)
    failed = {}
    if _legacy_tags_only(cls):
        failed["check_estimator_tags_renamed"] = _REASONS[
            "check_estimator_tags_renamed"
        ]
    if _classifier_mixin_after_base_estimator(cls):
        failed["check_mixin_order"] = _REASONS["check_mixin_order"]
    if _refuses_var_keyword_name(cls):
        failed["check_do_not_raise_errors_in_init_or_set_params"] = _REASONS[
            "check_do_not_raise_errors_in_init_or_set_params"
        ]
    if has_fit_parameter(estimator, "sample_weight"):
        failed["check_sample_weight_equivalence_on_dense_data"] = _REASONS[
            "check_sample_weight_equivalence_on_dense_data"
        ]
    if not _takes_any_feature_count(estimator):
        warnings.warn(
            f"{cls.__name__}(image_shape={estimator.image_shape!r}) cannot take "
            "the 2-D arrays of 1 to 30 features that scikit-learn's checks "
            "feed, so most checks will fail on the image shape alone. Check "
            "fast_check_settings(estimator), or set image_shape=(1, -1): each "
            "sample as a one-pixel-high image.",
            UserWarning,
            stacklevel=2,
        )
    return failed


def fast_check_settings(estimator):
    """A copy of ``estimator`` that scikit-learn's checks can train quickly.

    scikit-learn's checks fit an estimator a few hundred times on tabular
    data: 2-D arrays of 1 to 30 features, often with negative values. The
    copy differs from ``estimator`` only where the checks need it:

    - ``image_shape=(1, -1)`` for the estimators that need an image
      (:class:`~skfashion.models.KerasCNNClassifier`,
      :class:`~skfashion.models.KerasImageClassifier`) and wherever
      ``image_shape`` was set: each sample becomes a one-pixel-high image
      with one pixel per feature, whatever the number of features. Without
      it the CNN would infer a square image, and refuses 3 features;
    - a fixed ``pixel_range`` (``"0-255"``, ...) becomes ``"auto"``: the
      checks' values are features, not pixels on one scale, and ``"auto"``
      takes them as given;
    - the same network with tiny widths: 4 filters per convolution and 8
      dense units for the CNN, 16 units per hidden layer for the MLP, as
      many layers as before; ``KerasImageClassifier`` keeps its network,
      or gets a linear one (flatten, then one logit per class) if it has
      none;
    - ``epochs=2`` and ``batch_size=256``: at most two optimizer steps per
      epoch on the checks' data sets of up to 300 samples (the number of
      steps, not the network, sets the time of these fits);
    - ``random_state=0`` unless one is set, so that a run can be repeated,
      and ``cache_dir=None``, so that the checks' fits leave no files.

    Everything else (optimizer, schedule, batch normalisation, augmentation,
    ``tta``, class weights, early stopping) stays as set, and is checked.

    Parameters
    ----------
    estimator : estimator object
        An instance of an skfashion estimator; it is not modified.

    Returns
    -------
    fast_estimator : estimator object
        An unfitted copy of ``estimator`` with the settings above.

    See Also
    --------
    expected_failed_checks : The checks that cannot pass, with their reasons.

    Notes
    -----
    The checks' fits are on a few dozen samples, so tracing TensorFlow's
    training step costs more than the training: with
    ``tf.config.run_functions_eagerly(True)`` around the checks, each fit
    takes about half the time.

    Examples
    --------
    >>> from skfashion.estimator_checks import fast_check_settings
    >>> from skfashion.models import KerasCNNClassifier, KerasImageClassifier
    >>> fast_check_settings(KerasCNNClassifier())
    KerasCNNClassifier(batch_size=256, conv_filters=(4, 4), dense_units=8, epochs=2,
                       image_shape=(1, -1), random_state=0)
    >>> fast_check_settings(KerasImageClassifier())
    KerasImageClassifier(batch_size=256, epochs=2, image_shape=(1, -1),
                         model=LinearNetwork(), random_state=0)

    Running every check takes a few minutes:

    >>> from sklearn.utils.estimator_checks import check_estimator
    >>> from skfashion.estimator_checks import expected_failed_checks
    >>> est = fast_check_settings(KerasCNNClassifier())
    >>> check_estimator(  # doctest: +SKIP
    ...     est, expected_failed_checks=expected_failed_checks(est)
    ... )
    """
    _check_skfashion_estimator(estimator, "fast_check_settings")
    _check_valid_widths(estimator)
    params = estimator.get_params(deep=False)
    settings = {
        "epochs": _FAST_EPOCHS,
        "batch_size": _FAST_BATCH_SIZE,
        "cache_dir": None,
    }
    if params["random_state"] is None:
        settings["random_state"] = 0
    if _needs_image_shape(estimator) or params["image_shape"] is not None:
        settings["image_shape"] = _ANY_WIDTH
    if params["pixel_range"] in PIXEL_TOPS:
        settings["pixel_range"] = "auto"
    settings.update(_tiny_network(estimator, params))
    return clone(estimator).set_params(**settings)


#: The parameters _tiny_network shrinks, keeping their length.
_WIDTHS = ("conv_filters", "dense_units", "hidden_layer_sizes")


def _check_valid_widths(estimator):
    """Refuse widths of ``estimator``'s network that its own fit would refuse.

    The tiny network keeps the depth of ``estimator``'s, so its widths must
    be valid (a tuple or list of layer widths) before they can be shrunk.
    """
    params = estimator.get_params(deep=False)
    constraints = getattr(estimator, "_parameter_constraints", {})
    names = [name for name in _WIDTHS if name in params and name in constraints]
    try:
        validate_parameter_constraints(
            {name: constraints[name] for name in names},
            {name: params[name] for name in names},
            caller_name=type(estimator).__name__,
        )
    except InvalidParameterError as exc:
        raise InvalidParameterError(
            f"fast_check_settings: {exc} Give the estimator a valid value "
            "(see its docstring) before making the fast copy."
        ) from None


def _tiny_network(estimator, params):
    """The parameters that shrink ``estimator``'s network, depth kept."""
    if "conv_filters" in params:
        dense = params["dense_units"]
        return {
            "conv_filters": (_TINY_CONV_FILTERS,) * max(1, len(params["conv_filters"])),
            "dense_units": _TINY_DENSE_UNITS
            if isinstance(dense, Integral)
            else (_TINY_DENSE_UNITS,) * len(dense),
        }
    if "hidden_layer_sizes" in params:
        return {
            "hidden_layer_sizes": (_TINY_HIDDEN_UNITS,)
            * len(params["hidden_layer_sizes"])
        }
    if "model" in params and params["model"] is None:
        return {"model": _LinearNetwork()}
    return {}
