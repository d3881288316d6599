"""evaluate(), its result, and the figures and display classes."""

import json

import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import EVAL_MLP_PARAMS
from matplotlib.figure import Figure
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import RidgeClassifier
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    accuracy_score,
    balanced_accuracy_score,
    classification_report,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
    top_k_accuracy_score,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import label_binarize

from skfashion.datasets import FASHION_MNIST_CLASSES
from skfashion.metrics import (
    EvaluationResult,
    MisclassifiedImagesDisplay,
    OneVsRestCurvesDisplay,
    TrainingCurvesDisplay,
    default_target_names,
    evaluate,
)
from skfashion.models import KerasMLPClassifier
from skfashion.utils import to_jsonable


@pytest.fixture(scope="module")
def mlp(fitted_tiny_mlp):
    return fitted_tiny_mlp


@pytest.fixture(scope="module")
def test_data(sample_split):
    _, _, X_test, y_test = sample_split
    return X_test, y_test


@pytest.fixture(scope="module")
def result(mlp, test_data):
    return evaluate(mlp, *test_data, target_names=FASHION_MNIST_CLASSES)


@pytest.fixture(scope="module")
def nb(sample_split):
    X, y, _, _ = sample_split
    return GaussianNB().fit(X, y)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _axes():
    return Figure().subplots()


# -------------------------------------------------------------------- evaluate
def test_evaluate_matches_sklearn(mlp, test_data, result):
    X, y = test_data
    proba = mlp.predict_proba(X)
    y_pred = mlp.predict(X)
    classes = mlp.classes_

    assert result.accuracy == accuracy_score(y, y_pred)
    assert result.balanced_accuracy == balanced_accuracy_score(y, y_pred)
    assert result.log_loss == pytest.approx(log_loss(y, proba, labels=classes))
    assert result.top_2_accuracy == pytest.approx(
        top_k_accuracy_score(y, proba, k=2, labels=classes)
    )
    for avg in ("macro", "weighted"):
        kw = dict(average=avg, zero_division=0)
        assert getattr(result, f"precision_{avg}") == pytest.approx(
            precision_score(y, y_pred, **kw)
        )
        assert getattr(result, f"recall_{avg}") == pytest.approx(
            recall_score(y, y_pred, **kw)
        )
        assert getattr(result, f"f1_{avg}") == pytest.approx(f1_score(y, y_pred, **kw))
        assert getattr(result, f"roc_auc_{avg}") == pytest.approx(
            roc_auc_score(y, proba, multi_class="ovr", average=avg, labels=classes)
        )
    np.testing.assert_array_equal(result.confusion_matrix, confusion_matrix(y, y_pred))
    report = classification_report(
        y,
        y_pred,
        target_names=FASHION_MNIST_CLASSES,
        output_dict=True,
        zero_division=0,
    )
    assert result.classification_report == report
    assert "T-shirt/top" in result.classification_report_text

    Y = label_binarize(y, classes=classes)
    per_class_auc = [roc_auc_score(Y[:, i], proba[:, i]) for i in range(10)]
    assert [c["roc_auc"] for c in result.per_class] == pytest.approx(per_class_auc)
    f1 = f1_score(y, y_pred, average=None, zero_division=0)
    assert [c["f1"] for c in result.per_class] == pytest.approx(f1)
    assert [c["support"] for c in result.per_class] == np.bincount(y).tolist()

    np.testing.assert_array_equal(result.y_true, y)
    np.testing.assert_array_equal(result.y_pred, y_pred)
    np.testing.assert_allclose(result.proba, proba)
    assert result.n_samples == len(y)
    assert result.estimator_name == "KerasMLPClassifier"
    assert "accuracy=" in repr(result)


def test_to_dict_is_json_safe(result, tmp_path):
    data = result.to_dict()
    for key in ("y_true", "y_pred", "proba"):
        assert key not in data

    def check(value):
        if isinstance(value, dict):
            assert all(isinstance(k, str) for k in value)
            for v in value.values():
                check(v)
        elif isinstance(value, list):
            for v in value:
                check(v)
        else:
            assert value is None or type(value) in (str, int, float, bool)

    check(data)
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    assert set(result.headline()) == set(EvaluationResult.headline_metrics)

    path = tmp_path / "metrics.json"
    assert json.loads(result.to_json(path)) == data
    assert json.loads(path.read_text(encoding="utf-8")) == data


