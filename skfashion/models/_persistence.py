"""Saving and loading fitted estimators without executing code on load.

``pickle``/``joblib`` work on the estimators too, but unpickling runs
arbitrary code. The format here is a zip file holding the network in Keras'
native ``.keras`` format (loaded with ``safe_mode=True``) and a JSON file with
the estimator's class, parameters and fitted attributes.

This module holds the public functions and the writing of a file; the
format and its bounded reads are in ``_modelfile.py``, the checks of
``estimator.json`` in ``_modelfile_schema.py`` and the loading of the
network in ``_modelfile_network.py``.
"""

import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from .. import __version__
from ..exceptions import ModelFileError
from ..utils import atomic_write_path, row_hashes
from ._modelfile import (
    _MAX_JSON_BYTES,
    _MAX_KERAS_BYTES,
    _MAX_SOURCE_CHARS,
    _ROWS_MEMBER,
    FORMAT,
    FORMAT_VERSION,
    _Budget,
    _copy_member,
    _is_int,
    _json_params,
    _member_info,
    _open_zip,
    _parse_json,
    _read_member,
    _short,
)
from ._modelfile_network import _check_network, _load_network, check_storable_network
from ._modelfile_schema import _make_estimator, _read_meta, _restore_fitted
from ._registry import estimator_class, registered_names


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
