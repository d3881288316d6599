"""The fit cache: finished fits stored in ``cache_dir``, found by their key.

A fit with ``cache_dir`` set computes a key from everything that decides the
trained model (:func:`cache_entry`); a stored entry with that key is loaded
instead of training (:func:`load_stored`), and a resumable fit
(``schedule_epochs``) may continue the longest stored shorter cut of the
same run (:func:`load_shorter`). Each entry records its key and is checked
on load (:func:`entry_mismatch`): one that turns out to be another fit's is
reported with a :class:`~skfashion.exceptions.CacheEntryWarning` and
trained again. The estimator's ``fit`` drives these functions; loading
goes through the ``load`` function it passes (its module's ``load_model``).
"""

import functools
import glob
import hashlib
import inspect
import json
import os
import re
import time
import warnings

import keras
import numpy as np

from ..exceptions import CacheEntryWarning
from ..utils import probe_writable
from ._persistence import _json_params, read_cache_record

#: Parameters that never change the trained model, left out of the key.
CACHE_IGNORED = frozenset({"cache_dir", "verbose", "callbacks", "warm_start"})

#: How far up the stack cache warnings point: the warning's function, the
#: estimator method that calls it, ``fit``, and the caller of ``fit``.
_WARN_LEVEL = 4


def cache_entry(estimator, X, y, sample_weight, fit_kwargs):
    """Where this (parameters, data) fit lives in ``cache_dir``, or None.

    The key covers every parameter that changes the trained model, the
    configuration of the network a user's ``model`` function builds
    (the estimator's ``_cache_network``), what ``fit`` inferred from X
    (image shape, pixel range) and a digest of the exact training data, so
    a resumed search reuses a fit only when it would have trained the very
    same model. With ``schedule_epochs`` set, ``epochs`` is left out of the
    key: fits of the same run cut after different epochs share it, and a
    longer one continues the longest stored one (see :class:`_CacheEntry`).
    Each entry records its key, and is checked against the fit asking for
    it when loaded (:func:`entry_mismatch`).
    """
    if estimator.cache_dir is None:
        return None
    if (
        fit_kwargs
        or estimator.callbacks
        or not isinstance(estimator.random_state, (int, np.integer))
    ):
        # Without a fixed seed (or with extra fit arguments) a rerun would
        # not be the same fit, so reusing a stored one would be wrong.
        raise ValueError(
            "cache_dir needs an int random_state and no callbacks or extra "
            f"fit arguments; got random_state={estimator.random_state!r}."
        )
    resumable = estimator.schedule_epochs is not None and not estimator.early_stopping
    ignored = CACHE_IGNORED | ({"epochs"} if resumable else set())
    params = {
        k: _fingerprint(v)
        for k, v in estimator.get_params().items()
        if k not in ignored
    }
    network = estimator._cache_network(np.unique(y).size)
    if network is not None:
        params["__network__"] = network
    digest = hashlib.blake2b(digest_size=20)
    digest.update(type(estimator).__name__.encode())
    digest.update(json.dumps(params, sort_keys=True, default=repr).encode())
    inferred = [estimator.image_shape_, estimator.pixel_range_]
    digest.update(json.dumps(inferred, default=list).encode())
    for arr in (X, np.asarray(y), sample_weight):
        if arr is not None:
            arr = np.ascontiguousarray(arr)
            digest.update(f"{arr.dtype.str}{arr.shape}".encode())
            digest.update(
                arr.data if arr.dtype != object else repr(arr.tolist()).encode()
            )
    return _CacheEntry(
        os.fspath(estimator.cache_dir),
        digest.hexdigest(),
        estimator.epochs if resumable else None,
    )


def entry_mismatch(estimator, stored, record, key, epochs, y):
    """Why the loaded entry ``stored`` is not ``estimator``'s fit, or None.

    ``record`` is the entry's own record of its key and epochs
    (:func:`~skfashion.models._persistence.read_cache_record`); ``key``
    and ``epochs`` are what this fit looks for. The stored parameters
    and classes must be this fit's too.
    """
    if record is None:
        return "it records no cache key: written by an older skfashion"
    if record["key"] != key:
        return f"it records the key {record['key'][:80]!r}"
    if record["epochs"] != epochs:
        return f"it records {record['epochs']} epochs, not {epochs}"
    if type(stored) is not type(estimator):
        return f"it holds a {type(stored).__name__}"
    ignored = CACHE_IGNORED | ({"epochs"} if epochs is not None else set())
    mine = _cache_params(estimator, ignored)
    theirs = _cache_params(stored, ignored)
    differ = sorted(
        k
        for k in mine.keys() | theirs.keys()
        if mine.get(k, None) != theirs.get(k, None)
    )
    if differ:
        return f"its parameters differ: {', '.join(differ)}"
    if epochs is not None and stored.n_iter_ != epochs:
        return f"it holds {stored.n_iter_} epochs, not {epochs}"
    if np.asarray(stored.classes_).tolist() != np.unique(y).tolist():
        return "it was fitted on other classes"
    return None


