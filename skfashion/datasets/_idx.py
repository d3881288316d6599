"""Reader and writer for the IDX format used by MNIST and Fashion-MNIST.

An IDX file is a 4-byte header ``00 00 <dtype code> <ndim>``, then ``ndim``
big-endian uint32 dimension sizes, then the C-ordered big-endian data. Files
are often gzip-compressed; compression is detected from the content, never
from the file name, because the Debian package and other mirrors re-compress
or decompress files without keeping the original names.
"""

import gzip
import io
import math
import os
import struct
import zlib

import numpy as np

from ..exceptions import DataFileError

__all__ = ["read_idx", "write_idx"]

_GZIP_MAGIC = b"\x1f\x8b"
_MAX_NDIM = 4

# IDX stores multi-byte values big-endian whatever the writing machine was.
_CODE_TO_DTYPE = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_KIND_SIZE_TO_CODE = {
    (dtype.kind, dtype.itemsize): code for code, dtype in _CODE_TO_DTYPE.items()
}


def _decompress(data, name, max_size=None):
    """Return the IDX bytes of ``data``, gunzipping it if it is gzip data.

    Decompression stops as soon as more bytes come out than the IDX header
    declares, or than ``max_size`` (the known size of the file, when there
    is one), so a corrupt file or a decompression bomb is refused after
    inflating at most that many bytes.
    """
    if bytes(data[:2]) != _GZIP_MAGIC:
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            return _read_bounded(stream, name, max_size)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFileError(
            f"IDX file {name}: corrupt or truncated gzip stream ({exc})"
        ) from exc


def _read_bounded(stream, name, max_size):
    """Read an IDX file from ``stream``, at most one byte past its size.

    The size is what the header declares, capped by ``max_size``. A header
    that is too short or invalid ends the reading; :func:`_parse_idx` then
    reports what is wrong with it.
    """
    head = stream.read(4)
    if len(head) < 4 or head[:2] != b"\0\0" or head[2] not in _CODE_TO_DTYPE:
        return head
    ndim = head[3]
    if not 1 <= ndim <= _MAX_NDIM:
        return head
    dims = stream.read(4 * ndim)
    header = head + dims
    if len(dims) < 4 * ndim:
        return header
    shape = struct.unpack(f">{ndim}I", dims)
    size = len(header) + math.prod(shape) * _CODE_TO_DTYPE[head[2]].itemsize
    limit = size if max_size is None else min(size, max_size)
    if len(header) > limit:
        limit = len(header)
    body = _read_at_most(stream, limit - len(header) + 1)
    if len(header) + len(body) > limit:
        if limit == size:
            what = f"the {size} bytes its header declares (shape {shape})"
        else:
            what = (
                f"the {max_size} bytes this file must have (its header declares "
                f"shape {shape}, {size} bytes)"
            )
        raise DataFileError(
            f"IDX file {name}: the gzip stream decompresses to more than {what}; "
            "decompression was stopped there. The file is corrupt, not the "
            "expected data, or a decompression bomb: delete it and obtain a "
            "fresh copy."
        )
    return header + body


_CHUNK_BYTES = 1 << 20


def _read_at_most(stream, n_bytes):
    """Read up to ``n_bytes`` from ``stream`` in 1 MiB chunks.

    A corrupt header can declare a size far beyond memory (or beyond what
    ``read`` accepts); reading in chunks allocates only what the stream
    actually yields.
    """
    chunks = []
    remaining = n_bytes
    while remaining > 0:
        chunk = stream.read(min(remaining, _CHUNK_BYTES))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_decompressed(path, max_size=None):
    """Read ``path`` and return its (gunzipped if needed) IDX bytes.

    ``max_size`` is the known decompressed size, if any (see
    :func:`_decompress`).
    """
    with open(path, "rb") as f:
        data = f.read()
    return _decompress(data, os.fspath(path), max_size)


