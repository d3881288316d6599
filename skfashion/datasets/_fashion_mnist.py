"""Fashion-MNIST loader: local lookup, verified download and parsing."""

import contextlib
import hashlib
import os
import urllib.request
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from .._sklearn_privates import StrOptions, validate_params
from ..exceptions import ChecksumError, DataFileError, DatasetNotFoundError
from ..utils import atomic_write_path
from ._descr import CLASSES, DESCR
from ._idx import _GZIP_MAGIC, _decompress, _parse_idx, _read_decompressed
from ._sample import load_fashion_mnist_sample

__all__ = [
    "FASHION_MNIST_CLASSES",
    "fetch_fashion_mnist",
    "locate_fashion_mnist",
]

FASHION_MNIST_CLASSES = CLASSES
"""Names of the 10 Fashion-MNIST classes, indexed by label."""

#: Where Keras downloads Fashion-MNIST from; files are ``<name>.gz``.
FASHION_MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: Environment variable naming a folder with the four data files.
DATA_ENV_VAR = "SKFASHION_DATA"
#: Folder of the Debian/Ubuntu package ``dataset-fashion-mnist``.
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"

# Size and SHA-256 of the *decompressed* files: the Debian package re-compresses
# the gzip files, so digests of the compressed bytes differ between sources.
_CHECKSUMS = {
    "train-images-idx3-ubyte": (
        47040016,
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    "train-labels-idx1-ubyte": (
        60008,
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    "t10k-images-idx3-ubyte": (
        7840016,
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    "t10k-labels-idx1-ubyte": (
        10008,
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
}
_SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_SUBSET_SPLITS = {"train": ("train",), "test": ("test",), "all": ("train", "test")}
_IMAGE_SHAPE = (28, 28)

# The network is reached only through this name, so tests can swap in a fake
# transport: ``_urlopen(url, timeout=...)`` must return a context manager
# whose ``read(size)`` returns bytes, and ``b""`` at the end.
_urlopen = urllib.request.urlopen
_DOWNLOAD_TIMEOUT = 60
_CHUNK_SIZE = 1 << 20


def _user_dir(data_home):
    """Folder chosen by the caller: ``data_home``, else ``$SKFASHION_DATA``."""
    if data_home is not None:
        return Path(data_home).expanduser()
    from_env = os.environ.get(DATA_ENV_VAR)
    if from_env:
        return Path(from_env).expanduser()
    return None


def _fallback_dirs():
    """Folders searched after the caller's one, in order.

    The first is also where downloads go when the caller named no folder.
    """
    # Not sklearn.datasets.get_data_home(): it creates the folder, and merely
    # looking for files should leave no trace.
    sklearn_home = os.environ.get(
        "SCIKIT_LEARN_DATA", os.path.join("~", "scikit_learn_data")
    )
    return [
        Path(sklearn_home).expanduser() / "fashion_mnist",
        Path.home() / ".keras" / "datasets" / "fashion-mnist",
        Path(DEBIAN_DIR),
    ]


def _search_dirs(data_home):
    user_dir = _user_dir(data_home)
    fallbacks = list(_fallback_dirs())
    return fallbacks if user_dir is None else [user_dir, *fallbacks]


def _find_file(name, dirs):
    for folder in dirs:
        for candidate in (folder / f"{name}.gz", folder / name):
            # An unreadable folder must not hide the files found further on.
            with contextlib.suppress(OSError):
                if candidate.is_file():
                    return candidate
    return None


def _check_digest(name, content, digest, source):
    size, expected = _CHECKSUMS[name]
    if digest == expected:
        return
    raise ChecksumError(
        f"{source}: the decompressed content of this {name} file has SHA-256 "
        f"{digest} ({len(content)} bytes), but Fashion-MNIST's is {expected} "
        f"({size} bytes). The file is corrupt, truncated or not Fashion-MNIST. "
        "Delete it so that a fresh copy is downloaded, or, for the Debian "
        "package, reinstall it: sudo apt-get install --reinstall "
        "dataset-fashion-mnist"
    )


def _not_found_message(missing, dirs, cause=None):
    all_files = ", ".join(f"{name}.gz" for name in _CHECKSUMS)
    lines = [
        "Fashion-MNIST data not found: "
        + ", ".join(f"{name}.gz" for name in missing)
        + " (or the same without .gz).",
        "Folders searched, in order:",
        *([f"  - {folder}" for folder in dirs] or ["  (none)"]),
    ]
    if cause is not None:
        lines.append(f"The download failed: {cause}")
    lines += [
        "To get the data, do one of:",
        "  - on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist",
        f"  - set the {DATA_ENV_VAR} environment variable, or pass "
        f"data_home=..., to a folder containing the four files {all_files} "
        "(decompressed copies without .gz also work)",
        "  - go online and call again with download_if_missing=True, which "
        f"downloads them from {FASHION_MNIST_URL}",
        "For a quick try without the data, load_fashion_mnist_sample() returns "
        "a bundled 1,000-image sample of the test split.",
    ]
    return "\n".join(lines)


def _download(name, folder):
    """Download ``name`` into ``folder`` atomically; return (path, content, sha256).

    The file is written only once the download is complete and verified,
    through :func:`~skfashion.utils.atomic_write_path`: an interrupted or
    failed download, Ctrl-C included, leaves nothing that looks complete.
    """
    url = f"{FASHION_MNIST_URL}{name}.gz"
    folder.mkdir(parents=True, exist_ok=True)
    chunks = []
    with _urlopen(url, timeout=_DOWNLOAD_TIMEOUT) as response:
        while chunk := response.read(_CHUNK_SIZE):
            chunks.append(chunk)
    payload = b"".join(chunks)
    content = _decompress(payload, url, _CHECKSUMS[name][0])
    digest = hashlib.sha256(content).hexdigest()
    _check_digest(name, content, digest, url)
    # Name the file after what arrived, so a server that sends it
    # uncompressed does not leave raw bytes behind a .gz name.
    is_gzip = payload[:2] == _GZIP_MAGIC
    path = folder / (f"{name}.gz" if is_gzip else name)
    with atomic_write_path(path) as tmp:
        tmp.write_bytes(payload)
    return path, content, digest


def _obtain(names, *, data_home, download_if_missing, verify):
    """Find (or download) the IDX files ``names``.

    Returns ``{name: (path, decompressed content, sha256)}``. Each file is
    decompressed once; the bytes serve both the digest and the parsing.
    """
    dirs = _search_dirs(data_home)
    found = {name: _find_file(name, dirs) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing and (not download_if_missing or not dirs):
        raise DatasetNotFoundError(_not_found_message(missing, dirs))

    result = {}
    for name, path in found.items():
        if path is None:
            continue
        # With verify, the file must have the published size: decompression
        # stops right after it. Without, the IDX header's size bounds it.
        content = _read_decompressed(path, _CHECKSUMS[name][0] if verify else None)
        digest = hashlib.sha256(content).hexdigest()
        if verify:
            _check_digest(name, content, digest, path)
        result[name] = (path, content, digest)
    for name in missing:
        try:
            result[name] = _download(name, dirs[0])
        except OSError as exc:
            raise DatasetNotFoundError(
                _not_found_message(missing, dirs, cause=f"{name}.gz: {exc}")
            ) from exc
    return {name: result[name] for name in names}


def _file_records(obtained, *, verify):
    return {
        name: {"path": str(path), "sha256": digest, "verified": bool(verify)}
        for name, (path, _, digest) in obtained.items()
    }


def _parse_split(split, obtained):
    images_name, labels_name = _SPLIT_FILES[split]
    images_path, images_content, _ = obtained[images_name]
    labels_path, labels_content, _ = obtained[labels_name]
    images = _parse_idx(images_content, str(images_path))
    labels = _parse_idx(labels_content, str(labels_path))
    # With verify=False these structural checks are all that stands between a
    # wrong file and a confusing failure much later, inside a model.
    if images.dtype != np.uint8 or images.shape[1:] != _IMAGE_SHAPE:
        raise DataFileError(
            f"IDX file {images_path}: expected uint8 images of shape "
            f"(n, 28, 28), got {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataFileError(
            f"IDX file {labels_path}: expected a 1-d uint8 label array, got "
            f"{labels.dtype} of shape {labels.shape}"
        )
    if len(labels) != len(images):
        raise DataFileError(
            f"IDX files {images_path} and {labels_path}: {len(images)} images "
            f"but {len(labels)} labels"
        )
    if labels.size and labels.max() >= len(CLASSES):
        raise DataFileError(
            f"IDX file {labels_path}: label {labels.max()} is out of range "
            f"0-{len(CLASSES) - 1}"
        )
    return images, labels.astype(np.int64)


def _subset_names(subset):
    return [name for split in _SUBSET_SPLITS[subset] for name in _SPLIT_FILES[split]]


_COMMON_PARAMS = {
    "data_home": [str, os.PathLike, None],
    "download_if_missing": ["boolean"],
    "verify": ["boolean"],
}


@validate_params(
    {"subset": [StrOptions({"train", "test", "all"})], **_COMMON_PARAMS},
    prefer_skip_nested_validation=True,
)
def locate_fashion_mnist(
    *, subset="all", data_home=None, download_if_missing=True, verify=True
):
    """Find the Fashion-MNIST files, downloading them if needed.

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="all"
        Which split's files to locate.
    data_home : str or os.PathLike, default=None
        Folder searched first and where downloads go. Defaults to the
        ``SKFASHION_DATA`` environment variable, else the scikit-learn data
        home (``~/scikit_learn_data/fashion_mnist``). See
        :func:`fetch_fashion_mnist` for the full search order.
    download_if_missing : bool, default=True
        Whether to download missing files.
    verify : bool, default=True
        Whether to raise if a file's SHA-256 differs from the published one.
        Downloads are always verified.

    Returns
    -------
    files : dict
        ``{name: {"path": str, "sha256": str, "verified": bool}}`` keyed by
        the decompressed file name, e.g. ``"train-images-idx3-ubyte"``. The
        digest is that of the decompressed content.

    Raises
    ------
    skfashion.exceptions.DatasetNotFoundError
        If files are missing and cannot be downloaded.
    skfashion.exceptions.ChecksumError
        If ``verify`` and a file's digest is wrong.

    Examples
    --------
    >>> from skfashion.datasets import locate_fashion_mnist
    >>> files = locate_fashion_mnist(subset="test")  # doctest: +SKIP
    >>> files["t10k-labels-idx1-ubyte"]["sha256"]  # doctest: +SKIP
    '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34'
    """
    obtained = _obtain(
        _subset_names(subset),
        data_home=data_home,
        download_if_missing=download_if_missing,
        verify=verify,
    )
    return _file_records(obtained, verify=verify)


@validate_params(
    {
        "subset": [StrOptions({"train", "test", "all", "sample"})],
        "return_X_y": ["boolean"],
        **_COMMON_PARAMS,
    },
    prefer_skip_nested_validation=True,
)
def fetch_fashion_mnist(
    *,
    subset="train",
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
    verify=True,
):
    """Load the Fashion-MNIST data set (classification).

    =================   ==========================
    Classes                                     10
    Samples total       70,000 (60,000 + 10,000)
    Samples per class   7,000 (6,000 + 1,000)
    Dimensionality      784 (28 x 28)
    Features            integers 0-255 (uint8)
    =================   ==========================

    Each of the four IDX files (``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
    ``t10k-labels-idx1-ubyte``, each gzipped with a ``.gz`` suffix or not) is
    looked up in these folders, in order:

    1. ``data_home``, else the folder named by ``$SKFASHION_DATA``;
    2. the scikit-learn data home, ``~/scikit_learn_data/fashion_mnist``
       (or ``$SCIKIT_LEARN_DATA/fashion_mnist``);
    3. the Keras cache, ``~/.keras/datasets/fashion-mnist``;
    4. ``/usr/share/datasets/fashion-mnist``, installed by the Debian/Ubuntu
       package ``dataset-fashion-mnist``.

    Files found nowhere are downloaded, if ``download_if_missing``, from the
    source Keras uses into the first folder of that list. A download goes to
    a temporary file that is checked and then renamed, so a failed or
    interrupted download leaves nothing behind.

    Parameters
    ----------
    subset : {"train", "test", "all", "sample"}, default="train"
        ``"train"`` (60,000 images), ``"test"`` (10,000), ``"all"`` (train
        then test, 70,000) or ``"sample"``: the bundled 1,000-image sample of
        the test split, as :func:`load_fashion_mnist_sample` returns; it needs
        no files, and the other parameters but ``return_X_y`` are ignored.
    data_home : str or os.PathLike, default=None
        Folder searched first and where downloads go. Defaults to the
        ``SKFASHION_DATA`` environment variable, if set.
    download_if_missing : bool, default=True
        Whether to download missing files. If False, missing files raise
        :class:`~skfashion.exceptions.DatasetNotFoundError`.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    verify : bool, default=True
        Whether to check the SHA-256 digest of each file's decompressed
        content against the published one. Downloads are always verified.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (n_samples, 784), dtype uint8
            Flattened images, pixel values 0-255. A view of ``images``.
        images : ndarray of shape (n_samples, 28, 28), dtype uint8
            The images.
        target : ndarray of shape (n_samples,), dtype int64
            Class labels 0-9.
        target_names : ndarray of shape (10,)
            Class names, see ``FASHION_MNIST_CLASSES``.
        feature_names : list of str
            ``pixel_0`` to ``pixel_783``, row by row.
        files : dict
            Provenance of the files used: ``{name: {"path": str, "sha256":
            str, "verified": bool}}``, the digest being that of the
            decompressed content.
        DESCR : str
            Description of the data set.

    (data, target) : tuple if ``return_X_y`` is True
        The arrays described above.

    Raises
    ------
    skfashion.exceptions.DatasetNotFoundError
        If files are missing and cannot be downloaded. The message lists the
        folders searched and how to get the data.
    skfashion.exceptions.ChecksumError
        If ``verify`` and a file's digest differs from the published one.
    skfashion.exceptions.DataFileError
        If a file is corrupt or not a Fashion-MNIST IDX file.

    See Also
    --------
    load_fashion_mnist_sample : Bundled 1,000-image sample, no files needed.
    locate_fashion_mnist : Find the files without loading them.

    Examples
    --------
    >>> from skfashion.datasets import fetch_fashion_mnist
    >>> X, y = fetch_fashion_mnist(subset="sample", return_X_y=True)
    >>> X.shape, y.shape
    ((1000, 784), (1000,))
    >>> train = fetch_fashion_mnist(subset="train")  # doctest: +SKIP
    >>> train.data.shape  # doctest: +SKIP
    (60000, 784)
    """
    if subset == "sample":
        return load_fashion_mnist_sample(return_X_y=return_X_y)

    splits = _SUBSET_SPLITS[subset]
    obtained = _obtain(
        _subset_names(subset),
        data_home=data_home,
        download_if_missing=download_if_missing,
        verify=verify,
    )
    parsed = [_parse_split(split, obtained) for split in splits]
    if len(parsed) == 1:
        images, target = parsed[0]
    else:
        images = np.concatenate([images for images, _ in parsed])
        target = np.concatenate([target for _, target in parsed])
    data = images.reshape(len(images), -1)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        images=images,
        target=target,
        target_names=np.array(CLASSES),
        feature_names=[f"pixel_{i}" for i in range(data.shape[1])],
        files=_file_records(obtained, verify=verify),
        DESCR=DESCR,
    )