def test_s1_analysis_fields(result):
    cm = result.confusion_matrix
    assert result.target_names == list(FASHION_MNIST_CLASSES)
    assert [c["name"] for c in result.per_class] == list(FASHION_MNIST_CLASSES)

    pairs = result.most_confused
    assert 0 < len(pairs) <= 5
    counts = [p["count"] for p in pairs]
    assert counts == sorted(counts, reverse=True)
    off_diagonal = cm[~np.eye(len(cm), dtype=bool)]
    assert counts[0] == off_diagonal.max()
    for p in pairs:
        assert p["true"] != p["predicted"]
        assert cm[p["true"], p["predicted"]] == p["count"]
        assert p["true_name"] == FASHION_MNIST_CLASSES[p["true"]]
        assert p["predicted_name"] == FASHION_MNIST_CLASSES[p["predicted"]]

    aucs = [c["roc_auc"] for c in result.per_class]
    lowest = result.lowest_auc_class
    assert lowest["roc_auc"] == min(aucs)
    assert lowest["name"] == FASHION_MNIST_CLASSES[lowest["label"]]
    f1s = [c["f1"] for c in result.per_class]
    assert result.worst_f1_class["f1"] == min(f1s)
    assert result.worst_f1_class["label"] == int(np.argmin(f1s))


@pytest.mark.parametrize("k", [0, 2])
def test_top_k_confusions(mlp, test_data, k):
    assert len(evaluate(mlp, *test_data, top_k_confusions=k).most_confused) == k


def test_target_names(nb, test_data):
    X, y = test_data
    names = [f"class {i}" for i in range(10)]
    result = evaluate(nb, X, y, target_names=names)
    assert result.target_names == names
    assert "class 3" in result.classification_report
    with pytest.raises(ValueError, match="target_names has 3 entries"):
        evaluate(nb, X, y, target_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="unique"):
        evaluate(nb, X, y, target_names=["a"] * 10)


def test_default_target_names():
    # Class names come from the data set, never from the labels' look.
    assert default_target_names(np.arange(10)) == [str(i) for i in range(10)]
    assert default_target_names(np.arange(3)) == ["0", "1", "2"]
    assert default_target_names(np.arange(1, 11))[0] == "1"
    assert default_target_names(["b", "a"]) == ["b", "a"]


def test_string_labels_and_binary(test_data):
    X, y = test_data
    keep = y < 2
    labels = np.array(["top", "trouser"])[y[keep]]
    clf = GaussianNB().fit(X[keep], labels)
    result = evaluate(clf, X[keep], labels)
    assert result.target_names == ["top", "trouser"]
    assert result.top_2_accuracy == 1.0
    proba = clf.predict_proba(X[keep])
    expected = roc_auc_score(labels == "trouser", proba[:, 1])
    assert result.roc_auc_macro == pytest.approx(expected)
    assert result.per_class[0]["roc_auc"] == pytest.approx(expected)
    assert json.loads(result.to_json())["classes"] == ["top", "trouser"]


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_class_missing_from_y(nb, test_data):
    X, y = test_data
    keep = y != 9
    result = evaluate(nb, X[keep], y[keep])
    assert result.per_class[9]["roc_auc"] is None
    assert result.per_class[9]["support"] == 0
    defined = [c["roc_auc"] for c in result.per_class[:9]]
    assert result.roc_auc_macro == pytest.approx(np.mean(defined))
    assert result.worst_f1_class["label"] != 9
    json.dumps(result.to_dict(), allow_nan=False)


def test_to_jsonable():
    data = to_jsonable(
        {1: np.float32(0.25), "t": (np.int64(1), np.bool_(True)), "n": float("inf")}
    )
    assert data == {"1": 0.25, "t": [1, True], "n": None}


# ---------------------------------------------------------------------- errors
def test_unknown_labels(mlp, test_data):
    X, y = test_data
    y = y.copy()
    y[:2] = [42, 17]
    with pytest.raises(ValueError, match=r"unknown to the estimator: \[17, 42\]"):
        evaluate(mlp, X, y)


def test_unfitted(test_data):
    with pytest.raises(NotFittedError):
        evaluate(KerasMLPClassifier(**EVAL_MLP_PARAMS), *test_data)


def test_length_mismatch(mlp, test_data):
    X, y = test_data
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        evaluate(mlp, X[:-1], y)


def test_no_predict_proba(test_data):
    X, y = test_data
    clf = RidgeClassifier().fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="has no predict_proba"):
        evaluate(clf, X, y)


def test_invalid_top_k(mlp, test_data):
    with pytest.raises(ValueError, match="top_k_confusions"):
        evaluate(mlp, *test_data, top_k_confusions=-1)


