"""Reliability: damaged inputs, decompression bombs and the --out folder.

Everything here is cheap: one tiny MLP is fitted for the whole module, data
files are fabricated, and the command line runs in-process.
"""

import gzip
import io
import json
import os
import re
import stat
import struct
import tempfile
import tracemalloc
import warnings
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skfashion import cli
from skfashion.datasets import fetch_fashion_mnist, load_npy, load_npz, read_idx
from skfashion.exceptions import DataFileError, ModelFileError
from skfashion.imaging import ImageFileError, load_image
from skfashion.models import KerasMLPClassifier, load_model, save_model

TINY = dict(hidden_layer_sizes=(8,), epochs=1, random_state=0)
TRAIN = [
    "train",
    "--sample",
    "--model",
    "mlp",
    "--epochs",
    "1",
    "--param",
    "hidden_layer_sizes=(8,)",
    "-q",
]


@pytest.fixture(scope="module")
def tiny(sample):
    """One tiny fitted MLP and its model file, shared by the whole module."""
    X, y = sample
    clf = KerasMLPClassifier(**TINY).fit(X[:200], y[:200])
    folder = tempfile.mkdtemp(prefix="skfashion-reliability-")
    path = save_model(clf, os.path.join(folder, "tiny.skf"))
    return clf, path


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


# ------------------------------------------------------------ model files
def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _zip(members, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _with_meta(path, change):
    members = _members(path)
    meta = json.loads(members["estimator.json"])
    change(meta)
    members["estimator.json"] = json.dumps(meta).encode()
    return _zip(members)


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def change(meta):
        target = meta
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def _delete(*keys):
    def change(meta):
        target = meta
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return change


def _corrupt_deflate(path):
    """Garbage in the middle of estimator.json's deflate stream."""
    data = bytearray(open(path, "rb").read())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("estimator.json")
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 :][:4])
    start = info.header_offset + 30 + name_len + extra_len
    for i in range(start + 5, start + info.compress_size - 5):
        data[i] ^= 0xA5
    return bytes(data)


def _declared_size(data, member, size):
    """``data`` (a zip) with the central directory's size of ``member`` set."""
    data = bytearray(data)
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack("<H", data[pos + 28 : pos + 30])[0]
        if bytes(data[pos + 46 : pos + 46 + name_len]) == member.encode():
            data[pos + 24 : pos + 28] = struct.pack("<I", size)
        pos = data.find(b"PK\x01\x02", pos + 4)
    return bytes(data)


