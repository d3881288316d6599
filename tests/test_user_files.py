"""The user's files are never replaced, and fit fails before training.

Regressions of the reliability issue: ``--overwrite`` and ``write_report``
replace only files skfashion wrote; a fit whose result cannot be stored in
``cache_dir`` fails before its first epoch and leaves no fitted state.
"""

import json
import os

import keras
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.naive_bayes import GaussianNB
from sklearn.utils.validation import check_is_fitted

from skfashion.models import KerasImageClassifier, KerasMLPClassifier
from skfashion.report import write_report

TRAIN = ["train", "--sample", "--model", "mlp", "--epochs", "1", "-q"]

USER_FILES = {
    "report.html": b"<p>my report</p>",
    "metrics.json": b'{"figures": [{"file": "figures/holiday.png"}]}',
    "model.skf": b"my model",
    "figures/confusion_matrix.png": b"my figure",
    "figures/holiday.png": b"my holiday",
}


def _user_folder(path):
    for rel, content in USER_FILES.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_bytes(content)
    return path


def _unchanged(path):
    return all((path / rel).read_bytes() == c for rel, c in USER_FILES.items())


def test_overwrite_refuses_a_folder_of_user_files(tmp_path, run_cli, no_training):
    out = _user_folder(tmp_path / "run")
    rc, _, err = run_cli(*TRAIN, "--out", out, "--overwrite")
    assert rc == 2
    for name in ("report.html", "metrics.json", "model.skf"):
        assert name in err
    assert "figures/confusion_matrix.png" in err
    assert "figures/holiday.png" not in err  # not a name skfashion writes
    assert _unchanged(out)


def test_write_report_keeps_files_it_did_not_write(tmp_path, sample):
    X, y = sample
    clf = GaussianNB().fit(X[:300], y[:300])
    out = _user_folder(tmp_path / "run")
    with pytest.raises(FileExistsError, match="metrics.json, report.html"):
        write_report(clf, X[300:400], y[300:400], out)
    assert _unchanged(out)

    # Only the user's metrics.json, listing the user's figure: the figure
    # is neither removed nor replaced, and the report is refused.
    for rel in ("report.html", "figures/confusion_matrix.png"):
        (out / rel).unlink()
    with pytest.raises(FileExistsError, match="metrics.json"):
        write_report(clf, X[300:400], y[300:400], out)
    assert (out / "figures/holiday.png").read_bytes() == b"my holiday"


def test_write_report_replaces_its_own_report(tmp_path, sample):
    X, y = sample
    clf = GaussianNB().fit(X[:300], y[:300])
    out = tmp_path / "run"
    write_report(clf, X[300:400], y[300:400], out)
    (out / "figures" / "holiday.png").write_bytes(b"my holiday")
    data = json.loads((out / "metrics.json").read_text())
    assert data["format"] == "skfashion-report"
    # The second report replaces the first one's files, and only them.
    write_report(clf, X[400:500], y[400:500], out)
    assert json.loads((out / "metrics.json").read_text())["n_samples"] == 100
    assert (out / "figures" / "holiday.png").read_bytes() == b"my holiday"


# ----------------------------------------------------------- fit-cache checks
def _blocked_cache(tmp_path, kind, monkeypatch):
    if kind == "under_a_file":
        (tmp_path / "file").write_text("x")
        return tmp_path / "file" / "cache"
    folder = tmp_path / "readonly"
    folder.mkdir()
    import tempfile

    real = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and os.path.samefile(dir, folder):
            raise PermissionError(13, "Permission denied", str(dir))
        return real(*args, dir=dir, **kwargs)

    # root writes anywhere, so the read-only folder is simulated.
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    return folder


def _fail_on_epoch(monkeypatch):
    def train_step(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(keras.Model, "fit", train_step)


@pytest.mark.parametrize("kind", ["under_a_file", "read_only"])
def test_unwritable_cache_dir_fails_before_training(
    kind, tmp_path, sample, monkeypatch
):
    X, y = sample
    cache = _blocked_cache(tmp_path, kind, monkeypatch)
    _fail_on_epoch(monkeypatch)
    clf = KerasMLPClassifier(
        hidden_layer_sizes=(4,), epochs=1, random_state=0, cache_dir=cache
    )
    with pytest.raises(OSError, match="cache_dir="):
        clf.fit(X[:100], y[:100])
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)


@keras.saving.register_keras_serializable(package="skfashion_tests")
class _Registered(keras.layers.Layer):
    def call(self, x):
        return x


class _Unregistered(keras.layers.Layer):
    def call(self, x):
        return x


def _net_with(layer_factory):
    def build(input_shape, n_classes):
        return keras.Sequential(
            [
                keras.Input(input_shape),
                keras.layers.Flatten(),
                layer_factory(),
                keras.layers.Dense(n_classes, activation="softmax"),
            ]
        )

    return build


@pytest.mark.parametrize(
    "factory, message",
    [
        (_Unregistered, "not registered"),
        (lambda: keras.layers.Lambda(lambda t: t * 1.0), "Lambda layer"),
    ],
    ids=["unregistered", "lambda"],
)
def test_unstorable_network_fails_before_training(
    factory, message, tmp_path, sample, monkeypatch
):
    X, y = sample
    _fail_on_epoch(monkeypatch)
    clf = KerasImageClassifier(
        _net_with(factory), epochs=1, random_state=0, cache_dir=tmp_path / "c"
    )
    with pytest.raises(ValueError, match=message):
        clf.fit(X[:100], y[:100])
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    assert not any((tmp_path / "c").glob("*.skf"))


def test_failed_cache_write_keeps_the_fit(tmp_path, sample, monkeypatch):
    """Everything checkable is checked before training; a write that still
    fails (a full disk) costs the cache entry, not the trained model."""
    from skfashion.exceptions import CacheEntryWarning
    from skfashion.models import _base

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_base, "save_cache_entry", full_disk)
    X, y = sample
    clf = KerasImageClassifier(
        _net_with(_Registered), epochs=1, random_state=0, cache_dir=tmp_path
    )
    with pytest.warns(CacheEntryWarning, match="No space"):
        clf.fit(X[:100], y[:100])
    check_is_fitted(clf)
    assert clf.predict(X[:5]).shape == (5,)
