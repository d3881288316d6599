"""Reading ``.npy`` and ``.npz`` files given by users, with bounded memory.

:func:`numpy.load` allocates the array its header declares before reading
the data, so a small file whose header claims ``(100000000, 28, 28)`` makes
it ask for 78 GB, and a compressed ``.npz`` member may inflate far beyond
its size on disk. These readers parse the header first and refuse, before
allocating anything, an array larger than :data:`MAX_ARRAY_BYTES`, or one
whose declared size differs from the bytes the file (or the ``.npz``
member) actually holds; members are never inflated past their declared
size. Pickled (object) arrays are never loaded.

Only regular files are read (:func:`open_regular_file`): a named pipe would
block the reader forever and a device such as ``/dev/zero`` never ends.
"""

import errno
import math
import os
import stat
import zipfile

import numpy as np

from .exceptions import DataFileError

#: Largest array accepted, in bytes: 2 GiB. The whole of Fashion-MNIST
#: (70,000 images) is 55 MB as uint8 and 439 MB as float64, so real data
#: fits several times over, while an absurd header is refused at once.
MAX_ARRAY_BYTES = 2 * 2**30
#: Kinds of arrays that hold data: booleans, numbers and strings.
_DATA_KINDS = "biufcUS"
_MAX_HEADER_SIZE = 10_000

#: What a path that is not a regular file is, in words, by file type.
_FILE_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class NotARegularFileError(OSError):
    """``path`` is a named pipe, a device, a socket: no regular file.

    An :class:`OSError`, as the failure to open a file is. The folder case
    raises :class:`IsADirectoryError` instead, which callers already name.
    """

    def __str__(self):
        return f"{self.filename}: {self.strerror}"


def _check_regular(mode, path):
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    kind = _FILE_KINDS.get(stat.S_IFMT(mode), "not a regular file")
    raise NotARegularFileError(
        None,
        f"{kind}, not a regular file; skfashion reads data and models from "
        "regular files only",
        str(path),
    )


def open_regular_file(path):
    """Open ``path`` for reading in binary mode, if it is a regular file.

    A named pipe would block ``open`` until another process writes to it,
    and a device such as ``/dev/zero`` or ``/dev/urandom`` never ends, so
    anything but a regular file (symbolic links to one are followed) is
    refused: once by :func:`os.stat` before opening, so that a device is
    never opened, and once by :func:`os.fstat` of what was opened, without
    blocking (``O_NONBLOCK``), so that a path swapped for a pipe in between
    is refused too.

    Returns
    -------
    file : binary file object
        Open for reading; the caller closes it.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder.
    NotARegularFileError
        If ``path`` is a named pipe, a device or a socket. Its ``strerror``
        says which.
    OSError
        If the file cannot be opened (permissions, ...).
    """
    _check_regular(os.stat(path).st_mode, path)
    file = open(path, "rb", opener=_open_nonblocking)
    try:
        _check_regular(os.fstat(file.fileno()).st_mode, path)
    except BaseException:
        file.close()
        raise
    return file


