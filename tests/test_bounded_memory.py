"""Memory bounded by the size of the input: small files never take gigabytes.

Each damaged file here is built sparse (an HDF5 dataset declared without
data, a network config with large numbers, a PNG of zeros compressed row by
row, a named pipe), never by allocating what it declares. The loads of
model files run in a child process whose address space is limited with
``resource.setrlimit(RLIMIT_AS)`` a little above what it needs to load a
real model: an allocation the file size does not justify fails there (and
the test with it) instead of taking the machine's memory, and a read that
blocks is cut by a timeout.
"""

import io
import json
import os
import queue
import struct
import subprocess
import sys
import threading
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from test_reliability import _MUTATIONS, _declared_size, _members, _mutate, _zip

from skfashion.datasets import load_image_folder
from skfashion.exceptions import DataFileError, ModelFileError
from skfashion.models import KerasMLPClassifier, load_model_card, save_model

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="RLIMIT_AS, /proc/self/statm and named pipes as used here are Linux's",
)

ROOT = Path(__file__).resolve().parent.parent
#: Address space a child may take above what it uses once warmed up. Far
#: below the gigabytes the damaged files here declare, far above what any
#: of them may allocate within skfashion's limits (16 MiB for a model file
#: of this size, a few times that while Keras loads it).
HEADROOM = 1 << 30

_PRELUDE = r"""
import json, os, resource, sys, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def limit_memory(headroom):
    with open("/proc/self/statm") as f:
        used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    resource.setrlimit(resource.RLIMIT_AS, (used + headroom, hard))


def outcome(func, *args, **kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            func(*args, **kwargs)
    except BaseException as exc:
        return {
            "result": type(exc).__name__,
            "bases": [c.__name__ for c in type(exc).__mro__],
            "message": str(exc)[:3000],
        }
    return {"result": "loaded"}
"""

#: A child that loads model files named on its standard input, one a line,
#: under a memory limit set once Keras and TensorFlow are warmed up.
_MODEL_WORKER = (
    _PRELUDE
    + r"""
from skfashion.models import load_model, load_model_card

load_model(sys.argv[1])  # Keras, TensorFlow and their threads, warmed up
limit_memory(int(sys.argv[2]))
print("@@ready", flush=True)
for line in sys.stdin:
    request = json.loads(line)
    func = load_model if request["func"] == "load_model" else load_model_card
    print("@@" + json.dumps(outcome(func, request["path"])), flush=True)
"""
)


class _ModelLoader:
    """Loads model files in a memory-limited child, restarted when it dies."""

    def __init__(self, warm_up_path, workdir):
        self.warm_up_path = str(warm_up_path)
        self.stderr_path = Path(workdir) / "worker-stderr.txt"
        self.proc = None

    def _start(self):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _MODEL_WORKER, self.warm_up_path, str(HEADROOM)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            cwd=ROOT,
            env=env,
        )
        self.lines = queue.Queue()
        threading.Thread(
            target=self._read, args=(self.proc.stdout, self.lines), daemon=True
        ).start()
        ready = self._reply(timeout=300)
        assert ready == "ready", f"the model worker did not start: {ready}"

    @staticmethod
    def _read(stream, lines):
        for line in stream:
            if line.startswith("@@"):
                lines.put(line[2:].strip())
        lines.put(None)

    def _reply(self, timeout):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None
        return line

    def load(self, path, func="load_model", timeout=120):
        """The outcome of ``func(path)`` in the child, as a dict."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        request = json.dumps({"func": func, "path": str(path)})
        self.proc.stdin.write(request + "\n")
        self.proc.stdin.flush()
        line = self._reply(timeout)
        if line is None:  # the child died, or timed out
            what = "timed out" if self.proc.poll() is None else "died"
            self.close()
            return {"result": f"worker {what}", "message": self._stderr_tail()}
        return json.loads(line)

    def _stderr_tail(self):
        try:
            return self.stderr_path.read_text()[-2000:]
        except OSError:
            return ""

    def close(self):
        if self.proc is not None:
            self.proc.kill()  # the child this object started, by its id
            self.proc.wait()
            self.stderr.close()
            self.proc = None


@pytest.fixture(scope="module")
def good_model(sample, tmp_path_factory):
    """A tiny fitted MLP's model file (about 75 KB)."""
    X, y = sample
    clf = KerasMLPClassifier(hidden_layer_sizes=(8,), epochs=1, random_state=0)
    clf.fit(X[:200], y[:200])
    return save_model(clf, tmp_path_factory.mktemp("bounded") / "good.skf")


