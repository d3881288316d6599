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


#: A tiny MLP with a validation split, so that ``history_`` has val curves.
EVAL_MLP_PARAMS = dict(
    hidden_layer_sizes=(16,),
    epochs=2,
    batch_size=32,
    random_state=0,
    validation_fraction=0.2,
)


@pytest.fixture(scope="session")
def fitted_tiny_mlp(sample_split):
    """That MLP fitted once on the 700 training images of ``sample_split``."""
    from skfashion.models import KerasMLPClassifier

    X, y, _, _ = sample_split
    return KerasMLPClassifier(**EVAL_MLP_PARAMS).fit(X, y)


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """``skfashion.cli.main`` in-process, returning (rc, stdout, stderr)."""
    from skfashion import cli

    # main() sends file descriptor 2 to /dev/null to hide TensorFlow's C++
    # logs; in-process that would also swallow pytest's own output.
    monkeypatch.setattr(cli, "_silence_native_stderr", lambda: None)

    def run_in_process(*args):
        rc = cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return rc, out, err

    return run_in_process


@pytest.fixture
def no_training(monkeypatch):
    """Make any MLP training fail loudly: the error must come before it."""
    from skfashion.models import KerasMLPClassifier

    def fit(self, *args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(KerasMLPClassifier, "fit", fit)