def load_stored(estimator, entry, y, load):
    """The stored fit of ``entry``, loaded with ``load``; None when there is none.

    An entry that cannot be loaded, or that turns out to be another fit's,
    is reported once and None returned: the fit trains again (and
    overwrites it).
    """
    if not os.path.exists(entry.path):
        return None
    try:
        record = read_cache_record(entry.path)
        stored = load(entry.path)
    except Exception as exc:  # any damage: retrain and overwrite
        warnings.warn(
            f"Cache entry {entry.path} cannot be read ({exc}); training "
            "this fit again and overwriting the entry.",
            CacheEntryWarning,
            stacklevel=_WARN_LEVEL,
        )
        return None
    reason = entry_mismatch(estimator, stored, record, entry.key, entry.epochs, y)
    if reason is not None:
        warnings.warn(
            f"Cache entry {entry.path} does not belong to this fit "
            f"({reason}); training this fit again and overwriting the entry.",
            CacheEntryWarning,
            stacklevel=_WARN_LEVEL,
        )
        return None
    return stored


def load_shorter(estimator, entry, y, load):
    """The longest stored shorter cut of ``entry``'s run, or None."""
    for epochs, path in entry.shorter():
        try:
            record = read_cache_record(path)
            stored = load(path)
        except Exception as exc:
            warnings.warn(
                f"Cache entry {path} cannot be read ({exc}); not continuing from it.",
                CacheEntryWarning,
                stacklevel=_WARN_LEVEL,
            )
            continue
        reason = entry_mismatch(estimator, stored, record, entry.key, epochs, y)
        if reason is not None:
            warnings.warn(
                f"Cache entry {path} does not belong to this fit ({reason}); "
                "not continuing from it.",
                CacheEntryWarning,
                stacklevel=_WARN_LEVEL,
            )
            continue
        return stored
    return None


def _check_cache_writable(cache_dir):
    """Fail before training if fit-cache entries cannot be written."""
    folder = os.fspath(cache_dir)
    try:
        os.makedirs(folder, exist_ok=True)
        probe_writable(folder)
    except OSError as exc:
        raise type(exc)(
            exc.errno,
            f"cache_dir={folder!r}: cannot write fit-cache entries there "
            f"({exc.strerror or exc}); pass a writable folder or "
            "cache_dir=None",
        ) from None


#: How deep :func:`_fingerprint` follows partials, closures and objects.
_FINGERPRINT_DEPTH = 4