@pytest.fixture(scope="module")
def loader(good_model):
    loader = _ModelLoader(good_model, good_model.parent)
    yield loader
    loader.close()


def _assert_refused(outcome, path, *parts):
    """A ModelFileError naming ``path`` and ``parts``, not an allocation."""
    assert outcome["result"] == "ModelFileError", outcome
    message = outcome["message"]
    assert str(path) in message, message
    for part in parts:
        assert part in message, message


# -------------------------------------------------------- forged model files
def _keras_members(skf_bytes):
    outer = _members_of(skf_bytes)
    return outer, _members_of(outer["model.keras"])


def _members_of(zip_bytes):
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _skf(outer, inner):
    """The model file of members ``outer`` with model.keras made of ``inner``.

    Keras stores the members of its archive uncompressed; the model file
    deflates model.keras.
    """
    return _zip({**outer, "model.keras": _zip(inner, zipfile.ZIP_STORED)})


def _with_dataset(h5_bytes, name, shape, dtype="float32"):
    """``h5_bytes`` with dataset ``name`` declared ``shape``, no data written.

    HDF5 allocates a contiguous dataset's storage when data is first
    written, so the file holds the declaration alone: a few hundred bytes.
    """
    import h5py

    buf = io.BytesIO()
    with h5py.File(io.BytesIO(h5_bytes), "r") as src, h5py.File(buf, "w") as dst:
        for key in src:
            src.copy(key, dst)
        if name in dst:
            del dst[name]
        dst.create_dataset(name, shape=shape, dtype=dtype)
    return buf.getvalue()


def _weights_bomb(good_bytes, name="layers/dense/vars/0", shape=(31000, 31000)):
    outer, inner = _keras_members(good_bytes)
    inner["model.weights.h5"] = _with_dataset(inner["model.weights.h5"], name, shape)
    return _skf(outer, inner)


def _with_config(good_bytes, change):
    outer, inner = _keras_members(good_bytes)
    config = json.loads(inner["config.json"])
    change(config)
    inner["config.json"] = json.dumps(config).encode()
    return _skf(outer, inner)


def _wide_first_layer(config, units=1_000_000):
    """The first Dense layer of the network ``units`` wide, shapes to match."""
    layers = config["config"]["layers"]
    dense = next(layer for layer in layers if layer["class_name"] == "Dense")
    old = dense["config"]["units"]
    dense["config"]["units"] = units
    text = json.dumps(layers).replace(f"[null, {old}]", f"[null, {units}]")
    config["config"]["layers"] = json.loads(text)


def _huge_metric(config):
    config["compile_config"]["metrics"] = [
        "accuracy",
        {
            "module": "keras.metrics",
            "class_name": "MeanIoU",
            "config": {"num_classes": 30000, "name": "iou"},
            "registered_name": None,
        },
    ]


def test_weights_declared_31000x31000_are_refused_before_reading(
    good_model, loader, tmp_path
):
    # 3.6 GiB declared, just under Keras' own 4 GiB guard: load_model took
    # 15.7 GiB reading it.
    bad = tmp_path / "weights-bomb.skf"
    bad.write_bytes(_weights_bomb(good_model.read_bytes()))
    assert bad.stat().st_size < 200_000
    outcome = loader.load(bad)
    _assert_refused(
        outcome,
        bad,
        "model.weights.h5",
        "layers/dense/vars/0",
        "(31000, 31000)",
        "3844000000 bytes",
        "16777216 bytes this model file may unpack to",
    )


