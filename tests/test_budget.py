"""A halving search's cost in default fits, and plans that keep a budget."""

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

from skfashion.datasets import load_fashion_mnist_sample
from skfashion.model_selection import (
    HalvingEpochsSearchCV,
    halving_cost,
    halving_schedule,
    preset_for_data,
    rung_candidates,
)
from skfashion.models import KerasMLPClassifier


def test_cost_sums_the_epochs_each_rung_adds():
    rungs = [(9, 3), (3, 8), (1, 25)]
    assert rung_candidates(rungs) == [9, 3, 1]
    assert rung_candidates(rungs, include_defaults=True) == [9, 4, 2]
    expected = (9 * 3 + 3 * 5 + 1 * 17) * 3 * (2 / 3) / 25 + 1
    assert halving_cost(rungs, n_splits=3, train_fraction=2 / 3) == pytest.approx(
        expected
    )
    carried = (9 * 3 + 4 * 5 + 2 * 17) * 0.8 / 25
    assert halving_cost(
        rungs, train_fraction=0.8, include_defaults=True, refit=False
    ) == pytest.approx(carried)
    # One rung of one candidate on all the images, and the refit: two fits.
    assert halving_cost([(1, 10)]) == 2.0


@pytest.mark.parametrize("n_samples", [500, 1797, 2000, 10000])
def test_budget_of_four_fits_gives_a_search(n_samples):
    preset = preset_for_data(n_samples, budget=4)
    assert preset.budget_fits <= 4
    assert preset.n_iter >= 5  # a search, not a formality
    rungs = halving_schedule(preset.n_iter, preset.epochs)
    n_test = int(np.ceil(0.2 * n_samples))
    assert preset.budget_fits == pytest.approx(
        halving_cost(
            rungs,
            train_fraction=(n_samples - n_test) / n_samples,
            include_defaults=True,
        )
    )


def test_budget_chooses_folds_where_it_can_pay_for_them():
    assert isinstance(preset_for_data(800, budget=8).cv, StratifiedKFold)
    assert preset_for_data(800, budget=8).budget_fits <= 8
    # 3-fold with 3 candidates fits 6 fits, but not 9 candidates.
    six = preset_for_data(800, budget=6)
    assert isinstance(six.cv, StratifiedKFold) and six.n_iter == 3
    # Large sets always use the holdout; no budget: the unchanged preset.
    assert isinstance(preset_for_data(20000, budget=50).cv, StratifiedShuffleSplit)
    assert preset_for_data(800).n_iter == 9


@pytest.mark.parametrize("budget", [0, -1.0, "4", True])
def test_bad_budget_is_refused(budget):
    with pytest.raises(ValueError, match="budget must be a positive number"):
        preset_for_data(800, budget=budget)


def test_budget_too_small_for_any_search():
    with pytest.raises(ValueError, match=r"budget=2\.0 .* costs 2\.6"):
        preset_for_data(800, budget=2.0)


def test_search_trains_what_the_plan_costs():
    # The defaults (a learning rate that learns nothing) rank last at rung 0
    # and are carried to the last rung: the plan's most expensive path.
    X, y = load_fashion_mnist_sample(return_X_y=True)
    X, y = X[:300], y[:300]
    estimator = KerasMLPClassifier(
        hidden_layer_sizes=(8,), epochs=3, batch_size=64, learning_rate=1e-7
    )
    cv = StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=0)
    search = HalvingEpochsSearchCV(
        estimator,
        {"learning_rate": [5e-3, 1e-2, 2e-2]},
        n_candidates=3,
        cv=cv,
        include_defaults=True,
        random_state=0,
    )
    rungs = search.planned_rungs()
    planned = halving_cost(rungs, train_fraction=240 / 300, include_defaults=True)
    search.fit(X, y)
    assert search.n_candidates_ == rung_candidates(rungs, include_defaults=True)
    refit_epochs = len(search.best_estimator_.history_["loss"])
    assert refit_epochs == 3
    trained = search.n_epochs_trained_ * 240 / 300 / 3 + refit_epochs / 3
    assert trained == pytest.approx(planned)
    assert trained <= 4


def test_cli_prints_the_plan_before_training(tmp_path, run_cli, monkeypatch):
    import skfashion.model_selection as ms
    from skfashion.cli._console import UserError

    def stop(*args, **kwargs):
        raise UserError("stopped before training")

    monkeypatch.setattr(ms, "fit_search", stop)
    X, y = load_fashion_mnist_sample(return_X_y=True)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    rc, out, err = run_cli(
        "tune", "--data", tmp_path / "d.npz", "--budget", "4", "--out", tmp_path / "o"
    )
    assert rc == 2 and "stopped before training" in err
    line = next(line for line in out.splitlines() if line.startswith("plan:"))
    assert "9 candidates" in line and "(budget 4)" in line
    assert "default fits" in line and "min (an estimate" in line
    cost = float(line.split("planned cost ")[1].split()[0])
    assert cost <= 4


def test_cli_budget_too_small_is_one_line(tmp_path, run_cli):
    X, y = load_fashion_mnist_sample(return_X_y=True)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    rc, _, err = run_cli(
        "tune", "--data", tmp_path / "d.npz", "--budget", "1", "--out", tmp_path / "o"
    )
    assert rc == 2 and "--budget" in err and "costs" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_budget_cuts_the_candidates_of_a_preset(tmp_path, run_cli, monkeypatch):
    import skfashion.model_selection as ms
    from skfashion.cli._console import UserError

    seen = {}

    def stop(search, *args, **kwargs):
        seen["search"] = search
        raise UserError("stopped before training")

    monkeypatch.setattr(ms, "fit_search", stop)
    rc, out, _ = run_cli(
        "tune", "--sample", "--n-iter", "9", "--budget", "9", "--out", tmp_path / "a"
    )
    assert rc == 2 and "plan: 9 candidates" in out  # within the budget: kept
    rc, out, _ = run_cli("tune", "--sample", "--budget", "3", "--out", tmp_path / "b")
    search = seen["search"]
    assert rc == 2 and search.n_candidates < 4
    assert f"plan: {search.n_candidates} candidates" in out
    rc, _, err = run_cli(
        "tune", "--sample", "--n-iter", "9", "--budget", "3", "--out", tmp_path / "c"
    )
    assert rc == 2 and "a smaller --n-iter" in err