# --------------------------------------------------------------------- figures
def test_confusion_matrix_display_with_class_names(mlp, test_data, result):
    # The confusion matrix is scikit-learn's own display: skfashion's
    # estimators are classifiers to it, and names come from the data set.
    display = ConfusionMatrixDisplay.from_estimator(
        mlp, *test_data, display_labels=FASHION_MNIST_CLASSES, ax=_axes()
    )
    np.testing.assert_array_equal(display.confusion_matrix, result.confusion_matrix)
    labels = [t.get_text() for t in display.ax_.get_xticklabels()]
    assert labels == list(FASHION_MNIST_CLASSES)


def test_roc_curves_display(result):
    display = OneVsRestCurvesDisplay.from_predictions(
        result.y_true,
        result.proba,
        classes=result.classes,
        target_names=result.target_names,
        ax=_axes(),
    )
    ax = display.ax_
    assert display.figure_ is ax.figure
    assert len(display.curves_) == 10
    assert all(d.ax_ is ax for d in display.curves_)
    assert len(ax.get_lines()) == 11  # ten classes and the chance diagonal
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    for entry in result.per_class:
        assert f"{entry['name']} (AUC = {entry['roc_auc']:.3f})" in legend
    # Each curve has its own positive class: no "(Positive label: ...)".
    assert (ax.get_xlabel(), ax.get_ylabel()) == (
        "False positive rate",
        "True positive rate",
    )
    # plot() draws the same display again, on other axes.
    again = display.plot(ax=_axes())
    assert again is display and display.ax_ is not ax
    assert len(display.ax_.get_lines()) == 11


def test_curves_display_from_estimator_and_arrays(mlp, test_data, result):
    X, y = test_data
    display = OneVsRestCurvesDisplay.from_estimator(
        mlp, X, y, kind="precision_recall", ax=_axes()
    )
    from sklearn.metrics import average_precision_score

    proba = mlp.predict_proba(X)
    expected = [
        average_precision_score(y == c, proba[:, i]) for i, c in enumerate(mlp.classes_)
    ]
    aps = [d.average_precision for d in display.curves_]
    np.testing.assert_allclose(aps, expected)
    keep = y != 3  # a class without positives gets no curve
    display = OneVsRestCurvesDisplay.from_predictions(
        y[keep], mlp.predict_proba(X[keep]), classes=mlp.classes_, ax=_axes()
    )
    assert [d.line_.get_label().split(" (")[0] for d in display.curves_] == [
        str(c) for c in mlp.classes_ if c != 3
    ]
    with pytest.raises(ValueError, match="columns"):
        OneVsRestCurvesDisplay.from_predictions(y, mlp.predict_proba(X)[:, :5])
    with pytest.raises(ValueError, match="need proba"):
        OneVsRestCurvesDisplay.from_predictions(y, None)
    with pytest.raises(ValueError, match="kind must be one of"):
        OneVsRestCurvesDisplay.from_estimator(mlp, X, y, kind="pr")


def test_precision_recall_curves_display(result):
    display = OneVsRestCurvesDisplay.from_predictions(
        result.y_true,
        result.proba,
        classes=result.classes,
        target_names=result.target_names,
        kind="precision_recall",
        ax=_axes(),
    )
    assert len(display.curves_) == 10
    assert len(display.ax_.get_lines()) == 10
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert all("AP = " in text for text in legend)
    assert legend[0].startswith("T-shirt/top (AP = ")


# -------------------------------------------------------------------- displays
def test_training_curves_from_estimator(mlp):
    display = TrainingCurvesDisplay.from_estimator(mlp)
    assert display.ax_.shape == (2,)
    assert display.figure_ is display.ax_[0].figure
    for ax, metric in zip(display.ax_, ("loss", "accuracy"), strict=True):
        assert len(ax.get_lines()) == 2
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["train", "validation"]
        assert ax.get_title() == metric
    np.testing.assert_allclose(
        display.lines_["val_loss"].get_ydata(), mlp.history_["val_loss"]
    )
    assert len(display.lines_["loss"].get_xdata()) == EVAL_MLP_PARAMS["epochs"]