def test_network_config_of_three_gigabytes_is_refused_before_building(
    good_model, loader, tmp_path
):
    # Keras creates (and fills) a network's variables from config.json
    # before it reads any weight: a million units here make 3 GB.
    bad = tmp_path / "config-bomb.skf"
    bad.write_bytes(_with_config(good_model.read_bytes(), _wide_first_layer))
    outcome = loader.load(bad)
    _assert_refused(outcome, bad, "config.json", "dense/kernel", "(784, 1000000)")


def test_metric_state_in_the_compile_config_is_refused(good_model, loader, tmp_path):
    # A metric of 30,000 classes keeps a 30000x30000 confusion matrix.
    bad = tmp_path / "metric-bomb.skf"
    bad.write_bytes(_with_config(good_model.read_bytes(), _huge_metric))
    outcome = loader.load(bad)
    _assert_refused(outcome, bad, "iou/total_confusion_matrix", "(30000, 30000)")


def _with_zeros(zip_bytes, name, n_bytes):
    """``zip_bytes`` and a member ``name`` of ``n_bytes`` zeros, deflated.

    Written 1 MiB at a time: the zeros are never held whole.
    """
    buf = io.BytesIO(zip_bytes)
    chunk = bytes(1 << 20)
    with (
        zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_DEFLATED) as zf,
        zf.open(name, "w") as member,
    ):
        for _ in range(n_bytes >> 20):
            member.write(chunk)
    return buf.getvalue()


def test_model_keras_inflating_a_thousandfold_is_refused(good_model, loader, tmp_path):
    # 64 MiB of zeros in model.keras take 64 KiB: more than 100 times the
    # bytes model.keras takes in the file, and more than 16 MiB.
    outer, inner = _keras_members(good_model.read_bytes())
    keras_bytes = _zip(inner, zipfile.ZIP_STORED)
    padded = _with_zeros(keras_bytes, "assets/pad.bin", 64 << 20)
    bad = tmp_path / "padded.skf"
    bad.write_bytes(_zip({**outer, "model.keras": padded}, zipfile.ZIP_STORED))
    assert bad.stat().st_size < 400_000
    outcome = loader.load(bad)
    _assert_refused(
        outcome, bad, "member model.keras declares", "bytes of content", "bomb"
    )


def test_training_rows_inflating_a_thousandfold_are_refused_before_inflating(
    good_model, tmp_path
):
    # 8 Mi rows are allowed (64 MiB of hashes), but not from 64 KiB.
    members = _members(good_model)
    meta = json.loads(members["estimator.json"])
    meta["data"]["n_samples"] = 8 * 2**20
    members["estimator.json"] = json.dumps(meta).encode()
    bad = tmp_path / "rows.skf"
    bad.write_bytes(_with_zeros(_zip(members), "training_rows.u64", 64 << 20))
    assert bad.stat().st_size < 400_000
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="100 times as many") as info:
            load_model_card(bad)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert str(bad) in str(info.value) and "training_rows.u64" in str(info.value)
    assert peak < 8 << 20


def test_genuine_model_still_loads_in_the_limited_child(good_model, loader):
    assert loader.load(good_model)["result"] == "loaded"
    assert loader.load(good_model, "load_model_card")["result"] == "loaded"


# ----------------------------------------------------- files that never end
@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.skf"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("func", ["load_model", "load_model_card"])
def test_model_path_that_is_a_named_pipe_is_refused_at_once(loader, fifo, func):
    # Opening a FIFO for reading blocks until a writer comes: forever.
    outcome = loader.load(fifo, func, timeout=60)
    _assert_refused(outcome, fifo, "named pipe", "not a model file")


