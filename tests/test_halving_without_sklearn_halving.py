"""skfashion's successive halving does not rest on scikit-learn's.

scikit-learn's main branch removed ``resource`` (and
``aggressive_elimination``) from ``HalvingGridSearchCV`` and
``HalvingRandomSearchCV`` (expected in 1.10), so halving on epochs is no
longer something scikit-learn's searchers do. ``HalvingEpochsSearchCV``
is skfashion's own: importing skfashion loads none of scikit-learn's
halving code, and a search runs when that code cannot be imported and its
searchers lack ``resource``.
"""

import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sklearn.model_selection

from skfashion.model_selection import HalvingEpochsSearchCV
from skfashion.models import KerasMLPClassifier

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

#: scikit-learn's halving code: the module and its experimental switch.
HALVING_MODULES = (
    "sklearn.model_selection._search_successive_halving",
    "sklearn.experimental.enable_halving_search_cv",
)


class _HalvingWithoutResource:
    """Stands for scikit-learn's halving searchers once ``resource`` is gone."""

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_candidates="exhaust",
        factor=3,
        min_samples="smallest",
        max_samples="auto",
        cv=5,
        scoring=None,
        refit=True,
        n_jobs=None,
        random_state=None,
    ):
        raise AssertionError("skfashion built one of scikit-learn's halving searchers")


def test_importing_skfashion_loads_no_sklearn_halving():
    blocked = "; ".join(f"sys.modules[{name!r}] = None" for name in HALVING_MODULES)
    code = (
        f"import sys; {blocked}; "
        "import skfashion, skfashion.models, skfashion.metrics, skfashion.report; "
        "import skfashion.cli; "
        "from skfashion.model_selection import HalvingEpochsSearchCV, make_search"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", **os.environ},
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture
def no_sklearn_halving(monkeypatch):
    """scikit-learn's halving searchers lack ``resource`` and cannot be built;
    their module cannot be imported."""
    for name in HALVING_MODULES:
        monkeypatch.setitem(sys.modules, name, None)
    for name in ("HalvingGridSearchCV", "HalvingRandomSearchCV"):
        # Through the module's dict: without the experimental switch,
        # getattr raises ImportError.
        monkeypatch.setitem(
            vars(sklearn.model_selection), name, _HalvingWithoutResource
        )
    parameters = inspect.signature(sklearn.model_selection.HalvingRandomSearchCV)
    assert "resource" not in parameters.parameters


def test_halving_on_epochs_runs_without_sklearn_halving(sample, no_sklearn_halving):
    X, y = sample[0][:120], sample[1][:120]
    estimator = KerasMLPClassifier(
        hidden_layer_sizes=(4,), epochs=3, batch_size=32, random_state=0
    )
    search = HalvingEpochsSearchCV(
        estimator,
        {"learning_rate": [1e-3, 3e-3, 1e-2]},
        n_candidates=3,
        factor=3,
        min_epochs=1,
        cv=2,
        refit=False,
        random_state=0,
    ).fit(X, y)
    assert search.resource == "epochs"
    assert list(search.n_resources_) == [1, 3]
    assert list(search.n_candidates_) == [3, 1]
    assert search.best_params_["learning_rate"] in (1e-3, 3e-3, 1e-2)


def _bench_halving():
    # The benchmark scripts import their helper module as a top-level name.
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_halving", BENCHMARKS / "bench_halving.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


def test_benchmark_skips_sklearn_arm_without_resource(monkeypatch):
    bench = _bench_halving()
    space = {"learning_rate": [1e-3]}
    # The installed scikit-learn: the arm runs only where it halves on epochs.
    halving_cls, reason = bench.sklearn_halving_on_epochs()
    searches, skipped = bench.searchers(
        KerasMLPClassifier(), space, n_iter=1, epochs=3, cv=2
    )
    assert ("sklearn_halving" in searches) == (halving_cls is not None)
    assert skipped == reason
    # As in scikit-learn 1.10: the searcher exists but has no resource.
    monkeypatch.setitem(
        vars(sklearn.model_selection), "HalvingRandomSearchCV", _HalvingWithoutResource
    )
    searches, skipped = bench.searchers(
        KerasMLPClassifier(), space, n_iter=1, epochs=3, cv=2
    )
    assert list(searches) == ["random", "halving"]
    assert "has no `resource` parameter" in skipped
    assert sklearn.__version__ in skipped
