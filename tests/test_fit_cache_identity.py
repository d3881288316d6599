"""The fit cache serves each fit its own network, and nothing else.

A cache entry is keyed on what a user's ``model`` callable builds (not on
its name), records its key, and is checked against the fit asking for it
when loaded; a model file never decides where a later fit writes; and a
killed write's temporary entry is cleaned up. Every network here is tiny
(a Flatten and one or two small Dense layers, one epoch on 120 images).
"""

import functools
import importlib
import json
import os
import shutil
import sys
import time
import warnings
import zipfile

import keras
import numpy as np
import pytest
from sklearn.model_selection import ShuffleSplit

from skfashion.exceptions import CacheEntryWarning
from skfashion.model_selection import HalvingEpochsSearchCV
from skfashion.models import (
    KerasImageClassifier,
    KerasMLPClassifier,
    load_model,
    save_model,
)

N = 120


@pytest.fixture(scope="module")
def data(sample):
    X, y = sample
    return X[:N], y[:N]


def _net(input_shape, n_classes, units=2):
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Flatten(),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(n_classes),
        ]
    )


def _closure(units):
    def net(input_shape, n_classes):
        return _net(input_shape, n_classes, units)

    return net


class _NetObject:
    def __init__(self, units):
        self.units = units

    def __call__(self, input_shape, n_classes):
        return _net(input_shape, n_classes, self.units)


def _count_training(monkeypatch):
    """The number of Keras trainings (each ``keras.Model.fit`` call)."""
    calls = []
    original = keras.Model.fit

    def spy(self, *args, **kwargs):
        calls.append(kwargs.get("initial_epoch", 0))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    return calls


def _hidden_units(clf):
    """Units of the user network's first Dense layer."""
    stack = list(clf.model_.layers)
    while stack:
        layer = stack.pop(0)
        if isinstance(layer, keras.Model):
            stack[:0] = layer.layers
        elif isinstance(layer, keras.layers.Dense):
            return layer.units
    raise AssertionError("no Dense layer")


@pytest.mark.parametrize(
    "make",
    [
        lambda units: functools.partial(_net, units=units),
        _closure,
        _NetObject,
    ],
    ids=["partial", "closure", "callable_object"],
)
def test_different_user_networks_do_not_share_a_cache_entry(
    make, data, tmp_path, monkeypatch
):
    X, y = data
    calls = _count_training(monkeypatch)
    params = dict(epochs=1, random_state=0, cache_dir=tmp_path)
    small = KerasImageClassifier(make(2), **params).fit(X, y)
    large = KerasImageClassifier(make(3), **params).fit(X, y)
    assert len(calls) == 2  # the second fit is no cache hit
    assert (_hidden_units(small), _hidden_units(large)) == (2, 3)
    assert len(list(tmp_path.glob("*.skf"))) == 2
    # and the same network again is one
    again = KerasImageClassifier(make(3), **params).fit(X, y)
    assert len(calls) == 2 and _hidden_units(again) == 3


def test_edited_helper_is_another_cache_entry(data, tmp_path, monkeypatch):
    """``net``'s own source is unchanged; the helper it calls was edited."""
    X, y = data
    module = tmp_path / "skf_edited_helper.py"
    source = (
        "import keras\n"
        "def helper():\n"
        "    return keras.layers.Dense({units}, activation='relu')\n"
        "def net(input_shape, n_classes):\n"
        "    return keras.Sequential([keras.Input(input_shape),\n"
        "        keras.layers.Flatten(), helper(), keras.layers.Dense(n_classes)])\n"
    )
    module.write_text(source.format(units=2))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        mod = importlib.import_module("skf_edited_helper")
        calls = _count_training(monkeypatch)
        params = dict(epochs=1, random_state=0, cache_dir=tmp_path / "cache")
        first = KerasImageClassifier(mod.net, **params).fit(X, y)
        module.write_text(source.format(units=3))
        os.utime(module, (time.time() + 5, time.time() + 5))  # a new mtime
        mod = importlib.reload(mod)
        second = KerasImageClassifier(mod.net, **params).fit(X, y)
    finally:
        sys.modules.pop("skf_edited_helper", None)
    assert len(calls) == 2
    assert (_hidden_units(first), _hidden_units(second)) == (2, 3)


def test_halving_search_over_model_trains_each_network(data, monkeypatch):
    """The search always caches (a temporary folder without cache_dir)."""
    X, y = data
    calls = _count_training(monkeypatch)
    nets = [functools.partial(_net, units=2), functools.partial(_net, units=3)]
    search = HalvingEpochsSearchCV(
        KerasImageClassifier(_net, epochs=2, random_state=0),
        {"model": nets},
        n_candidates=2,
        factor=2,
        cv=ShuffleSplit(n_splits=1, test_size=0.5, random_state=0),
        random_state=0,
    ).fit(X, y)
    assert search.n_resources_ == [1, 2]
    # rung 0: two networks on one fold; rung 1: the best continued; refit
    assert len(calls) == 2 + 1 + 1
    best_units = search.best_params_["model"].keywords["units"]
    assert _hidden_units(search.best_estimator_) == best_units


