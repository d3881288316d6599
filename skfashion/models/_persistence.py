"""Saving and loading fitted estimators without executing code on load.

``pickle``/``joblib`` work on the estimators too, but unpickling runs
arbitrary code. The format here is a zip file holding the network in Keras'
native ``.keras`` format (loaded with ``safe_mode=True``) and a JSON file with
the estimator's class, parameters and fitted attributes.
"""

import json
import os
import tempfile
import zipfile
from pathlib import Path

import keras
import numpy as np
from sklearn.utils.validation import check_is_fitted

from .. import __version__
from ..exceptions import ModelFileError
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


def save_model(estimator, path):
    """Save a fitted skfashion estimator to ``path`` in the safe format.

    The file is written to a temporary name and moved into place only when
    complete, so an interrupted save never leaves a truncated model.

    Parameters
    ----------
    estimator : KerasCNNClassifier or KerasMLPClassifier
        A fitted estimator.
    path : str or path-like
        Destination file (conventionally ``*.skf``).

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
    name = type(estimator).__name__
    if estimator_class(name) is not type(estimator):
        raise TypeError(
            f"save_model accepts {registered_names()}, got {name}; use joblib "
            "for other estimators."
        )
    check_is_fitted(estimator)
    classes = np.asarray(estimator.classes_)
    if classes.dtype.kind not in "iubUO" or (
        classes.dtype.kind == "O" and not all(isinstance(c, str) for c in classes)
    ):
        raise ValueError(
            f"save_model stores integer, boolean or string class labels; "
            f"classes_ has dtype {classes.dtype}. Use joblib instead."
        )
    _check_layers_registered(estimator.model_)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "skfashion_version": __version__,
        "estimator": name,
        "params": _json_params(estimator),
        "fitted": estimator._fitted_state(),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            keras_path = Path(scratch) / "model.keras"
            estimator.model_.save(keras_path)
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("estimator.json", json.dumps(meta, indent=2))
                zf.write(keras_path, "model.keras")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_model(path):
    """Load an estimator written by :func:`save_model`, executing no code.

    Parameters
    ----------
    path : str or path-like
        File written by :func:`save_model`.

    Returns
    -------
    estimator : KerasCNNClassifier or KerasMLPClassifier
        The fitted estimator, ready for ``predict``.

    Raises
    ------
    ModelFileError
        If the file is missing, corrupt, or not an skfashion model.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            meta = json.loads(zf.read("estimator.json"))
            keras_bytes = zf.read("model.keras")
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file.") from None
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, OSError) as exc:
        raise ModelFileError(
            f"{path} is not a valid skfashion model file ({exc}). Models are "
            "written by skfashion.models.save_model or `skfashion train`."
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not an skfashion model file.")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has model format version {meta.get('format_version')}, this "
            f"skfashion reads version {FORMAT_VERSION}."
        )
    cls = estimator_class(meta.get("estimator"))
    if cls is None:
        raise ModelFileError(f"{path}: unknown estimator {meta.get('estimator')!r}.")
    try:
        estimator = cls(**_from_json_params(meta["params"]))
        fitted = meta["fitted"]
        with tempfile.TemporaryDirectory() as scratch:
            keras_path = Path(scratch) / "model.keras"
            keras_path.write_bytes(keras_bytes)
            model = keras.saving.load_model(keras_path, safe_mode=True)
        estimator._restore_fitted_state(fitted, model)
    except Exception as exc:
        hint = ""
        if "register_keras_serializable" in str(exc) or "Could not locate" in str(exc):
            hint = (
                " A network with custom layers loads only when each custom "
                "class is registered with @keras.saving.register_keras_serializable"
                " in the loading process."
            )
        raise ModelFileError(
            f"{path}: cannot restore the model ({exc}).{hint}"
        ) from None
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


def _check_layers_registered(model):
    """Refuse to save a network that safe-mode loading could not rebuild."""
    stack = list(model.layers)
    while stack:
        layer = stack.pop()
        stack.extend(getattr(layer, "layers", []))
        cls = type(layer)
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
