"""``--overwrite`` replaces the previous run's files only once the new run succeeds.

A run writes into a hidden staging folder inside ``--out``; a run that fails
or is interrupted leaves the previous run's files byte for byte as they were,
and no half-written file.
"""

import json

import pytest

from skfashion import cli
from skfashion.models import KerasMLPClassifier

TRAIN = [
    "train",
    "--sample",
    "--model",
    "mlp",
    "--epochs",
    "1",
    "--subset",
    "200",
    "--param",
    "hidden_layer_sizes=(8,)",
    "-q",
]


def _snapshot(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def previous_run(tmp_path, run_cli):
    out = tmp_path / "run"
    rc, stdout, err = run_cli(*TRAIN, "--out", out)
    assert rc == 0, err
    assert f"report: {out / 'report.html'}" in stdout  # not the staging folder
    (out / "notes.txt").write_text("the user's own")
    return out, _snapshot(out)


def _fail_in_report(monkeypatch, error):
    import skfashion.report

    def write_report(*args, **kwargs):
        raise error

    monkeypatch.setattr(skfashion.report, "write_report", write_report)


def test_failed_overwrite_keeps_the_previous_run(previous_run, run_cli, monkeypatch):
    out, before = previous_run
    # The model file of the new run is written, then the report fails.
    _fail_in_report(monkeypatch, RuntimeError("disk on fire"))
    rc, stdout, err = run_cli(*TRAIN, "--out", out, "--overwrite")
    assert rc == 1 and "disk on fire" in err
    assert "report:" not in stdout
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [
        cli.MANIFEST
    ]


def test_interrupted_overwrite_keeps_the_previous_run(
    previous_run, run_cli, monkeypatch
):
    out, before = previous_run

    def fit(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(KerasMLPClassifier, "fit", fit)
    rc, _, err = run_cli(*TRAIN, "--out", out, "--overwrite")
    assert rc == cli.EXIT_INTERRUPTED and "interrupted" in err
    assert _snapshot(out) == before


def test_successful_overwrite_replaces_only_listed_files(previous_run, run_cli):
    out, before = previous_run
    manifest = json.loads((out / cli.MANIFEST).read_text())["files"]
    # A figure of the previous report that the new one does not draw goes.
    (out / "figures/old_curves.png").write_bytes(b"old")
    cli._record_outputs(out, ["figures/old_curves.png"])
    rc, _, err = run_cli(*TRAIN, "--out", out, "--overwrite", "--seed", "1")
    assert rc == 0, err
    after = _snapshot(out)
    assert after["notes.txt"] == b"the user's own"
    assert after["model.skf"] != before["model.skf"]
    assert not (out / "figures/old_curves.png").exists()
    assert set(json.loads((out / cli.MANIFEST).read_text())["files"]) == set(manifest)
    assert not any(p.name.startswith(".run.tmp-") for p in out.iterdir())


def test_interrupted_search_keeps_its_cache_for_resume(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    entry = "ab" * 20 + ".skf"
    with pytest.raises(KeyboardInterrupt):
        with cli._staged_run(out) as stage:
            (stage.path / "cache").mkdir()
            (stage.path / "cache" / entry).write_bytes(b"a finished fit")
            (stage.path / "model.skf").write_bytes(b"half")
            raise KeyboardInterrupt
    assert (out / "cache" / entry).read_bytes() == b"a finished fit"
    assert set(json.loads((out / cli.MANIFEST).read_text())["files"]) == {
        f"cache/{entry}"
    }
    assert sorted(p.name for p in out.iterdir()) == [cli.MANIFEST, "cache"]


def test_a_folder_in_place_of_figures_is_refused_before_work(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "figures").write_text("not a folder")
    with pytest.raises(cli.UserError, match="figures exists and is not a folder"):
        cli._prepare_out(out, overwrite=True)


def test_a_file_put_in_place_during_the_run_is_not_replaced(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    with pytest.raises(cli.UserError, match="report.html, which skfashion did not"):
        with cli._staged_run(out) as stage:
            (stage.path / "report.html").write_text("new report")
            cli._record_outputs(stage.path, ["report.html"])
            (out / "report.html").write_text("the user's report")
    assert (out / "report.html").read_text() == "the user's report"
    assert sorted(p.name for p in out.iterdir()) == ["report.html"]


def test_evaluate_overwrite_keeps_the_model_it_evaluates(
    previous_run, run_cli, tmp_path
):
    import numpy as np

    from skfashion.datasets import load_fashion_mnist_sample

    X, y = load_fashion_mnist_sample(return_X_y=True)
    data = tmp_path / "eval.npz"
    np.savez(data, X=X[-200:], y=y[-200:])
    out, before = previous_run
    model = out / "model.skf"
    args = ("evaluate", "--data", data, "--out", out, "--overwrite", "-q", model)
    rc, stdout, err = run_cli(*args)
    assert rc == 0, err
    # Only the report's files are replaced; the model and the user's file stay.
    assert model.read_bytes() == before["model.skf"]
    assert (out / "notes.txt").read_text() == "the user's own"
    assert "model.skf" in (out / ".skfashion-manifest.json").read_text()
    # ... and evaluating it again works.
    rc, _, err = run_cli(*args)
    assert rc == 0, err
