"""Presets, search helpers, halving, parallel/Dask runs, resume and progress."""

import io
import os

import numpy as np
import pytest
from sklearn.model_selection import KFold, ParameterSampler, RandomizedSearchCV

from skfashion.model_selection import (
    count_fits,
    fit_search,
    get_preset,
    halving_schedule,
    list_presets,
    make_search,
    share_cores_between_workers,
)
from skfashion.models import KerasMLPClassifier

TINY_MLP = dict(hidden_layer_sizes=(16,), epochs=2, batch_size=32, random_state=0)
SPACE = {"dropout": [0.0, 0.2], "learning_rate": [1e-3, 3e-3]}


@pytest.mark.parametrize("name", list(list_presets()))
def test_each_preset_builds_and_fits(name, sample):
    X, y = sample
    preset = get_preset(name)
    params = next(iter(ParameterSampler(preset.param_distributions, 1, random_state=0)))
    est = preset.estimator.set_params(**params, epochs=1, random_state=0)
    est.fit(X[:200], y[:200])
    assert est.predict_proba(X[:5]).shape == (5, 10)
    assert preset.n_iter >= 1 and preset.cv.get_n_splits() >= 1


def test_s1_architecture_is_exact():
    model = get_preset("s1-cnn").estimator
    assert model.get_params()["conv_filters"] == (64, 128)
    assert model.padding == "valid" and model.batch_norm and model.pooling == "max"


@pytest.mark.parametrize(
    "name", [n for n in list_presets() if get_preset(n).reported_test_accuracy]
)
def test_study_presets_train_like_plain_keras(name):
    # The studies' networks train with Keras' plain recipe whatever our
    # estimators' defaults become: no label smoothing, no weight averaging,
    # no test-time augmentation, no schedule, no decoupled weight decay.
    params = get_preset(name).estimator.get_params()
    assert params["label_smoothing"] == 0.0
    assert params["ema_momentum"] is None and params["tta"] is None
    assert params["lr_schedule"] == "constant" and params["weight_decay"] == 0.0
    if "horizontal_flip" in params:  # the CNNs: no augmentation either
        assert not params["horizontal_flip"] and params["random_erasing"] == 0.0


def test_s5_deeper_mlp_parameter_count(sample):
    X, y = sample
    est = get_preset("s5-mlp").estimator.set_params(
        hidden_layer_sizes=(64, 32, 32), epochs=1
    )
    est.fit(X[:100], y[:100])
    assert est.model_.count_params() == 53_706  # the figure S5 reports


def test_s1_protocol_end_to_end(sample):
    X, y = sample
    X, y = X[:400], y[:400]  # S1's protocol exactly; only the data is small
    s1 = get_preset("s1-cnn")
    s1.estimator.set_params(epochs=1, batch_size=64, random_state=0)
    search = RandomizedSearchCV(
        s1.estimator,
        s1.param_distributions,
        n_iter=3,
        cv=KFold(4, shuffle=True, random_state=0),
        random_state=0,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 3
    assert count_fits(search) == (12, 12)
    assert 0.1 < search.best_score_ <= 1.0


def test_make_search_from_preset_and_estimator():
    search = make_search("s1-cnn", random_state=0)
    assert type(search).__name__ == "RandomizedSearchCV"
    assert search.n_iter == 3 and search.cv.get_n_splits() == 4
    assert search.estimator.random_state == 0
    grid = make_search(KerasMLPClassifier(), SPACE, method="grid", cv=3)
    assert type(grid).__name__ == "GridSearchCV"


def test_main_job_protocol_follows_its_preset():
    # The main job: the preset's first rung, the last rung at the final
    # fit's epochs, the defaults as candidate 0.
    search = make_search("cnn", method="halving", random_state=0)
    preset = get_preset("cnn")
    rungs = search.planned_rungs()
    assert rungs[0] == (preset.n_iter, preset.min_epochs)
    assert rungs[-1] == (1, preset.estimator.epochs)
    assert search.include_defaults
    assert make_search("cnn", method="halving", min_epochs=1).planned_rungs()[0][1] == 1


@pytest.mark.parametrize(
    "epochs, n_iter, expected",
    [
        (2, 9, [(9, 1), (3, 2)]),  # below the preset's first rung
        (4, 4, [(4, 1), (2, 4)]),  # skfashion tune --sample
        (5, 9, [(9, 1), (3, 2), (1, 5)]),  # 2 epochs first would drop a rung
    ],
)
def test_short_runs_of_a_preset_keep_halving(epochs, n_iter, expected):
    preset = get_preset("cnn")
    preset.estimator.set_params(epochs=epochs)
    search = make_search(preset, method="halving", n_iter=n_iter, random_state=0)
    assert search.planned_rungs() == expected


def test_halving_on_epochs(sample):
    X, y = sample
    X, y = X[:300], y[:300]
    est = KerasMLPClassifier(**{**TINY_MLP, "epochs": 4})
    search = make_search(
        est,
        SPACE,
        method="halving",
        n_iter=4,
        factor=2,
        min_epochs=1,
        cv=KFold(2, shuffle=True, random_state=0),
        random_state=0,
    ).fit(X, y)
    assert list(search.n_resources_) == [1, 2, 4]
    assert list(search.n_candidates_) == [4, 2, 1]
    n_fits, epochs = count_fits(search)
    assert n_fits == (4 + 2 + 1) * 2
    # survivors continue: each rung trains only the epochs it adds
    assert epochs == (4 * 1 + 2 * (2 - 1) + 1 * (4 - 2)) * 2
    assert halving_schedule(4, 4, factor=2) == [(4, 1), (2, 2), (1, 4)]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(param_distributions={"hidden_units": [1]}), "does not have"),
        (dict(param_distributions={}), "non-empty"),
        (dict(param_distributions={"dropout": []}), "is empty"),
        (dict(param_distributions={"epochs": [1, 2]}, method="halving"), "resource"),
        (dict(param_distributions=SPACE, method="bayes"), "method"),
    ],
)
def test_bad_search_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_search(KerasMLPClassifier(), **kwargs)


