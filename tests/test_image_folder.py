"""load_image_folder on a folder of PNGs made here."""

import numpy as np
import pytest
from PIL import Image

from skfashion.datasets import load_image_folder
from skfashion.exceptions import DataFileError
from skfashion.imaging import MAX_IMAGE_PIXELS


def _png(path, value, size=(10, 12), mode="L"):
    shape = (size[0], size[1]) if mode == "L" else (size[0], size[1], 3)
    Image.fromarray(np.full(shape, value, np.uint8), mode=mode).save(path)


@pytest.fixture
def folder(tmp_path):
    for c, name in enumerate(["boot", "shirt"]):
        (tmp_path / name).mkdir()
        for i in range(3):
            _png(tmp_path / name / f"{i}.png", 10 * c + i)
    (tmp_path / "boot" / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden").mkdir()
    return tmp_path


def test_bunch_like_load_files(folder):
    bunch = load_image_folder(folder)
    assert bunch.images.shape == (6, 10, 12) and bunch.data.shape == (6, 120)
    assert bunch.images.dtype == np.uint8
    assert bunch.target.tolist() == [0, 0, 0, 1, 1, 1]
    assert bunch.target_names.tolist() == ["boot", "shirt"]
    assert bunch.filenames[0].endswith("0.png") and "boot" in bunch.filenames[0]
    assert bunch.images[4, 0, 0] == 11
    X, y = load_image_folder(folder, return_X_y=True)
    np.testing.assert_array_equal(X, bunch.data)


def test_rgb_and_resize(folder):
    _png(folder / "shirt" / "big.png", 200, size=(30, 20), mode="RGB")
    with pytest.raises(DataFileError, match="different sizes.*image_size"):
        load_image_folder(folder)
    bunch = load_image_folder(folder, image_size=(8, 8), color_mode="rgb")
    assert bunch.images.shape == (7, 8, 8, 3)


def test_broken_file_is_named(folder):
    (folder / "shirt" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DataFileError, match="broken.png"):
        load_image_folder(folder)


def test_empty_class_and_missing_folder(folder, tmp_path):
    (folder / "sandal").mkdir()
    with pytest.raises(DataFileError, match="sandal has no image files"):
        load_image_folder(folder)
    with pytest.raises(DataFileError, match="no such folder"):
        load_image_folder(tmp_path / "nope")


def test_oversized_image_refused_before_decoding(tmp_path, monkeypatch):
    import skfashion.imaging as imaging

    (tmp_path / "a").mkdir()
    _png(tmp_path / "a" / "x.png", 0, size=(20, 20))
    monkeypatch.setattr(imaging, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(DataFileError, match="20x20 pixels is more than"):
        load_image_folder(tmp_path)
    assert MAX_IMAGE_PIXELS < 89_000_000  # well below Pillow's own limit


def test_cli_trains_and_evaluates_a_folder(tmp_path):
    from skfashion.cli import main

    rng = np.random.default_rng(0)
    data = tmp_path / "data"
    for c, name in enumerate(["bag", "boot", "shirt"]):
        (data / name).mkdir(parents=True)
        for i in range(10):
            pixels = rng.integers(0, 60, (12, 12), dtype=np.uint8) + 60 * c
            Image.fromarray(pixels.astype(np.uint8)).save(data / name / f"{i}.png")
    out = tmp_path / "run"
    args = ["--data", str(data), "--out", str(out), "--quiet"]
    assert main(["train", "--model", "mlp", "--epochs", "2", *args]) == 0
    from skfashion.models import load_model

    model = load_model(out / "model.skf")
    assert model.classes_.tolist() == ["bag", "boot", "shirt"]
    assert model.image_shape_ == (12, 12)
    assert main(["evaluate", str(out / "model.skf"), "--data", str(data)]) == 0
