"""Saving and loading fitted estimators without executing code on load.

``pickle``/``joblib`` work on the estimators too, but unpickling runs
arbitrary code. The format here is a zip file holding the network in Keras'
native ``.keras`` format (loaded with ``safe_mode=True``) and a JSON file with
the estimator's class, parameters and fitted attributes.
"""

import contextlib
import inspect
import io
import json
import math
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import keras
import numpy as np
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from .. import __version__
from .._keras_privates import keras_global_state
from .._sklearn_privates import validate_parameter_constraints
from ..datasets._npy import NotARegularFileError, open_regular_file
from ..exceptions import ModelFileError
from ..utils import atomic_write_path, row_hashes
from ._registry import estimator_class, registered_names

FORMAT = "skfashion-model"
FORMAT_VERSION = 1
# Parameters that are tuples in the constructor but lists once in JSON.
_TUPLE_PARAMS = {"conv_filters", "dense_units", "hidden_layer_sizes", "image_shape"}


def _json_params(estimator):
    params = {}
    for key, value in estimator.get_params(deep=False).items():
        if key in ("callbacks", "model"):
            # Arbitrary Python objects: not part of the safe format. The
            # trained network itself is stored as model.keras.
            continue
        if key == "random_state" and not (value is None or isinstance(value, int)):
            value = None
        if key == "class_weight" and isinstance(value, dict):
            value = {"__pairs__": [[_to_json(k), float(v)] for k, v in value.items()]}
        params[key] = _to_json(value)
    return params


def _to_json(value):
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _from_json_params(params):
    out = {}
    for key, value in params.items():
        if key in _TUPLE_PARAMS and isinstance(value, list):
            value = tuple(value)
        elif key == "activation" and isinstance(value, list):
            value = tuple(value)
        elif key == "class_weight" and isinstance(value, dict) and "__pairs__" in value:
            value = {k: v for k, v in value["__pairs__"]}
        out[key] = value
    return out


