"""The fitted state of the estimators: one table, and what reads it.

:data:`FITTED_ATTRIBUTES` lists every attribute a fit sets. It is the one
source for:

- :func:`forget_fitted_state`, which a failed fit calls to leave the
  estimator unfitted (the rows with ``forget``);
- :func:`fitted_state` and :func:`restore_fitted_state`, the plain JSON
  record of a fit and its inverse, through which fit, the fit cache,
  ``save_model``/``load_model`` and pickling all go, so an estimator has
  the same attributes however it got fitted;
- :func:`pickled_state`/:func:`unpickled_state` (``__getstate__`` and
  ``__setstate__``), which store the record, not the attributes;
- the ``Attributes`` section of the estimators' docstrings
  (:data:`ATTRIBUTES_DOC`, used by ``_docstrings.fill_doc``; the rows with
  a ``doc``).

``tests/test_warm_start_and_state.py`` checks that a fit sets exactly the
attributes listed here, and that the docstrings document exactly the rows
with a ``doc``.
"""

from typing import NamedTuple

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._modelfile_network import _check_network
from ._modelfile_schema import _check_fitted
from ._partial import network_params
from ._scale import resolve_batch_size
from ._scikeras import restore_wrapper_state


class FittedAttribute(NamedTuple):
    """One row of :data:`FITTED_ATTRIBUTES`."""

    #: The attribute's name.
    name: str
    #: Who sets it in a fit: "skfashion", or "scikeras" (SciKeras' own
    #: bookkeeping, rebuilt by ``_scikeras.restore_wrapper_state``).
    owner: str
    #: Removed when a fit fails (:func:`forget_fitted_state`). The others
    #: are per-fit settings that the next fit sets again.
    forget: bool = True
    #: Kept in pickles. Attributes with ``forget`` are pickled as the fitted
    #: record, not as themselves; the others as they are.
    pickle: bool = True
    #: The docstring entry (type line, then description) in the estimators'
    #: ``Attributes`` section; None for attributes that are not public.
    doc: str | None = None


_SKF, _SCIKERAS = "skfashion", "scikeras"

#: Every attribute that a fit sets, in the order of the docstrings.
FITTED_ATTRIBUTES = (
    FittedAttribute(
        "classes_",
        _SKF,
        doc="ndarray of shape (n_classes,)\nClass labels seen in :meth:`fit`.",
    ),
    FittedAttribute(
        "n_features_in_",
        _SKF,
        doc="int\nNumber of features (pixels) per sample seen in :meth:`fit`.",
    ),
    FittedAttribute(
        "feature_names_in_",
        _SKF,
        doc="ndarray of shape (`n_features_in_`,)\nNames of the features seen "
        "in :meth:`fit`. Defined only when ``X`` has\nfeature names that are "
        "all strings (a pandas DataFrame).",
    ),
    FittedAttribute(
        "image_shape_",
        _SKF,
        doc="tuple of int or None\n``(height, width)`` of the images.",
    ),
    FittedAttribute(
        "pixel_range_",
        _SKF,
        doc='{"0-255", "0-1"} or None\nPixel scale settled in :meth:`fit`; '
        "None when ``X`` was taken as\nfeatures (``pixel_range=None``, or "
        '``"auto"`` on values outside\n[0, 255]), in which case prediction '
        "checks no pixel scale.",
    ),
    FittedAttribute("model_", _SKF, doc="keras.Model\nThe trained network."),
    FittedAttribute(
        "history_",
        _SKF,
        doc="dict of list\nPer-epoch ``loss`` and ``accuracy`` (and "
        "``val_loss``,\n``val_accuracy`` when a validation set is held out).",
    ),
    FittedAttribute("n_iter_", _SKF, doc="int\nNumber of epochs actually run."),
    FittedAttribute(
        "batch_size_",
        _SKF,
        doc='int\nMini-batch size of the last fit (``batch_size="auto"`` resolved).',
    ),
    # Whether image_shape_ was only assumed (square) from flat features;
    # tta refuses such a shape.
    FittedAttribute("_image_shape_guessed", _SKF),
    # The parameters the network was built from (_partial.network_params):
    # partial_fit starts a new network when set_params has changed them.
    # Not in the record: taken from the parameters whenever it is restored.
    FittedAttribute("_network_params", _SKF),
    # SciKeras' fitted attributes, from its fit and its encoders' metadata.
    FittedAttribute("X_shape_", _SCIKERAS),
    FittedAttribute("X_dtype_", _SCIKERAS),
    FittedAttribute("y_dtype_", _SCIKERAS),
    FittedAttribute("y_ndim_", _SCIKERAS),
    FittedAttribute("target_type_", _SCIKERAS),
    FittedAttribute("target_encoder_", _SCIKERAS),
    FittedAttribute("feature_encoder_", _SCIKERAS),
    FittedAttribute("n_classes_", _SCIKERAS),
    FittedAttribute("n_outputs_", _SCIKERAS),
    FittedAttribute("n_outputs_expected_", _SCIKERAS),
    # SciKeras' per-fit private settings: its seed (kept by a failed fit
    # and in pickles, as before the first fit), and its callback lists,
    # built again by every fit and never pickled (user callbacks need not
    # pickle).
    FittedAttribute("_random_state", _SCIKERAS, forget=False),
    FittedAttribute("_fit_callbacks", _SCIKERAS, forget=False, pickle=False),
    FittedAttribute("_predict_callbacks", _SCIKERAS, forget=False, pickle=False),
)

