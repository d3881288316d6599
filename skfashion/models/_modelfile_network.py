"""The network of a model file: loaded in safe mode with bounded memory.

Also the check, run before saving, that safe-mode loading can rebuild a
network at all.
"""

import json
import math
import tempfile
import warnings
import zipfile
from pathlib import Path

import keras
import numpy as np

from .._keras_privates import keras_global_state
from ..exceptions import ModelFileError
from ._modelfile import _MAX_JSON_BYTES, _WEIGHTS_MEMBER, _copy_member, _read_member


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