def check_saveable_labels(labels, name="y"):
    """Refuse labels that the model file format cannot store.

    Called by :func:`save_model`, and by callers that will save a model
    (the command line, a fit with ``cache_dir``) before they train it, so
    that the mistake is reported before the work rather than after it.

    Parameters
    ----------
    labels : array-like
        Class labels (``classes_``, or the ``y`` a model will be fitted on).
    name : str, default="y"
        What ``labels`` is called in the error message.

    Raises
    ------
    ValueError
        If the labels are not integers, booleans or strings.

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion.models import check_saveable_labels
    >>> check_saveable_labels(np.array(["cat", "dog"]))
    >>> check_saveable_labels(np.array([0.5, 1.5]))
    Traceback (most recent call last):
    ...
    ValueError: save_model stores integer, boolean or string class labels; ...
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iubUO" or (
        labels.dtype.kind == "O" and not all(isinstance(c, str) for c in labels.flat)
    ):
        raise ValueError(
            f"save_model stores integer, boolean or string class labels; "
            f"{name} has dtype {labels.dtype}. Convert the labels (e.g. "
            "y.astype(int) or y.astype(str)) or use joblib instead."
        )


def save_model(
    estimator,
    path,
    *,
    X_train=None,
    data_source=None,
    target_names=None,
):
    """Save a fitted skfashion estimator to ``path`` in the safe format.

    The file is written to a temporary name and moved into place only when
    complete, so an interrupted save never leaves a truncated model.

    Besides the network and the estimator, the file can record where the
    model's training data came from: read it back with
    :func:`load_model_card`, which also tells how many images of new data
    the model was trained on (:func:`training_overlap`).

    Parameters
    ----------
    estimator : KerasCNNClassifier or KerasMLPClassifier
        A fitted estimator.
    path : str or path-like
        Destination file (conventionally ``*.skf``).
    X_train : array-like of shape (n_samples, ...), default=None
        The images the estimator was trained on. When given, the file
        records their number and a 64-bit hash of each distinct image
        (:func:`skfashion.utils.row_hashes`, 8 bytes per image), never the
        images themselves.
    data_source : str, default=None
        Where the training data came from, in words (at most 1,000
        characters).
    target_names : array-like of str of shape (n_classes,), default=None
        Display name of each class, in the order of ``classes_``. Reports
        and ``skfashion predict`` use them; without them classes are named
        by their labels.

    Returns
    -------
    path : pathlib.Path
        The written file.

    Examples
    --------
    >>> import tempfile, os
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.models import KerasMLPClassifier, save_model, load_model
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> clf = KerasMLPClassifier(hidden_layer_sizes=(16,), epochs=1).fit(X, y)
    >>> path = save_model(clf, os.path.join(tempfile.mkdtemp(), "mlp.skf"))
    >>> bool((load_model(path).predict(X[:20]) == clf.predict(X[:20])).all())
    True
    """
    return _write_model(estimator, path, X_train, data_source, target_names)


def save_cache_entry(estimator, path, record):
    """Save a fit-cache entry: a model file with the entry's ``record``.

    The record (the entry's key and epochs) is stored as the field "cache"
    and checked when the entry is loaded (see ``read_cache_record``);
    load_model ignores it.
    """
    return _write_model(estimator, path, None, None, None, cache_record=record)


def _write_model(
    estimator, path, X_train, data_source, target_names, *, cache_record=None
):
    name = type(estimator).__name__
    if estimator_class(name) is not type(estimator):
        raise TypeError(
            f"save_model accepts {registered_names()}, got {name}; use joblib "
            "for other estimators."
        )
    check_is_fitted(estimator)
    check_saveable_labels(estimator.classes_, "classes_")
    check_storable_network(estimator.model_)
    data, rows = _data_record(estimator, X_train, data_source, target_names)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "skfashion_version": __version__,
        "estimator": name,
        "params": _json_params(estimator),
        "fitted": estimator._fitted_state(),
        "data": data,
    }
    if cache_record is not None:
        meta["cache"] = cache_record
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write_path(path) as tmp, tempfile.TemporaryDirectory() as scratch:
        keras_path = Path(scratch) / "model.keras"
        estimator.model_.save(keras_path)
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("estimator.json", json.dumps(meta, indent=2))
            zf.write(keras_path, "model.keras")
            if rows is not None:
                zf.writestr(_ROWS_MEMBER, rows.astype("<u8").tobytes())
    return path


def _data_record(estimator, X_train, data_source, target_names):
    """The ``data`` field of ``estimator.json`` and the training rows' hashes."""
    if data_source is not None:
        if not isinstance(data_source, str) or len(data_source) > _MAX_SOURCE_CHARS:
            raise ValueError(
                f"data_source must be a str of at most {_MAX_SOURCE_CHARS} "
                f"characters, got {_short(data_source)}."
            )
    names = None
    if target_names is not None:
        names = [str(n) for n in np.asarray(target_names, dtype=object).ravel()]
        if len(names) != len(estimator.classes_) or len(set(names)) != len(names):
            raise ValueError(
                f"target_names must hold {len(estimator.classes_)} distinct names, "
                f"one per class in the order of classes_, got {_short(names)}."
            )
    rows = n_samples = None
    if X_train is not None:
        hashes = row_hashes(X_train)
        n_samples = len(hashes)
        rows = np.unique(hashes)
    record = {"source": data_source, "n_samples": n_samples, "target_names": names}
    return record, rows


def load_model_card(path):
    """What a model file says about the model, without loading the network.

    Parameters
    ----------
    path : str or path-like
        File written by :func:`save_model`.

    Returns
    -------
    card : :class:`~sklearn.utils.Bunch`
        With ``estimator`` (the class name), ``params``, ``classes``,
        ``skfashion_version``, ``data_source`` and ``n_train_samples``
        (``None`` when not recorded), ``target_names`` (one per class, or
        ``None``) and ``training_rows`` (the sorted hashes of the distinct
        training images, or ``None``).

    Raises
    ------
    ModelFileError
        If the file is not a valid model file: the card runs the checks of
        :func:`load_model` on the members' sizes and on ``estimator.json``
        (the parameters against the estimator's constraints, the fitted
        state), and refuses every file that :func:`load_model` refuses for
        them, with the same message. Only the network is not loaded, so a
        damaged ``model.keras`` that declares a sensible size is reported by
        :func:`load_model` alone.

    Examples
    --------
    >>> import tempfile, os
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.models import (
    ...     KerasMLPClassifier, load_model_card, save_model, training_overlap)
    >>> bunch = load_fashion_mnist_sample()
    >>> X, y = bunch.data[:600], bunch.target[:600]
    >>> clf = KerasMLPClassifier(hidden_layer_sizes=(16,), epochs=1).fit(X, y)
    >>> path = save_model(clf, os.path.join(tempfile.mkdtemp(), "mlp.skf"),
    ...     X_train=X, data_source="sample", target_names=bunch.target_names)
    >>> card = load_model_card(path)
    >>> card.n_train_samples, card.target_names[0]
    (600, 'T-shirt/top')
    >>> training_overlap(card, bunch.data)
    600
    """
    path = Path(path)
    with _open_zip(path) as zf:
        # The checks of load_model, in its order, short of the network.
        json_info = _member_info(zf, "estimator.json", _MAX_JSON_BYTES, path)
        _member_info(zf, "model.keras", _MAX_KERAS_BYTES, path)
        meta, cls, params, fitted = _read_meta(zf, json_info, path)
        estimator = _make_estimator(cls, params, path)
        _restore_fitted(estimator, fitted, None, path)
        data = meta.get("data") or {}
        rows = None
        if data.get("n_samples") is not None:
            info = _member_info(zf, _ROWS_MEMBER, 8 * data["n_samples"], path)
            rows = _check_rows(_read_member(zf, info, path), data["n_samples"], path)
    return Bunch(
        estimator=cls.__name__,
        params=params,
        classes=list(fitted["classes"]),
        skfashion_version=meta.get("skfashion_version"),
        data_source=data.get("source"),
        n_train_samples=data.get("n_samples"),
        target_names=data.get("target_names"),
        training_rows=rows,
    )


def training_overlap(card, X):
    """How many samples of ``X`` the model of ``card`` was trained on.

    Samples are matched by :func:`skfashion.utils.row_hashes` against the
    hashes a model file records when saved with ``X_train``.

    Parameters
    ----------
    card : Bunch
        Returned by :func:`load_model_card`.
    X : array-like of shape (n_samples, ...)
        Samples, for example the data a model is about to be evaluated on.

    Returns
    -------
    n_overlap : int or None
        The number of samples of ``X`` among the training samples, or
        ``None`` when the file does not record them.
    """
    if card.training_rows is None:
        return None
    return int(np.isin(row_hashes(X), card.training_rows).sum())


def _check_rows(raw, n_samples, path):
    rows = np.frombuffer(raw, dtype="<u8") if len(raw) % 8 == 0 else None
    if rows is None or not 0 < len(rows) <= n_samples or (np.diff(rows) <= 0).any():
        raise ModelFileError(
            f"{path}: member {_ROWS_MEMBER} is not the sorted hashes of at most "
            f"{n_samples} training images; the file is corrupt."
        )
    return rows.astype(np.uint64)


def load_model(path):
    """Load an estimator written by :func:`save_model`, executing no code.

    Every part of the file is checked before it is used: that it is a
    regular file (a named pipe or a device such as ``/dev/zero`` is refused
    before it is read), the zip members' declared sizes (``estimator.json``
    at most 10 MiB, ``model.keras`` at most 2 GiB, and members are never
    inflated beyond their declared size), ``estimator.json`` against the
    model file schema (the estimator's parameters against its own
    constraints), and the network's input and output sizes against the
    stored metadata.

    Memory is bounded by the size of the file: nothing that ``model.keras``
    unpacks to (its own size, the sizes its members declare, the sizes of
    the weight arrays its ``model.weights.h5`` declares, the variables of
    the network its ``config.json`` describes, counted before any is
    created) may exceed 100 times the bytes ``model.keras`` takes in the
    file, or 16 MiB when that is more. A genuine model's weights hardly
    compress, so only damaged or forged files are refused.

    Parameters
    ----------
    path : str or path-like
        File written by :func:`save_model`.

    Returns
    -------
    estimator : KerasCNNClassifier or KerasMLPClassifier
        The fitted estimator, ready for ``predict``. Its ``cache_dir`` is
        None whatever the file records: a model file never decides where
        later fits of the loaded estimator write (set ``cache_dir`` again
        to refit it with a fit cache).

    Raises
    ------
    ModelFileError
        If the file is missing, unreadable, corrupt, too large, of an unknown
        format, or not an skfashion model. The message names the file and,
        for a bad ``estimator.json``, the field.
    """
    path = Path(path)
    with _open_zip(path) as zf, tempfile.TemporaryDirectory() as scratch:
        json_info = _member_info(zf, "estimator.json", _MAX_JSON_BYTES, path)
        keras_info = _member_info(zf, "model.keras", _MAX_KERAS_BYTES, path)
        _, cls, params, fitted = _read_meta(zf, json_info, path)
        estimator = _make_estimator(cls, params, path)
        keras_path = Path(scratch) / "model.keras"
        with open(keras_path, "wb") as dst:
            _copy_member(zf, keras_info, dst, path)
        model = _load_network(keras_path, path, _Budget(keras_info.compress_size))
    _check_network(model, fitted, path)
    _restore_fitted(estimator, fitted, model, path)
    n_out = model.outputs[0].shape[-1]
    if (
        n_out != estimator.n_classes_
        or model.inputs[0].shape[-1] != estimator.n_features_in_
    ):
        raise ModelFileError(
            f"{path}: the network ({model.inputs[0].shape[-1]} inputs, {n_out} "
            f"outputs) does not match the stored estimator metadata."
        )
    return estimator


# ------------------------------------------------------------- load helpers
#: Largest ``estimator.json`` accepted. A real one is a few KiB (parameters,
#: class labels and one number per epoch and metric of the history), so 10
#: MiB is far above any genuine file, yet small enough to parse safely.
_MAX_JSON_BYTES = 10 * 2**20
#: Largest ``model.keras`` accepted (uncompressed). skfashion's networks for
#: 28x28 images take tens of MB at most (the largest preset MLP, 1024-512
#: units, has 1.3 million weights: 5 MB, three times that with the optimizer
#: state); 2 GiB, some 500 million float32 values, leaves room for any
#: network a user might train on small images, while refusing decompression
#: bombs and corrupt size fields (up to 16 EiB in ZIP64) before anything is
#: inflated. The member is copied to disk in 1 MiB chunks, never held whole.
_MAX_KERAS_BYTES = 2 * 2**30
#: Most bytes a zip member may unpack to per byte it takes in the file.
#: Everything ``model.keras`` unpacks to (itself, its members, the weight
#: arrays its HDF5 file declares, the variables its network creates) is
#: bounded by this ratio times the bytes ``model.keras`` takes in the model
#: file. Trained float32 weights hardly compress (about 1.1:1 with
#: deflate), so a genuine file is nowhere near 100:1, while a forged one
#: (an HDF5 dataset declared 31000x31000 without data, a deflate stream of
#: zeros, a network config with a billion units) is refused before
#: anything is allocated. Deflate itself reaches at most about 1032:1.
_MAX_EXPANSION = 100
#: Below this, a member or the network may unpack to any ratio: tiny
#: networks with constant weights compress well, and 16 MiB (a few times
#: that while Keras loads it) is harmless.
_EXPANSION_FLOOR = 16 * 2**20
#: The member of a ``.keras`` archive that holds the weights.
_WEIGHTS_MEMBER = "model.weights.h5"
_COPY_CHUNK = 1 << 20
_NEVER_STORED = ("callbacks", "model")
#: Parameters added after files of this format were first written, with the
#: value that reproduces how an older file's network was trained. A file
#: without one of them gets this value, not today's default.
_ADDED_LATER = {"label_smoothing": 0.0}
#: The member holding the sorted 64-bit hashes of the training images.
_ROWS_MEMBER = "training_rows.u64"
_MAX_SOURCE_CHARS = 1000
#: Most training images whose hashes a file may record (8 bytes each: 64 MiB).
_MAX_ROWS = 8 * 2**20
_PIXEL_RANGES = ("0-1", "0-16", "0-255", "0-65535", None)


@contextlib.contextmanager
def _open_zip(path):
    """The model file as an open :class:`zipfile.ZipFile`, closed on exit.

    Only a regular file is opened: a named pipe would block forever and a
    device such as ``/dev/zero`` never ends (see
    :func:`~skfashion.datasets._npy.open_regular_file`).
    """
    try:
        file = open_regular_file(path)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file.") from None
    except IsADirectoryError:
        raise ModelFileError(
            f"{path} is a folder, not a model file; give the path of a *.skf "
            "file written by skfashion.models.save_model or `skfashion train`."
        ) from None
    except NotARegularFileError as exc:
        raise ModelFileError(
            f"{path} is {exc.strerror.split(',')[0]}, not a model file: model "
            "files are read from regular files only; give the path of a *.skf "
            "file written by skfashion.models.save_model or `skfashion train`."
        ) from None
    except OSError as exc:
        raise ModelFileError(
            f"{path}: cannot read the model file ({exc.strerror or exc})."
        ) from None
    with file:
        try:
            zf = zipfile.ZipFile(file)
        except OSError as exc:
            raise ModelFileError(
                f"{path}: cannot read the model file ({exc.strerror or exc})."
            ) from None
        except Exception as exc:  # BadZipFile, ValueError, ...
            raise _not_a_model(path, exc) from None
        with zf:
            yield zf


def _not_a_model(path, exc):
    return ModelFileError(
        f"{path} is not a valid skfashion model file ({type(exc).__name__}: "
        f"{exc}). Models are written by skfashion.models.save_model or "
        "`skfashion train`."
    )


def _short(value, limit=80):
    """``repr(value)``, cut to ``limit`` characters for error messages."""
    try:
        text = repr(value)
    except Exception:  # e.g. an int with more digits than repr allows
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _field_error(path, field, problem):
    return ModelFileError(
        f"{path}: field {field} of estimator.json {problem}. The file is "
        "corrupt or was not written by skfashion; save the model again with "
        "skfashion.models.save_model."
    )


def _member_info(zf, name, limit, path):
    """The ZipInfo of member ``name``, refused when its size is absurd."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ModelFileError(
            f"{path} is not a valid skfashion model file: it has no {name} "
            "member. Models are written by skfashion.models.save_model or "
            "`skfashion train`."
        ) from None
    if info.file_size > limit:
        raise ModelFileError(
            f"{path}: member {name} declares {info.file_size} bytes "
            f"uncompressed, more than the {limit} bytes a model file may hold; "
            "the file is corrupt or a decompression bomb, and was not read."
        )
    if info.file_size > _expansion_limit(info.compress_size):
        raise ModelFileError(
            f"{path}: member {name} declares {info.file_size} bytes "
            f"uncompressed but takes {info.compress_size} bytes in the file, "
            f"more than {_MAX_EXPANSION} times as many (above "
            f"{_EXPANSION_FLOOR} bytes), which no genuine model file does; the "
            "file is corrupt or a decompression bomb, and was not read."
        )
    return info


def _expansion_limit(stored):
    """Most bytes that ``stored`` bytes of a model file may unpack to."""
    return max(_EXPANSION_FLOOR, _MAX_EXPANSION * stored)


class _Budget(int):
    """Most bytes the network of a model file may unpack to, in bytes.

    See ``_MAX_EXPANSION``: bounded by the ``stored`` bytes that member
    ``model.keras`` takes in the file, and by ``_MAX_KERAS_BYTES``.
    """

    def __new__(cls, stored):
        limit = min(_MAX_KERAS_BYTES, _expansion_limit(stored))
        budget = super().__new__(cls, limit)
        budget.stored = stored
        return budget

    def __str__(self):
        return (
            f"the {int(self)} bytes this model file may unpack to "
            f"({_MAX_EXPANSION} times the {self.stored} bytes member "
            f"model.keras takes in it, at least {_EXPANSION_FLOOR}, at most "
            f"{_MAX_KERAS_BYTES})"
        )


def _copy_member(zf, info, dst, path):
    """Copy member ``info`` to ``dst``, never more than its declared size."""
    size = info.file_size
    copied = 0
    try:
        with zf.open(info) as src:
            while chunk := src.read(min(_COPY_CHUNK, size - copied + 1)):
                copied += len(chunk)
                if copied > size:
                    raise ModelFileError(
                        f"{path}: member {info.filename} inflates to more than "
                        f"the {size} bytes it declares; the file is corrupt."
                    )
                dst.write(chunk)
    except ModelFileError:
        raise
    except Exception as exc:  # BadZipFile (CRC), zlib.error, EOFError, ...
        raise ModelFileError(
            f"{path} is not a valid skfashion model file: member "
            f"{info.filename} cannot be read ({type(exc).__name__}: {exc})."
        ) from None
    if copied != size:
        raise ModelFileError(
            f"{path}: member {info.filename} holds {copied} bytes but declares "
            f"{size}; the file is truncated or corrupt."
        )


def _read_member(zf, info, path):
    """The bytes of member ``info``, never more than its declared size."""
    raw = io.BytesIO()
    _copy_member(zf, info, raw, path)
    return raw.getvalue()


def _read_meta(zf, json_info, path):
    """``(meta, cls, params, fitted)`` of the checked ``estimator.json``."""
    meta = _parse_json(_read_member(zf, json_info, path), path)
    return (meta, *_check_meta(meta, path))


def _parse_json(raw, path):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(
            f"{path} is not a valid skfashion model file: estimator.json is not "
            f"UTF-8 text ({exc})."
        ) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ModelFileError(
            f"{path} is not a valid skfashion model file: estimator.json is "
            "nested too deeply to be parsed."
        ) from None
    except ValueError as exc:  # JSONDecodeError, or an int too long to convert
        raise ModelFileError(
            f"{path} is not a valid skfashion model file: estimator.json is not "
            f"valid JSON ({exc})."
        ) from None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


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


def _check_fitted(fitted, path):
    """Types and ranges of the fitted-state fields (see ``_fitted_state``)."""
    required = (
        "classes",
        "classes_dtype",
        "n_features_in",
        "n_samples",
        "image_shape",
        "pixel_range",
        "history",
    )
    for key in required:
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
    shape = fitted["image_shape"]
    if shape is not None and not (
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
    if shape is not None and math.prod(shape) != fitted["n_features_in"]:
        raise _field_error(
            path,
            "fitted.image_shape",
            f"is {shape}, which does not make fitted.n_features_in = "
            f"{fitted['n_features_in']} values",
        )
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


def read_cache_record(path):
    """The fit cache's record of the entry ``path``, or None.

    The record is the field ``cache`` of ``estimator.json``, written by a
    fit with ``cache_dir``: ``{"key": <the entry's key>, "epochs": <the
    epochs of a resumable cut, or None>}``. None when the file has no
    valid record (an entry written by an older skfashion, or not by the
    fit cache). Raises :class:`ModelFileError` when the file cannot be read.
    """
    path = Path(path)
    with _open_zip(path) as zf:
        info = _member_info(zf, "estimator.json", _MAX_JSON_BYTES, path)
        meta = _parse_json(_read_member(zf, info, path), path)
    record = meta.get("cache") if isinstance(meta, dict) else None
    if (
        not isinstance(record, dict)
        or not isinstance(record.get("key"), str)
        or not (record.get("epochs") is None or _is_int(record.get("epochs")))
    ):
        return None
    return {"key": record["key"], "epochs": record.get("epochs")}


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


def _load_network(keras_path, path, budget):
    """Load the Keras archive ``keras_path`` in safe mode.

    Before Keras reads it, what it would allocate is bounded by ``budget``
    bytes (a :class:`_Budget`): the sizes its members declare, the
    weight arrays of its ``model.weights.h5`` and the variables of the
    network of its ``config.json``.
    """
    not_keras = (
        f"{path}: cannot restore the model: member model.keras is not a Keras archive"
    )
    try:
        inner = zipfile.ZipFile(keras_path)
    except Exception as exc:  # BadZipFile, OSError, ...
        raise ModelFileError(
            f"{not_keras} ({type(exc).__name__}: {exc}). The file is corrupt; "
            "save the model again."
        ) from None
    with inner:
        infos = inner.infolist()
        names = {info.filename for info in infos}
        if "config.json" not in names:
            raise ModelFileError(
                f"{not_keras} (it has no config.json). The file is corrupt; save "
                "the model again."
            )
        config_info = inner.getinfo("config.json")
        if config_info.file_size > _MAX_JSON_BYTES:
            raise ModelFileError(
                f"{path}: the config.json of member model.keras declares "
                f"{config_info.file_size} bytes, more than the {_MAX_JSON_BYTES} "
                "bytes allowed; the file is corrupt or a decompression bomb, and "
                "was not read."
            )
        total = sum(info.file_size for info in infos)
        if total > budget:
            raise ModelFileError(
                f"{path}: member model.keras declares {total} bytes of content, "
                f"more than {budget}; the file is corrupt or a "
                "decompression bomb, and was not read."
            )
        if _WEIGHTS_MEMBER not in names:
            raise ModelFileError(
                f"{not_keras} (it has no {_WEIGHTS_MEMBER}, where Keras stores "
                "the weights). The file is corrupt; save the model again."
            )
        _check_weights(inner, inner.getinfo(_WEIGHTS_MEMBER), path, budget)
        config = _read_member(inner, config_info, path)
    _check_variables(config, path, budget)
    try:
        model = keras.saving.load_model(keras_path, safe_mode=True)
    except Exception as exc:
        hint = ""
        if "register_keras_serializable" in str(exc) or "Could not locate" in str(exc):
            hint = (
                " A network with custom layers loads only when each custom "
                "class is registered with @keras.saving.register_keras_serializable"
                " in the loading process."
            )
        raise ModelFileError(
            f"{path}: cannot restore the model ({type(exc).__name__}: "
            f"{str(exc)[:500]}).{hint}"
        ) from None
    if not isinstance(model, keras.Model):
        raise ModelFileError(
            f"{path}: cannot restore the model: member model.keras holds a "
            f"{type(model).__name__}, not a keras.Model."
        )
    return model


def _check_weights(inner, info, path, budget):
    """Refuse weights whose HDF5 datasets declare more than ``budget`` bytes.

    An HDF5 dataset declares its shape apart from its data: one declared
    31000x31000 with no data written takes a few bytes in the file, and
    Keras allocates the 3.6 GiB it declares when it reads it (Keras' own
    guard starts at 4 GiB). The sizes are read from the file's metadata;
    no dataset is read.
    """
    with tempfile.TemporaryDirectory() as scratch:
        h5_path = Path(scratch) / _WEIGHTS_MEMBER
        with open(h5_path, "wb") as dst:
            _copy_member(inner, info, dst, path)
        try:
            arrays = _declared_arrays(h5_path)
        except Exception as exc:  # OSError from h5py, KeyError, TypeError, ...
            raise ModelFileError(
                f"{path}: cannot restore the model: the {_WEIGHTS_MEMBER} of "
                f"member model.keras is not a readable HDF5 file "
                f"({type(exc).__name__}: {str(exc)[:200]}). The file is corrupt; "
                "save the model again."
            ) from None
    total = sum(size for size, *_ in arrays)
    if total > budget:
        size, name, shape, dtype = max(arrays, key=lambda a: a[0])
        raise ModelFileError(
            f"{path}: the {_WEIGHTS_MEMBER} of member model.keras declares "
            f"{total} bytes of weights, more than {budget}: its "
            f"dataset {name} alone declares shape {tuple(shape)} of {dtype}, "
            f"{size} bytes. The file is corrupt or forged, and its weights were "
            "not read."
        )


def _declared_arrays(h5_path):
    """``(bytes, name, shape, dtype)`` of each dataset of an HDF5 file.

    The bytes are those the dataset declares, or those of one chunk when
    larger (HDF5 reads chunk by chunk). Only hard links are visited: soft
    and external links are not followed (Keras refuses them).
    """
    import h5py

    arrays = []
    with h5py.File(h5_path, "r") as f:

        def visit(name, link):
            if not isinstance(link, h5py.HardLink):
                return None
            obj = f.get(name)
            if isinstance(obj, h5py.Dataset):
                shape = obj.shape or ()
                itemsize = obj.dtype.itemsize
                size = math.prod(shape) * itemsize
                if obj.chunks:
                    size = max(size, math.prod(obj.chunks) * itemsize)
                arrays.append((size, name, shape, obj.dtype))
            return None

        f.visititems_links(visit)
    return arrays


def _check_variables(config, path, budget):
    """Refuse a network whose variables would exceed ``budget`` bytes.

    ``config`` is the ``config.json`` of a ``.keras`` archive. Keras creates
    the variables of the network it describes (a Dense layer of a billion
    units, a metric with a huge state) while building it, before any weight
    is read: the network, and the metrics and losses of its compile
    configuration, are built here first inside a :class:`keras.StatelessScope`
    that does not initialize variables, so each variable records its shape
    and dtype and allocates nothing. The optimizer is left out (it fails to
    build there); its state is a few copies of the trainable variables.
    A part that fails to build is measured up to the failure, and Keras
    reports the failure when it loads the file.
    """
    try:
        config = json.loads(config)
        compile_configs = []
        parts = [_without_compile_configs(config, compile_configs)]
    except (ValueError, RecursionError):
        return  # Keras refuses it in turn, before building anything
    for compile_config in compile_configs:
        if isinstance(compile_config, dict):
            parts += [v for k, v in compile_config.items() if k != "optimizer"]
    variables = _variables_created(parts)
    if variables is None:
        return
    sizes = [(_variable_bytes(v), v) for v in variables]
    total = sum(size for size, _ in sizes)
    if total > budget:
        size, largest = max(sizes, key=lambda item: item[0])
        raise ModelFileError(
            f"{path}: the network that the config.json of member model.keras "
            f"describes has {total} bytes of variables, more than "
            f"{budget}: its variable {largest.path} alone has "
            f"shape {tuple(largest.shape)} of {largest.dtype}, {size} bytes. "
            "The file is corrupt or forged, and the network was not built."
        )


def _without_compile_configs(node, found):
    """``node`` without its ``compile_config`` entries, appended to ``found``."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "compile_config":
                found.append(value)
            else:
                out[key] = _without_compile_configs(value, found)
        return out
    if isinstance(node, list):
        return [_without_compile_configs(value, found) for value in node]
    return node


def _variables_created(parts):
    """The variables that deserializing each of ``parts`` creates, uncreated.

    None when this Keras has no deferred variables to count. Keras keeps
    the variables created in a stateless scope in a list, to initialize at
    the end of the next stateless scope that does; the list is put back as
    it was, so that these variables are never initialized.
    """
    try:
        # Keras' private per-thread state: the uninitialized variables.
        global_state = keras_global_state()
    except ImportError:
        return None
    key = "uninitialized_variables"
    saved = global_state.get_global_attribute(key)
    created = []
    try:
        for part in parts:
            global_state.set_global_attribute(key, [])
            try:
                with (
                    warnings.catch_warnings(),
                    keras.StatelessScope(initialize_variables=False),
                ):
                    warnings.simplefilter("ignore")
                    keras.saving.deserialize_keras_object(part, safe_mode=True)
            except Exception:
                pass  # measured up to the failure, which Keras reports later
            finally:
                created += global_state.get_global_attribute(key) or []
    finally:
        global_state.set_global_attribute(key, saved)
    return created


def _variable_bytes(variable):
    try:
        itemsize = np.dtype(variable.dtype).itemsize
    except TypeError:  # bfloat16, ...: count them wide
        itemsize = 8
    return math.prod(variable.shape) * itemsize


def _check_network(model, fitted, path):
    """The network must take ``n_features_in`` inputs and give a class each."""
    try:
        n_in = model.inputs[0].shape[-1]
        n_out = model.outputs[0].shape[-1]
    except Exception as exc:  # no inputs/outputs: not built, or not a network
        raise ModelFileError(
            f"{path}: cannot restore the model: its network has no usable input "
            f"and output ({type(exc).__name__}: {exc})."
        ) from None
    if n_in != fitted["n_features_in"] or n_out != len(fitted["classes"]):
        raise ModelFileError(
            f"{path}: the network ({n_in} inputs, {n_out} outputs) does not match "
            f"the stored estimator metadata ({fitted['n_features_in']} features, "
            f"{len(fitted['classes'])} classes)."
        )


def check_storable_network(model):
    """Refuse a network that safe-mode loading could not rebuild.

    Called by :func:`save_model`, and before training by a fit that will be
    stored in ``cache_dir``.
    """
    stack = list(model.layers)
    while stack:
        layer = stack.pop()
        stack.extend(getattr(layer, "layers", []))
        cls = type(layer)
        if isinstance(layer, keras.layers.Lambda):
            raise ValueError(
                f"The network has a Lambda layer ({layer.name!r}), whose Python "
                "code Keras' safe mode refuses to load, so a saved model could "
                "never be loaded again. Write it as a small Layer subclass "
                "registered with @keras.saving.register_keras_serializable."
            )
        if cls.__module__.startswith("keras."):
            continue
        name = keras.saving.get_registered_name(cls)
        if keras.saving.get_registered_object(name) is not cls:
            raise ValueError(
                f"The network has a layer of the custom class {cls.__qualname__}, "
                "which is not registered as Keras serializable, so the saved "
                "model could not be loaded safely. Decorate the class with "
                "@keras.saving.register_keras_serializable(package='yourpackage')"
                " and define get_config()."
            )
