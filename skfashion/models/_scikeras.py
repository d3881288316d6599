"""SciKeras, in one place: the only module of skfashion that imports it.

The estimators subclass SciKeras' ``KerasClassifier`` and lean on some of
its private methods and attributes. Each one is listed in
:data:`PRIVATE_NAMES` with what skfashion does with it;
``tests/test_private_names.py`` checks every entry against the installed
SciKeras (the name exists, a method has the parameters recorded here, an
attribute is still set and read where recorded), so that a SciKeras release
that changes one fails there, loudly, rather than somewhere in a fit.
"""

from numbers import Integral

import numpy as np
from scikeras.wrappers import BaseWrapper, KerasClassifier
from sklearn import config_context

__all__ = [
    "PRIVATE_NAMES",
    "KerasClassifier",
    "restore_wrapper_state",
    "wrapper_fit",
]

#: The parameters of BaseWrapper._fit and _fit_keras_model.
_FIT_SIGNATURE = (
    "self",
    "X",
    "y",
    "sample_weight",
    "warm_start",
    "epochs",
    "initial_epoch",
    "**kwargs",
)

#: Every private SciKeras name skfashion relies on: ``(owner, name)`` to
#: ``(kind, detail, why)``. ``kind`` is "method" (``detail``: its parameter
#: names, ``*``/``**`` marking variadic ones), "attribute" (``detail``: the
#: SciKeras methods that set it and read it), "property" or "class
#: attribute".
PRIVATE_NAMES = {
    ("BaseWrapper", "fit"): (
        "method",
        ("self", "X", "y", "sample_weight", "**kwargs"),
        "Public, but called directly (wrapper_fit) to skip KerasClassifier.fit, "
        "which multiplies class_weight into sample_weight in place and resets "
        "classes_; skfashion weighs classes itself.",
    ),
    ("BaseWrapper", "_fit"): (
        "method",
        _FIT_SIGNATURE,
        "What BaseWrapper.fit calls: builds the network unless warm_start "
        "keeps it, encodes X and y, then calls _fit_keras_model.",
    ),
    ("BaseWrapper", "_fit_keras_model"): (
        "method",
        _FIT_SIGNATURE,
        "Overridden: feeds Keras one shuffled pipeline (or memmap batches), "
        "adds skfashion's callbacks, then calls SciKeras' version, which runs "
        "keras.Model.fit and keeps history_.",
    ),
    ("BaseWrapper", "_build_keras_model"): (
        "method",
        ("self",),
        "Overridden: SciKeras' version dispatches on its model parameter, "
        "which in skfashion is KerasImageClassifier's network; skfashion "
        "builds and compiles the network itself.",
    ),
    ("BaseWrapper", "_initialize"): (
        "method",
        ("self", "X", "y"),
        "Called by _fit for a new network: sets _random_state, the encoders "
        "and their metadata, model_ (through _build_keras_model) and the "
        "callback lists.",
    ),
    ("BaseWrapper", "_get_metadata"): (
        "method",
        ("self",),
        "The fitted attributes (n_features_in_, n_classes_, ...) passed to "
        "the network builder as meta.",
    ),
    ("BaseWrapper", "_get_param_names"): (
        "method",
        ("self",),
        "SciKeras lists instance attributes as parameters; skfashion keeps "
        "its fixed SciKeras settings as class attributes so that they are not "
        "parameters, and stores routed parameters as instance attributes.",
    ),
    ("KerasClassifier", "_type_of_target"): (
        "method",
        ("self", "y"),
        "Rebuilds target_type_ when a fitted state is restored "
        "(restore_wrapper_state).",
    ),
    ("KerasClassifier", "target_encoder"): (
        "property",
        None,
        "Public, but its metadata is SciKeras' own: restore_wrapper_state fits "
        "it on the classes and sets what get_metadata() returns (classes_, "
        "n_classes_, n_outputs_, n_outputs_expected_), as SciKeras' fit does.",
    ),
    ("BaseWrapper", "feature_encoder"): (
        "property",
        None,
        "Public; restore_wrapper_state fits it on one row of n_features_in_ "
        "float32 features, as SciKeras' fit does on X.",
    ),
    ("BaseWrapper", "_routing_prefixes"): (
        "class attribute",
        None,
        "SciKeras' set_params stores <prefix>__<name> parameters as "
        "attributes (optimizer__beta_1=...).",
    ),
    ("BaseWrapper", "_random_state"): (
        "attribute",
        ("_initialize", "_fit_keras_model"),
        "SciKeras' integer seed of a fit; skfashion seeds layers, the data "
        "order and the network build with it, advances it for warm starts "
        "and restores it with a fitted state.",
    ),
    ("BaseWrapper", "_fit_callbacks"): (
        "attribute",
        ("_initialize_callbacks", "_fit_keras_model"),
        "The callbacks SciKeras passes to keras.Model.fit; skfashion adds its "
        "own around the user's for one fit, and sets them for warm starts.",
    ),
    ("BaseWrapper", "_predict_callbacks"): (
        "attribute",
        ("_initialize_callbacks", "_predict_raw"),
        "Per-fit callback list, left out of pickles (the user's callbacks "
        "need not pickle).",
    ),
    ("BaseWrapper", "_user_params"): (
        "attribute",
        ("__init__", "_build_keras_model"),
        "The routed parameters given to __init__; skfashion sets it too (its "
        "__init__ does not call SciKeras') and checks the names in it. "
        "SciKeras reads it only in _build_keras_model, which skfashion "
        "overrides.",
    ),
}