CORRUPTIONS = {
    # name: (make bad bytes from the good path, expected message part)
    "deflate garbage": (_corrupt_deflate, "estimator.json"),
    "history is a list": (
        lambda p: _with_meta(p, _set("fitted", "history", [])),
        "field fitted.history",
    ),
    "image_shape is an int": (
        lambda p: _with_meta(p, _set("fitted", "image_shape", 5)),
        "field fitted.image_shape",
    ),
    "estimator is a list": (
        lambda p: _with_meta(p, _set("estimator", ["KerasMLPClassifier"])),
        "unknown estimator",
    ),
    "format_version is a string": (
        lambda p: _with_meta(p, _set("format_version", "1")),
        "must be the integer 1",
    ),
    "format_version is true": (
        lambda p: _with_meta(p, _set("format_version", True)),
        "must be the integer 1",
    ),
    "missing fitted field": (
        lambda p: _with_meta(p, _delete("fitted", "n_features_in")),
        "field fitted.n_features_in",
    ),
    "classes of the wrong type": (
        lambda p: _with_meta(p, _set("fitted", "classes", [[1], [2]])),
        "field fitted.classes",
    ),
    "float classes_dtype": (
        lambda p: _with_meta(p, _set("fitted", "classes_dtype", "<f8")),
        "field fitted.classes_dtype",
    ),
    "pixel_range": (
        lambda p: _with_meta(p, _set("fitted", "pixel_range", "0-1023")),
        "field fitted.pixel_range",
    ),
    "feature names": (
        lambda p: _with_meta(p, _set("fitted", "feature_names_in", ["a", "b"])),
        "field fitted.feature_names_in",
    ),
    "n_samples zero": (
        lambda p: _with_meta(p, _set("fitted", "n_samples", 0)),
        "field fitted.n_samples",
    ),
    "param out of range": (
        lambda p: _with_meta(p, _set("params", "epochs", 0)),
        "field params.epochs",
    ),
    "unknown param": (
        lambda p: _with_meta(p, _set("params", "wings", 2)),
        "field params",
    ),
    "architecture param": (
        lambda p: _with_meta(p, _set("params", "hidden_layer_sizes", ["a"])),
        "field params",
    ),
    "unhashable class_weight label": (
        lambda p: _with_meta(
            p, _set("params", "class_weight", {"__pairs__": [[[1], 2.0]]})
        ),
        "field params.class_weight",
    ),
    "network does not match": (
        lambda p: _with_meta(
            p,
            lambda m: m["fitted"].update(n_features_in=100, image_shape=[10, 10]),
        ),
        "does not match",
    ),
    "not UTF-8": (
        lambda p: _zip({**_members(p), "estimator.json": b'{"format": "\xff\xfe"}'}),
        "UTF-8",
    ),
    "nested 100,000 deep": (
        lambda p: _zip(
            {**_members(p), "estimator.json": b"[" * 100_000 + b"]" * 100_000}
        ),
        "nested too deeply",
    ),
    "garbage model.keras": (
        lambda p: _zip({**_members(p), "model.keras": b"PK\x03\x04 garbage"}),
        "member model.keras is not a Keras archive",
    ),
    "no model.keras": (
        lambda p: _zip({"estimator.json": _members(p)["estimator.json"]}),
        "no model.keras member",
    ),
    "estimator.json over 10 MiB": (
        lambda p: _zip(
            {**_members(p), "estimator.json": b" " * (10 * 2**20 + 1) + b"{}"}
        ),
        "decompression bomb",
    ),
    "model.keras declares 3 GiB": (
        lambda p: _declared_size(open(p, "rb").read(), "model.keras", 3 * 2**30),
        "decompression bomb",
    ),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_damaged_model_file_is_a_model_file_error(case, tiny, tmp_path):
    make, message = CORRUPTIONS[case]
    bad = tmp_path / "bad.skf"
    bad.write_bytes(make(tiny[1]))
    with pytest.raises(ModelFileError) as info:
        load_model(bad)
    text = str(info.value)
    assert str(bad) in text and message in text
    assert "File not found" not in text
    assert "this skfashion reads version 1" not in text


def test_folder_instead_of_model_file(tmp_path):
    with pytest.raises(ModelFileError, match="is a folder"):
        load_model(tmp_path)


def test_model_file_follows_the_umask(tiny, tmp_path, umask_022):
    path = save_model(tiny[0], tmp_path / "m.skf")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    os.umask(0o027)
    path = save_model(tiny[0], tmp_path / "m2.skf")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.skf", "m2.skf"]


# A mutation of a valid model file: flipped bytes of the zip, a field of
# estimator.json changed or deleted, a member dropped, replaced or cut.
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
_FIELDS = st.sampled_from(
    [
        ("format",),
        ("format_version",),
        ("estimator",),
        ("params",),
        ("fitted",),
        ("params", "hidden_layer_sizes"),
        ("params", "epochs"),
        ("params", "class_weight"),
        ("params", "random_state"),
        ("params", "pixel_range"),
        ("fitted", "classes"),
        ("fitted", "classes_dtype"),
        ("fitted", "n_features_in"),
        ("fitted", "n_samples"),
        ("fitted", "image_shape"),
        ("fitted", "pixel_range"),
        ("fitted", "history"),
        ("fitted", "feature_names_in"),
    ]
)
_MUTATIONS = st.one_of(
    st.tuples(
        st.just("flip"),
        st.lists(
            st.tuples(st.floats(0, 1), st.integers(1, 255)), min_size=1, max_size=4
        ),
    ),
    st.tuples(st.just("set"), st.tuples(_FIELDS, _JSON)),
    st.tuples(st.just("delete"), _FIELDS),
    st.tuples(st.just("drop"), st.sampled_from(["estimator.json", "model.keras"])),
    st.tuples(
        st.just("replace"),
        st.tuples(st.sampled_from(["estimator.json", "model.keras"]), st.binary()),
    ),
    st.tuples(
        st.just("cut"),
        st.tuples(st.sampled_from(["estimator.json", "model.keras"]), st.floats(0, 1)),
    ),
)


def _mutate(good, path, mutation):
    kind, arg = mutation
    if kind == "flip":
        data = bytearray(good)
        for where, mask in arg:
            data[min(int(where * len(data)), len(data) - 1)] ^= mask
        return bytes(data)
    members = _members(path)
    if kind in ("set", "delete"):
        meta = json.loads(members["estimator.json"])
        keys = arg[0] if kind == "set" else arg
        target = meta
        for key in keys[:-1]:
            target = target[key]
        if kind == "set":
            target[keys[-1]] = arg[1]
        else:
            target.pop(keys[-1], None)
        members["estimator.json"] = json.dumps(meta).encode()
    elif kind == "drop":
        del members[arg]
    elif kind == "replace":
        members[arg[0]] = arg[1]
    else:
        members[arg[0]] = members[arg[0]][: int(arg[1] * len(members[arg[0]]))]
    return _zip(members)


@settings(
    max_examples=35,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(mutation=_MUTATIONS)
def test_mutated_model_file_loads_or_raises_model_file_error(tiny, mutation):
    good_path = tiny[1]
    good = good_path.read_bytes()
    bad = good_path.parent / "mutated.skf"
    bad.write_bytes(_mutate(good, good_path, mutation))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded = load_model(bad)
    except ModelFileError as exc:
        assert str(bad) in str(exc)
    else:
        assert isinstance(loaded, KerasMLPClassifier)
        assert loaded.model_ is not None


# ------------------------------------------------------------ data files
def _gzip_bomb(header, n_zeros):
    """A gzip stream of ``header`` then ``n_zeros`` zero bytes, made lazily."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [comp.compress(header)]
    chunk = bytes(1 << 20)
    for _ in range(n_zeros >> 20):
        parts.append(comp.compress(chunk))
    parts.append(comp.flush())
    return b"".join(parts)


def _peak_bytes(func):
    tracemalloc.start()
    try:
        func()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_idx_gzip_bomb_stops_at_the_declared_size():
    # The header declares 10 bytes of data; 64 MiB of zeros follow.
    bomb = _gzip_bomb(bytes([0, 0, 0x08, 1]) + struct.pack(">I", 10), 64 << 20)
    assert len(bomb) < 200_000

    def read():
        with pytest.raises(DataFileError, match="more than the 18 bytes its header"):
            read_idx(bomb, name="bomb.gz")

    assert _peak_bytes(read) < 8 << 20


def test_fashion_mnist_bomb_stops_at_the_known_size(tmp_path):
    # A header declaring 100,000 images, then 32 MiB: the real t10k images
    # file has 7,840,016 bytes, so decompression stops right after them.
    header = bytes([0, 0, 0x08, 3]) + struct.pack(">III", 100_000, 28, 28)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(_gzip_bomb(header, 32 << 20))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\0" * 8))

    def fetch():
        with pytest.raises(DataFileError, match="7840016 bytes this file must have"):
            fetch_fashion_mnist(
                subset="test", data_home=tmp_path, download_if_missing=False
            )

    assert _peak_bytes(fetch) < 24 << 20


def _npy_header(shape, descr="<f8"):
    buf = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue()


def test_npy_claiming_a_huge_array_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.npy"
    path.write_bytes(_npy_header((100_000_000, 28, 28)) + bytes(64))

    def load():
        with pytest.raises(ImageFileError, match="not loaded"):
            load_image(path)
        with pytest.raises(DataFileError, match="bytes allowed"):
            load_npy(path)
        # Within the size limit, the header must match the bytes present.
        with pytest.raises(DataFileError, match="holds 64 bytes of data"):
            load_npy(path, max_bytes=2**60)

    assert _peak_bytes(load) < 1 << 20


def test_npz_claiming_a_huge_array_is_refused(tmp_path, run_cli, tiny):
    path = tmp_path / "huge.npz"
    path.write_bytes(
        _zip(
            {
                "X.npy": _npy_header((100_000_000, 28, 28)) + bytes(64),
                "y.npy": _npy_header((3,), "<i8") + bytes(24),
            }
        )
    )
    with pytest.raises(DataFileError, match="huge.npz\\[X\\].*bytes allowed"):
        load_npz(path, ["X", "y"])
    # A member whose declared size is absurd is not even opened.
    bomb = tmp_path / "bomb.npz"
    bomb.write_bytes(
        _declared_size(
            path.read_bytes().replace(b"X.npy", b"Z.npy"), "Z.npy", 2**32 - 2
        )
    )
    with pytest.raises(DataFileError, match="member declares"):
        load_npz(bomb, ["Z"])
    rc, _, err = run_cli("evaluate", tiny[1], "--data", path)
    assert rc == 2 and "bytes allowed" in err


def test_npz_round_trip(tmp_path):
    X = np.asfortranarray(np.arange(24, dtype=np.float32).reshape(4, 6))
    y = np.array(["a", "b", "c", "d"])
    np.savez_compressed(tmp_path / "d.npz", data=X, y=y)
    X2, y2 = load_npz(tmp_path / "d.npz", [("X", "data"), "y"])
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    X2[0, 0] = 1  # writable
    with pytest.raises(DataFileError, match="no array named target"):
        load_npz(tmp_path / "d.npz", ["target"])


# ------------------------------------------------------------ command line
def _manifest(out):
    return set(json.loads((out / cli.MANIFEST).read_text())["files"])


def test_overwrite_removes_only_skfashion_files(tmp_path, run_cli, umask_022):
    out = tmp_path / "run"
    rc, _, err = run_cli(*TRAIN, "--subset", "200", "--out", out)
    assert rc == 0, err
    listed = _manifest(out)
    assert {"model.skf", "metrics.json", "report.html"} <= listed
    assert any(f.startswith("figures/") for f in listed)
    assert all((out / f).is_file() for f in listed)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data_info"]["train images"] == 200  # --subset honoured
    assert stat.S_IMODE((out / "model.skf").stat().st_mode) == 0o644

    # The user's files, a cache entry skfashion listed, a killed save's temp.
    user_files = {
        "figures/my_plot.png": b"mine",
        "cache/important/thesis.txt": b"years of work",
        "notes.txt": b"notes",
        "draft.tmp": b"not ours",
        ".notes.txt.abcdefgh.tmp": b"not ours either",
    }
    for rel, content in user_files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(content)
    entry = "cache/" + "ab" * 20 + ".skf"
    (out / entry).write_bytes(b"entry")
    cli._record_outputs(out, [entry])
    (out / ".model.skf.k3j_9x2q.tmp").write_bytes(b"half a model")

    rc, _, err = run_cli(*TRAIN, "--subset", "200", "--out", out, "--overwrite")
    assert rc == 0, err
    for rel, content in user_files.items():
        assert (out / rel).read_bytes() == content, rel
    assert not (out / entry).exists()
    assert not (out / ".model.skf.k3j_9x2q.tmp").exists()
    assert (out / "model.skf").is_file()
    assert entry not in _manifest(out)


def test_prepare_out_removes_listed_files_only(tmp_path):
    out = tmp_path / "run"
    entry = "cache/" + "cd" * 20 + "-e3.skf"
    for rel in (entry, "model.skf", "cache/important/thesis.txt"):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(rel)
    (tmp_path / "outside.txt").write_text("outside")
    cli._write_manifest(out, [entry, "model.skf"])
    # A manifest can never point outside the folder.
    data = json.loads((out / cli.MANIFEST).read_text())
    data["files"] += ["../outside.txt", str(tmp_path / "outside.txt"), "cache"]
    (out / cli.MANIFEST).write_text(json.dumps(data))

    # Nothing goes before the new run has succeeded.
    cli._prepare_out(out, overwrite=True, resume=False)
    assert (out / entry).exists() and (out / "model.skf").exists()
    # --resume --overwrite keeps the fit cache.
    with cli._staged_run(out, keep_cache=True):
        pass
    assert (out / entry).exists() and not (out / "model.skf").exists()
    with cli._staged_run(out):
        pass
    assert not (out / entry).exists()
    assert (out / "cache/important/thesis.txt").read_text().endswith("thesis.txt")
    assert (tmp_path / "outside.txt").read_text() == "outside"
    assert _manifest(out) == set()


def test_finished_search_removes_only_its_own_cache(tmp_path):
    out = tmp_path / "run"
    entries = ["cache/" + "ab" * 20 + ".skf", "cache/" + "cd" * 20 + "-e3.skf"]
    for rel in (*entries, "model.skf"):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(rel)
    cli._write_manifest(out, [*entries, "model.skf"])
    cli._remove_cache(out)
    assert not (out / "cache").exists() and (out / "model.skf").exists()
    assert _manifest(out) == {"model.skf"}

    # A file skfashion did not write keeps the folder, and itself.
    (out / entries[0]).parent.mkdir()
    (out / entries[0]).write_text("entry")
    (out / "cache/mine.txt").write_text("mine")
    cli._record_outputs(out, [entries[0]])
    cli._remove_cache(out)
    assert sorted(p.name for p in (out / "cache").iterdir()) == ["mine.txt"]


def test_tune_help_offers_keep_cache(run_cli, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli("tune", "--help")
    assert exit_info.value.code == 0
    assert "--keep-cache" in capsys.readouterr().out


def test_stale_temp_files_do_not_block_and_are_removed(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    stale = [
        ".model.skf.abcdefgh.tmp",
        ".cv_results.csv.x1y2z3w4.tmp",
        f".{cli.MANIFEST}.0_0_0_0_.tmp",
    ]
    for rel in stale:
        (out / rel).write_text("x")
    (out / ".report.tmp-0123456789ab" / "figures").mkdir(parents=True)
    (out / ".report.tmp-0123456789ab" / "report.html").write_text("x")
    # A folder holding only a killed save's leftovers counts as empty.
    cli._prepare_out(out, overwrite=False, resume=False)
    assert list(out.iterdir()) == []
    (out / "cache").mkdir()
    stale = ["cache/." + "ef" * 20 + ".skf.qwertyui.tmp", *stale]
    kept = ["cache/.thesis.txt.abcdefgh.tmp", "cache/.model.skf.abcdefgh.tmp"]
    for rel in stale + kept:
        (out / rel).write_text("x")
    cli._prepare_out(out, overwrite=False, resume=True)
    assert not any((out / rel).exists() for rel in stale)
    assert all((out / rel).exists() for rel in kept)


def test_unwritable_out_fails_before_training(
    tmp_path, run_cli, no_training, monkeypatch
):
    out = tmp_path / "locked"
    out.mkdir()
    if os.geteuid() == 0:
        # root writes anywhere: make the folder refuse new files instead.
        real_mkstemp = tempfile.mkstemp

        def mkstemp(*args, dir=None, **kwargs):
            if dir is not None and os.path.samefile(dir, out):
                raise PermissionError(13, "Permission denied", str(dir))
            return real_mkstemp(*args, dir=dir, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    else:
        out.chmod(0o555)
    try:
        rc, _, err = run_cli(*TRAIN, "--out", out)
    finally:
        out.chmod(0o755)
    assert rc == 2
    assert "cannot write into" in err and "Permission denied" in err


def test_float_labels_are_refused_before_training(
    tmp_path, run_cli, no_training, monkeypatch
):
    import skfashion.datasets as datasets

    real = datasets.load_fashion_mnist_sample

    def float_labels(**kwargs):
        bunch = real()
        bunch.target = bunch.target.astype(float)
        return bunch

    monkeypatch.setattr(datasets, "load_fashion_mnist_sample", float_labels)
    rc, _, err = run_cli(*TRAIN, "--out", tmp_path / "run")
    assert rc == 2 and "integer, boolean or string class labels" in err


def test_subset_smaller_than_the_classes_is_refused(tmp_path, run_cli, no_training):
    rc, _, err = run_cli(*TRAIN, "--subset", "5", "--out", tmp_path / "run")
    assert rc == 2 and "--subset 5 is smaller than the 10 classes" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["tune", "--epochs", "0"], "argument --epochs: expected an integer >= 1"),
        (["tune", "--n-iter", "0"], "argument --n-iter: expected an integer >= 1"),
        (["tune", "--cv", "0"], "argument --cv: expected an integer >= 2"),
        (["tune", "--cv", "1"], "needs 2 folds or more"),
        (["tune", "--subset", "-3"], "argument --subset: expected an integer >= 1"),
        (["tune", "--n-jobs", "0"], "argument --n-jobs"),
        (["train", "--epochs", "0"], "argument --epochs: expected an integer >= 1"),
        (["train", "--subset", "zero"], "got 'zero'"),
    ],
)
def test_non_positive_counts_are_refused(args, message, capsys):
    with pytest.raises(SystemExit) as info:
        cli.build_parser().parse_args([*args, "--sample", "--out", "x"])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_all_fits_failed_shows_the_first_failure():
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.model_selection import GridSearchCV

    class Broken(ClassifierMixin, BaseEstimator):
        def __init__(self, a=1):
            self.a = a

        def fit(self, X, y):
            raise ValueError("learning_rate must be > 0, got -1.\nmore details")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as info:
            GridSearchCV(Broken(), {"a": [1, 2]}, cv=2).fit(
                np.zeros((8, 2)), np.arange(8) % 2
            )
    line = cli._one_line(info.value)
    assert line.startswith("All the 4 fits failed.")
    assert line.endswith(
        "The first failure: ValueError: learning_rate must be > 0, got -1."
    )
    assert "\n" not in line


def test_evaluate_refuses_labels_the_model_never_saw(tmp_path, run_cli, tiny, sample):
    X, y = sample
    path = tmp_path / "labels.npz"
    np.savez(path, X=X[:20], y=np.full(20, 42))
    rc, out, err = run_cli("evaluate", tiny[1], "--data", path)
    assert rc == 2 and "accuracy" not in out
    assert "labels 42 are not among the classes" in err
    np.savez(path, X=X[:20], y=y[:20])
    rc, out, err = run_cli("evaluate", tiny[1], "--data", path)
    assert rc == 0, err
    assert re.match(r"accuracy \d\.\d{4} on 20 images", out)


def test_cv_results_follow_the_umask(tmp_path, umask_022):
    path = tmp_path / "cv_results.csv"
    cli._write_csv_atomic(path, [{"a": 1}], ["a"])
    assert path.read_text().splitlines() == ["a", "1"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["cv_results.csv"]