def _parse_idx(buf, name):
    """Parse IDX bytes into a native-endian, writable array."""
    n_bytes = len(buf)
    if n_bytes < 4:
        raise DataFileError(
            f"IDX file {name}: {n_bytes} bytes is too short for an IDX header "
            "(at least 4 bytes)"
        )
    if buf[0] != 0 or buf[1] != 0:
        raise DataFileError(
            f"IDX file {name}: not an IDX file, the first two bytes are "
            f"0x{buf[0]:02x} 0x{buf[1]:02x} instead of 0x00 0x00"
        )
    code, ndim = buf[2], buf[3]
    if code not in _CODE_TO_DTYPE:
        supported = ", ".join(f"0x{c:02x}" for c in _CODE_TO_DTYPE)
        raise DataFileError(
            f"IDX file {name}: unknown data type code 0x{code:02x} "
            f"(supported: {supported})"
        )
    if not 1 <= ndim <= _MAX_NDIM:
        raise DataFileError(
            f"IDX file {name}: header declares {ndim} dimensions, "
            f"expected 1 to {_MAX_NDIM}"
        )
    header_size = 4 + 4 * ndim
    if n_bytes < header_size:
        raise DataFileError(
            f"IDX file {name}: truncated header, expected {header_size} bytes "
            f"for {ndim} dimensions but the file has {n_bytes} bytes"
        )
    shape = struct.unpack(f">{ndim}I", bytes(buf[4:header_size]))
    dtype = _CODE_TO_DTYPE[code]
    # Python ints cannot overflow, so absurd declared sizes are caught here
    # instead of surfacing as a numpy reshape or allocation error.
    expected = header_size + math.prod(shape) * dtype.itemsize
    if n_bytes != expected:
        problem = (
            "truncated"
            if n_bytes < expected
            else f"{n_bytes - expected} trailing bytes"
        )
        raise DataFileError(
            f"IDX file {name}: header declares shape {shape} of {dtype.name}, "
            f"which needs {expected} bytes, but the file has {n_bytes} bytes "
            f"({problem})"
        )
    flat = np.frombuffer(buf, dtype=dtype, count=math.prod(shape), offset=header_size)
    # astype copies: the result is native-endian and writable, unlike a view
    # on the immutable bytes object.
    return flat.reshape(shape).astype(dtype.newbyteorder("="), copy=True)


def read_idx(path_or_bytes, *, name=None):
    """Read an IDX file (raw or gzip-compressed) into a NumPy array.

    Parameters
    ----------
    path_or_bytes : str, os.PathLike or bytes-like
        Path of the file, or its content. Gzip compression is detected from
        the first two bytes (``1f 8b``), not from the file name.
    name : str, default=None
        Name used in error messages. Defaults to the path, or ``"<bytes>"``
        when the content is passed directly.

    Returns
    -------
    array : ndarray of shape given by the header
        Native-endian, writable array with 1 to 4 dimensions and dtype
        uint8, int8, int16, int32, float32 or float64.

    Raises
    ------
    skfashion.exceptions.DataFileError
        If the content is not a valid IDX file: bad magic bytes, unknown data
        type code, unsupported number of dimensions, a byte count that does
        not match the header, or a corrupt gzip stream.
    OSError
        If the file cannot be opened.

    See Also
    --------
    write_idx : Write an array as an IDX file.

    Examples
    --------
    >>> from skfashion.datasets import read_idx
    >>> read_idx(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9]))
    array([7, 8, 9], dtype=uint8)
    """
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        label = "<bytes>" if name is None else name
        data = path_or_bytes
        if isinstance(data, memoryview):
            data = data.tobytes()
    else:
        path = os.fspath(path_or_bytes)
        label = path if name is None else name
        with open(path, "rb") as f:
            data = f.read()
    return _parse_idx(_decompress(data, label), label)


def _encode_idx(array):
    """Return the uncompressed IDX bytes of ``array``."""
    array = np.asarray(array)
    key = (array.dtype.kind, array.dtype.itemsize)
    if key not in _KIND_SIZE_TO_CODE:
        raise ValueError(
            f"IDX cannot store dtype {array.dtype}; use uint8, int8, int16, "
            "int32, float32 or float64"
        )
    if not 1 <= array.ndim <= _MAX_NDIM:
        raise ValueError(
            f"write_idx supports arrays with 1 to {_MAX_NDIM} dimensions, "
            f"got {array.ndim}"
        )
    if any(size >= 2**32 for size in array.shape):
        raise ValueError(f"IDX dimension sizes must be < 2**32, got {array.shape}")
    code = _KIND_SIZE_TO_CODE[key]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    body = array.astype(_CODE_TO_DTYPE[code], copy=False).tobytes(order="C")
    return header + body


def write_idx(path, array, *, compress=None):
    """Write an array as an IDX file.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file. It is overwritten if it exists.
    array : array-like
        Array with 1 to 4 dimensions and dtype uint8, int8, int16, int32,
        float32 or float64 (any byte order).
    compress : bool, default=None
        Whether to gzip the file. By default, compress when ``path`` ends
        with ``".gz"``.

    Raises
    ------
    ValueError
        If the dtype or the number of dimensions cannot be stored in IDX.

    See Also
    --------
    read_idx : Read an IDX file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skfashion.datasets import read_idx, write_idx
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "labels-idx1-ubyte.gz")
    ...     write_idx(path, np.array([3, 1, 4], dtype=np.uint8))
    ...     read_idx(path)
    array([3, 1, 4], dtype=uint8)
    """
    payload = _encode_idx(array)
    path = os.fspath(path)
    if compress is None:
        compress = path.endswith(".gz")
    if compress:
        # mtime=0 makes the output byte-identical across runs.
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    with open(path, "wb") as f:
        f.write(payload)
