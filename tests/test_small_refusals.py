"""Clear refusals of small mistakes, and a --help that does not load TensorFlow."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skfashion.estimator_checks import fast_check_settings
from skfashion.models import KerasCNNClassifier, KerasMLPClassifier


@pytest.mark.parametrize(
    "estimator, name",
    [
        (KerasMLPClassifier(hidden_layer_sizes=None), "hidden_layer_sizes"),
        (KerasMLPClassifier(hidden_layer_sizes=16), "hidden_layer_sizes"),
        (KerasCNNClassifier(conv_filters=None), "conv_filters"),
        (KerasCNNClassifier(dense_units=None), "dense_units"),
    ],
)
def test_fast_check_settings_names_an_invalid_width(estimator, name):
    with pytest.raises(
        InvalidParameterError, match=f"fast_check_settings: The '{name}'"
    ):
        fast_check_settings(estimator)


def test_tune_refuses_too_few_images_per_class(tmp_path, run_cli, no_training):
    from skfashion.datasets import load_fashion_mnist_sample

    X, y = load_fashion_mnist_sample(return_X_y=True)
    # 12 images of 3 classes: 9 left to search on after the test split.
    rows = np.concatenate([np.flatnonzero(y == c)[:4] for c in range(3)])
    np.savez(tmp_path / "tiny.npz", X=X[rows], y=y[rows])
    out = tmp_path / "run"
    args = ["tune", "--data", tmp_path / "tiny.npz", "--preset", "mlp"]
    rc, _, err = run_cli(*args, "--n-iter", "1", "--cv", "4", "--out", out)
    assert rc == 2
    assert "too few search images (9) for 4-fold CV" in err
    assert "at least 4 images of each class" in err and "0 (3)" in err
    assert "smaller --cv" in err
    assert not out.exists() or not any(out.iterdir())


def test_tune_refuses_a_training_part_without_a_class():
    from skfashion.cli import UserError
    from skfashion.cli._tune import _check_enough_images

    y = np.array([0] * 30 + [1] * 2)
    X = np.zeros((len(y), 4))
    # A holdout (not stratified) that puts both images of class 1 aside.
    holdout = [(np.arange(30), np.arange(30, 32))]
    with pytest.raises(UserError, match="holdout.*a training part leaves out 1"):
        _check_enough_images(holdout, X, y)
    _check_enough_images([(np.arange(1, 32), np.arange(1))], X, y)


def test_preset_names_of_the_help_are_the_presets():
    from skfashion.cli._parser import PRESET_NAMES
    from skfashion.model_selection import list_presets

    assert PRESET_NAMES == tuple(list_presets())


@pytest.mark.parametrize("command", ["tune", "train", "evaluate", "predict", None])
def test_help_does_not_load_tensorflow(command):
    argv = ["--help"] if command is None else [command, "--help"]
    code = (
        "import sys\n"
        "from skfashion.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "[]"