@pytest.mark.parametrize("func", ["load_model", "load_model_card"])
def test_model_path_that_is_a_device_is_refused_unread(loader, tmp_path, func):
    # /dev/zero never ends: zipfile read it until the OOM killer came.
    link = tmp_path / "zero.skf"
    link.symlink_to("/dev/zero")
    for path in ("/dev/zero", link):
        outcome = loader.load(path, func, timeout=60)
        _assert_refused(outcome, path, "character device", "not a model file")


#: A child that runs one data reader on one path under a memory limit.
_DATA_CHILD = (
    _PRELUDE
    + r"""
from skfashion.datasets import load_image_folder, load_npy, load_npz
from skfashion.imaging import load_image, read_image

readers = {
    "load_npy": load_npy,
    "load_npz": lambda path: load_npz(path, ["X"]),
    "read_image": read_image,
    "load_image": load_image,
    "load_image_folder": load_image_folder,
}
limit_memory(int(sys.argv[3]))
print("@@" + json.dumps(outcome(readers[sys.argv[1]], sys.argv[2])), flush=True)
"""
)


def _read_in_child(reader, path, timeout=60):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _DATA_CHILD, reader, str(path), str(256 << 20)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return {"result": "timed out"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    if not lines:
        return {"result": f"died ({done.returncode})", "message": done.stderr[-2000:]}
    return json.loads(lines[-1][2:])


def _special_file(tmp_path, kind, name):
    """A named pipe, or a link to /dev/zero, called ``name``."""
    path = tmp_path / name
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    return path


@pytest.mark.parametrize("kind", ["fifo", "zero"])
@pytest.mark.parametrize(
    "reader, name, error",
    [
        ("load_npy", "x.npy", "OSError"),
        ("load_npz", "x.npz", "OSError"),
        ("read_image", "x.png", "ImageFileError"),
        ("load_image", "x.png", "ImageFileError"),
        ("load_image", "x.npy", "ImageFileError"),
        ("load_image_folder", "cls/x.png", "DataFileError"),
    ],
)
def test_data_readers_refuse_what_is_not_a_regular_file(
    tmp_path, kind, reader, name, error
):
    (tmp_path / "cls").mkdir()
    path = _special_file(tmp_path, kind, name)
    target = tmp_path if reader == "load_image_folder" else path
    outcome = _read_in_child(reader, target)
    assert error in outcome.get("bases", []), outcome
    words = "named pipe" if kind == "fifo" else "character device"
    assert str(path) in outcome["message"], outcome
    assert words in outcome["message"] or "not a regular file" in outcome["message"]


def test_data_readers_refuse_dev_zero_itself():
    for reader in ("load_npy", "load_npz", "read_image"):
        outcome = _read_in_child(reader, "/dev/zero")
        assert "character device" in outcome.get("message", ""), (reader, outcome)


# ------------------------------------------------------ image folder budget
def _blank_png(width, height):
    """An 8-bit grayscale PNG of zeros, compressed one row at a time."""

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    comp = zlib.compressobj(9)
    row = bytes(width + 1)  # filter type 0, then the pixels
    idat = b"".join([comp.compress(row) for _ in range(height)] + [comp.flush()])
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def no_decoding(monkeypatch):
    """Make decoding any pixel fail: refusals must come from the headers."""
    import skfashion.imaging as imaging

    def decode(*args, **kwargs):
        raise AssertionError("pixels were decoded before the budget check")

    monkeypatch.setattr(imaging, "_decode", decode)


def test_image_folder_total_budget_is_checked_from_the_headers(tmp_path, no_decoding):
    # 24 PNGs of 5000x5000, about 600 KB on disk, decode into 572 MiB.
    png = _blank_png(5000, 5000)
    for i in range(24):
        folder = tmp_path / ("boot" if i % 2 else "shirt")
        folder.mkdir(exist_ok=True)
        (folder / f"{i}.png").write_bytes(png)
    assert sum(p.stat().st_size for p in tmp_path.rglob("*.png")) < 1 << 20
    with pytest.raises(DataFileError) as info:
        load_image_folder(tmp_path)
    message = str(info.value)
    assert "max_total_pixels=268,435,456" in message
    assert "600,000,000 pixels" in message and "5000x5000" in message
    assert "image_size" in message
    # Shrunk as they load, the same images fit (decoding refused here).
    with pytest.raises(AssertionError, match="decoded"):
        load_image_folder(tmp_path, image_size=(28, 28))


def _small_folder(root, n=4, size=(6, 8)):
    from PIL import Image

    for i in range(n):
        folder = root / f"c{i % 2}"
        folder.mkdir(exist_ok=True)
        Image.new("L", size, 10 * i).save(folder / f"{i}.png")
    return root


def test_max_total_pixels_is_overridable(tmp_path):
    root = _small_folder(tmp_path)  # 4 images of 6x8: 192 pixels
    assert load_image_folder(root, max_total_pixels=192).images.shape == (4, 8, 6)
    assert load_image_folder(root, max_total_pixels=None).images.shape == (4, 8, 6)
    with pytest.raises(DataFileError, match=r"192 pixels in all, more than "):
        load_image_folder(root, max_total_pixels=191)
    # With image_size, the pixels counted are those of the resized images.
    bunch = load_image_folder(root, image_size=(2, 3), max_total_pixels=24)
    assert bunch.images.shape == (4, 2, 3)
    with pytest.raises(DataFileError, match=r"max_total_pixels=23\b"):
        load_image_folder(root, image_size=(2, 3), max_total_pixels=23)
    for bad in (0, -1, 2.5, True, "many"):
        with pytest.raises(ValueError, match="max_total_pixels must be"):
            load_image_folder(root, max_total_pixels=bad)


def test_different_sizes_are_found_from_the_headers(tmp_path, no_decoding):
    root = _small_folder(tmp_path)
    (root / "c1" / "z.png").write_bytes(_blank_png(7, 5))
    with pytest.raises(DataFileError, match="different sizes.*z.png is 7x5"):
        load_image_folder(root)


# ------------------------------------------------------------ fuzzing
#: Integer fields of the network's config.json a mutation may set.
_CONFIG_FIELDS = st.sampled_from(
    [
        ("dense", "units"),
        ("proba", "units"),
        ("pixels", "batch_shape", 1),
        ("dense", "build_config", "input_shape", 1),
        ("fused_batch_normalization", "axis"),
    ]
)
_DATASETS = st.sampled_from(
    [
        "layers/dense/vars/0",
        "layers/dense/vars/1",
        "layers/dense_1/vars/0",
        "optimizer/vars/1",
        "optimizer/vars/0",
        "extra/dataset",
    ]
)
_SIZES = st.integers(0, 2**32 - 1)
#: Dimensions: real ones, ones that make gigabytes, and anything.
_DIMS = st.sampled_from([0, 1, 8, 784, 31000, 2**16, 2**18]) | st.integers(0, 2**18)
#: Integers for config.json: small, large, and anything.
_CONFIG_INTS = st.sampled_from([0, 8, 10, 2**20, 10**6, 2**31]) | st.integers(-1, 2**31)
_MODEL_MUTATIONS = st.one_of(
    _MUTATIONS,
    st.tuples(
        st.just("h5 shape"),
        st.tuples(
            _DATASETS,
            st.lists(_DIMS, max_size=3),
            st.sampled_from(["float32", "float64", "int8"]),
        ),
    ),
    st.tuples(st.just("config int"), st.tuples(_CONFIG_FIELDS, _CONFIG_INTS)),
    st.tuples(
        st.just("declared size"),
        st.tuples(st.sampled_from(["estimator.json", "model.keras"]), _SIZES),
    ),
    st.tuples(
        st.just("inner declared size"),
        st.tuples(
            st.sampled_from(["config.json", "metadata.json", "model.weights.h5"]),
            _SIZES,
        ),
    ),
    st.tuples(
        st.just("inner member"),
        st.tuples(
            st.sampled_from(["config.json", "metadata.json", "model.weights.h5"]),
            st.none() | st.binary(max_size=64),
        ),
    ),
    st.tuples(
        st.just("compression"),
        st.tuples(
            st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
            st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
        ),
    ),
)


def _set_config_field(config, field, value):
    *where, last = field
    name, *keys = where
    layer = next(
        (layer for layer in config["config"]["layers"] if layer["name"] == name),
        None,
    )
    if layer is None:
        return
    target = layer if keys and keys[0] == "build_config" else layer["config"]
    for key in keys:
        target = target.get(key) if isinstance(target, dict) else None
        if target is None:
            return
    if isinstance(target, dict) or (isinstance(target, list) and last < len(target)):
        target[last] = value


def _mutate_model(good_bytes, good_path, mutation):
    kind, arg = mutation
    if kind == "h5 shape":
        name, shape, dtype = arg
        outer, inner = _keras_members(good_bytes)
        h5 = _with_dataset(inner["model.weights.h5"], name, tuple(shape), dtype)
        inner["model.weights.h5"] = h5
        return _skf(outer, inner)
    if kind == "config int":
        field, value = arg
        return _with_config(
            good_bytes, lambda config: _set_config_field(config, field, value)
        )
    if kind == "declared size":
        return _declared_size(good_bytes, *arg)
    if kind == "inner declared size":
        outer, inner = _keras_members(good_bytes)
        stored = _zip(inner, zipfile.ZIP_STORED)
        return _zip({**outer, "model.keras": _declared_size(stored, *arg)})
    if kind == "inner member":
        name, data = arg
        outer, inner = _keras_members(good_bytes)
        if data is None:
            del inner[name]
        else:
            inner[name] = data
        return _skf(outer, inner)
    if kind == "compression":
        outer_method, inner_method = arg
        outer, inner = _keras_members(good_bytes)
        return _zip({**outer, "model.keras": _zip(inner, inner_method)}, outer_method)
    return _mutate(good_bytes, good_path, mutation)


#: Words of an allocation that failed: a refusal must come before it.
_ALLOCATION_FAILURES = ("Unable to allocate", "MemoryError", "OOM", "ResourceExhausted")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(mutation=_MODEL_MUTATIONS)
@example(mutation=("h5 shape", ("layers/dense/vars/0", [31000, 31000], "float32")))
@example(mutation=("config int", (("dense", "units"), 10**6)))
def test_mutated_model_file_in_bounded_memory(good_model, loader, mutation):
    good = good_model.read_bytes()
    bad = good_model.parent / "fuzzed.skf"
    bad.write_bytes(_mutate_model(good, good_model, mutation))
    outcome = loader.load(bad)
    event(f"{mutation[0]}: {outcome['result']}")
    assert outcome["result"] in ("loaded", "ModelFileError"), (mutation, outcome)
    if outcome["result"] == "ModelFileError":
        message = outcome["message"]
        assert str(bad) in message, (mutation, message)
        assert not any(w in message for w in _ALLOCATION_FAILURES), (mutation, message)


@pytest.mark.filterwarnings("ignore:Skipping nested container")
def test_weights_within_the_budget_still_load_in_process(good_model, tmp_path):
    # Sanity of the budget: a forged but small dataset is within it, and
    # Keras itself reports the shape mismatch.
    from skfashion.models import load_model

    bad = tmp_path / "small-forgery.skf"
    bad.write_bytes(_weights_bomb(good_model.read_bytes(), shape=(100, 100)))
    with pytest.raises(ModelFileError, match="cannot restore the model"):
        load_model(bad)
    np.testing.assert_array_equal(load_model(good_model).classes_, np.arange(10))
