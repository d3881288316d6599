"""The safe model format: save_model / load_model."""

import json
import zipfile

import numpy as np
import pytest

from skfashion.exceptions import ModelFileError
from skfashion.models import (
    KerasCNNClassifier,
    KerasMLPClassifier,
    load_model,
    load_model_card,
    save_model,
    training_overlap,
)


@pytest.fixture(scope="module")
def fitted(sample_split):
    X, y, _, _ = sample_split
    names = np.array(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])
    return KerasCNNClassifier(
        conv_filters=(4,),
        dense_units=8,
        epochs=2,
        batch_size=32,
        random_state=0,
        shift=0.1,
        horizontal_flip=True,
        random_erasing=0.5,
        validation_fraction=0.2,
    ).fit(X, names[y])


def test_round_trip_is_identical(fitted, sample_split, tmp_path):
    X_test = sample_split[2]
    path = save_model(fitted, tmp_path / "m.skf")
    assert [p.name for p in tmp_path.iterdir()] == ["m.skf"]  # no temp files left
    loaded = load_model(path)
    assert type(loaded) is KerasCNNClassifier
    assert loaded.get_params()["conv_filters"] == (4,)
    np.testing.assert_array_equal(loaded.classes_, fitted.classes_)
    np.testing.assert_array_equal(
        loaded.predict_proba(X_test), fitted.predict_proba(X_test)
    )
    np.testing.assert_array_equal(loaded.predict(X_test), fitted.predict(X_test))
    assert loaded.history_["val_loss"] == pytest.approx(fitted.history_["val_loss"])
    # the estimator stays a normal estimator: it can be refitted
    loaded.set_params(epochs=1).fit(
        sample_split[0][:100], fitted.predict(sample_split[0][:100])
    )


def test_save_refuses_unfitted(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        save_model(KerasMLPClassifier(), tmp_path / "m.skf")
    assert not (tmp_path / "m.skf").exists()


def _rewrite(src, dst, *, meta=None, drop=None, keras_bytes=None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.namelist():
            if item == drop:
                continue
            data = zin.read(item)
            if item == "estimator.json" and meta is not None:
                data = json.dumps(meta(json.loads(data))).encode()
            if item == "model.keras" and keras_bytes is not None:
                data = keras_bytes
            zout.writestr(item, data)


def test_file_from_before_label_smoothing_loads_without_it(fitted, tmp_path):
    # Such a network was trained with the plain cross-entropy: loading must
    # not report today's default (0.1) as its label smoothing.
    good = save_model(fitted, tmp_path / "good.skf")
    old = tmp_path / "old.skf"

    def drop_smoothing(meta):
        del meta["params"]["label_smoothing"]
        return meta

    _rewrite(good, old, meta=drop_smoothing)
    assert load_model(good).label_smoothing == fitted.label_smoothing == 0.1
    assert load_model(old).label_smoothing == 0.0


@pytest.mark.parametrize(
    "corrupt, match",
    [
        ("truncate", "not a valid skfashion model file"),
        ("not_zip", "not a valid skfashion model file"),
        ("no_json", "not a valid skfashion model file"),
        ("foreign", "not an skfashion model file"),
        ("version", "format version 99"),
        ("estimator", "unknown estimator 'os.system'"),
        ("keras", "cannot restore the model"),
        ("missing", "no such model file"),
    ],
)
def test_corrupt_or_foreign_files(corrupt, match, fitted, tmp_path):
    good = save_model(fitted, tmp_path / "good.skf")
    bad = tmp_path / "bad.skf"
    if corrupt == "truncate":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif corrupt == "not_zip":
        bad.write_text("definitely not a model")
    elif corrupt == "no_json":
        _rewrite(good, bad, drop="estimator.json")
    elif corrupt == "foreign":
        _rewrite(good, bad, meta=lambda m: {**m, "format": "something-else"})
    elif corrupt == "version":
        _rewrite(good, bad, meta=lambda m: {**m, "format_version": 99})
    elif corrupt == "estimator":
        _rewrite(good, bad, meta=lambda m: {**m, "estimator": "os.system"})
    elif corrupt == "keras":
        _rewrite(good, bad, keras_bytes=b"PK\x03\x04 garbage")
    with pytest.raises(ModelFileError, match=match):
        load_model(bad)


def test_cache_entry_is_reused(sample, tmp_path):
    X, y = sample
    params = dict(hidden_layer_sizes=(8,), epochs=1, random_state=0, cache_dir=tmp_path)
    first = KerasMLPClassifier(**params).fit(X, y)
    entries = list(tmp_path.iterdir())
    assert len(entries) == 1
    mtime = entries[0].stat().st_mtime_ns
    second = KerasMLPClassifier(**params).fit(X, y)
    assert entries[0].stat().st_mtime_ns == mtime
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    # other data or parameters are another entry
    KerasMLPClassifier(**params).fit(X[:500], y[:500])
    assert len(list(tmp_path.iterdir())) == 2
    with pytest.raises(ValueError, match="cache_dir needs an int random_state"):
        KerasMLPClassifier(hidden_layer_sizes=(8,), cache_dir=tmp_path).fit(X, y)


def test_model_card_records_the_training_data(fitted, sample_split, tmp_path):
    X, _, X_test, _ = sample_split
    names = [f"class {c}" for c in fitted.classes_]
    path = save_model(
        fitted,
        tmp_path / "m.skf",
        X_train=X,
        data_source="the sample",
        target_names=names,
    )
    card = load_model_card(path)
    assert card.estimator == "KerasCNNClassifier"
    assert (card.data_source, card.n_train_samples) == ("the sample", len(X))
    assert card.target_names == names
    assert card.classes == fitted.classes_.tolist()
    # The same images, as floats or shuffled, are recognised; others are not.
    assert training_overlap(card, X[::-1].astype(np.float64)) == len(X)
    assert training_overlap(card, X_test) == 0
    assert training_overlap(card, np.concatenate([X_test, X[:7]])) == 7
    # Without X_train nothing is recorded, and overlap is unknown, not 0.
    bare = load_model_card(save_model(fitted, tmp_path / "bare.skf"))
    assert bare.n_train_samples is None and bare.target_names is None
    assert training_overlap(bare, X) is None
    load_model(path)  # the record does not get in the way of loading


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"target_names": ["a", "b"]}, "target_names must hold 10 distinct"),
        ({"target_names": ["a"] * 10}, "target_names must hold 10 distinct"),
        ({"data_source": 3}, "data_source must be a str"),
    ],
)
def test_save_model_refuses_bad_card_fields(fitted, tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        save_model(fitted, tmp_path / "m.skf", **kwargs)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "field, value, drop_rows, match",
    [
        ("target_names", ["x"] * 10, False, "data.target_names"),
        ("n_samples", -4, False, "data.n_samples"),
        ("source", {"a": 1}, False, "data.source"),
        ("n_samples", 3, False, "declares"),
        ("n_samples", 800, True, "no training_rows.u64 member"),
    ],
)
def test_corrupt_model_card(
    fitted, sample_split, tmp_path, field, value, drop_rows, match
):
    good = save_model(fitted, tmp_path / "good.skf", X_train=sample_split[0])
    bad = tmp_path / "bad.skf"

    def edit(meta):
        meta["data"][field] = value
        return meta

    _rewrite(good, bad, meta=edit, drop="training_rows.u64" if drop_rows else None)
    with pytest.raises(ModelFileError, match=match):
        load_model_card(bad)
