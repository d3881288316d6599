"""One Ctrl-C stops ``skfashion tune``: exit status 130, one line, resumable state."""

import json
import time

import pytest

from skfashion import cli
from skfashion.models import KerasMLPClassifier

TUNE = [
    "tune",
    "--sample",
    "--preset",
    "mlp",
    "--n-iter",
    "2",
    "--epochs",
    "1",
    "--cv",
    "2",
    "--subset",
    "200",
    "-q",
]


REAL_FIT = KerasMLPClassifier.fit


def _count_fits(monkeypatch, *, interrupt_at=None):
    """Count MLP fits; the ``interrupt_at``-th one raises KeyboardInterrupt."""
    calls = []

    def fit(self, *args, **kwargs):
        calls.append(self.get_params())
        if len(calls) == interrupt_at:
            raise KeyboardInterrupt
        return REAL_FIT(self, *args, **kwargs)

    monkeypatch.setattr(KerasMLPClassifier, "fit", fit)
    return calls


def test_ctrl_c_stops_tune_and_resume_continues(tmp_path, run_cli, monkeypatch):
    out = tmp_path / "run"
    calls = _count_fits(monkeypatch, interrupt_at=2)
    rc, stdout, err = run_cli(*TUNE, "--out", out)
    assert rc == cli.EXIT_INTERRUPTED
    assert len(calls) == 2  # stopped at once: no later fit was started
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "--resume" in lines[0] and str(out) in lines[0]
    assert stdout == ""
    # The first fit's cache entry is kept and listed; nothing else is left.
    entries = sorted(p.name for p in (out / "cache").iterdir())
    assert len(entries) == 1
    listed = json.loads((out / cli.MANIFEST).read_text())["files"]
    assert listed == [f"cache/{entries[0]}"]
    assert sorted(p.name for p in out.iterdir()) == [cli.MANIFEST, "cache"]

    # --resume continues: the first fit is read from the cache.
    monkeypatch.setattr(KerasMLPClassifier, "fit", REAL_FIT)
    trained = []
    real_train = KerasMLPClassifier._fit_keras_model

    def counting_train(self, *args, **kwargs):
        trained.append(1)
        return real_train(self, *args, **kwargs)

    monkeypatch.setattr(KerasMLPClassifier, "_fit_keras_model", counting_train)
    rc, _, err = run_cli(*TUNE, "--out", out, "--resume")
    assert rc == 0, err
    # 4 search fits, one of them cached, and the refit.
    assert len(trained) == 4
    assert (out / "model.skf").is_file()


def test_an_interrupt_swallowed_by_a_finalizer_is_delivered_again():
    class Finalized:
        def __del__(self):
            raise KeyboardInterrupt  # Python can only print this one

    with pytest.raises(KeyboardInterrupt):
        with cli._interrupts_not_swallowed():
            Finalized()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                time.sleep(0.01)
    assert time.monotonic() < deadline