def wrapper_fit(estimator, X, y, sample_weight=None, **kwargs):
    """SciKeras' ``BaseWrapper.fit``, skipping ``KerasClassifier.fit``.

    ``KerasClassifier.fit`` multiplies ``class_weight`` into
    ``sample_weight`` (in place) and resets ``classes_``; skfashion's ``fit``
    has done its own version of both by now.

    SciKeras' fit passes X and y through its encoders (a
    ``FunctionTransformer`` for X, an ``OrdinalEncoder`` pipeline for y),
    which follow scikit-learn's global ``transform_output``: under
    ``set_config(transform_output="pandas")`` the first warns on every fit
    and the second hands Keras a DataFrame. Their output only feeds the
    network, so the fit runs with the default (NumPy) output; the user's own
    transformers, outside this call, keep the user's setting.
    """
    with config_context(transform_output="default"):
        return BaseWrapper.fit(estimator, X, y, sample_weight=sample_weight, **kwargs)


def restore_wrapper_state(estimator, classes, n_samples, n_features):
    """Rebuild the fitted attributes SciKeras keeps, as its ``fit`` derives them.

    For an estimator whose fitted state is restored rather than fitted
    (the fit cache, ``load_model``, unpickling): ``X_shape_``,
    ``target_encoder_``, ``n_classes_``, ... from the classes and the shape
    of the training data, so that SciKeras' own methods keep working;
    ``_random_state`` from ``random_state``, as SciKeras' ``_initialize``
    sets it for an int (or None) seed.
    """
    estimator.X_dtype_ = np.dtype(np.float32)
    estimator.X_shape_ = (int(n_samples), int(n_features))
    estimator.n_features_in_ = int(n_features)
    estimator.y_dtype_ = classes.dtype
    estimator.y_ndim_ = 1
    estimator.classes_ = None  # SciKeras' target type and encoder read it
    estimator.target_type_ = estimator._type_of_target(classes)
    estimator.target_encoder_ = estimator.target_encoder.fit(classes)
    vars(estimator).update(estimator.target_encoder_.get_metadata())
    estimator.feature_encoder_ = estimator.feature_encoder.fit(
        np.zeros((1, int(n_features)), dtype=np.float32)
    )
    seed = estimator.random_state
    estimator._random_state = seed if isinstance(seed, Integral) else None