def _open_nonblocking(path, flags):
    """:func:`os.open` that does not wait for a writer to a named pipe."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _read_header(fp, name):
    """Parse the ``.npy`` header at the start of ``fp``.

    Returns ``(shape, fortran_order, dtype)``; ``fp`` is left at the data.
    """
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            header = np.lib.format.read_array_header_1_0(
                fp, max_header_size=_MAX_HEADER_SIZE
            )
        elif version == (2, 0):
            header = np.lib.format.read_array_header_2_0(
                fp, max_header_size=_MAX_HEADER_SIZE
            )
        else:
            raise ValueError(
                f"format version {version[0]}.{version[1]} is not supported "
                "(1.0 and 2.0 are; numpy.save writes them)"
            )
    except (ValueError, OSError, EOFError, SyntaxError) as exc:
        raise DataFileError(f"{name}: not a readable .npy array ({exc})") from None
    shape, fortran_order, dtype = header
    if dtype.hasobject or dtype.kind not in _DATA_KINDS or dtype.itemsize == 0:
        raise DataFileError(
            f"{name}: arrays of dtype {dtype} are not loaded; give booleans, "
            "numbers or strings (object arrays would need pickle, which can "
            "run code)."
        )
    return shape, fortran_order, dtype


def _read_array(fp, data_size, name, max_bytes):
    """Read one ``.npy`` array from ``fp`` holding ``data_size`` bytes in all.

    ``data_size`` is what the file or zip member holds, header included.
    Everything is checked before the array is allocated.
    """
    shape, fortran_order, dtype = _read_header(fp, name)
    count = math.prod(shape)  # a Python int: cannot overflow
    n_bytes = count * dtype.itemsize
    if n_bytes > max_bytes:
        raise DataFileError(
            f"{name}: the header declares an array of shape {shape} and dtype "
            f"{dtype}, {n_bytes} bytes, more than the {max_bytes} bytes allowed; "
            "it was not loaded. Split the data into smaller files."
        )
    available = data_size - fp.tell()
    if n_bytes != available:
        problem = "truncated" if available < n_bytes else "trailing bytes"
        raise DataFileError(
            f"{name}: the header declares an array of shape {shape} and dtype "
            f"{dtype}, which needs {n_bytes} bytes, but the file holds "
            f"{available} bytes of data ({problem}); it was not loaded. The "
            "file is corrupt: write it again with numpy.save or numpy.savez."
        )
    array = np.empty(count, dtype=dtype)
    view = memoryview(array.view(np.uint8))
    filled = 0
    while filled < n_bytes:
        got = fp.readinto(view[filled:])
        if not got:
            raise DataFileError(
                f"{name}: the data ends after {filled} of {n_bytes} bytes "
                "(truncated file)."
            )
        filled += got
    return array.reshape(shape, order="F" if fortran_order else "C")


def load_npy(path, *, max_bytes=MAX_ARRAY_BYTES):
    """Load a ``.npy`` file, refusing absurd headers before allocating.

    Parameters
    ----------
    path : str or path-like
        The ``.npy`` file.
    max_bytes : int, default=2 GiB
        Largest array accepted, in bytes.

    Returns
    -------
    array : ndarray
        The array, writable, with the file's dtype and shape.

    Raises
    ------
    skfashion.exceptions.DataFileError
        If the file is not a ``.npy`` array of booleans, numbers or strings,
        declares more than ``max_bytes`` bytes, or holds a different number
        of bytes than its header declares.
    OSError
        If the file cannot be opened, or is not a regular file: a named
        pipe (which would block) or a device such as ``/dev/zero`` (which
        never ends) is refused before anything is read.
    """
    name = os.fspath(path)
    with open_regular_file(path) as f:
        size = os.fstat(f.fileno()).st_size
        return _read_array(f, size, name, max_bytes)


def load_npz(path, keys, *, max_bytes=MAX_ARRAY_BYTES):
    """Load some arrays of a ``.npz`` file with bounded memory.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file (from :func:`numpy.savez` or
        :func:`numpy.savez_compressed`).
    keys : sequence of str or tuple of str
        The arrays to load, in order; a tuple lists alternative names, of
        which the first present is loaded.
    max_bytes : int, default=2 GiB
        Largest array accepted, in bytes.

    Returns
    -------
    arrays : list of ndarray
        One array per entry of ``keys``.

    Raises
    ------
    skfashion.exceptions.DataFileError
        If the file is not a zip archive, lacks one of ``keys``, or a member
        fails the checks of :func:`load_npy`.
    OSError
        If the file cannot be opened, or is not a regular file: a named
        pipe (which would block) or a device such as ``/dev/zero`` (which
        never ends) is refused before anything is read.
    """
    name = os.fspath(path)
    with open_regular_file(path) as f:
        try:
            zf = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, ValueError, EOFError) as exc:
            raise DataFileError(
                f"{name}: not a .npz archive ({exc}); write one with numpy.savez"
            ) from None
        with zf:
            return _load_members(zf, name, keys, max_bytes)


def _load_members(zf, name, keys, max_bytes):
    """The arrays ``keys`` of the open ``.npz`` archive ``zf``."""
    members = {n[: -len(".npy")]: n for n in zf.namelist() if n.endswith(".npy")}
    arrays = []
    for key in keys:
        options = (key,) if isinstance(key, str) else tuple(key)
        found = next((k for k in options if k in members), None)
        if found is None:
            raise DataFileError(
                f"{name}: no array named {' or '.join(options)}; the file "
                f"holds {sorted(members) or 'no arrays'}."
            )
        info = zf.getinfo(members[found])
        label = f"{name}[{found}]"
        if info.file_size > max_bytes + _MAX_HEADER_SIZE:
            raise DataFileError(
                f"{label}: the member declares {info.file_size} bytes, more "
                f"than the {max_bytes} bytes allowed; it was not loaded."
            )
        try:
            with zf.open(info) as fp:
                arrays.append(_read_array(fp, info.file_size, label, max_bytes))
        except DataFileError:
            raise
        except Exception as exc:  # BadZipFile (CRC), zlib.error, EOFError
            raise DataFileError(
                f"{label}: the member cannot be read ({type(exc).__name__}: "
                f"{exc}); the file is corrupt."
            ) from None
    return arrays