def _swap(a, b):
    tmp = a.with_suffix(".swap")
    shutil.move(a, tmp)
    shutil.move(b, a)
    shutil.move(tmp, b)


def test_swapped_cache_entry_is_reported_and_retrained(data, tmp_path, monkeypatch):
    X, y = data
    params = dict(hidden_layer_sizes=(8,), epochs=1, random_state=0)
    slow = KerasMLPClassifier(**params, learning_rate=1e-4, cache_dir=tmp_path)
    slow.fit(X, y)
    (slow_entry,) = tmp_path.glob("*.skf")
    fast = KerasMLPClassifier(**params, learning_rate=1e-2, cache_dir=tmp_path)
    fast.fit(X, y)
    (fast_entry,) = set(tmp_path.glob("*.skf")) - {slow_entry}
    _swap(slow_entry, fast_entry)
    calls = _count_training(monkeypatch)
    with pytest.warns(CacheEntryWarning, match="does not belong"):
        again = KerasMLPClassifier(**params, learning_rate=1e-4, cache_dir=tmp_path)
        again.fit(X, y)
    assert len(calls) == 1  # trained again, not served the other fit
    np.testing.assert_allclose(
        again.predict_proba(X[:20]), slow.predict_proba(X[:20]), rtol=1e-5
    )
    # the entry was overwritten with the right fit: a plain hit again
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheEntryWarning)
        KerasMLPClassifier(**params, learning_rate=1e-4, cache_dir=tmp_path).fit(X, y)
    assert len(calls) == 1


def test_swapped_rung_entry_is_not_continued(data, tmp_path, monkeypatch):
    """A stored shorter cut (a halving rung) of another fit is not continued."""
    X, y = data
    params = dict(hidden_layer_sizes=(8,), schedule_epochs=2, random_state=0)
    for lr in (1e-4, 1e-2):
        KerasMLPClassifier(
            **params, epochs=1, learning_rate=lr, cache_dir=tmp_path
        ).fit(X, y)
    a, b = sorted(tmp_path.glob("*-e1.skf"))
    _swap(a, b)
    calls = _count_training(monkeypatch)
    with pytest.warns(CacheEntryWarning, match="does not belong"):
        KerasMLPClassifier(
            **params, epochs=2, learning_rate=1e-4, cache_dir=tmp_path
        ).fit(X, y)
    assert calls == [0]  # from scratch, not from epoch 1 of the other fit


# ----------------------------------------------------- cache_dir in a file
def _edit_params(path, **changes):
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    meta = json.loads(members["estimator.json"])
    meta["params"].update(changes)
    members["estimator.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)


def test_model_file_does_not_decide_where_a_refit_writes(data, tmp_path):
    X, y = data
    clf = KerasMLPClassifier(hidden_layer_sizes=(8,), epochs=1, random_state=0)
    path = save_model(clf.fit(X, y), tmp_path / "model.skf")
    elsewhere = tmp_path / "elsewhere"
    _edit_params(path, cache_dir=str(elsewhere))
    loaded = load_model(path)
    assert loaded.cache_dir is None
    loaded.fit(X, y)
    assert not elsewhere.exists()


# --------------------------------------------------------- stale temp files
def test_stale_temporary_entries_are_removed_when_a_fit_opens_the_cache(data, tmp_path):
    X, y = data
    hour_ago = time.time() - 2 * 3600
    stale = [
        "." + "ab" * 20 + ".skf.qwertyui.tmp",
        "." + "cd" * 20 + "-e3.skf.a1b2c3d4.tmp",
    ]
    kept = [
        "." + "ef" * 20 + ".skf.zxcvbnm1.tmp",  # recent: another fit may write it
        ".thesis.txt.abcdefgh.tmp",  # not a cache entry's
        ".model.skf.abcdefgh.tmp",
        "notes.txt",
    ]
    for name in stale + kept:
        (tmp_path / name).write_text("x")
    for name in stale + kept[1:]:
        os.utime(tmp_path / name, (hour_ago, hour_ago))
    KerasMLPClassifier(
        hidden_layer_sizes=(8,), epochs=1, random_state=0, cache_dir=tmp_path
    ).fit(X, y)
    names = {p.name for p in tmp_path.iterdir()}
    assert not names & set(stale)
    assert set(kept) <= names