def test_unknown_preset():
    with pytest.raises(ValueError, match="Unknown preset 'nope'.*s1-cnn"):
        get_preset("nope")


class _Interrupt:
    """Scorer that stops the search like Ctrl-C after ``n`` scored fits."""

    def __init__(self, n):
        self.n = n
        self.calls = 0

    def __call__(self, est, X, y):
        self.calls += 1
        if self.calls > self.n:
            raise KeyboardInterrupt
        return est.score(X, y)


def test_interrupted_search_resumes_without_retraining(sample, tmp_path):
    X, y = sample
    X, y = X[:400], y[:400]
    cache = tmp_path / "cache"

    def search(scoring=None, cache_dir=cache):
        return make_search(
            KerasMLPClassifier(**TINY_MLP),
            SPACE,
            n_iter=3,
            cv=KFold(2),
            random_state=0,
            cache_dir=cache_dir,
            scoring=scoring,
        )

    with pytest.raises(KeyboardInterrupt):
        search(scoring=_Interrupt(3)).fit(X, y)
    done = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    # the fit in progress when interrupted finished before its scoring
    assert 3 <= len(done) < 6
    assert not [p for p in cache.iterdir() if p.suffix != ".skf"]  # no temp files
    resumed = search().fit(X, y)
    after = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert len(after) == 3 * 2 + 1  # every (candidate, fold) fit and the refit
    assert all(after[name] == mtime for name, mtime in done.items())  # not retrained
    fresh = search(cache_dir=None).fit(X, y)
    np.testing.assert_allclose(
        resumed.cv_results_["mean_test_score"], fresh.cv_results_["mean_test_score"]
    )


def test_n_jobs_2_equals_serial(sample):
    X, y = sample
    X, y = X[:400], y[:400]
    kw = dict(n_iter=2, cv=KFold(2), random_state=0)
    share_cores_between_workers(2)
    serial = make_search(KerasMLPClassifier(**TINY_MLP), SPACE, **kw).fit(X, y)
    parallel = make_search(KerasMLPClassifier(**TINY_MLP), SPACE, n_jobs=2, **kw).fit(
        X, y
    )
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == str(
        max(1, (os.cpu_count() or 1) // 2)
    )
    np.testing.assert_allclose(
        serial.cv_results_["mean_test_score"], parallel.cv_results_["mean_test_score"]
    )


def test_dask_local_cluster_equals_serial(sample):
    distributed = pytest.importorskip("distributed", reason="needs skfashion[dask]")
    import joblib

    X, y = sample
    X, y = X[:400], y[:400]
    kw = dict(n_iter=2, cv=KFold(2), random_state=0)
    serial = make_search(KerasMLPClassifier(**TINY_MLP), SPACE, **kw).fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        with joblib.parallel_backend("dask"):
            on_dask = make_search(
                KerasMLPClassifier(**TINY_MLP), SPACE, n_jobs=-1, **kw
            ).fit(X, y)
    assert on_dask.cv_results_["params"] == serial.cv_results_["params"]
    np.testing.assert_allclose(
        serial.cv_results_["mean_test_score"], on_dask.cv_results_["mean_test_score"]
    )
    assert on_dask.best_estimator_.score(X, y) > 0.1


def test_progress_counts_only_test_scores(sample):
    X, y = sample
    X, y = X[:200], y[:200]
    out = io.StringIO()
    search = make_search(
        KerasMLPClassifier(**{**TINY_MLP, "epochs": 2}),
        SPACE,
        method="halving",
        n_iter=2,
        factor=2,
        min_epochs=1,
        cv=KFold(2),
        random_state=0,
    )
    search.set_params(return_train_score=True)
    fit_search(search, X, y, verbose=1, stream=out, interval=0.05)
    assert "fits 6/6" in out.getvalue() and "fits 7" not in out.getvalue()
    assert search.return_train_score  # restored


def test_progress_lines_and_silence(sample):
    X, y = sample
    X, y = X[:200], y[:200]
    out = io.StringIO()
    search = make_search(
        KerasMLPClassifier(**TINY_MLP), SPACE, n_iter=2, cv=KFold(2), random_state=0
    )
    fit_search(search, X, y, verbose=1, stream=out, interval=0.05)
    text = out.getvalue()
    assert "fits 4/4" in text and "best mean CV score 0." in text and "eta" in text
    assert search.scoring is None and search.score(X, y) > 0  # scorer restored
    quiet = io.StringIO()
    fit_search(search, X, y, verbose=0, stream=quiet)
    assert quiet.getvalue() == ""


def test_progress_best_is_the_highest_rungs_best():
    """The progress line's "best" is the quantity the search reports at the
    end: in a halving search, a lucky 1-epoch score does not count once a
    later rung has finished candidates."""
    from skfashion.model_selection._progress import _best_mean

    scores = [
        (("a", 1), 0.40),
        (("a", 1), 0.41),
        (("b", 1), 0.30),
        (("b", 1), 0.30),
        (("b", 3), 0.32),
    ]
    assert _best_mean(scores, 2) == pytest.approx(0.405)
    scores.append((("b", 3), 0.33))  # b's rung-3 folds are all done
    assert _best_mean(scores, 2) == pytest.approx(0.325)
