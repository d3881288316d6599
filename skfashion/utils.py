"""Small helpers shared across skfashion's subpackages."""

import contextlib
import hashlib
import math
import os
import tempfile
from numbers import Integral
from pathlib import Path

import numpy as np

__all__ = ["atomic_write_path", "resolve_image_shape", "row_hashes", "to_jsonable"]


def to_jsonable(value):
    """Convert ``value`` to plain Python types that :mod:`json` can write.

    NumPy scalars and arrays become Python numbers and lists, tuples become
    lists, paths become strings, non-finite floats become ``None`` (JSON has
    no NaN) and anything else unknown becomes its ``repr``.

    Parameters
    ----------
    value : object
        Value to convert; dicts and sequences are converted recursively.

    Returns
    -------
    converted : object
        A str, int, float, bool, None, list or dict of those.

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion.utils import to_jsonable
    >>> to_jsonable({"a": np.float32(0.5), "b": (1, np.int64(2)), "c": np.nan})
    {'a': 0.5, 'b': [1, 2], 'c': None}
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (Integral, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return repr(value)


def _umask():
    """The process umask, read without changing it where the OS allows."""
    try:
        # Linux >= 4.7: reading it here avoids the set-and-restore race of
        # os.umask() with threads that create files meanwhile.
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _chmod_like_new_file(path):
    """Give ``path`` the permissions of a file created with ``open``.

    :func:`tempfile.mkstemp` creates files readable by their owner only
    (``0o600``); a result written through a temporary file and moved into
    place would keep them. This sets ``0o666`` less the umask instead, as
    for any other file the user creates.
    """
    os.chmod(path, 0o666 & ~_umask())


def probe_writable(folder):
    """Check that a new file can be created in ``folder``, leaving none behind.

    Creates and removes a hidden probe file (``.skfashion-probe-*``), the
    way skfashion's atomic writes create their temporary files, so that a
    read-only folder is found before any long work rather than after it.

    Parameters
    ----------
    folder : str or path-like
        An existing folder.

    Raises
    ------
    OSError
        The error of the failed creation, as the operating system gave it
        (``strerror`` says why): the caller adds what to do about it.
    """
    fd, probe = tempfile.mkstemp(dir=os.fspath(folder), prefix=".skfashion-probe-")
    os.close(fd)
    os.unlink(probe)


@contextlib.contextmanager
def atomic_write_path(path):
    """Write a file through a temporary name, moved into place when complete.

    The one implementation of skfashion's atomic file writes: the context
    yields a temporary path in the destination's folder (named
    ``.<name>.XXXXXXXX.tmp``, so that one left by a killed process can be
    recognised and removed); when the block ends without an error the file
    gets the permissions the umask gives any new file and replaces ``path``
    in one step. On any error, Ctrl-C included, the temporary file is
    removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or path-like
        Destination file; its folder must exist.

    Yields
    ------
    tmp : pathlib.Path
        Where to write the content.

    Examples
    --------
    >>> import os, tempfile
    >>> from skfashion.utils import atomic_write_path
    >>> target = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with atomic_write_path(target) as tmp:
    ...     _ = tmp.write_text("complete")
    >>> open(target).read()
    'complete'
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        _chmod_like_new_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def resolve_image_shape(image_shape, n_features, image_hw, *, required):
    """Decide the shape of the images behind flat features.

    The one rule of skfashion for image shapes, used by the estimators and
    by the displays alike.

    Parameters
    ----------
    image_shape : tuple of int or None
        ``(height, width)`` or ``(height, width, channels)``; height or
        width may be ``-1``, inferred as in :func:`numpy.reshape`.
    n_features : int
        Values per sample in the flat layout.
    image_hw : tuple of int or None
        The shape found in 3-D/4-D input, or None for flat input.
    required : bool
        Whether a shape that cannot be known raises (True) or gives None.

    Returns
    -------
    shape : tuple of int or None
        ``(height, width)`` for one channel, ``(height, width, channels)``
        otherwise. Without ``image_shape``, 3-D/4-D input gives the shape
        and flat input must be square grayscale.

    Examples
    --------
    >>> from skfashion.utils import resolve_image_shape
    >>> resolve_image_shape(None, 784, None, required=True)
    (28, 28)
    >>> resolve_image_shape((16, -1, 3), 768, None, required=True)
    (16, 16, 3)
    """
    if image_shape is not None:
        shape = tuple(image_shape)
        if len(shape) not in (2, 3) or not all(
            isinstance(v, (int, np.integer)) for v in shape
        ):
            raise ValueError(
                "image_shape must be (height, width) or (height, width, "
                f"channels) of ints, got {image_shape!r}."
            )
        h, w = shape[:2]
        c = shape[2] if len(shape) == 3 else 1
        if c < 1:
            raise ValueError(f"image_shape has {c} channels; it needs at least 1.")
        if h == -1 and w == -1:
            raise ValueError("image_shape may contain at most one -1.")
        pixels, rest = divmod(n_features, c)
        if h == -1:
            h = pixels // w if not rest and w > 0 and pixels % w == 0 else None
        elif w == -1:
            w = pixels // h if not rest and h > 0 and pixels % h == 0 else None
        if h is None or w is None or h < 1 or w < 1 or h * w * c != n_features:
            raise ValueError(
                f"image_shape={shape} does not match X with "
                f"{n_features} features per sample."
            )
        resolved = (int(h), int(w)) if c == 1 else (int(h), int(w), int(c))
        if image_hw is not None and tuple(image_hw) != resolved:
            raise ValueError(
                f"image_shape={shape} does not match images of "
                f"shape {tuple(image_hw)} in X."
            )
        return resolved
    if image_hw is not None:
        return tuple(int(v) for v in image_hw)
    side = math.isqrt(n_features)
    if side * side == n_features:
        return side, side
    if required:
        raise ValueError(
            f"Cannot infer the image shape of X with {n_features} features per "
            "sample: it is not a square number. Pass X as (n_samples, height, "
            "width[, channels]) or set image_shape=(height, width[, channels])."
        )
    return None


def row_hashes(X):
    """A 64-bit hash of each sample's values, to recognise samples seen before.

    Each row is hashed from its values as float32, so that the same images
    given as ``uint8`` or as floats with the same values hash alike; other
    scalings of the same images (for example divided by 255) do not.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Samples, flat or as images.

    Returns
    -------
    hashes : ndarray of shape (n_samples,), dtype uint64
        One hash per sample, in the order of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion.utils import row_hashes
    >>> X = np.arange(12, dtype=np.uint8).reshape(3, 4)
    >>> h = row_hashes(X)
    >>> bool((row_hashes(X.astype(float)) == h).all()), len(np.unique(h))
    (True, 3)
    """
    X = np.asarray(X)
    n = len(X)
    flat = np.ascontiguousarray(X.reshape(n, -1), dtype=np.float32)
    # +0.0 turns -0.0 into 0.0, so that equal values hash alike.
    flat = flat + np.float32(0.0)
    return np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(row, digest_size=8).digest(), "little")
            for row in flat
        ),
        dtype=np.uint64,
        count=n,
    )
