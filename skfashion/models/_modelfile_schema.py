"""Checks of a model file's ``estimator.json`` against its schema.

Each field is checked before it is used, and a bad one is refused with a
:class:`~skfashion.exceptions.ModelFileError` that names it.
"""

import inspect
import math

import numpy as np

from .._sklearn_privates import validate_parameter_constraints
from ..exceptions import ModelFileError
from ._modelfile import (
    _ADDED_LATER,
    _MAX_ROWS,
    _MAX_SOURCE_CHARS,
    _NEVER_STORED,
    _PIXEL_RANGES,
    FORMAT,
    FORMAT_VERSION,
    _field_error,
    _from_json_params,
    _is_int,
    _is_number,
    _parse_json,
    _read_member,
    _short,
)
from ._registry import estimator_class, registered_names


def _read_meta(zf, json_info, path):
    """``(meta, cls, params, fitted)`` of the checked ``estimator.json``."""
    meta = _parse_json(_read_member(zf, json_info, path), path)
    return (meta, *_check_meta(meta, path))


def _check_meta(meta, path):
    """Check ``estimator.json`` against the schema; return its parts.

    Returns ``(cls, params, fitted)``: the estimator class, the constructor
    parameters (JSON lists turned back into tuples) and the fitted state.
    """
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not an skfashion model file.")
    version = meta.get("format_version")
    if not _is_int(version):
        raise _field_error(
            path,
            "format_version",
            f"must be the integer {FORMAT_VERSION}, got {_short(version)} of "
            f"type {type(version).__name__}",
        )
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has model format version {version}, this skfashion reads "
            f"version {FORMAT_VERSION}; load it with the skfashion version that "
            "saved it."
        )
    name = meta.get("estimator")
    cls = estimator_class(name)
    if cls is None:
        raise ModelFileError(
            f"{path}: unknown estimator {_short(name)}; this skfashion loads "
            f"{', '.join(registered_names())}."
        )
    params = meta.get("params")
    if not isinstance(params, dict):
        raise _field_error(path, "params", f"must be an object, got {_short(params)}")
    fitted = meta.get("fitted")
    if not isinstance(fitted, dict):
        raise _field_error(path, "fitted", f"must be an object, got {_short(fitted)}")
    _check_fitted(fitted, path)
    _check_data(meta.get("data"), len(fitted["classes"]), path)
    return cls, _checked_params(params, path), fitted


def _check_data(data, n_classes, path):
    """Check the optional ``data`` field written by :func:`_data_record`."""
    if data is None:
        return
    if not isinstance(data, dict):
        raise _field_error(path, "data", f"must be an object, got {_short(data)}")
    source = data.get("source")
    if source is not None and (
        not isinstance(source, str) or len(source) > _MAX_SOURCE_CHARS
    ):
        raise _field_error(
            path,
            "data.source",
            f"must be null or a string of at most {_MAX_SOURCE_CHARS} characters",
        )
    n = data.get("n_samples")
    if n is not None and not (_is_int(n) and 0 < n <= _MAX_ROWS):
        raise _field_error(
            path,
            "data.n_samples",
            f"must be null or an integer in [1, {_MAX_ROWS}], got {_short(n)}",
        )
    names = data.get("target_names")
    if names is not None and not (
        isinstance(names, list)
        and len(names) == n_classes
        and all(isinstance(v, str) and len(v) <= _MAX_SOURCE_CHARS for v in names)
        and len(set(names)) == n_classes
    ):
        raise _field_error(
            path,
            "data.target_names",
            f"must be null or {n_classes} distinct strings, one per class, got "
            f"{_short(names)}",
        )


#: The fields that the fitted state of every model file holds.
_REQUIRED_FITTED = (
    "classes",
    "classes_dtype",
    "n_features_in",
    "n_samples",
    "image_shape",
    "pixel_range",
    "history",
)


