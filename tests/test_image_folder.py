"""load_image_folder on a folder of PNGs made here."""

import re

import numpy as np
import pytest
from PIL import Image

from skfashion.datasets import load_image_folder
from skfashion.exceptions import DataFileError, ImageFileError
from skfashion.imaging import MAX_IMAGE_PIXELS, load_image, read_image


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


# ------------------------------------------------- colour and bit depth
def _class_folders(root, files):
    """``files`` maps "class/name.ext" to a Pillow image, saved under root."""
    for rel, image in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        image.save(root / rel)
    return root


def _gray(value, size=(6, 5)):
    return Image.fromarray(np.full(size, value, np.uint8))


def test_auto_color_mode_reads_a_colour_folder_as_rgb(tmp_path):
    _class_folders(
        tmp_path,
        {
            "a/0.png": _gray(30),
            "a/1.png": Image.new("RGB", (5, 6), (200, 10, 40)),
            "b/0.png": _gray(90),
        },
    )
    bunch = load_image_folder(tmp_path)  # color_mode="auto" by default
    assert bunch.images.shape == (3, 6, 5, 3) and bunch.images.dtype == np.uint8
    assert bunch.color_mode == "rgb"
    assert bunch.images[1, 0, 0].tolist() == [200, 10, 40]  # colour kept
    assert bunch.images[0, 0, 0].tolist() == [30, 30, 30]  # gray repeated
    assert bunch.data.shape == (3, 6 * 5 * 3)
    gray = load_image_folder(tmp_path, color_mode="grayscale")
    assert gray.images.shape == (3, 6, 5) and gray.color_mode == "grayscale"


def test_auto_color_mode_keeps_a_grayscale_folder_2d(tmp_path):
    # An RGB or palette file of gray pixels is grayscale, not colour.
    _class_folders(
        tmp_path,
        {
            "a/0.png": _gray(30),
            "a/1.png": Image.new("RGB", (5, 6), (70, 70, 70)),
            "b/0.png": _gray(90).convert("P"),
            "b/1.png": _gray(120).convert("LA"),
        },
    )
    bunch = load_image_folder(tmp_path, color_mode="auto")
    assert bunch.images.shape == (4, 6, 5) and bunch.images.dtype == np.uint8
    assert bunch.images[:, 0, 0].tolist() == [30, 70, 90, 120]
    assert load_image_folder(tmp_path, color_mode="rgb").images.shape == (4, 6, 5, 3)


