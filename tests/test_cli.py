"""The command line, run as a user would: through a subprocess."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from skfashion import __version__


def run(*args, timeout=600):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "skfashion.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_version_and_help():
    assert run("--version").stdout.strip() == f"skfashion {__version__}"
    out = run("--help").stdout
    for command in ("fetch", "train", "tune", "evaluate", "predict"):
        assert command in out


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("train")
    res = run(
        "train",
        "--sample",
        "--model",
        "mlp",
        "--epochs",
        "3",
        "-q",
        "--param",
        "hidden_layer_sizes=(32,)",
        "--out",
        str(out),
        "--overwrite",
    )
    assert res.returncode == 0, res.stderr
    return out, res


def test_train_writes_model_metrics_and_report(trained):
    out, res = trained
    assert "test accuracy" in res.stdout and "report:" in res.stdout
    for name in ("model.skf", "metrics.json", "report.html"):
        assert (out / name).is_file()
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.1 < metrics["accuracy"] <= 1.0


def test_tune_sample_end_to_end(tmp_path):
    out = tmp_path / "tune"
    res = run(
        "tune",
        "--sample",
        "--preset",
        "mlp",
        "--n-iter",
        "2",
        "--epochs",
        "2",
        "--out",
        str(out),
        "--keep-cache",
    )
    assert res.returncode == 0, res.stderr
    assert "fits" in res.stderr + res.stdout  # progress lines (not a terminal)
    for name in ("model.skf", "metrics.json", "report.html", "cv_results.csv"):
        assert (out / name).is_file()
    assert (
        "Search" in (out / "report.html").read_text()
        or "search" in (out / "report.html").read_text()
    )
    n_cached = len(list((out / "cache").glob("*.skf")))
    stored = {p.name: p.stat().st_mtime_ns for p in (out / "cache").glob("*.skf")}
    # Running again needs --resume (or --overwrite) and trains nothing new.
    again = run(
        "tune",
        "--sample",
        "--preset",
        "mlp",
        "--n-iter",
        "2",
        "--epochs",
        "2",
        "--out",
        str(out),
    )
    assert again.returncode == 2 and "--resume" in again.stderr
    resumed = run(
        "tune",
        "--sample",
        "--preset",
        "mlp",
        "--n-iter",
        "2",
        "--epochs",
        "2",
        "--out",
        str(out),
        "--resume",
        "--keep-cache",
        "-q",
    )
    assert resumed.returncode == 0, resumed.stderr
    assert n_cached > 0
    assert {p.name: p.stat().st_mtime_ns for p in (out / "cache").glob("*.skf")} == (
        stored
    ), "the resumed search retrained stored fits"


def test_evaluate_saved_model(trained, tmp_path):
    out, _ = trained
    res = run("evaluate", str(out / "model.skf"), "--data", "sample")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("accuracy ")
    # The model was trained on 800 of the sample's 1,000 images: evaluate
    # says so, from the hashes the model file records.
    assert "800 of the 1000 images of --data sample (80.0%)" in res.stderr
    assert "not a test accuracy" in res.stderr
    report = tmp_path / "eval"
    res = run(
        "evaluate", str(out / "model.skf"), "--data", "sample", "--out", str(report)
    )
    assert res.returncode == 0, res.stderr
    assert (report / "report.html").is_file()
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["data_info"]["images seen in training"] == "800 of 1000"
    # Class names come from the model file (recorded from the data set).
    assert "T-shirt/top" in metrics["classification_report"]


def test_predict_png_and_npy(trained, tmp_path):
    from PIL import Image

    from skfashion.datasets import load_fashion_mnist_sample

    out, _ = trained
    bunch = load_fashion_mnist_sample()
    # A "photo": dark trouser on a light background, bigger than 28x28.
    photo = 255 - np.kron(bunch.images[bunch.target == 1][0], np.ones((3, 3)))
    Image.fromarray(photo.astype(np.uint8)).save(tmp_path / "trouser.png")
    np.save(tmp_path / "batch.npy", bunch.images[:3])
    res = run(
        "predict",
        str(out / "model.skf"),
        str(tmp_path / "trouser.png"),
        str(tmp_path / "batch.npy"),
        "--json",
    )
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    assert len(rows) == 4
    assert all(0 <= r["probability"] <= 1 and r["name"] for r in rows)
    from skfashion.datasets import FASHION_MNIST_CLASSES

    assert all(r["name"] == FASHION_MNIST_CLASSES[r["label"]] for r in rows)
    plain = run("predict", str(out / "model.skf"), str(tmp_path / "trouser.png"))
    assert plain.stdout.startswith(f"{tmp_path / 'trouser.png'}: ")


@pytest.mark.parametrize(
    "args, message",
    [
        (["evaluate", "missing.skf"], "no such model file"),
        (
            ["tune", "--sample", "--preset", "nope", "--out", "{tmp}/x"],
            "Unknown preset",
        ),
        (["train", "--sample", "--param", "nodots", "--out", "{tmp}/y"], "name=value"),
        (
            ["train", "--sample", "--param", "wings=2", "--out", "{tmp}/z"],
            "unknown --param wings",
        ),
        (["predict", "{model}", "{tmp}/notes.txt"], "unsupported file type"),
    ],
)
def test_user_errors_are_one_line(args, message, trained, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    model = str(trained[0] / "model.skf")
    args = [a.format(tmp=tmp_path, model=model) for a in args]
    res = run(*args)
    assert res.returncode == 2
    assert message in res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_existing_output_needs_overwrite(trained):
    out, _ = trained
    res = run("train", "--sample", "--model", "mlp", "--out", str(out))
    assert res.returncode == 2 and "--overwrite" in res.stderr


# ---------------------------------------------- colour, bit depth, --data
# Run in-process (each subprocess would import TensorFlow again); tiny MLPs.
TINY = ["--model", "mlp", "--epochs", "1", "--param", "hidden_layer_sizes=(8,)", "-q"]


COLOURS = {"red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1)}


def _rgb_images(n_per_class, size=(10, 12), seed=0):
    rng = np.random.default_rng(seed)
    X, y = [], []
    for name, colour in COLOURS.items():
        for _ in range(n_per_class):
            noise = rng.integers(0, 60, (*size, 3))
            X.append((noise + 150 * np.array(colour)).astype(np.uint8))
            y.append(name)
    return np.stack(X), np.array(y)


@pytest.fixture
def rgb_folder(tmp_path):
    from PIL import Image

    X, y = _rgb_images(8)
    for i, (pixels, name) in enumerate(zip(X, y, strict=True)):
        (tmp_path / "rgb" / name).mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(tmp_path / "rgb" / name / f"{i}.png")
    return tmp_path / "rgb"


def test_rgb_folder_train_evaluate_predict(rgb_folder, tmp_path, run_cli):
    from PIL import Image

    from skfashion.models import load_model

    out = tmp_path / "run"
    rc, stdout, err = run_cli("train", "--data", rgb_folder, "--out", out, *TINY)
    assert rc == 0, err
    model = load_model(out / "model.skf")
    assert model.image_shape_ == (10, 12, 3)  # colour kept
    assert (out / "report.html").is_file()
    assert (out / "figures" / "misclassified.png").is_file()
    rc, stdout, err = run_cli(
        "evaluate", out / "model.skf", "--data", rgb_folder, "--out", tmp_path / "ev"
    )
    assert rc == 0, err
    assert (
        stdout.startswith("accuracy ") and (tmp_path / "ev" / "report.html").is_file()
    )
    # predict reads images as the model takes them: a grayscale photo of
    # another size becomes a 10x12 RGB image.
    Image.fromarray(np.full((30, 20), 90, np.uint8)).save(tmp_path / "gray.png")
    files = [rgb_folder / "red" / "0.png", tmp_path / "gray.png"]
    rc, stdout, err = run_cli("predict", out / "model.skf", *files, "--json")
    assert rc == 0, err
    rows = json.loads(stdout)
    assert [r["file"] for r in rows] == [str(f) for f in files]
    assert all(r["name"] in COLOURS for r in rows)
    # A colour mode the model cannot take: one line, no traceback.
    for command in (
        ["predict", out / "model.skf", files[0]],
        ["evaluate", out / "model.skf", "--data", rgb_folder],
    ):
        rc, _, err = run_cli(*command, "--color-mode", "grayscale")
        assert rc == 2 and len(err.strip().splitlines()) == 1
        assert "trained on RGB images" in err and "--color-mode rgb" in err


def test_grayscale_color_mode_trains_a_grayscale_model(rgb_folder, tmp_path, run_cli):
    from skfashion.models import load_model

    out = tmp_path / "run"
    args = ["--data", rgb_folder, "--color-mode", "grayscale", "--out", out]
    rc, _, err = run_cli("train", *args, *TINY)
    assert rc == 0, err
    assert load_model(out / "model.skf").image_shape_ == (10, 12)
    rc, stdout, err = run_cli(
        "predict", out / "model.skf", rgb_folder / "blue" / "17.png", "--json"
    )
    assert rc == 0, err
    assert len(json.loads(stdout)) == 1


def test_rgb_npz_train_evaluate_predict(tmp_path, run_cli):
    from skfashion.models import load_model

    X, y = _rgb_images(8, seed=1)
    np.savez(tmp_path / "rgb.npz", X=X, y=y)
    out = tmp_path / "run"
    rc, _, err = run_cli("train", "--data", tmp_path / "rgb.npz", "--out", out, *TINY)
    assert rc == 0, err
    assert load_model(out / "model.skf").image_shape_ == (10, 12, 3)
    assert (out / "figures" / "misclassified.png").is_file()
    rc, stdout, err = run_cli(
        "evaluate", out / "model.skf", "--data", tmp_path / "rgb.npz"
    )
    assert rc == 0, err
    np.save(tmp_path / "batch.npy", X[:3])
    np.save(tmp_path / "one.npy", X[0])
    rc, stdout, err = run_cli(
        "predict", out / "model.skf", tmp_path / "batch.npy", tmp_path / "one.npy"
    )
    assert rc == 0, err
    assert len(stdout.strip().splitlines()) == 4
    # --color-mode is for folders of images; a .npz is used as stored.
    rc, _, err = run_cli(
        "train",
        "--data",
        tmp_path / "rgb.npz",
        "--color-mode",
        "rgb",
        "--out",
        tmp_path / "no",
        *TINY,
    )
    assert rc == 2 and "applies to a --data folder" in err
    assert not (tmp_path / "no").exists()  # refused before anything is made


def test_16_bit_folder_trains_and_predicts_on_its_scale(tmp_path, run_cli):
    from PIL import Image

    from skfashion.models import load_model

    rng = np.random.default_rng(0)
    for c, name in enumerate(["dim", "bright"]):
        (tmp_path / "data" / name).mkdir(parents=True)
        for i in range(8):
            pixels = rng.integers(0, 20000, (8, 8)) + 40000 * c
            Image.fromarray(pixels.astype(np.uint16)).save(
                tmp_path / "data" / name / f"{i}.png"
            )
    out = tmp_path / "run"
    rc, _, err = run_cli("train", "--data", tmp_path / "data", "--out", out, *TINY)
    assert rc == 0, err
    assert load_model(out / "model.skf").pixel_range_ == "0-65535"
    photo = tmp_path / "data" / "bright" / "0.png"
    rc, stdout, err = run_cli("predict", out / "model.skf", photo, "--invert", "no")
    assert rc == 0, err


def test_flip_defaults_notice_for_user_data(tmp_path, run_cli, monkeypatch):
    from skfashion.exceptions import SkfashionError
    from skfashion.models import KerasCNNClassifier

    def fit(self, *args, **kwargs):
        raise SkfashionError("stopped before training")

    monkeypatch.setattr(KerasCNNClassifier, "fit", fit)
    X, y = _rgb_images(8)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    data = ["--data", tmp_path / "d.npz", "-q"]

    def notes(*args):
        rc, _, err = run_cli(*args)
        assert rc == 2 and "stopped before training" in err  # came to fit
        return [line for line in err.splitlines() if "note:" in line]

    [note] = notes("train", *data, "--out", tmp_path / "a")
    assert "horizontal_flip=True" in note and "tta='auto'" in note
    assert "--param horizontal_flip=False" in note
    # tune --data searches flips itself (preset_for_data): no notice; the
    # main job's preset keeps the CNN's flips, and says so.
    tune = ["tune", *data, "--n-iter", "1", "--epochs", "1"]
    assert notes(*tune, "--out", tmp_path / "b0") == []
    [note] = notes(*tune, "--preset", "cnn", "--out", tmp_path / "b")
    assert "--param horizontal_flip=False" in note
    off = ["--param", "horizontal_flip=False"]
    assert notes("train", *data, *off, "--out", tmp_path / "c") == []
    assert (
        notes(
            "tune",
            *data,
            *off,
            "--preset",
            "cnn",
            "--n-iter",
            "1",
            "--epochs",
            "1",
            "--out",
            tmp_path / "d",
        )
        == []
    )
    # Fashion-MNIST itself: no notice.
    assert notes("train", "--sample", "-q", "--out", tmp_path / "e") == []


def test_tune_param_refuses_what_the_preset_searches(tmp_path, run_cli):
    rc, _, err = run_cli(
        "tune",
        "--sample",
        "--preset",
        "s5-mlp",
        "--param",
        "learning_rate=0.1",
        "--out",
        tmp_path / "x",
    )
    assert rc == 2 and "searched by preset s5-mlp" in err
    assert not (tmp_path / "x").exists()


def test_mixed_sizes_advice_fits_the_command_line(tmp_path, run_cli):
    from PIL import Image

    for name, size in (("a", (8, 8)), ("b", (9, 8))):
        (tmp_path / "data" / name).mkdir(parents=True)
        Image.fromarray(np.zeros(size, np.uint8)).save(
            tmp_path / "data" / name / "0.png"
        )
    rc, _, err = run_cli(
        "train", "--data", tmp_path / "data", "--out", tmp_path / "run", *TINY
    )
    assert rc == 2 and "different sizes" in err
    assert "resize them to one size first" in err
    assert "; pass image_size=" not in err  # no such option on the command line


# ------------------------------------------------------------ exit statuses
@pytest.fixture
def no_fit(monkeypatch):
    """Make any training fail loudly: the error must come before it."""
    from skfashion.models import KerasCNNClassifier, KerasMLPClassifier

    def fit(self, *args, **kwargs):
        raise AssertionError("training started")

    for cls in (KerasCNNClassifier, KerasMLPClassifier):
        monkeypatch.setattr(cls, "fit", fit)


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["train", "--model", "mlp", "--param", "callbacks=[1]"],
            "it takes Keras callback objects, which a command line cannot make",
        ),
        (["train", "--model", "mlp", "--param", "dropout=2"], "'dropout' parameter"),
        (
            ["train", "--model", "mlp", "--param", "hidden_layer_sizes=(0,)"],
            "hidden_layer_sizes must be a tuple of positive ints",
        ),
        (
            ["train", "--model", "cnn", "--param", "class_weight={0: -1}"],
            "class_weight values must be finite numbers >= 0",
        ),
        (
            ["tune", "--preset", "mlp", "--param", "early_stopping=True"],
            "the halving search sets the epochs of every fit",
        ),
        (["tune", "--preset", "mlp", "--param", "patience=0"], "'patience' parameter"),
    ],
)
def test_bad_param_values_are_usage_errors(args, message, tmp_path, run_cli, no_fit):
    rc, _, err = run_cli(*args, "--sample", "--out", tmp_path / "run")
    assert rc == 2 and message in err
    assert len(err.strip().splitlines()) == 1 and not err.rstrip().endswith(":")
    assert not (tmp_path / "run").exists()  # refused before anything is made


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.zeros((20, 8, 8)), np.zeros(20, int), "at least 2 classes"),
        (np.zeros((20, 8, 8)), np.arange(19) % 2, "20 images but y 19 labels"),
        (np.zeros(20), np.arange(20) % 2, "X must be (n_images, n_features)"),
        (np.zeros((20, 8, 8)), np.r_[np.zeros(19, int), 1], "stratified 20%"),
    ],
)
def test_user_data_mistakes_are_usage_errors(X, y, message, tmp_path, run_cli, no_fit):
    np.savez(tmp_path / "d.npz", X=X, y=y)
    rc, _, err = run_cli(
        "train", "--data", tmp_path / "d.npz", "--out", tmp_path / "run", *TINY
    )
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "error, status, expected, unexpected",
    [
        (KeyError("x"), 1, "internal error: KeyError: 'x'; please report it", None),
        (ValueError("bad"), 1, "internal error: ValueError: bad;", None),
        (OSError(28, "No space left on device"), 1, "error: [Errno 28]", "internal"),
    ],
)
def test_other_errors_are_not_usage_errors(
    error, status, expected, unexpected, tmp_path, run_cli, monkeypatch
):
    from skfashion.cli import _train

    def crash(*args, **kwargs):
        raise error

    monkeypatch.setattr(_train, "_load_data", crash)
    args = ["train", "--sample", "--out", tmp_path / "run", *TINY]
    rc, _, err = run_cli(*args)
    assert rc == status and expected in err
    assert len(err.strip().splitlines()) == 1
    assert unexpected is None or unexpected not in err
    if unexpected is None:
        assert "--debug" in err
    rc, _, err = run_cli(*args, "--overwrite", "--debug")
    assert rc == status and "Traceback" in err and expected in err


def test_one_line_keeps_what_a_colon_announces():
    from skfashion.cli import _one_line

    exc = TypeError(
        "If specified, ``callbacks`` must be one of:\n - A dict\n - A list\n"
        "Where each callback is a keras.callbacks.Callback"
    )
    assert _one_line(exc) == (
        "If specified, ``callbacks`` must be one of: - A dict - A list "
        "Where each callback is a keras.callbacks.Callback"
    )


def test_tune_on_user_data_searches_a_space_sized_for_it():
    from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

    from skfashion.cli._parser import build_parser
    from skfashion.cli._tune import _choose_preset

    parse = build_parser().parse_args
    small = _choose_preset(parse(["tune", "--data", "d.npz", "--out", "o"]), 600)
    assert small.name == "data" and isinstance(small.cv, StratifiedKFold)
    assert {"batch_size", "horizontal_flip", "batch_norm", "learning_rate"} <= set(
        small.param_distributions
    )
    assert small.include_defaults
    large = _choose_preset(parse(["tune", "--data", "d.npz", "--out", "o"]), 20000)
    assert isinstance(large.cv, StratifiedShuffleSplit)
    # An explicit preset wins; Fashion-MNIST keeps the main job's.
    assert (
        _choose_preset(
            parse(["tune", "--data", "d.npz", "--out", "o", "--preset", "mlp"]), 600
        ).name
        == "mlp"
    )
    assert _choose_preset(parse(["tune", "--sample", "--out", "o"]), 600).name == "cnn"
