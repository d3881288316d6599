"""Keep the defaults unless a challenger beats them clearly (defaults_margin)."""

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.model_selection import StratifiedShuffleSplit

from skfashion._sklearn_privates import InvalidParameterError
from skfashion.cli._tune import _gain_line, _refit_best
from skfashion.datasets import load_fashion_mnist_sample
from skfashion.model_selection import (
    HalvingEpochsSearchCV,
    get_preset,
    make_search,
    preset_for_data,
    tuning_gain,
)
from skfashion.model_selection._selection import (
    difference_se,
    keep_defaults_unless_beaten,
)
from skfashion.models import KerasMLPClassifier

DEFAULT_LR = 1e-3
CHALLENGER_LR = 3e-3


def _results(means, folds=None):
    """cv_results_-like scores: one holdout, or k folds per row."""
    out = {"mean_test_score": np.asarray(means, dtype=float)}
    for k, column in enumerate(folds if folds is not None else [means]):
        out[f"split{k}_test_score"] = np.asarray(column, dtype=float)
    return out


def _holdout_se(p1, p2, n):
    return math.sqrt(p1 * (1 - p1) / n + p2 * (1 - p2) / n)


@pytest.mark.parametrize(
    "challenger, kept", [(0.9263, True), (0.9330, False), (0.9230, True)]
)
def test_holdout_margin_rule(challenger, kept):
    # Row 0 the defaults, row 1 the best challenger, on 8,000 holdout images.
    results = _results([0.9230, challenger])
    se = _holdout_se(challenger, 0.9230, 8000)
    assert difference_se(results, "score", 1, 0, n_holdout=8000)[0] == (
        pytest.approx(se)
    )
    row, was_kept = keep_defaults_unless_beaten(
        results, "score", 1, 0, 2.0, n_holdout=8000
    )
    assert (row, was_kept) == ((0, True) if kept else (1, False))


def test_kfold_margin_rule_uses_per_fold_differences():
    # Defaults 0.80 on each fold; the challenger wins by 0.02 on average.
    steady = _results([0.80, 0.82], folds=[[0.80, 0.82]] * 2 + [[0.80, 0.82]])
    noisy = _results([0.80, 0.82], folds=[[0.80, 0.87], [0.80, 0.78], [0.80, 0.81]])
    se_noisy = np.std([0.07, -0.02, 0.01], ddof=1) / math.sqrt(3)
    assert difference_se(noisy, "score", 1, 0)[0] == pytest.approx(se_noisy)
    assert keep_defaults_unless_beaten(steady, "score", 1, 0, 2.0) == (1, False)
    assert keep_defaults_unless_beaten(noisy, "score", 1, 0, 2.0) == (0, True)
    assert keep_defaults_unless_beaten(noisy, "score", 1, 0, 0.1) == (1, False)


def test_failed_defaults_or_defaults_on_top_leave_the_best():
    results = _results([np.nan, 0.5])
    assert keep_defaults_unless_beaten(results, "score", 1, 0, 2.0, n_holdout=50) == (
        1,
        False,
    )
    results = _results([0.9, 0.5])
    assert keep_defaults_unless_beaten(results, "score", 0, 0, 2.0, n_holdout=50) == (
        0,
        False,
    )


def _bare_search(margin, means, n_holdout=8000):
    """A search whose last rung is ``means``, the defaults in row 1."""
    search = HalvingEpochsSearchCV(
        KerasMLPClassifier(),
        {"learning_rate": [CHALLENGER_LR]},
        include_defaults=True,
        defaults_margin=margin,
    )
    search._epochs_name = "epochs"
    search._defaults_candidate = {"learning_rate": DEFAULT_LR}
    search._rung_candidates = [
        {"learning_rate": lr, "epochs": e}
        for lr, e in [(DEFAULT_LR, 2), (DEFAULT_LR, 25), (CHALLENGER_LR, 25)]
    ]
    search._test_fold_sizes = [n_holdout]
    results = _results([0.99, *means])
    results["iter"] = np.array([0, 1, 1])
    return search, results


@pytest.mark.parametrize(
    "margin, means, index, kept",
    [
        (2.0, [0.9211, 0.9263], 1, True),  # wins by less than 2 SE
        (2.0, [0.9211, 0.9400], 2, False),  # wins by more
        (None, [0.9211, 0.9263], 2, False),  # off: the best score
        (2.0, [0.9263, 0.9211], 1, False),  # the defaults on top
    ],
)
def test_select_best_index_applies_the_margin(margin, means, index, kept):
    search, results = _bare_search(margin, means)
    assert search._select_best_index(True, "score", results) == index
    assert search.defaults_kept_ is kept
    # The same choice with refit=False, as ``skfashion tune`` runs it.
    assert search._select_best_index(False, "score", results) == index


