"""Bundled 1,000-image sample of the Fashion-MNIST test split."""

import hashlib
import io
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

from .._sklearn_privates import validate_params
from ._descr import CLASSES, SAMPLE_DESCR

__all__ = ["load_fashion_mnist_sample"]

SAMPLE_FILE = "fashion_mnist_sample.npz"
SAMPLE_LICENSE_FILE = "LICENSE-fashion-mnist.txt"
SAMPLE_SEED = 0
SAMPLE_PER_CLASS = 100


def _select_sample_indices(labels, *, n_per_class=SAMPLE_PER_CLASS, seed=SAMPLE_SEED):
    """Return sorted indices of ``n_per_class`` random images of each class.

    Used by ``benchmarks/make_sample.py`` to build the bundled sample from the
    real test labels, and by the tests to check that it is reproducible.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(np.flatnonzero(labels == label), n_per_class, replace=False)
        for label in range(len(CLASSES))
    ]
    # Sorting keeps the images in their original test-split order, so the
    # classes stay interleaved as in the real data.
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def _sample_resource():
    return resources.files("skfashion.datasets").joinpath("data", SAMPLE_FILE)


@validate_params({"return_X_y": ["boolean"]}, prefer_skip_nested_validation=True)
def load_fashion_mnist_sample(*, return_X_y=False):
    """Load the bundled stratified sample of the Fashion-MNIST test split.

    The sample holds 1,000 real images of the test split (``t10k``), 100 per
    class, drawn once with a fixed seed. It ships with skfashion, so loading it
    needs neither data files nor network access. Use it for examples, smoke
    tests and documentation; use :func:`fetch_fashion_mnist` for real work.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (1000, 784), dtype uint8
            Flattened images, pixel values 0-255. A view of ``images``.
        images : ndarray of shape (1000, 28, 28), dtype uint8
            The images.
        target : ndarray of shape (1000,), dtype int64
            Class labels 0-9.
        target_names : ndarray of shape (10,)
            Class names, see ``FASHION_MNIST_CLASSES``.
        feature_names : list of str
            ``pixel_0`` to ``pixel_783``.
        indices : ndarray of shape (1000,), dtype int64
            Index of each image in the original test split.
        files : dict
            ``{file name: {"path": str, "sha256": str}}`` of the bundled file.
        DESCR : str
            Description of the sample.

    (data, target) : tuple if ``return_X_y`` is True
        The arrays described above.

    See Also
    --------
    fetch_fashion_mnist : Load the full data set.

    Examples
    --------
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> sample = load_fashion_mnist_sample()
    >>> sample.data.shape, sample.images.shape
    ((1000, 784), (1000, 28, 28))
    >>> sample.target_names[sample.target[:3]]
    array(['Ankle boot', 'Coat', 'Bag'], dtype='<U11')
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> X.dtype, y.dtype
    (dtype('uint8'), dtype('int64'))
    """
    resource = _sample_resource()
    content = resource.read_bytes()
    with np.load(io.BytesIO(content), allow_pickle=False) as npz:
        images = npz["images"]
        target = npz["target"].astype(np.int64)
        indices = npz["indices"].astype(np.int64)
    data = images.reshape(len(images), -1)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        images=images,
        target=target,
        target_names=np.array(CLASSES),
        feature_names=[f"pixel_{i}" for i in range(data.shape[1])],
        indices=indices,
        files={
            SAMPLE_FILE: {
                "path": str(resource),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
        },
        DESCR=SAMPLE_DESCR,
    )
