""" "Did tuning pay?": the defaults against the winner on the search's folds."""

import json
import math
from html.parser import HTMLParser

import numpy as np
import pytest
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.naive_bayes import GaussianNB

from skfashion.datasets import load_fashion_mnist_sample
from skfashion.model_selection import HalvingEpochsSearchCV, tuning_gain
from skfashion.models import KerasMLPClassifier
from skfashion.report import write_report

SPACE = {"learning_rate": [np.float64(3e-3), np.float64(1e-2), np.float64(3e-2)]}


@pytest.fixture(scope="module")
def data():
    X, y = load_fashion_mnist_sample(return_X_y=True)
    return X[:300], y[:300], X[300:500], y[300:500]


def _search(cv, include_defaults=True, learning_rate=1e-3):
    return HalvingEpochsSearchCV(
        KerasMLPClassifier(
            hidden_layer_sizes=(8,),
            epochs=3,
            batch_size=64,
            learning_rate=learning_rate,
        ),
        SPACE,
        n_candidates=3,
        cv=cv,
        include_defaults=include_defaults,
        random_state=0,
    )


@pytest.fixture(scope="module")
def holdout_search(data):
    X, y, _, _ = data
    cv = StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=0)
    return _search(cv).fit(X, y)


def _last_rung_rows(search):
    results = search.cv_results_
    last = np.flatnonzero(results["iter"] == results["iter"].max())
    defaults = [i for i in last if results["params"][i]["learning_rate"] == 1e-3]
    return results, last, defaults[0]


def test_holdout_numbers_come_from_the_last_rung(holdout_search):
    gain = tuning_gain(holdout_search)
    results, last, d = _last_rung_rows(holdout_search)
    w = holdout_search.best_index_
    assert gain["available"] and gain["defaults_index"] == d
    assert gain["winner_index"] == w and w in last
    assert gain["epochs"] == 3 == results["n_resources"][d]
    assert gain["defaults_score"] == results["mean_test_score"][d]
    assert gain["winner_score"] == results["mean_test_score"][w]
    assert gain["difference"] == pytest.approx(
        results["mean_test_score"][w] - results["mean_test_score"][d]
    )
    # Binomial SE of each score on the 60 holdout images, combined.
    p1, p2 = gain["winner_score"], gain["defaults_score"]
    se = math.sqrt(p1 * (1 - p1) / 60 + p2 * (1 - p2) / 60)
    assert gain["n_holdout"] == 60
    assert gain["standard_error"] == pytest.approx(se)
    assert "approximation" in gain["se_method"]
    assert gain["exceeds_2se"] == (abs(gain["difference"]) > 2 * se)
    json.dumps(gain, allow_nan=False)


def test_kfold_uses_the_per_fold_differences(data):
    X, y, _, _ = data
    search = _search(3).fit(X, y)
    gain = tuning_gain(search)
    results, _, d = _last_rung_rows(search)
    w = search.best_index_
    diffs = [
        results[f"split{k}_test_score"][w] - results[f"split{k}_test_score"][d]
        for k in range(3)
    ]
    assert gain["n_splits"] == 3 and gain["n_holdout"] is None
    assert gain["standard_error"] == pytest.approx(np.std(diffs, ddof=1) / np.sqrt(3))
    assert gain["difference"] == pytest.approx(np.mean(diffs))


def test_unavailable_without_the_defaults(data):
    X, y, _, _ = data
    cv = StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=0)
    search = _search(cv, include_defaults=False).fit(X, y)
    gain = tuning_gain(search)
    assert gain == {
        "available": False,
        "reason": "Comparison unavailable: the defaults candidate (the estimator's "
        "own values of the searched parameters) was not part of the search.",
    }


class _Sections(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.metrics, self._open = [], {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.ids.append(attrs["id"])
        if "data-metric" in attrs:
            self._open = attrs["data-metric"]
            self.metrics[self._open] = ""

    def handle_endtag(self, tag):
        self._open = None

    def handle_data(self, text):
        if self._open:
            self.metrics[self._open] += text


def _read(path):
    parser = _Sections()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_report_section_never_uses_the_test_split(holdout_search, data, tmp_path):
    _, _, X_test, y_test = data
    model = holdout_search.best_estimator_
    first = write_report(model, X_test, y_test, tmp_path / "a", search=holdout_search)
    # Other test images, wrong labels: the test metrics change, the
    # comparison on the search's holdout does not.
    rng = np.random.default_rng(0)
    other = write_report(
        model,
        X_test[::-1],
        rng.permutation(y_test),
        tmp_path / "b",
        search=holdout_search,
    )
    a, b = (json.loads((p.parent / "metrics.json").read_text()) for p in (first, other))
    assert a["accuracy"] != b["accuracy"]
    assert a["search"]["tuning_gain"] == b["search"]["tuning_gain"]
    assert a["search"]["tuning_gain"] == json.loads(
        json.dumps(tuning_gain(holdout_search))
    )
    page = _read(first)
    gain = a["search"]["tuning_gain"]
    for key in ("defaults_score", "winner_score", "difference", "standard_error"):
        assert page.metrics[f"tuning_gain.{key}"] == f"{gain[key]:.4f}"
    assert page.metrics["tuning_gain.verdict"] == gain["verdict"]
    # Headline figures and the confusion matrix first, the parameters last.
    ids = page.ids
    assert ids[:3] == ["summary", "confusion-matrix", "tuning-gain"]
    assert ids.index("search") < ids.index("model")
    assert ids[-3:] == ["model", "data", "timings"]


def test_report_shows_plain_rounded_numbers(data, tmp_path):
    X, y, X_test, y_test = data
    nb = GaussianNB(var_smoothing=np.float64(0.0043587123)).fit(X, y)
    path = write_report(nb, X_test, y_test, tmp_path / "nb")
    page = path.read_text(encoding="utf-8")
    assert "np.float64" not in page and "0.0043587123" not in page
    assert "var_smoothing=0.004359" in page  # the repr line
    assert "<code>0.004359</code>" in page  # the table
    metrics = json.loads((path.parent / "metrics.json").read_text())
    assert metrics["model"]["params"]["var_smoothing"] == 0.0043587123


@pytest.mark.parametrize("bad", [-1, 0, 2.5, True, float("nan")])
def test_tuning_gain_refuses_a_bad_n_holdout(bad):
    from sklearn.datasets import load_iris
    from sklearn.model_selection import GridSearchCV

    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(GaussianNB(), {"var_smoothing": [1e-9, 0.1]}, cv=3)
    with pytest.raises(ValueError, match="n_holdout must be None or an integer"):
        tuning_gain(search.fit(X, y), n_holdout=bad)