def _fingerprint(value, depth=0):
    """A stable, content-based stand-in for a parameter value in cache keys.

    Functions are identified by module, name, source code, default
    arguments and the contents of their closure cells;
    ``functools.partial`` objects by their function, arguments and
    keywords; other callable objects by their class's source and their
    attributes; Keras models by their architecture and Keras objects by
    their configuration: never by ``repr`` where it can be helped, since
    a memory address changes from one process to the next while the object
    may stay the same (and the other way round). What a function *calls*
    is not seen here: KerasImageClassifier adds the configuration of the
    network its ``model`` builds to the key (``_cache_network``).
    """
    deeper = depth < _FINGERPRINT_DEPTH

    def inner(v):
        return _fingerprint(v, depth + 1) if deeper else _type_name(v)

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        if arr.dtype == object:
            return {"array": [inner(v) for v in arr.ravel().tolist()]}
        return {
            "array": f"{arr.dtype.str}{arr.shape}",
            "blake2b": hashlib.blake2b(arr.data, digest_size=20).hexdigest(),
        }
    if isinstance(value, (list, tuple)):
        return [inner(v) for v in value]
    if isinstance(value, dict):
        return {str(k): inner(v) for k, v in value.items()}
    if isinstance(value, keras.Model):
        return {"keras_model": value.to_json()}
    if isinstance(value, functools.partial):
        return {
            "partial": inner(value.func),
            "args": [inner(v) for v in value.args],
            "keywords": {str(k): inner(v) for k, v in value.keywords.items()},
        }
    if isinstance(value, type):
        return {"class": _type_name(value, of_class=True), "src": _source(value)}
    if callable(value) and not hasattr(value, "get_config"):
        name = getattr(value, "__qualname__", type(value).__qualname__)
        out = {"callable": f"{getattr(value, '__module__', '')}.{name}"}
        if inspect.isfunction(value) or inspect.ismethod(value):
            func = getattr(value, "__func__", value)
            out["src"] = _source(func)
            out["defaults"] = inner(func.__defaults__)
            out["kwdefaults"] = inner(func.__kwdefaults__)
            out["closure"] = [inner(_cell(c)) for c in func.__closure__ or ()]
            if inspect.ismethod(value):
                out["self"] = inner(value.__self__)
        else:  # a callable object: its class and its state
            out["class_src"] = _source(type(value))
            state = getattr(value, "__dict__", None)
            if isinstance(state, dict):
                out["state"] = {str(k): inner(v) for k, v in state.items()}
        return out
    if hasattr(value, "get_config"):  # Keras layers, initializers, ...
        try:
            config = value.get_config()
        except Exception:
            config = None
        if config is not None:
            return {"class": _type_name(value), "config": inner(config)}
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return repr(value)


def _type_name(value, of_class=False):
    cls = value if of_class else type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


def _source(obj):
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return None


def _cell(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


def _cache_params(estimator, ignored):
    """``estimator``'s parameters as its model file stores them, for checks."""
    params = json.loads(json.dumps(_json_params(estimator), default=repr))
    return {k: v for k, v in params.items() if k not in ignored}


class _CacheEntry:
    """File of one fit in the cache folder, and the shorter fits it extends.

    ``epochs`` is None for plain entries (one file per key). For resumable
    fits (``schedule_epochs`` set) each entry holds the fit cut after
    ``epochs`` epochs: ``<key>-e<epochs>.skf``. The file records the key
    and epochs (:meth:`record`), checked when it is loaded.
    """

    def __init__(self, folder, key, epochs):
        self.folder, self.key, self.epochs = folder, key, epochs
        name = key if epochs is None else f"{key}-e{epochs}"
        self.path = os.path.join(folder, name + ".skf")

    def record(self):
        """What the entry's file records of it (the field ``cache``)."""
        return {"key": self.key, "epochs": self.epochs}

    def shorter(self):
        """``(epochs, path)`` of stored shorter cuts of the same run, longest
        first."""
        if self.epochs is None:
            return []
        found = []
        pattern = re.compile(re.escape(self.key) + r"-e(\d+)\.skf$")
        for path in glob.glob(
            os.path.join(glob.escape(self.folder), self.key + "-e*.skf")
        ):
            match = pattern.search(os.path.basename(path))
            if match and int(match.group(1)) < self.epochs:
                found.append((int(match.group(1)), path))
        return sorted(found, reverse=True)


#: Temporary files that skfashion itself leaves in a cache folder when killed
#: mid-write: an entry being saved (``skfashion.utils.atomic_write_path``
#: names it ``.<entry name>.XXXXXXXX.tmp``) or the writability probe.
_STALE_TEMP = re.compile(
    r"\.[0-9a-f]{40}(?:-e[0-9]+)?\.skf\.[a-z0-9_]{8}\.tmp"
    r"|\.skfashion-probe-[a-z0-9_]{8}"
)
#: Age after which such a file is taken as left behind, not being written:
#: another process may be saving an entry into the same folder right now.
_STALE_AFTER_S = 3600


def _remove_stale_temps(folder):
    """Remove skfashion's own temporary files older than an hour from ``folder``.

    Only names that skfashion's cache writes match (:data:`_STALE_TEMP`);
    the user's files, and temporary files younger than
    :data:`_STALE_AFTER_S`, are never touched. Failures are ignored: this
    is housekeeping.
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        if not _STALE_TEMP.fullmatch(entry.name):
            continue
        try:
            if (
                entry.is_file(follow_symlinks=False)
                and now - entry.stat(follow_symlinks=False).st_mtime > _STALE_AFTER_S
            ):
                os.unlink(entry.path)
        except OSError:
            pass
