"""HalvingEpochsSearchCV.fit leaves its parameters as the user set them.

The rungs' own settings (fit cache, schedule, seed) reach the fits as
candidate parameters and the splits through ``evaluate_candidates``; neither
``estimator`` nor ``cv`` is reassigned, even for a moment, and the results
show the searched parameters only.
"""

from sklearn.model_selection import ShuffleSplit

from skfashion.model_selection import HalvingEpochsSearchCV
from skfashion.models import KerasMLPClassifier


class _Watched(HalvingEpochsSearchCV):
    """Records every assignment of ``estimator`` and ``cv`` after __init__."""

    def __setattr__(self, name, value):
        if name in ("estimator", "cv") and hasattr(self, "_assignments"):
            self._assignments.append(name)
        super().__setattr__(name, value)


def test_fit_does_not_reassign_estimator_or_cv(sample):
    X, y = sample
    X, y = X[:200], y[:200]
    estimator = KerasMLPClassifier(hidden_layer_sizes=(4,), batch_size=32, epochs=2)
    cv = ShuffleSplit(n_splits=1, test_size=0.5)  # no seed: drawn once
    search = _Watched(
        estimator,
        {"learning_rate": [1e-3, 1e-2]},
        n_candidates=2,
        cv=cv,
        random_state=0,
    )
    search._assignments = []
    search.fit(X, y)
    assert search._assignments == []
    assert search.estimator is estimator and search.cv is cv
    assert estimator.get_params()["cache_dir"] is None
    assert estimator.get_params()["random_state"] is None
    own = {"cache_dir", "schedule_epochs", "warm_start", "random_state"}
    assert not own & set(search.best_params_)
    assert not {f"param_{k}" for k in own} & set(search.cv_results_)
    assert all(
        set(p) == {"learning_rate", "epochs"} for p in search.cv_results_["params"]
    )
    assert search.best_estimator_.get_params()["cache_dir"] is None
    assert search.best_estimator_.get_params()["schedule_epochs"] == 2