#: Attributes removed by a failed fit and pickled as the fitted record.
_FORGOTTEN = tuple(a.name for a in FITTED_ATTRIBUTES if a.forget)
#: Attributes left out of pickles altogether.
_UNPICKLED = tuple(a.name for a in FITTED_ATTRIBUTES if not a.pickle)


def _attributes_doc():
    """The numpydoc ``Attributes`` entries of the rows with a ``doc``.

    The first line is not indented: it replaces ``{attributes}``, which
    the class docstrings indent already.
    """
    entries = []
    for attr in FITTED_ATTRIBUTES:
        if attr.doc is None:
            continue
        kind, *text = attr.doc.split("\n")
        entries.append(f"    {attr.name} : {kind}")
        entries.extend(f"        {line}" for line in text)
    return "\n".join(entries)[4:]


#: The ``Attributes`` section of the estimators' docstrings.
ATTRIBUTES_DOC = _attributes_doc()


def fitted_state(estimator):
    """Every fitted attribute but the network, as plain JSON values."""
    check_is_fitted(estimator)
    classes = np.asarray(estimator.classes_)
    names = getattr(estimator, "feature_names_in_", None)
    shape = estimator.image_shape_
    return {
        "classes": classes.tolist(),
        "classes_dtype": "O" if classes.dtype.kind == "O" else classes.dtype.str,
        "n_features_in": int(estimator.n_features_in_),
        "n_samples": int(estimator.X_shape_[0]),
        "image_shape": None if shape is None else [int(v) for v in shape],
        "image_shape_guessed": bool(getattr(estimator, "_image_shape_guessed", False)),
        "pixel_range": estimator.pixel_range_,
        "batch_size": int(estimator.batch_size_),
        "feature_names_in": None if names is None else [str(v) for v in names],
        "history": {
            str(k): [float(v) for v in vals] for k, vals in estimator.history_.items()
        },
    }


def restore_fitted_state(estimator, state, model):
    """Set every fitted attribute from the record ``state`` and ``model``."""
    kind = state["classes_dtype"]
    classes = np.asarray(
        state["classes"], dtype=object if kind == "O" else np.dtype(kind)
    )
    shape = state["image_shape"]
    estimator.image_shape_ = None if shape is None else tuple(int(v) for v in shape)
    # Files of skfashion <= 0.1 do not record it: taken as known.
    estimator._image_shape_guessed = bool(state.get("image_shape_guessed") or False)
    estimator.pixel_range_ = state["pixel_range"]
    # Files of skfashion <= 0.1 do not record it: what the rule gives.
    batch = state.get("batch_size")
    if batch is None:
        batch = resolve_batch_size(estimator.batch_size, int(state["n_samples"]))
    estimator.batch_size_ = int(batch)
    names = state.get("feature_names_in")
    if names is None:
        vars(estimator).pop("feature_names_in_", None)
    else:
        estimator.feature_names_in_ = np.asarray(names, dtype=object)
    restore_wrapper_state(
        estimator, classes, state["n_samples"], state["n_features_in"]
    )
    estimator.model_ = model
    estimator._network_params = network_params(estimator)
    estimator.history_ = {k: list(v) for k, v in state["history"].items()}
    estimator.n_iter_ = len(estimator.history_.get("loss", []))


def forget_fitted_state(estimator):
    """Remove every fitted attribute (the estimator is unfitted after)."""
    for name in _FORGOTTEN:
        vars(estimator).pop(name, None)


def pickled_state(estimator):
    """``estimator.__getstate__()``: its parameters, and the fitted record."""
    left_out = set(_FORGOTTEN) | set(_UNPICKLED)
    state = {k: v for k, v in vars(estimator).items() if k not in left_out}
    if hasattr(estimator, "model_"):
        state["_fitted"] = (fitted_state(estimator), estimator.model_)
    return state


def unpickled_state(estimator, state):
    """``estimator.__setstate__(state)``, for :func:`pickled_state`."""
    state = dict(state)
    fitted = state.pop("_fitted", None)
    vars(estimator).update(state)
    if fitted is not None:
        restore_fitted_state(estimator, *fitted)


def validate_fitted(estimator):
    """``__sklearn_validate_model__``: the model-file checks, on ``estimator``.

    Its fitted record goes through the checks that ``load_model`` runs on
    a file's ``estimator.json`` (``_modelfile_schema._check_fitted``), and
    its network through the input and output check of the loaded network
    (``_modelfile_network._check_network``); errors name the estimator
    where they would name the file.
    """
    check_is_fitted(estimator)
    where = f"{type(estimator).__name__} (fitted estimator)"
    state = fitted_state(estimator)
    _check_fitted(state, where)
    _check_network(estimator.model_, state, where)