@pytest.mark.parametrize("margin", [-1.0, "2", [2.0]])
def test_defaults_margin_is_validated(margin):
    X, y = load_fashion_mnist_sample(return_X_y=True)
    search = HalvingEpochsSearchCV(
        KerasMLPClassifier(epochs=1), {"learning_rate": [CHALLENGER_LR]}
    )
    with pytest.raises(InvalidParameterError, match="defaults_margin"):
        search.set_params(defaults_margin=margin).fit(X[:40], y[:40])


def test_cnn_preset_keeps_the_defaults_unless_beaten_by_2_se():
    assert get_preset("cnn").defaults_margin == 2.0
    assert make_search("cnn", method="halving").defaults_margin == 2.0
    assert make_search("cnn", method="halving", defaults_margin=1).defaults_margin == 1
    assert preset_for_data(1000).defaults_margin == 0.0
    assert make_search(preset_for_data(1000), method="halving").defaults_margin == 0.0


# ------------------------------------------------------------ fitted searches
def _fixed_score(estimator, X, y):
    """Scores that do not depend on training: the challenger wins by 0.05."""
    return 0.55 if estimator.get_params()["learning_rate"] != DEFAULT_LR else 0.50


@pytest.fixture(scope="module")
def data():
    X, y = load_fashion_mnist_sample(return_X_y=True)
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("margin-cache")


def _fit(data, cache, margin, refit):
    # Two candidates, one rung of 1 epoch; a holdout of 60 images, where
    # 0.05 is 0.55 binomial SE of the difference (SE 0.091).
    X, y = data
    return HalvingEpochsSearchCV(
        KerasMLPClassifier(
            hidden_layer_sizes=(4,), epochs=1, batch_size=64, learning_rate=DEFAULT_LR
        ),
        {"learning_rate": [CHALLENGER_LR]},
        n_candidates=2,
        cv=StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=0),
        scoring=_fixed_score,
        include_defaults=True,
        defaults_margin=margin,
        refit=refit,
        random_state=0,
        cache_dir=str(cache),
    ).fit(X, y)


@pytest.mark.parametrize("margin, kept", [(2.0, True), (0.5, False), (None, False)])
def test_refit_and_no_refit_choose_alike(data, cache, margin, kept):
    with_refit = _fit(data, cache, margin, refit=True)
    without = _fit(data, cache, margin, refit=False)
    lr = DEFAULT_LR if kept else CHALLENGER_LR
    for search in (with_refit, without):
        assert search.defaults_kept_ is kept
        assert search.best_params_["learning_rate"] == lr
        assert search.best_score_ == (0.50 if kept else 0.55)
    assert with_refit.best_index_ == without.best_index_
    assert with_refit.best_estimator_.learning_rate == lr
    assert not hasattr(without, "best_estimator_")
    # The ranking is the scores', whatever the rule chose.
    ranks = with_refit.cv_results_["rank_test_score"]
    params = with_refit.cv_results_["params"]
    top = [p for p, r in zip(params, ranks, strict=True) if r == 1]
    assert [p["learning_rate"] for p in top] == [CHALLENGER_LR]


def test_tuning_gain_says_the_defaults_were_kept(data, cache):
    search = _fit(data, cache, 2.0, refit=False)
    gain = tuning_gain(search)
    json.dumps(gain, allow_nan=False)
    assert gain["defaults_kept"] and gain["defaults_margin"] == 2.0
    assert gain["winner_is_defaults"] and gain["difference"] == 0
    challenger = gain["challenger"]
    assert challenger["params"]["learning_rate"] == CHALLENGER_LR
    assert challenger["difference"] == pytest.approx(0.05)
    assert challenger["standard_error"] == pytest.approx(_holdout_se(0.55, 0.5, 60))
    assert gain["verdict"].startswith("The defaults were kept")
    assert "margin of 2 SE" in gain["verdict"]
    other = tuning_gain(_fit(data, cache, 0.5, refit=False))
    assert not other["defaults_kept"] and other["challenger"] is None
    assert other["winner_params"]["learning_rate"] == CHALLENGER_LR


def test_tune_refits_the_kept_defaults(data, cache, capsys):
    search = _fit(data, cache, 2.0, refit=False)
    X, y = data
    args = SimpleNamespace(quiet=False)
    best = _refit_best(args, search, X, y, 1, {})
    assert best.learning_rate == DEFAULT_LR
    assert "kept the defaults (no challenger beat them by more than 2 SE)" in (
        capsys.readouterr().out
    )
    line = _gain_line(search)
    assert "difference +0.0000" in line and "The defaults were kept" in line
