"""The training recipe's building blocks, checked against their definitions."""

import numpy as np
import pytest

from skfashion.models._layers import SmoothedSparseCrossentropy, cosine_schedule


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.3])
@pytest.mark.parametrize("label_shape", [(12,), (12, 1)])
def test_smoothed_crossentropy_is_the_smoothed_targets_crossentropy(
    smoothing, label_shape
):
    rng = np.random.default_rng(0)
    n_classes = 4
    proba = rng.dirichlet(np.ones(n_classes), size=12).astype("float32")
    labels = rng.integers(n_classes, size=12)
    weights = rng.uniform(0.5, 2.0, size=12).astype("float32")
    # The definition: the true class gets 1 - smoothing, and every class
    # gets smoothing / n_classes on top.
    targets = np.full((12, n_classes), smoothing / n_classes)
    targets[np.arange(12), labels] += 1 - smoothing
    per_image = -(targets * np.log(proba)).sum(axis=1)
    loss = SmoothedSparseCrossentropy(n_classes, smoothing)
    y = labels.reshape(label_shape)
    np.testing.assert_allclose(float(loss(y, proba)), per_image.mean(), rtol=1e-5)
    np.testing.assert_allclose(
        float(loss(y, proba, sample_weight=weights)),
        (per_image * weights).mean(),
        rtol=1e-5,
    )
    # It survives a round trip through its config (saved models rebuild it).
    again = SmoothedSparseCrossentropy.from_config(loss.get_config())
    assert float(again(y, proba)) == pytest.approx(float(loss(y, proba)))


@pytest.mark.parametrize("warmup", [0.0, 0.1])
def test_cosine_schedule_warms_up_then_decays_to_zero(warmup):
    lr, total = 1e-2, 100
    schedule = cosine_schedule(lr, total, warmup)
    rates = np.array([float(schedule(step)) for step in range(total + 1)])
    top = int(round(warmup * total))
    assert rates[top] == pytest.approx(lr)
    if top:
        assert rates[0] == 0.0
        np.testing.assert_allclose(rates[: top + 1], np.linspace(0, lr, top + 1))
    # Cosine from lr to 0 over the remaining steps: half way down at their
    # middle, monotone, and 0 at the last step.
    middle = top + (total - top) // 2
    assert rates[middle] == pytest.approx(lr / 2, rel=1e-4)
    assert np.all(np.diff(rates[top:]) <= 0)
    assert rates[-1] == pytest.approx(0.0, abs=1e-9)


def test_cosine_schedule_survives_fits_of_one_step():
    # One batch in all with nearly all of it warm-up: the warm-up takes the
    # step and the decay still gets one step, not a division by zero.
    schedule = cosine_schedule(1e-3, 1, 0.9)
    rates = [float(schedule(step)) for step in range(3)]
    assert rates[0] == 0.0
    assert rates[1] == pytest.approx(1e-3)
    assert rates[2] == pytest.approx(0.0, abs=1e-12)
