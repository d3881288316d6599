"""scikit-learn's callback API (``set_callbacks``) and model validation.

The callback API is experimental (scikit-learn 1.9 on); these tests skip
only where the installed scikit-learn lacks it. Tiny MLPs, 1-2 epochs on
200 images.
"""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from skfashion._sklearn_privates import HAS_SKLEARN_CALLBACKS
from skfashion.exceptions import ModelFileError
from skfashion.models import KerasMLPClassifier

needs_callbacks = pytest.mark.skipif(
    not HAS_SKLEARN_CALLBACKS,
    reason="the installed scikit-learn has no sklearn.callback API",
)


def _mlp(**params):
    return KerasMLPClassifier(
        **{"hidden_layer_sizes": (8,), "epochs": 2, "random_state": 0, **params}
    )


@pytest.fixture(scope="module")
def data(sample):
    X, y = sample
    return X[:200], y[:200]


class _Recorder:
    """A FitCallback, propagated from a meta-estimator, recording its hooks."""

    max_propagation_depth = None

    def __init__(self, stop_after=None):
        self.events = []
        self.stop_after = stop_after

    def setup(self, estimator, context):
        self.events.append(("setup", type(estimator).__name__, context.task_name))

    def teardown(self, estimator, context):
        self.events.append(("teardown", type(estimator).__name__, context.task_name))

    def on_fit_task_begin(self, estimator, context):
        self.events.append(("begin", type(estimator).__name__, context.task_name))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        name = type(estimator).__name__
        self.events.append(("end", name, context.task_name, fitted_estimator))
        epochs = sum(e[:3] == ("end", name, "epoch") for e in self.events)
        return context.task_name == "epoch" and epochs == self.stop_after

    def count(self, *event):
        return sum(e[: len(event)] == event for e in self.events)


def test_set_callbacks_exists_exactly_where_scikit_learn_has_the_api():
    assert hasattr(_mlp(), "set_callbacks") == HAS_SKLEARN_CALLBACKS


@needs_callbacks
def test_fit_reports_its_epochs(data):
    X, y = data
    rec = _Recorder()
    est = _mlp().set_callbacks(rec).fit(X, y)
    assert rec.count("setup", "KerasMLPClassifier", "fit") == 1
    assert rec.count("begin", "KerasMLPClassifier", "fit") == 1
    assert rec.count("begin", "KerasMLPClassifier", "epoch") == 2
    assert rec.count("end", "KerasMLPClassifier", "epoch") == 2
    assert rec.count("teardown", "KerasMLPClassifier", "fit") == 1
    # The whole fit's end gets a fitted copy; an epoch's gets none.
    (end,) = [e for e in rec.events if e[:3] == ("end", "KerasMLPClassifier", "fit")]
    assert end[3].predict(X[:2]).shape == (2,)
    assert all(e[3] is None for e in rec.events if e[2] == "epoch" and e[0] == "end")
    # Nothing of the callbacks' machinery stays on the estimator.
    assert not hasattr(est, "_callback_fit_ctx")


@needs_callbacks
def test_a_callback_can_stop_the_training(data):
    X, y = data
    est = _mlp(epochs=5).set_callbacks(_Recorder(stop_after=1)).fit(X, y)
    assert est.n_iter_ == 1


@needs_callbacks
def test_partial_fit_reports_its_one_epoch(data):
    X, y = data
    rec = _Recorder()
    est = _mlp().set_callbacks(rec)
    est.partial_fit(X, y, classes=np.arange(10))
    est.partial_fit(X, y)
    assert rec.count("begin", "KerasMLPClassifier", "partial_fit") == 2
    assert rec.count("end", "KerasMLPClassifier", "epoch") == 2


@needs_callbacks
def test_a_search_propagates_callbacks_to_every_fit_and_epoch(data):
    X, y = data
    rec = _Recorder()
    search = GridSearchCV(_mlp(), {"learning_rate": [2e-3]}, cv=2)
    search.set_callbacks(rec).fit(X, y)
    # 2 cross-validation fits and the refit, 2 epochs each.
    assert rec.count("begin", "KerasMLPClassifier", "fit") == 3
    assert rec.count("end", "KerasMLPClassifier", "epoch") == 6


@needs_callbacks
def test_progress_bar_on_a_search_runs(data):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = data
    search = GridSearchCV(_mlp(epochs=1), {"learning_rate": [2e-3]}, cv=2)
    search.set_callbacks(ProgressBar(max_propagation_depth=None)).fit(X, y)
    assert search.best_estimator_.n_iter_ == 1


def test_without_the_api_no_callback_code_runs(data, monkeypatch):
    # What a scikit-learn without sklearn.callback gets: no task, no epochs.
    import skfashion.models._callbacks as callbacks

    monkeypatch.setattr(callbacks, "HAS_SKLEARN_CALLBACKS", False)
    X, y = data
    est = _mlp(epochs=1)
    assert (
        callbacks.begin_fit_task(est, X, y, None, task_name="fit", n_epochs=1) is None
    )
    assert callbacks.epoch_tasks(est) is None
    assert est.fit(X, y).n_iter_ == 1


def test_validate_model_passes_a_fitted_estimator_and_refuses_a_broken_one(data):
    from sklearn.exceptions import NotFittedError

    X, y = data
    with pytest.raises(NotFittedError):
        _mlp().__sklearn_validate_model__()
    est = _mlp(epochs=1).fit(X, y)
    assert est.__sklearn_validate_model__() is None
    est.image_shape_ = (3, 5)
    with pytest.raises(ModelFileError, match=r"KerasMLPClassifier.*image_shape"):
        est.__sklearn_validate_model__()
    other = _mlp(epochs=1).fit(X[:, :100], y)
    est.image_shape_ = (28, 28)
    est.model_ = other.model_
    with pytest.raises(ModelFileError, match="100 inputs"):
        est.__sklearn_validate_model__()
