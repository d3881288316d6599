import os

# Quiet TensorFlow's C++ start-up chatter in test logs.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from skfashion.datasets import load_fashion_mnist_sample  # noqa: E402


@pytest.fixture(scope="session")
def sample():
    """The bundled 1,000-image sample as ``(X, y)``."""
    return load_fashion_mnist_sample(return_X_y=True)


@pytest.fixture(scope="session")
def sample_split(sample):
    """A fixed stratified 700/300 split of the bundled sample."""
    X, y = sample
    rng = np.random.RandomState(0)
    idx = rng.permutation(len(y))
    return X[idx[:700]], y[idx[:700]], X[idx[700:]], y[idx[700:]]