def test_training_curves_from_history():
    history = {"loss": [1.0, 0.5, 0.4]}
    display = TrainingCurvesDisplay.from_history(history, ax=[_axes()])
    assert display.ax_.shape == (1,)
    assert list(display.lines_) == ["loss"]
    with pytest.raises(ValueError, match="ax must hold 1 axes"):
        TrainingCurvesDisplay.from_history(history, ax=Figure().subplots(1, 2))
    with pytest.raises(ValueError, match="no values for"):
        TrainingCurvesDisplay.from_history(history, metrics=("accuracy",))
    with pytest.raises(ValueError, match="neither loss nor accuracy"):
        TrainingCurvesDisplay.from_history({"mae": [1.0]})


def test_training_curves_without_history(nb):
    with pytest.raises(ValueError, match="no training history"):
        TrainingCurvesDisplay.from_estimator(nb)
    with pytest.raises(NotFittedError):
        TrainingCurvesDisplay.from_estimator(KerasMLPClassifier())


def test_misclassified_from_estimator(mlp, test_data, result):
    X, y = test_data
    display = MisclassifiedImagesDisplay.from_estimator(
        mlp, X, y, n_images=16, target_names=FASHION_MNIST_CLASSES
    )
    n_wrong = int(np.sum(result.y_true != result.y_pred))
    n_shown = min(16, n_wrong)
    assert len(display.ims_) == n_shown
    assert sum(len(ax.images) for ax in display.ax_.ravel()) == n_shown
    assert display.ims_[0].get_array().shape == (28, 28)
    assert display.figure_ is display.ax_.ravel()[0].figure
    # Most confident mistakes first.
    assert np.all(np.diff(display.pred_proba) <= 0)
    i = display.indices[0]
    assert y[i] != result.y_pred[i]
    title = display.ax_.ravel()[0].get_title()
    assert f"true: {FASHION_MNIST_CLASSES[y[i]]}" in title
    assert f"pred: {FASHION_MNIST_CLASSES[result.y_pred[i]]}" in title
    assert f"({display.pred_proba[0]:.2f})" in title


def test_misclassified_from_predictions(test_data):
    X, y = test_data
    y_pred = y.copy()
    y_pred[[3, 7, 11]] = (y[[3, 7, 11]] + 1) % 10
    display = MisclassifiedImagesDisplay.from_predictions(
        X.reshape(-1, 28, 28), y, y_pred, n_images=2
    )
    assert display.indices.tolist() == [3, 7]  # data order without proba
    assert display.pred_proba is None
    assert len(display.ims_) == 2
    names = [str(i) for i in range(10)]
    display = MisclassifiedImagesDisplay.from_predictions(
        X, y, y_pred, np.linspace(0, 1, len(y)), target_names=names
    )
    assert display.indices.tolist() == [11, 7, 3]
    assert display.true_names == [names[y[i]] for i in (11, 7, 3)]


def test_misclassified_none_and_bad_shape(test_data):
    X, y = test_data
    display = MisclassifiedImagesDisplay.from_predictions(X, y, y)
    assert display.ims_ == []
    assert "No misclassified" in display.ax_.ravel()[0].texts[0].get_text()
    with pytest.raises(ValueError, match="image shape"):
        MisclassifiedImagesDisplay.from_predictions(X[:, :-1], y, y)
    with pytest.raises(ValueError, match="does not match"):
        MisclassifiedImagesDisplay.from_predictions(X, y, y, image_shape=(20, 20))


def test_misclassified_grid_shows_rgb_images_in_colour():
    from skfashion.metrics import MisclassifiedImagesDisplay

    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(6, 8 * 8 * 3)).astype(np.float64)
    y_true = np.array([0, 1, 0, 1, 0, 1])
    y_pred = 1 - y_true
    disp = MisclassifiedImagesDisplay.from_predictions(
        X, y_true, y_pred, image_shape=(8, 8, 3), target_names=["a", "b"]
    )
    assert disp.images.shape[1:] == (8, 8, 3)
    drawn = disp.ims_[0].get_array()
    assert drawn.shape == (8, 8, 3)
    np.testing.assert_allclose(drawn, disp.images[0] / 255.0)
    plt.close(disp.figure_)


def test_misclassified_grid_shows_16_bit_colour_on_its_scale():
    from skfashion.metrics import MisclassifiedImagesDisplay

    rng = np.random.RandomState(0)
    X = rng.randint(0, 65536, size=(4, 6, 6, 3)).astype(np.uint16)
    disp = MisclassifiedImagesDisplay.from_predictions(
        X, np.array([0, 1, 0, 1]), np.array([1, 0, 1, 0]), target_names=["a", "b"]
    )
    drawn = disp.ims_[0].get_array()
    np.testing.assert_allclose(drawn, disp.images[0] / 65535.0)  # not all white
    plt.close(disp.figure_)
