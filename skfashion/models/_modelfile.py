"""The model file format: its constants, its encoding of parameters and
bounded reads of its zip members.

A model file is a zip file holding ``estimator.json`` (the estimator's
class, parameters and fitted state), ``model.keras`` (the network in Keras'
native format) and, optionally, the hashes of the training images. Every
read here is bounded by the size that a member declares, itself bounded by
the bytes it takes in the file.
"""

import contextlib
import io
import json
import os
import zipfile

import numpy as np

from .._npy import NotARegularFileError, open_regular_file
from ..exceptions import ModelFileError

FORMAT = "skfashion-model"
FORMAT_VERSION = 1
# Parameters that are tuples in the constructor but lists once in JSON.
_TUPLE_PARAMS = {"conv_filters", "dense_units", "hidden_layer_sizes", "image_shape"}


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


@contextlib.contextmanager
def _open_zip(path):
    """The model file as an open :class:`zipfile.ZipFile`, closed on exit.

    Only a regular file is opened: a named pipe would block forever and a
    device such as ``/dev/zero`` never ends (see
    :func:`~skfashion._npy.open_regular_file`).
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