def test_16_bit_png_keeps_its_values(tmp_path):
    pixels = np.arange(30, dtype=np.uint16).reshape(6, 5) * 2000  # up to 58000
    _class_folders(
        tmp_path,
        {"a/0.png": Image.fromarray(pixels), "b/0.png": Image.fromarray(pixels // 2)},
    )
    bunch = load_image_folder(tmp_path)
    assert bunch.images.dtype == np.uint16
    np.testing.assert_array_equal(bunch.images[0], pixels)
    assert bunch.images.max() == 58000
    # Resizing keeps the depth and the range of values.
    resized = load_image_folder(tmp_path, image_size=(12, 10), color_mode="rgb")
    assert resized.images.shape == (2, 12, 10, 3) and resized.images.dtype == np.uint16
    assert 50000 < resized.images.max() <= 58000


def test_float_tiff_keeps_its_values(tmp_path):
    pixels = np.linspace(0.0, 0.75, 30, dtype=np.float32).reshape(6, 5)
    _class_folders(
        tmp_path,
        {"a/0.tif": Image.fromarray(pixels), "b/0.tif": Image.fromarray(pixels / 3)},
    )
    bunch = load_image_folder(tmp_path)
    assert bunch.images.dtype == np.float32 and bunch.images.shape == (2, 6, 5)
    np.testing.assert_array_equal(bunch.images[0], pixels)


def test_mixed_bit_depths(tmp_path):
    sixteen = Image.fromarray(np.full((6, 5), 40000, np.uint16))
    _class_folders(tmp_path, {"a/0.png": sixteen, "b/0.png": _gray(200)})
    with pytest.raises(DataFileError, match=r"8-bit.*16-bit.*one bit depth"):
        load_image_folder(tmp_path)
    # Floating-point with 8-bit images: refused, whatever their values, since
    # the scale of floating-point values cannot be told from the files.
    (tmp_path / "a" / "0.png").unlink()
    on_255 = np.full((6, 5), 180.0, np.float32)
    for floats, eight_bit in [(on_255, 200), (on_255 / 255, 200), (on_255 / 255, 1)]:
        _class_folders(
            tmp_path,
            {"a/0.tif": Image.fromarray(floats), "b/0.png": _gray(eight_bit)},
        )
        with pytest.raises(
            DataFileError, match=r"a/0.tif is floating-point.*b/0.png is 8-bit"
        ):
            load_image_folder(tmp_path)


@pytest.mark.parametrize("color_mode", ["rbg", "RGB", None, 3])
def test_bad_color_mode_is_named(folder, color_mode):
    message = r"color_mode must be one of 'auto', 'grayscale', 'rgb'; got " + re.escape(
        repr(color_mode)
    )
    with pytest.raises(ValueError, match=message):
        load_image_folder(folder, color_mode=color_mode)
    with pytest.raises(ValueError, match=message):
        read_image(folder / "boot" / "0.png", color_mode=color_mode)


def test_read_image_depths_and_modes(tmp_path):
    Image.fromarray(np.full((4, 3), 1000, np.int32)).save(tmp_path / "i32.tif")
    Image.fromarray(np.full((4, 3), 70000, np.int32)).save(tmp_path / "big.tif")
    nan = np.full((4, 3), np.nan, np.float32)
    Image.fromarray(nan).save(tmp_path / "nan.tif")
    Image.new("RGB", (3, 4), (1, 2, 3)).save(tmp_path / "c.png")
    assert read_image(tmp_path / "i32.tif").dtype == np.uint16
    with pytest.raises(ImageFileError, match="outside the 16-bit range"):
        read_image(tmp_path / "big.tif")
    with pytest.raises(ImageFileError, match="not finite"):
        read_image(tmp_path / "nan.tif")
    assert read_image(tmp_path / "c.png").shape == (4, 3, 3)
    assert read_image(tmp_path / "c.png", color_mode="grayscale").shape == (4, 3)


def test_load_image_reads_colour_and_depth_for_the_model(tmp_path):
    Image.new("RGB", (40, 40), (10, 200, 30)).save(tmp_path / "green.png")
    Image.fromarray(np.full((8, 8), 30000, np.uint16)).save(tmp_path / "g16.png")
    [rgb] = load_image(tmp_path / "green.png", shape=(10, 10), invert="no")
    assert rgb.shape == (10, 10, 3) and rgb.dtype == np.float32
    assert rgb[5, 5].tolist() == [10, 200, 30]
    [gray] = load_image(tmp_path / "green.png", color_mode="grayscale", invert="no")
    assert gray.shape == (28, 28)
    # A 16-bit image on the 0-255 scale, or kept on its own (0-65535).
    [a] = load_image(tmp_path / "g16.png", shape=(8, 8), invert="no")
    assert a.max() == pytest.approx(30000 * 255 / 65535, rel=1e-5)
    [b] = load_image(
        tmp_path / "g16.png", shape=(8, 8), invert="no", pixel_range="0-65535"
    )
    assert b.max() == 30000
    [c] = load_image(tmp_path / "g16.png", shape=(8, 8), invert="yes", pixel_range=None)
    assert c.max() == 65535 - 30000
    np.save(tmp_path / "rgb.npy", np.zeros((2, 8, 8, 3)))
    arrays = load_image(tmp_path / "rgb.npy", shape=(8, 8), color_mode="rgb")
    assert [a.shape for a in arrays] == [(8, 8, 3)] * 2
    with pytest.raises(ImageFileError, match=r"expected \(8, 8\), \(n, 8, 8\)"):
        load_image(tmp_path / "rgb.npy", shape=(8, 8), color_mode="grayscale")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image_size": (True, True)}, "image_size"),
        ({"image_size": 28}, "image_size"),
        ({"return_X_y": "no"}, "return_X_y"),
    ],
)
def test_loose_arguments_are_refused(folder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_image_folder(folder, **kwargs)


def test_cli_epochs_given_twice_is_refused(tmp_path, capsys, monkeypatch):
    from skfashion import cli

    monkeypatch.setattr(cli, "_silence_native_stderr", lambda: None)
    rc = cli.main(
        ["train", "--sample", "--param", "epochs=1", "--epochs", "2",
         "--out", str(tmp_path / "run")]
    )  # fmt: skip
    assert rc == 2 and "disagree" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
