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
