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
    "BaseSearchCV",
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "_check_feature_names",
    "_check_sample_weight",
    "validate_parameter_constraints",
    "validate_params",
]
