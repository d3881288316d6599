"""Tests of the Fashion-MNIST loaders, on fabricated files and the real ones."""

import gzip
import hashlib
import io
import os
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from skfashion.datasets import (
    FASHION_MNIST_CLASSES,
    fetch_fashion_mnist,
    load_fashion_mnist_sample,
    locate_fashion_mnist,
    write_idx,
)
from skfashion.datasets import _fashion_mnist as fm
from skfashion.datasets._idx import _encode_idx
from skfashion.datasets._sample import _select_sample_indices
from skfashion.exceptions import (
    ChecksumError,
    DataFileError,
    DatasetNotFoundError,
)

REAL_DIR = Path(fm.DEBIAN_DIR)
N_FAKE = {"train": 12, "test": 5}


def _fake_arrays(seed):
    """Small, recognisable stand-ins for the four files."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, (images_name, labels_name) in fm._SPLIT_FILES.items():
        n = N_FAKE[split]
        arrays[images_name] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        arrays[labels_name] = (np.arange(n) + seed).astype(np.uint8) % 10
    return arrays


def _write_fake(folder, seed=0, *, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    arrays = _fake_arrays(seed)
    for name, array in arrays.items():
        write_idx(folder / (f"{name}.gz" if gz else name), array)
    return arrays


def _checksums(arrays):
    return {
        name: (len(content := _encode_idx(array)), hashlib.sha256(content).hexdigest())
        for name, array in arrays.items()
    }


class _NoNetwork:
    def __call__(self, url, timeout=None):
        raise AssertionError(f"test tried to reach the network: {url}")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch):
    """No real folders, no environment variable and no network by default."""
    monkeypatch.setattr(fm, "_fallback_dirs", list)
    monkeypatch.delenv(fm.DATA_ENV_VAR, raising=False)
    monkeypatch.setattr(fm, "_urlopen", _NoNetwork())


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """Fabricated files in tmp_path/data whose digests are the expected ones."""
    arrays = _write_fake(tmp_path / "data")
    monkeypatch.setattr(fm, "_CHECKSUMS", _checksums(arrays))
    return tmp_path / "data", arrays


class FakeResponse(io.BytesIO):
    """A urlopen response that can fail after ``fail_after`` bytes."""

    def __init__(self, payload, *, fail_after=None, exc=None):
        super().__init__(payload)
        self.fail_after = fail_after
        self.exc = exc

    def read(self, size=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise self.exc
        return super().read(size)


class FakeTransport:
    def __init__(self, payloads, **response_options):
        self.payloads = payloads
        self.response_options = response_options
        self.urls = []

    def __call__(self, url, timeout=None):
        self.urls.append(url)
        name = url.rsplit("/", 1)[-1]
        return FakeResponse(self.payloads[name], **self.response_options)


def _gz_payloads(arrays):
    return {f"{n}.gz": gzip.compress(_encode_idx(a)) for n, a in arrays.items()}


def test_fetch_fabricated_train(fake):
    folder, arrays = fake
    bunch = fetch_fashion_mnist(data_home=folder)
    assert bunch.data.shape == (12, 784)
    assert bunch.images.shape == (12, 28, 28)
    assert bunch.data.dtype == bunch.images.dtype == np.uint8
    assert bunch.target.dtype == np.int64
    np.testing.assert_array_equal(bunch.images, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(bunch.data, bunch.images.reshape(12, -1))
    np.testing.assert_array_equal(bunch.target, arrays["train-labels-idx1-ubyte"])
    assert list(bunch.target_names) == list(FASHION_MNIST_CLASSES)
    assert bunch.feature_names[0] == "pixel_0"
    assert len(bunch.feature_names) == 784
    assert "Fashion-MNIST" in bunch.DESCR
    assert set(bunch.files) == {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"}
    record = bunch.files["train-images-idx3-ubyte"]
    assert record["path"] == str(folder / "train-images-idx3-ubyte.gz")
    assert record["sha256"] == fm._CHECKSUMS["train-images-idx3-ubyte"][1]
    assert record["verified"] is True


def test_subset_all_is_train_then_test(fake):
    folder, arrays = fake
    train = fetch_fashion_mnist(subset="train", data_home=folder)
    test = fetch_fashion_mnist(subset="test", data_home=folder)
    both = fetch_fashion_mnist(subset="all", data_home=folder)
    assert test.data.shape == (5, 784)
    np.testing.assert_array_equal(both.data, np.concatenate([train.data, test.data]))
    np.testing.assert_array_equal(
        both.target, np.concatenate([train.target, test.target])
    )
    assert len(both.files) == 4


def test_return_X_y(fake):
    folder, arrays = fake
    X, y = fetch_fashion_mnist(subset="test", data_home=folder, return_X_y=True)
    assert X.shape == (5, 784)
    np.testing.assert_array_equal(y, arrays["t10k-labels-idx1-ubyte"])


def test_data_home_beats_env_var(tmp_path, monkeypatch):
    _write_fake(tmp_path / "home", seed=1)
    _write_fake(tmp_path / "env", seed=2)
    monkeypatch.setenv(fm.DATA_ENV_VAR, str(tmp_path / "env"))
    explicit = fetch_fashion_mnist(data_home=tmp_path / "home", verify=False)
    assert explicit.target[0] == 1
    assert explicit.files["train-labels-idx1-ubyte"]["verified"] is False
    from_env = fetch_fashion_mnist(verify=False)
    assert from_env.target[0] == 2
    assert Path(from_env.files["train-images-idx3-ubyte"]["path"]).parent == (
        tmp_path / "env"
    )


def test_fallback_folders_in_order(tmp_path, monkeypatch):
    _write_fake(tmp_path / "first", seed=3)
    _write_fake(tmp_path / "second", seed=4)
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(
        fm,
        "_fallback_dirs",
        lambda: [tmp_path / "missing", tmp_path / "first", tmp_path / "second"],
    )
    # An explicit folder without the files falls through to the others.
    bunch = fetch_fashion_mnist(data_home=tmp_path / "empty", verify=False)
    assert bunch.target[0] == 3


def test_decompressed_names_and_content_sniffing(tmp_path, monkeypatch):
    arrays = _write_fake(tmp_path / "raw", gz=False)
    monkeypatch.setattr(fm, "_CHECKSUMS", _checksums(arrays))
    bunch = fetch_fashion_mnist(subset="all", data_home=tmp_path / "raw")
    assert bunch.files["t10k-images-idx3-ubyte"]["path"].endswith("ubyte")
    # A gzip file that lost its suffix is still recognised as gzip.
    name = "train-images-idx3-ubyte"
    write_idx(tmp_path / "raw" / name, arrays[name], compress=True)
    again = fetch_fashion_mnist(data_home=tmp_path / "raw")
    np.testing.assert_array_equal(again.images, arrays[name])


def test_checksum_mismatch(tmp_path):
    # The real digest table does not match fabricated files.
    folder = tmp_path / "data"
    _write_fake(folder)
    with pytest.raises(ChecksumError) as info:
        fetch_fashion_mnist(data_home=folder)
    message = str(info.value)
    assert str(folder / "train-images-idx3-ubyte.gz") in message
    assert fm._CHECKSUMS["train-images-idx3-ubyte"][1] in message
    assert "apt-get install --reinstall dataset-fashion-mnist" in message
    assert isinstance(info.value, ValueError)
    assert fetch_fashion_mnist(data_home=folder, verify=False).data.shape == (12, 784)


def test_corrupt_local_gzip(fake):
    folder, _ = fake
    path = folder / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataFileError) as info:
        fetch_fashion_mnist(subset="test", data_home=folder)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("name", "array", "match"),
    [
        ("t10k-labels-idx1-ubyte", np.full(5, 10, dtype=np.uint8), "out of range"),
        ("t10k-labels-idx1-ubyte", np.zeros(4, dtype=np.uint8), "5 images but 4"),
        ("t10k-labels-idx1-ubyte", np.zeros(5, dtype=np.int32), "uint8 label"),
        ("t10k-images-idx3-ubyte", np.zeros((5, 28, 27), np.uint8), "shape"),
    ],
)
def test_structural_checks_without_verify(fake, name, array, match):
    folder, _ = fake
    write_idx(folder / f"{name}.gz", array)
    with pytest.raises(DataFileError, match=match):
        fetch_fashion_mnist(subset="test", data_home=folder, verify=False)


def test_offline_error_message(tmp_path, monkeypatch):
    monkeypatch.setattr(fm, "_fallback_dirs", lambda: [tmp_path / "sk", REAL_DIR])
    monkeypatch.setattr(fm, "_find_file", lambda name, dirs: None)
    with pytest.raises(DatasetNotFoundError) as info:
        fetch_fashion_mnist(data_home=tmp_path / "mine", download_if_missing=False)
    message = str(info.value)
    assert isinstance(info.value, OSError)
    assert "sudo apt-get install dataset-fashion-mnist" in message
    assert "SKFASHION_DATA" in message
    assert "data_home" in message
    assert "train-images-idx3-ubyte.gz" in message
    for folder in (tmp_path / "mine", tmp_path / "sk", REAL_DIR):
        assert str(folder) in message
    assert not (tmp_path / "mine").exists()


def test_failed_download_is_dataset_not_found(tmp_path, monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(fm, "_urlopen", offline)
    target = tmp_path / "dl"
    with pytest.raises(DatasetNotFoundError) as info:
        fetch_fashion_mnist(data_home=target)
    assert "apt-get install dataset-fashion-mnist" in str(info.value)
    assert "offline" in str(info.value)
    assert list(target.iterdir()) == []


def test_download_success(tmp_path, monkeypatch):
    arrays = _fake_arrays(5)
    monkeypatch.setattr(fm, "_CHECKSUMS", _checksums(arrays))
    monkeypatch.setattr(fm, "_CHUNK_SIZE", 100)
    transport = FakeTransport(_gz_payloads(arrays))
    monkeypatch.setattr(fm, "_urlopen", transport)
    target = tmp_path / "dl"
    bunch = fetch_fashion_mnist(subset="all", data_home=target)
    np.testing.assert_array_equal(bunch.images[:12], arrays["train-images-idx3-ubyte"])
    assert sorted(transport.urls) == sorted(
        fm.FASHION_MNIST_URL + f"{name}.gz" for name in arrays
    )
    assert sorted(p.name for p in target.iterdir()) == sorted(
        f"{name}.gz" for name in arrays
    )
    # Now on disk: no second download.
    fetch_fashion_mnist(subset="all", data_home=target)
    assert len(transport.urls) == 4


def test_download_goes_to_first_fallback_folder(tmp_path, monkeypatch):
    arrays = _fake_arrays(6)
    monkeypatch.setattr(fm, "_CHECKSUMS", _checksums(arrays))
    monkeypatch.setattr(fm, "_urlopen", FakeTransport(_gz_payloads(arrays)))
    monkeypatch.setattr(fm, "_fallback_dirs", lambda: [tmp_path / "sk", tmp_path / "b"])
    files = locate_fashion_mnist(subset="test")
    assert set(files) == {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}
    for record in files.values():
        assert Path(record["path"]).parent == tmp_path / "sk"
        assert record["verified"] is True


@pytest.mark.parametrize(
    "exc", [ConnectionResetError("connection reset"), KeyboardInterrupt()]
)
def test_interrupted_download_leaves_nothing(tmp_path, monkeypatch, exc):
    arrays = _fake_arrays(7)
    monkeypatch.setattr(fm, "_CHECKSUMS", _checksums(arrays))
    monkeypatch.setattr(fm, "_CHUNK_SIZE", 100)
    monkeypatch.setattr(
        fm, "_urlopen", FakeTransport(_gz_payloads(arrays), fail_after=300, exc=exc)
    )
    target = tmp_path / "dl"
    expected = DatasetNotFoundError if isinstance(exc, OSError) else type(exc)
    with pytest.raises(expected):
        fetch_fashion_mnist(data_home=target)
    assert list(target.iterdir()) == []


def test_download_with_wrong_hash_leaves_nothing(tmp_path, monkeypatch):
    arrays = _fake_arrays(8)
    # Real digest table: the fabricated downloads cannot match it.
    monkeypatch.setattr(fm, "_urlopen", FakeTransport(_gz_payloads(arrays)))
    target = tmp_path / "dl"
    with pytest.raises(ChecksumError, match="storage.googleapis.com"):
        fetch_fashion_mnist(data_home=target, verify=False)
    assert list(target.iterdir()) == []


def test_invalid_parameters(fake):
    folder, _ = fake
    with pytest.raises(ValueError, match="subset"):
        fetch_fashion_mnist(subset="validation", data_home=folder)
    with pytest.raises(TypeError):
        fetch_fashion_mnist("train")


def test_sample():
    sample = load_fashion_mnist_sample()
    assert sample.data.shape == (1000, 784)
    assert sample.images.shape == (1000, 28, 28)
    assert sample.data.dtype == np.uint8
    assert sample.target.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(sample.target), np.full(10, 100))
    assert np.all(np.diff(sample.indices) > 0)
    assert 0 <= sample.indices[0] and sample.indices[-1] < 10000
    assert "fashion_mnist_sample.npz" in sample.files
    X, y = fetch_fashion_mnist(subset="sample", return_X_y=True)
    np.testing.assert_array_equal(X, sample.data)
    np.testing.assert_array_equal(y, sample.target)


def test_sample_licence_note():
    from importlib import resources

    note = (
        resources.files("skfashion.datasets")
        .joinpath("data", "LICENSE-fashion-mnist.txt")
        .read_text(encoding="utf-8")
    )
    assert "Copyright (c) 2017 Zalando SE" in note
    assert "MIT" in note
    assert "t10k" in note


def _require_real_files():
    if not REAL_DIR.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{REAL_DIR} is missing in CI: install dataset-fashion-mnist")
        pytest.skip(f"{REAL_DIR} absent: apt-get install dataset-fashion-mnist")


@pytest.fixture(scope="module")
def real_test_split():
    _require_real_files()
    return fetch_fashion_mnist(
        subset="test", data_home=REAL_DIR, download_if_missing=False
    )


def test_real_files(real_test_split):
    train = fetch_fashion_mnist(
        subset="train", data_home=REAL_DIR, download_if_missing=False
    )
    for bunch, n in ((train, 60000), (real_test_split, 10000)):
        assert bunch.data.shape == (n, 784)
        assert bunch.images.shape == (n, 28, 28)
        assert bunch.data.dtype == np.uint8
        np.testing.assert_array_equal(np.bincount(bunch.target), np.full(10, n // 10))
        for name, record in bunch.files.items():
            assert record["sha256"] == fm._CHECKSUMS[name][1]
            assert record["verified"] is True


def test_sample_matches_real_test_split(real_test_split):
    sample = load_fashion_mnist_sample()
    np.testing.assert_array_equal(sample.images, real_test_split.images[sample.indices])
    np.testing.assert_array_equal(sample.target, real_test_split.target[sample.indices])
    np.testing.assert_array_equal(
        _select_sample_indices(real_test_split.target), sample.indices
    )
