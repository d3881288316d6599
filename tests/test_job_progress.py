"""One ETA for a whole tune job: the search's lines include the refit and report."""

import io

import pytest
from sklearn.model_selection import GridSearchCV, StratifiedShuffleSplit
from sklearn.naive_bayes import GaussianNB

from skfashion.cli._job_progress import refit_progress, work_after_search
from skfashion.datasets import load_fashion_mnist_sample
from skfashion.model_selection import fit_search
from skfashion.model_selection._progress import _eta, _progress_line
from skfashion.models import KerasMLPClassifier


def test_eta_adds_the_work_after_the_search():
    # 2 of 4 equal fits in 10 s: 2 fits and 3 fits' worth of refit left.
    assert _eta([1, 1, 1, 1], 2, 10.0) == pytest.approx(10.0)
    assert _eta([1, 1, 1, 1], 2, 10.0, after=3) == pytest.approx(25.0)
    assert "job eta 00:25" in _progress_line(2, 4, 10.0, 0.5, 25.0, job=True)
    assert "  eta 00:25" in _progress_line(2, 4, 10.0, 0.5, 25.0)


def test_search_lines_show_the_job_eta():
    X, y = load_fashion_mnist_sample(return_X_y=True)
    cv = StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=0)
    search = GridSearchCV(GaussianNB(), {"var_smoothing": [1e-9, 1e-3]}, cv=cv)
    after = work_after_search(search, X, y, len(y), epochs=2)
    assert after == pytest.approx((2 + 1) * 1000 / 800)
    stream = io.StringIO()
    fit_search(search, X, y, stream=stream, interval=0.01, after=after)
    lines = stream.getvalue().splitlines()
    assert lines and all("job eta" in line for line in lines)
    assert lines[-1].startswith("fits 2/2") and "job eta ?" not in lines[-1]


def test_refit_prints_a_line_per_epoch_with_etas():
    X, y = load_fashion_mnist_sample(return_X_y=True)
    stream = io.StringIO()
    clf = KerasMLPClassifier(
        hidden_layer_sizes=(8,),
        epochs=2,
        batch_size=128,
        callbacks=[refit_progress(2, stream=stream)],
    )
    clf.fit(X[:200], y[:200])
    lines = stream.getvalue().splitlines()
    assert [line.split("  ")[0] for line in lines] == [
        "refit epoch 1/2",
        "refit epoch 2/2",
    ]
    assert all(" eta " in line and "job eta" in line for line in lines)