def _check_fitted(fitted, path):
    """Types and ranges of the fitted-state fields (see ``_fitted_state``)."""
    for key in _REQUIRED_FITTED:
        if key not in fitted:
            raise _field_error(path, f"fitted.{key}", "is missing")
    _check_classes(fitted["classes"], fitted["classes_dtype"], path)
    for key in ("n_features_in", "n_samples"):
        value = fitted[key]
        if not _is_int(value) or value < 1:
            raise _field_error(
                path,
                f"fitted.{key}",
                f"must be an integer > 0, got {_short(value)}",
            )
    _check_image_shape(fitted["image_shape"], fitted["n_features_in"], path)
    _check_optional_fitted(fitted, path)
    if fitted["pixel_range"] not in _PIXEL_RANGES:
        raise _field_error(
            path,
            "fitted.pixel_range",
            f'must be "0-1", "0-16", "0-255", "0-65535" or null, got '
            f"{_short(fitted['pixel_range'])}",
        )
    history = fitted["history"]
    if not isinstance(history, dict) or not all(
        isinstance(values, list) and all(_is_number(v) for v in values)
        for values in history.values()
    ):
        raise _field_error(
            path,
            "fitted.history",
            "must be an object mapping metric names to lists of numbers, got "
            f"{_short(history)}",
        )


def _check_image_shape(shape, n_features_in, path):
    """``fitted.image_shape``: null, or 2 or 3 sizes of ``n_features_in`` values."""
    if shape is None:
        return
    if not (
        isinstance(shape, list)
        and len(shape) in (2, 3)
        and all(_is_int(v) and v > 0 for v in shape)
    ):
        raise _field_error(
            path,
            "fitted.image_shape",
            "must be null or a list of 2 or 3 positive integers (height, width "
            f"and channels), got {_short(shape)}",
        )
    if math.prod(shape) != n_features_in:
        raise _field_error(
            path,
            "fitted.image_shape",
            f"is {shape}, which does not make fitted.n_features_in = "
            f"{n_features_in} values",
        )


def _check_optional_fitted(fitted, path):
    """The fitted-state fields that may be absent."""
    guessed = fitted.get("image_shape_guessed")
    if guessed is not None and not isinstance(guessed, bool):
        raise _field_error(
            path,
            "fitted.image_shape_guessed",
            f"must be absent, null, true or false, got {_short(guessed)}",
        )
    batch = fitted.get("batch_size")
    if batch is not None and not (_is_int(batch) and batch > 0):
        raise _field_error(
            path,
            "fitted.batch_size",
            f"must be absent, null or an integer > 0, got {_short(batch)}",
        )
    names = fitted.get("feature_names_in")
    if names is not None and not (
        isinstance(names, list)
        and len(names) == fitted["n_features_in"]
        and all(isinstance(v, str) for v in names)
    ):
        raise _field_error(
            path,
            "fitted.feature_names_in",
            "must be absent, null or a list of fitted.n_features_in = "
            f"{fitted['n_features_in']} strings, got {_short(names)}",
        )


def _check_classes(classes, kind, path):
    if not isinstance(classes, list) or not classes:
        raise _field_error(
            path,
            "fitted.classes",
            f"must be a non-empty list of labels, got {_short(classes)}",
        )
    if not isinstance(kind, str):
        raise _field_error(
            path,
            "fitted.classes_dtype",
            f"must be a NumPy dtype string such as '<i8' or '<U5', got {_short(kind)}",
        )
    dtype = None
    if kind != "O":
        try:
            dtype = np.dtype(kind)
        except Exception:
            dtype = None
        if dtype is None or dtype.kind not in "iubU":
            raise _field_error(
                path,
                "fitted.classes_dtype",
                "must be 'O' or the dtype string of integer, boolean or "
                f"string labels (e.g. '<i8', '|b1', '<U5'), got {_short(kind)}",
            )
    # The labels' Python type must be the one their dtype stores.
    if dtype is None or dtype.kind == "U":
        expected, ok = "strings", all(isinstance(c, str) for c in classes)
    elif dtype.kind == "b":
        expected, ok = "booleans", all(isinstance(c, bool) for c in classes)
    else:
        expected, ok = "integers", all(_is_int(c) for c in classes)
    if not ok:
        raise _field_error(
            path,
            "fitted.classes",
            f"must hold {expected} (classes_dtype is {kind!r}), got {_short(classes)}",
        )
    if len(set(classes)) != len(classes):
        raise _field_error(
            path, "fitted.classes", f"has repeated labels: {_short(classes)}"
        )
    if dtype is not None:
        longest = max(len(c) for c in classes) if dtype.kind == "U" else 0
        try:
            if dtype.kind == "U" and dtype.itemsize > 4 * max(longest, 1):
                raise ValueError(f"{kind} is wider than the longest label")
            same = np.asarray(classes, dtype=dtype).tolist() == classes
        except (ValueError, TypeError, OverflowError):
            same = False
        if not same:
            raise _field_error(
                path,
                "fitted.classes_dtype",
                f"is {kind!r}, which cannot hold the labels {_short(classes)} exactly",
            )


