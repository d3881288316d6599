"""scikit-learn's private names that skfashion uses, in one place.

Every name that skfashion takes from a private scikit-learn module (or that
is private in a public one) is imported here, with the reason it is used,
and imported by the rest of skfashion from here. When scikit-learn moves or
changes one, this is the one file to fix; ``tests/test_private_names.py``
checks that each still exists with the signature skfashion calls, and that
no other module imports a scikit-learn private.
"""

# The base class of GridSearchCV and RandomizedSearchCV:
# HalvingEpochsSearchCV (skfashion.model_selection) subclasses it, as
# scikit-learn's own HalvingGridSearchCV does. Only in the private module.
from sklearn.model_selection._search import BaseSearchCV

# Parameter validation, as scikit-learn's own estimators and functions do it:
# the constraint classes give the same error messages as scikit-learn's
# (``InvalidParameterError``, a ValueError and TypeError), which users and
# search tools already know. No public equivalent exists.
from sklearn.utils._param_validation import (
    HasMethods,  # a constraint: an object with the given methods
    Interval,  # a constraint: a number in a range
    InvalidParameterError,  # the error scikit-learn raises for a bad parameter
    StrOptions,  # a constraint: one of some strings
    validate_parameter_constraints,  # checks parameters against constraints
    validate_params,  # decorator: checks a public function's arguments
)

# ``_check_feature_names`` sets ``feature_names_in_`` in fit and warns or
# raises at predict exactly as scikit-learn's estimators do. Its public
# wrapper ``validate_data`` would also reset ``n_features_in_`` from 3-D
# image input, which skfashion accepts and flattens itself.
# ``_check_sample_weight`` turns ``sample_weight`` into a checked float
# array (non-negative, one per sample), as scikit-learn's fit methods do.
from sklearn.utils.validation import _check_feature_names, _check_sample_weight

__all__ = [
    "HAS_SKLEARN_CALLBACKS",
    "BaseSearchCV",
    "CallbackSupportMixin",
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "_check_feature_names",
    "_check_sample_weight",
    "fit_callback_context",
    "init_callback_context",
    "validate_parameter_constraints",
    "validate_params",
    "with_callbacks",
]

# scikit-learn's experimental callback API (``sklearn.callback``, 1.9 on):
# found by feature detection, not by version. ``CallbackSupportMixin`` and
# ``with_callbacks`` are public; without the API they are stand-ins that add
# nothing, and the estimators have no ``set_callbacks``.
try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # scikit-learn without the callback API
    HAS_SKLEARN_CALLBACKS = False

    class CallbackSupportMixin:
        """Stand-in for ``sklearn.callback.CallbackSupportMixin``: no methods."""

    def with_callbacks(method):
        """Stand-in for ``sklearn.callback.with_callbacks``: ``method`` itself."""
        return method

else:
    HAS_SKLEARN_CALLBACKS = True


def init_callback_context(estimator, *, task_name, max_subtasks):
    """The root callback context of a fit of ``estimator``.

    ``CallbackSupportMixin._init_callback_context`` is private, but it is
    the documented way for an estimator of another package to open its
    fit's task tree (scikit-learn's own estimators call it at the start of
    ``fit``); the callbacks given by ``set_callbacks`` are set up there.
    """
    return estimator._init_callback_context(
        task_name=task_name, max_subtasks=max_subtasks
    )


def fit_callback_context(estimator):
    """The callback context of ``estimator``'s running fit, or None.

    ``_init_callback_context`` keeps it as ``_callback_fit_ctx`` until the
    teardown that ``with_callbacks`` runs at the end of the fit; read here,
    deep inside the fit (each Keras epoch becomes a subtask of it), rather
    than copied to an attribute of skfashion's that a failed fit could
    leave behind.
    """
    return getattr(estimator, "_callback_fit_ctx", None)
