"""OptunaSearchCV with pruning drives skfashion's partial_fit unchanged.

optuna and optuna-integration come with the ``test`` extra. Two trials of
two epochs of an 8-unit MLP on 200 images.
"""

import itertools

import numpy as np
import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna_integration import OptunaSearchCV

from skfashion.models import KerasMLPClassifier

#: The training rows each network saw, per epoch: ``(network, rows)`` pairs.
SEEN = []
_NUMBERS = itertools.count()


def _record_rows(monkeypatch):
    """Make every partial_fit call record which images it trains on."""
    original = KerasMLPClassifier.partial_fit

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        number = vars(self).setdefault("_number", next(_NUMBERS))
        SEEN.append((number, np.asarray(X).sum(axis=1).tobytes()))
        return original(self, X, y, classes=classes, sample_weight=sample_weight)

    monkeypatch.setattr(KerasMLPClassifier, "partial_fit", partial_fit)


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
@pytest.mark.filterwarnings("ignore:`optuna.terminator` module:FutureWarning")
def test_optuna_search_with_pruning_trains_by_partial_fit(sample, monkeypatch):
    X, y = sample[0][:200], sample[1][:200]
    SEEN.clear()
    _record_rows(monkeypatch)
    est = KerasMLPClassifier(hidden_layer_sizes=(8,), epochs=2, random_state=0)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0)
    )
    search = OptunaSearchCV(
        est,
        {"learning_rate": FloatDistribution(1e-3, 1e-2, log=True)},
        cv=2,
        n_trials=2,
        max_iter=2,
        enable_pruning=True,
        error_score="raise",
        study=study,
        random_state=0,
    )
    search.fit(X, y)
    trials = search.study_.trials
    assert len(trials) == 2
    for trial in trials:
        # One score per epoch, as the pruner needs.
        assert sorted(trial.intermediate_values) == [0, 1]
        assert all(np.isfinite(v) for v in trial.intermediate_values.values())
    # 2 trials x 2 folds x 2 epochs, each network on the same fold each epoch
    # (folds that moved between epochs would leak test images into training).
    assert len(SEEN) == 8
    rows = {}
    for key, seen in SEEN:
        rows.setdefault(key, set()).add(seen)
    assert len(rows) == 4 and all(len(v) == 1 for v in rows.values())
    assert search.best_estimator_.n_iter_ == 2  # refit with fit, epochs=2
    assert search.predict(X[:3]).shape == (3,)