def _checked_params(params, path):
    """The constructor parameters stored in the file, as Python values."""
    for key in _NEVER_STORED:
        if params.get(key) is not None:
            raise _field_error(
                path,
                f"params.{key}",
                f"must be absent: {key} is never stored in a model file, got "
                f"{_short(params[key])}",
            )
    weights = params.get("class_weight")
    if isinstance(weights, dict):
        pairs = weights.get("__pairs__")
        if list(weights) != ["__pairs__"] or not (
            isinstance(pairs, list)
            and all(
                isinstance(pair, list)
                and len(pair) == 2
                and isinstance(pair[0], int | str | float)
                and _is_number(pair[1])
                for pair in pairs
            )
        ):
            raise _field_error(
                path,
                "params.class_weight",
                'must be null, "balanced" or {"__pairs__": [[label, weight], '
                f"...]}}, got {_short(weights)}",
            )
    return _from_json_params(
        {k: v for k, v in params.items() if k not in _NEVER_STORED}
    )


def _restore_fitted(estimator, fitted, model, path):
    """Give ``estimator`` the checked fitted state ``fitted`` and ``model``."""
    try:
        estimator._restore_fitted_state(fitted, model)
    except Exception as exc:
        raise ModelFileError(
            f"{path}: cannot restore the fitted state from field fitted of "
            f"estimator.json ({type(exc).__name__}: {exc}). The file is corrupt; "
            "save the model again."
        ) from None


def _make_estimator(cls, params, path):
    """Construct ``cls(**params)`` and check the parameters' constraints.

    The estimator's ``cache_dir`` is None whatever the file records (the
    recorded value is still checked): a model file must not decide where
    later fits of the loaded estimator write.
    """
    accepted = inspect.signature(cls.__init__).parameters
    params = {
        **{k: v for k, v in _ADDED_LATER.items() if k in accepted},
        **params,
    }
    try:
        estimator = cls(**params)
    except (TypeError, ValueError) as exc:
        raise _field_error(
            path, "params", f"is refused by {cls.__name__}: {exc}"
        ) from None
    # What _validate_params() checks, field by field so that the message can
    # name it. The parameters that the format never stores (the callbacks,
    # KerasImageClassifier's model) keep their defaults and are not checked:
    # KerasImageClassifier's model=None would fail, and is not needed to
    # predict with the stored network.
    constraints = getattr(cls, "_parameter_constraints", {})
    values = estimator.get_params(deep=False)
    for key in params:
        if key not in constraints:
            continue
        try:
            validate_parameter_constraints(
                {key: constraints[key]}, {key: values[key]}, caller_name=cls.__name__
            )
        except (TypeError, ValueError) as exc:
            raise _field_error(path, f"params.{key}", f"is invalid: {exc}") from None
    checks = [getattr(estimator, "_check_class_weight", None)]
    if "model" not in values:
        # The architecture of a user network lives in model, not stored.
        checks.append(getattr(estimator, "_check_architecture", None))
    for check in checks:
        if check is None:
            continue
        try:
            check()
        except (TypeError, ValueError) as exc:
            raise _field_error(path, "params", f"is invalid: {exc}") from None
    if "cache_dir" in values:
        estimator.set_params(cache_dir=None)
    return estimator
