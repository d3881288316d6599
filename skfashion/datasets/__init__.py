"""Fashion-MNIST loaders, a folder-per-class image loader, IDX files."""

from .._npy import load_npy, load_npz
from ._fashion_mnist import (
    FASHION_MNIST_CLASSES,
    fetch_fashion_mnist,
    locate_fashion_mnist,
)
from ._folder import load_image_folder
from ._idx import read_idx, write_idx
from ._sample import load_fashion_mnist_sample

__all__ = [
    "FASHION_MNIST_CLASSES",
    "fetch_fashion_mnist",
    "load_fashion_mnist_sample",
    "load_image_folder",
    "load_npy",
    "load_npz",
    "locate_fashion_mnist",
    "read_idx",
    "write_idx",
]
