"""write_report(): the HTML report, metrics.json, figures and their safety."""

import base64
import json
import os
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest
from conftest import EVAL_MLP_PARAMS
from scipy.stats import loguniform
from sklearn.exceptions import NotFittedError
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import (
    GridSearchCV,
    HalvingRandomSearchCV,
    RandomizedSearchCV,
)
from sklearn.naive_bayes import GaussianNB

from skfashion.datasets import load_fashion_mnist_sample
from skfashion.metrics import evaluate
from skfashion.model_selection import SearchScoresDisplay, search_results_table
from skfashion.models import KerasMLPClassifier
from skfashion.report import write_report

SECTIONS = (
    "summary",
    "model",
    "data",
    "timings",
    "classification-report",
    "roc-auc",
    "confusions",
    "figures",
)
FIGURES = (
    "confusion_matrix",
    "confusion_matrix_normalized",
    "roc_ovr",
    "precision_recall_ovr",
    "training_curves",
    "misclassified",
)
VOID = {"meta", "img", "br", "hr", "input", "link", "source", "wbr"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _Collector(HTMLParser):
    """Tags, attributes and the text of ``data-metric`` elements.

    Also checks that every non-void element is closed in order.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.stack = []
        self.metrics = {}
        self.metric_values = {}
        self.text = []
        self._open_metric = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag not in VOID:
            self.stack.append(tag)
        if "data-metric" in attrs:
            self._open_metric = (attrs["data-metric"], tag)
            self.metrics[attrs["data-metric"]] = ""
            if "data-value" in attrs:
                self.metric_values[attrs["data-metric"]] = attrs["data-value"]

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()
        if self._open_metric and self._open_metric[1] == tag:
            self._open_metric = None

    def handle_data(self, data):
        self.text.append(data)
        if self._open_metric:
            self.metrics[self._open_metric[0]] += data


def _parse(path):
    parser = _Collector()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    assert parser.stack == []
    return parser


@pytest.fixture(scope="module")
def bunch():
    return load_fashion_mnist_sample()


@pytest.fixture(scope="module")
def split(sample_split):
    return sample_split


@pytest.fixture(scope="module")
def mlp(fitted_tiny_mlp):
    return fitted_tiny_mlp


@pytest.fixture(scope="module")
def nb(split):
    X, y, _, _ = split
    return GaussianNB().fit(X, y)


@pytest.fixture(scope="module")
def report(mlp, split, bunch, tmp_path_factory):
    _, _, X_test, y_test = split
    out_dir = tmp_path_factory.mktemp("reports") / "runs" / "mlp"
    path = write_report(
        mlp,
        X_test,
        y_test,
        out_dir,
        data_info={"files": bunch.files, "n_train": 700, "n_test": 300},
        timings={"fit_seconds": 1.5, "predict_seconds": 0.25},
        target_names=bunch.target_names,
        title="Tiny <MLP> & friends",
    )
    return path


@pytest.fixture(scope="module")
def parsed(report):
    return _parse(report)


@pytest.fixture(scope="module")
def metrics(report):
    return json.loads((report.parent / "metrics.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------- files
def test_report_files(report):
    out_dir = report.parent
    assert report.name == "report.html"
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "figures",
        "metrics.json",
        "report.html",
    ]
    pngs = sorted(p.stem for p in (out_dir / "figures").iterdir())
    assert pngs == sorted(FIGURES)
    for png in (out_dir / "figures").iterdir():
        assert png.read_bytes().startswith(PNG_MAGIC)
    # No temporary folder is left next to the run folder.
    assert [p.name for p in out_dir.parent.iterdir()] == ["mlp"]


def test_report_sections(parsed):
    ids = {attrs.get("id") for _, attrs in parsed.tags}
    for section in SECTIONS:
        assert section in ids
    for figure in FIGURES:
        assert f"fig-{figure}" in ids
    assert "search" not in ids  # no search given


def test_report_is_self_contained(parsed, report):
    page = report.read_text(encoding="utf-8")
    tags = [tag for tag, _ in parsed.tags]
    assert "script" not in tags
    assert "link" not in tags
    assert "iframe" not in tags and "object" not in tags
    for _, attrs in parsed.tags:
        for name in ("src", "href", "srcset", "action"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith("data:"), (name, value[:40])
                assert "http://" not in value and "https://" not in value
    assert "url(" not in page and "@import" not in page
    images = [attrs for tag, attrs in parsed.tags if tag == "img"]
    assert len(images) == len(FIGURES)
    for attrs in images:
        prefix = "data:image/png;base64,"
        assert attrs["src"].startswith(prefix)
        assert base64.b64decode(attrs["src"][len(prefix) :]).startswith(PNG_MAGIC)
        assert attrs["alt"]


def test_headline_numbers_equal_metrics_json(parsed, metrics):
    headline = (
        "accuracy",
        "balanced_accuracy",
        "top_2_accuracy",
        "log_loss",
        "f1_macro",
        "f1_weighted",
        "roc_auc_macro",
        "roc_auc_weighted",
    )
    for name in headline:
        assert parsed.metrics[name] == f"{metrics[name]:.4f}"
        assert float(parsed.metric_values[name]) == metrics[name]
    assert parsed.metrics["worst_f1_class.f1"] == (
        f"{metrics['worst_f1_class']['f1']:.4f}"
    )
    assert parsed.metrics["lowest_auc_class.roc_auc"] == (
        f"{metrics['lowest_auc_class']['roc_auc']:.4f}"
    )


def test_metrics_json_contents(metrics, mlp, split, bunch):
    _, _, X_test, y_test = split
    expected = evaluate(mlp, X_test, y_test, target_names=bunch.target_names).to_dict()
    assert {key: metrics[key] for key in expected} == expected
    model = metrics["model"]
    assert model["class"] == "KerasMLPClassifier"
    assert model["params"]["epochs"] == 2
    assert model["params"]["hidden_layer_sizes"] == [16]
    assert {"epochs", "batch_size", "hidden_layer_sizes"} <= set(
        model["changed_params"]
    )
    assert "dropout" not in model["changed_params"]
    assert metrics["data_info"]["files"] == json.loads(json.dumps(bunch.files))
    timings = metrics["timings"]
    assert timings.pop("evaluate_seconds") >= 0  # measured by write_report
    assert timings == {"fit_seconds": 1.5, "predict_seconds": 0.25}
    assert metrics["search"] is None
    assert [f["file"] for f in metrics["figures"]] == [
        f"figures/{name}.png" for name in FIGURES
    ]


def test_report_shows_provenance_params_and_tables(parsed, metrics, bunch):
    text = " ".join(parsed.text)
    sha = next(iter(bunch.files.values()))["sha256"]
    assert sha in text
    assert "fit (s)" in text and "predict (s)" in text and "1.5000" in text
    assert "fit_seconds" not in text
    assert "hidden_layer_sizes" in text
    changed_rows = [
        attrs
        for tag, attrs in parsed.tags
        if tag == "tr" and attrs.get("class") == "changed"
    ]
    assert len(changed_rows) >= len(metrics["model"]["changed_params"])
    cells = {
        (attrs["data-report"], attrs["data-field"]): attrs["data-value"]
        for tag, attrs in parsed.tags
        if tag == "td" and "data-report" in attrs
    }
    report = metrics["classification_report"]
    assert float(cells[("Coat", "f1-score")]) == report["Coat"]["f1-score"]
    assert float(cells[("macro avg", "recall")]) == report["macro avg"]["recall"]
    aucs = {
        attrs["data-class"]: float(attrs["data-value"])
        for tag, attrs in parsed.tags
        if tag == "td" and "data-class" in attrs
    }
    assert aucs == {c["name"]: c["roc_auc"] for c in metrics["per_class"]}
    pair = metrics["most_confused"][0]
    assert pair["true_name"] in text and pair["predicted_name"] in text


def test_title_is_escaped(parsed, report):
    page = report.read_text(encoding="utf-8")
    assert "Tiny &lt;MLP&gt; &amp; friends" in page
    assert "<MLP>" not in page
    assert "mlp" not in [tag for tag, _ in parsed.tags]


# ---------------------------------------------------------------- bad input
def _bad_inputs(mlp, split):
    X, _, X_test, y_test = split
    y_unknown = y_test.copy()
    y_unknown[0] = 42
    ridge = RidgeClassifier().fit(X[:100], split[1][:100])
    return {
        "unknown labels": (mlp, X_test, y_unknown, ValueError, "unknown"),
        "unfitted": (KerasMLPClassifier(), X_test, y_test, NotFittedError, None),
        "length": (mlp, X_test[:-1], y_test, ValueError, "inconsistent"),
        "no proba": (ridge, X_test, y_test, ValueError, "predict_proba"),
        "target names": (mlp, X_test, y_test, ValueError, "target_names"),
    }


@pytest.mark.parametrize(
    "case", ["unknown labels", "unfitted", "length", "no proba", "target names"]
)
def test_bad_input_writes_nothing(case, mlp, split, tmp_path):
    estimator, X, y, error, match = _bad_inputs(mlp, split)[case]
    out_dir = tmp_path / "parent" / "run"
    kwargs = {"target_names": ["a", "b"]} if case == "target names" else {}
    with pytest.raises(error, match=match):
        write_report(estimator, X, y, out_dir, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_unfitted_search_writes_nothing(nb, split, tmp_path):
    _, _, X_test, y_test = split
    search = GridSearchCV(GaussianNB(), {"var_smoothing": [1e-9]})
    with pytest.raises(NotFittedError):
        write_report(nb, X_test, y_test, tmp_path / "run", search=search)
    assert list(tmp_path.iterdir()) == []


def test_out_dir_is_a_file(nb, split, tmp_path):
    _, _, X_test, y_test = split
    target = tmp_path / "run"
    target.write_text("keep me")
    with pytest.raises(NotADirectoryError):
        write_report(nb, X_test, y_test, target)
    assert target.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_existing_out_dir_keeps_other_files(nb, split, tmp_path):
    _, _, X_test, y_test = split
    out_dir = tmp_path / "run"
    (out_dir / "figures").mkdir(parents=True)
    (out_dir / "notes.txt").write_text("mine")
    (out_dir / "figures" / "stale.png").write_bytes(b"old")
    path = write_report(nb, X_test, y_test, out_dir)
    assert path == out_dir / "report.html"
    assert (out_dir / "notes.txt").read_text() == "mine"
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    figures = {p.stem for p in (out_dir / "figures").iterdir()}
    # GaussianNB has no training history. stale.png is not skfashion's (no
    # earlier metrics.json lists it), so it is kept.
    assert figures == set(FIGURES) - {"training_curves"} | {"stale"}
    assert (out_dir / "figures" / "stale.png").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    metrics = json.loads((out_dir / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["estimator_name"] == "GaussianNB"


# --------------------------------------------------------------------- search
@pytest.fixture(scope="module")
def search(split):
    X, y, _, _ = split
    params = {
        "learning_rate": loguniform(1e-4, 1e-1),
        "hidden_layer_sizes": [(8,), (16,)],
    }
    return RandomizedSearchCV(
        KerasMLPClassifier(**EVAL_MLP_PARAMS), params, n_iter=2, cv=2, random_state=0
    ).fit(X, y)


def test_report_with_search(search, split, tmp_path):
    _, _, X_test, y_test = split
    path = write_report(
        search.best_estimator_, X_test, y_test, tmp_path / "run", search=search
    )
    parsed = _parse(path)
    ids = {attrs.get("id") for _, attrs in parsed.tags}
    assert "search" in ids and "fig-search_scores" in ids
    assert (tmp_path / "run" / "figures" / "search_scores.png").exists()
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text("utf-8"))
    info = metrics["search"]
    assert info["class"] == "RandomizedSearchCV"
    assert info["n_candidates"] == 2
    assert info["top"] == json.loads(json.dumps(search_results_table(search)))
    assert sorted(info["searched_params"]) == ["hidden_layer_sizes", "learning_rate"]
    assert parsed.metrics["search.best_score"] == f"{search.best_score_:.4f}"
    rows = [
        attrs
        for tag, attrs in parsed.tags
        if tag == "td" and attrs.get("data-field") == "mean_test_score"
    ]
    assert [float(r["data-value"]) for r in rows] == [
        r["mean_test_score"] for r in info["top"]
    ]


def test_search_results_table(search):
    rows = search_results_table(search)
    assert len(rows) == 2
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
    assert rows[0]["params"] == json.loads(json.dumps(search.best_params_))
    assert rows[0]["mean_test_score"] == pytest.approx(search.best_score_)
    assert set(rows[0]) == {
        "rank",
        "mean_test_score",
        "std_test_score",
        "mean_fit_time",
        "params",
    }
    assert len(search_results_table(search, top=1)) == 1
    json.dumps(rows, allow_nan=False)


def test_search_figure_axes(split):
    X, y, _, _ = split
    grid = GridSearchCV(
        GaussianNB(),
        [{"var_smoothing": [1e-9, 1e-5, 1e-1]}, {"priors": [None, [0.1] * 10]}],
        cv=2,
    ).fit(X[:200], y[:200])
    display = SearchScoresDisplay.from_estimator(grid)
    fig = display.figure_
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert list(display.axes_[:2]) == axes
    by_name = {ax.get_xlabel(): ax for ax in axes}
    assert set(by_name) == {"var_smoothing", "priors"}
    assert by_name["var_smoothing"].get_xscale() == "log"
    ticks = [t.get_text() for t in by_name["priors"].get_xticklabels()]
    assert len(ticks) == 2 and "None" in ticks


def test_halving_search(split, tmp_path):
    X, y, X_test, y_test = split
    halving = HalvingRandomSearchCV(
        GaussianNB(),
        {"var_smoothing": loguniform(1e-9, 1e-1)},
        n_candidates=6,
        factor=2,
        cv=2,
        min_resources=100,
        random_state=0,
    ).fit(X, y)
    rows = search_results_table(halving)
    assert rows[0]["iter"] == int(np.max(halving.cv_results_["iter"]))
    assert rows[0]["params"] == halving.best_params_
    assert {"iter", "n_resources"} <= set(rows[0])
    path = write_report(halving, X_test, y_test, tmp_path / "run", search=halving)
    ids = {attrs.get("id") for _, attrs in _parse(path).tags}
    assert {"search", "fig-search_scores"} <= ids


def test_metrics_does_not_import_model_selection():
    # The report sits above metrics and model_selection; metrics alone stays
    # below model_selection, and its report names are aliases loaded on use.
    code = (
        "import sys, skfashion.metrics; "
        "assert 'skfashion.model_selection' not in sys.modules, 'imported'; "
        "import skfashion.report; "
        "assert skfashion.metrics.write_report is skfashion.report.write_report; "
        "assert skfashion.metrics.report_files is skfashion.report.report_files"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
