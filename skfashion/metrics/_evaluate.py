"""One-call evaluation of a fitted probabilistic classifier."""

import json
from dataclasses import dataclass, field, fields
from numbers import Integral
from pathlib import Path
from typing import ClassVar

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    classification_report,
    confusion_matrix,
    log_loss,
    precision_recall_fscore_support,
    roc_auc_score,
    top_k_accuracy_score,
)
from sklearn.preprocessing import label_binarize
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._sklearn_privates import Interval, validate_params
from ..utils import to_jsonable

__all__ = ["EvaluationResult", "evaluate"]

HEADLINE_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "top_2_accuracy",
    "log_loss",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "precision_weighted",
    "recall_weighted",
    "f1_weighted",
    "roc_auc_macro",
    "roc_auc_weighted",
)


# --------------------------------------------------------------------- helpers
def default_target_names(classes):
    """Display names of ``classes`` when no ``target_names`` are given.

    Each class is named by ``str(label)``: class names belong to a data set
    (for example ``fetch_fashion_mnist().target_names``), so pass them as
    ``target_names`` to name classes otherwise.

    Parameters
    ----------
    classes : array-like of shape (n_classes,)
        Class labels, e.g. ``estimator.classes_``.

    Returns
    -------
    names : list of str
        One name per class, in the order of ``classes``.

    Examples
    --------
    >>> from skfashion.metrics import default_target_names
    >>> default_target_names(range(3))
    ['0', '1', '2']
    >>> default_target_names(["cat", "dog"])
    ['cat', 'dog']
    """
    return [str(c) for c in np.asarray(classes).tolist()]


def _check_target_names(target_names, classes):
    if target_names is None:
        return default_target_names(classes)
    names = [str(n) for n in np.asarray(target_names, dtype=object).ravel()]
    if len(names) != len(classes):
        raise ValueError(
            f"target_names has {len(names)} entries but the estimator has "
            f"{len(classes)} classes; give one name per class in the order of "
            "classes_."
        )
    if len(set(names)) != len(names):
        raise ValueError(f"target_names must be unique, got {names!r}.")
    return names


def _n_samples(X):
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    return len(X)


def _check_evaluation_input(estimator, X, y, *, need_proba=True):
    """Validate everything :func:`evaluate` needs without predicting.

    Returns ``(y, classes)``. Kept separate so that
    :func:`~skfashion.report.write_report` can reject bad input before it
    creates any file.
    """
    check_is_fitted(estimator)
    if need_proba and not hasattr(estimator, "predict_proba"):
        raise ValueError(
            f"{type(estimator).__name__} has no predict_proba; evaluate needs "
            "class probabilities (for log loss, ROC-AUC and top-k accuracy). "
            "Use a probabilistic classifier, e.g. SVC(probability=True)."
        )
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise ValueError(
            f"{type(estimator).__name__} has no classes_ attribute; evaluate "
            "needs a fitted classifier."
        )
    classes = np.asarray(classes)
    y = column_or_1d(np.asarray(y), warn=True)
    n_X = _n_samples(X)
    if n_X != len(y):
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {n_X} and {len(y)}."
        )
    if len(y) == 0:
        raise ValueError("evaluate needs at least one sample, got an empty y.")
    known = set(classes.tolist())
    unknown = sorted({v for v in np.unique(y).tolist() if v not in known}, key=str)
    if unknown:
        raise ValueError(
            f"y contains labels unknown to the estimator: {unknown!r}; the "
            f"estimator was fitted on classes {classes.tolist()!r}."
        )
    return y, classes


def _auc_or_none(y_binary, score):
    # AUC is undefined for a class that is absent from (or is all of) y.
    if y_binary.min() == y_binary.max():
        return None
    return float(roc_auc_score(y_binary, score))


# ----------------------------------------------------------------- the result
@dataclass(eq=False, repr=False)
class EvaluationResult:
    """Metrics of a fitted classifier on one data set, made by :func:`evaluate`.

    All metrics are plain attributes; :meth:`to_dict` and :meth:`to_json` give
    them as JSON-safe data. The true labels, predictions and probabilities are
    kept for plotting but left out of :meth:`to_dict`.

    Attributes
    ----------
    estimator_name : str
        Class name of the evaluated estimator.
    n_samples : int
        Number of evaluated samples.
    classes : ndarray of shape (n_classes,)
        The estimator's ``classes_``.
    target_names : list of str
        Display name of each class.
    accuracy, balanced_accuracy, top_2_accuracy, log_loss : float
        Headline scores; ``top_2_accuracy`` is the share of samples whose
        true class is among the two most probable ones.
    precision_macro, recall_macro, f1_macro : float
        Unweighted means over the classes.
    precision_weighted, recall_weighted, f1_weighted : float
        Means weighted by class support.
    roc_auc_macro, roc_auc_weighted : float or None
        One-vs-rest ROC-AUC averages; None when no class has a defined AUC.
    per_class : list of dict
        Per class: ``label``, ``name``, ``precision``, ``recall``, ``f1``,
        ``support`` and ``roc_auc`` (None where undefined).
    classification_report : dict
        :func:`sklearn.metrics.classification_report` with ``output_dict=True``.
    classification_report_text : str
        The same report as text.
    confusion_matrix : ndarray of shape (n_classes, n_classes)
        Counts; rows are true classes, columns predicted ones.
    most_confused : list of dict
        The most frequent mistakes, most frequent first: ``true``,
        ``true_name``, ``predicted``, ``predicted_name`` and ``count``.
    lowest_auc_class : dict or None
        ``label``, ``name`` and ``roc_auc`` of the class with the lowest AUC.
    worst_f1_class : dict
        ``label``, ``name`` and ``f1`` of the class with the lowest F1.
    y_true, y_pred : ndarray of shape (n_samples,)
        True and predicted labels.
    proba : ndarray of shape (n_samples, n_classes)
        Predicted probabilities, columns in the order of ``classes``.

    Examples
    --------
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.metrics import evaluate
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> result = evaluate(GaussianNB().fit(X[:600], y[:600]), X[600:], y[600:])
    >>> sorted(result.to_dict())[:4]
    ['accuracy', 'balanced_accuracy', 'classes', 'classification_report']
    """

    headline_metrics: ClassVar[tuple] = HEADLINE_METRICS

    estimator_name: str
    n_samples: int
    classes: np.ndarray
    target_names: list
    accuracy: float
    balanced_accuracy: float
    top_2_accuracy: float
    log_loss: float
    precision_macro: float
    recall_macro: float
    f1_macro: float
    precision_weighted: float
    recall_weighted: float
    f1_weighted: float
    roc_auc_macro: float | None
    roc_auc_weighted: float | None
    per_class: list
    classification_report: dict
    classification_report_text: str
    confusion_matrix: np.ndarray
    most_confused: list
    lowest_auc_class: dict | None
    worst_f1_class: dict
    y_true: np.ndarray = field(repr=False)
    y_pred: np.ndarray = field(repr=False)
    proba: np.ndarray = field(repr=False)

    _array_fields: ClassVar[tuple] = ("y_true", "y_pred", "proba")

    def __repr__(self):
        scores = ", ".join(
            f"{name}={getattr(self, name):.4f}"
            for name in ("accuracy", "f1_macro", "log_loss")
        )
        return (
            f"EvaluationResult(estimator_name={self.estimator_name!r}, "
            f"n_samples={self.n_samples}, {scores})"
        )

    def headline(self):
        """Headline scores as a dict ``{metric name: float or None}``.

        Returns
        -------
        scores : dict
            The metrics listed in ``EvaluationResult.headline_metrics``.
        """
        return {name: to_jsonable(getattr(self, name)) for name in HEADLINE_METRICS}

    def to_dict(self):
        """All metrics as JSON-safe data.

        Returns
        -------
        data : dict
            Every attribute except ``y_true``, ``y_pred`` and ``proba``,
            converted by :func:`~skfashion.utils.to_jsonable`.
        """
        return {
            f.name: to_jsonable(getattr(self, f.name))
            for f in fields(self)
            if f.name not in self._array_fields
        }

    def to_json(self, path=None, *, indent=2):
        """Serialise :meth:`to_dict` as JSON, optionally writing it to a file.

        Parameters
        ----------
        path : str or path-like, default=None
            File to write (UTF-8). Nothing is written when None.
        indent : int, default=2
            Indentation of the JSON text.

        Returns
        -------
        text : str
            The JSON text.
        """
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text


# ------------------------------------------------------------------- evaluate
@validate_params(
    {
        "estimator": "no_validation",
        "X": ["array-like"],
        "y": ["array-like"],
        "target_names": ["array-like", None],
        "top_k_confusions": [Interval(Integral, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def evaluate(estimator, X, y, *, target_names=None, top_k_confusions=5):
    """Evaluate a fitted classifier on ``X``, ``y`` with the usual metrics.

    Computes accuracy, balanced accuracy, top-2 accuracy, log loss, macro and
    weighted precision/recall/F1, the classification report, the confusion
    matrix and one-vs-rest ROC-AUC (per class, macro and weighted), and
    points out the most frequent mistakes, the class with the lowest ROC-AUC
    and the class with the lowest F1.

    Parameters
    ----------
    estimator : fitted classifier
        Must implement ``predict`` and ``predict_proba`` and have ``classes_``
        (a Pipeline or fitted search works too).
    X : array-like
        Samples in the form the estimator accepts.
    y : array-like of shape (n_samples,)
        True labels; all must be among ``estimator.classes_``.
    target_names : array-like of str, default=None
        Display name of each class, in the order of ``classes_``. By default
        ten integer classes 0-9 get the Fashion-MNIST names and other classes
        ``str(label)``.
    top_k_confusions : int, default=5
        How many of the most frequent (true, predicted) mistakes to keep.

    Returns
    -------
    result : EvaluationResult
        The metrics, plus ``y_true``, ``y_pred`` and ``proba`` for plotting.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    ValueError
        If the estimator has no ``predict_proba``, if ``X`` and ``y`` differ in
        length, if ``y`` holds labels unknown to the estimator, or if
        ``target_names`` does not give one unique name per class.

    See Also
    --------
    skfashion.report.write_report : Evaluation, figures and search summary as
        an HTML report.

    Notes
    -----
    A class absent from ``y`` has no ROC-AUC (``None``); the averages then
    cover the classes that have one, weighted by support for
    ``roc_auc_weighted``. Precision of a class that is never predicted is 0.

    Examples
    --------
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.metrics import evaluate
    >>> bunch = load_fashion_mnist_sample()
    >>> X, y = bunch.data, bunch.target
    >>> clf = GaussianNB().fit(X[:600], y[:600])
    >>> result = evaluate(clf, X[600:], y[600:], target_names=bunch.target_names)
    >>> result.n_samples, result.target_names[0]
    (400, 'T-shirt/top')
    >>> 0 <= result.accuracy <= result.top_2_accuracy <= 1
    True
    >>> sorted(result.most_confused[0])
    ['count', 'predicted', 'predicted_name', 'true', 'true_name']
    """
    y, classes = _check_evaluation_input(estimator, X, y)
    names = _check_target_names(target_names, classes)
    proba, y_pred = _predictions(estimator, X, len(y), len(classes))
    scores = _class_scores(y, y_pred, classes, names)
    auc, auc_macro, auc_weighted = _roc_auc(y, proba, classes, scores["support"])
    top_2 = _top_2_accuracy(y, proba, classes)
    per_class = [
        {
            "label": to_jsonable(classes[i]),
            "name": names[i],
            "precision": float(scores["precision"][i]),
            "recall": float(scores["recall"][i]),
            "f1": float(scores["f1"][i]),
            "support": int(scores["support"][i]),
            "roc_auc": auc[i],
        }
        for i in range(len(classes))
    ]
    most_confused = _most_confused(scores["cm"], classes, names, top_k_confusions)
    lowest_auc, worst_f1 = _weakest_classes(classes, names, auc, scores)
    averages = scores["averages"]
    return EvaluationResult(
        estimator_name=type(estimator).__name__,
        n_samples=len(y),
        classes=classes,
        target_names=names,
        accuracy=float(accuracy_score(y, y_pred)),
        balanced_accuracy=float(balanced_accuracy_score(y, y_pred)),
        top_2_accuracy=top_2,
        log_loss=float(log_loss(y, proba, labels=classes)),
        precision_macro=averages["macro"][0],
        recall_macro=averages["macro"][1],
        f1_macro=averages["macro"][2],
        precision_weighted=averages["weighted"][0],
        recall_weighted=averages["weighted"][1],
        f1_weighted=averages["weighted"][2],
        roc_auc_macro=auc_macro,
        roc_auc_weighted=auc_weighted,
        per_class=per_class,
        classification_report=scores["report"],
        classification_report_text=scores["report_text"],
        confusion_matrix=scores["cm"],
        most_confused=most_confused,
        lowest_auc_class=lowest_auc,
        worst_f1_class=worst_f1,
        y_true=y,
        y_pred=y_pred,
        proba=proba,
    )


def _predictions(estimator, X, n_samples, n_classes):
    """``(proba, y_pred)`` of ``estimator`` on ``X``, ``proba`` checked."""
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    if proba.shape != (n_samples, n_classes):
        raise ValueError(
            f"predict_proba returned shape {proba.shape}, expected "
            f"({n_samples}, {n_classes})."
        )
    return proba, np.asarray(estimator.predict(X))


def _class_scores(y, y_pred, labels, names):
    """Per-class and averaged precision/recall/F1, the reports and the matrix.

    ``zero_division=0`` keeps never-predicted classes from flooding
    warnings; their precision is reported as 0.
    """
    precision, recall, f1, support = precision_recall_fscore_support(
        y, y_pred, labels=labels, zero_division=0.0
    )
    averages = {}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            y, y_pred, labels=labels, average=average, zero_division=0.0
        )
        averages[average] = (float(p), float(r), float(f))
    report = classification_report(
        y,
        y_pred,
        labels=labels,
        target_names=names,
        output_dict=True,
        zero_division=0.0,
    )
    report_text = classification_report(
        y, y_pred, labels=labels, target_names=names, digits=4, zero_division=0.0
    )
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": support,
        "averages": averages,
        "report": report,
        "report_text": report_text,
        "cm": confusion_matrix(y, y_pred, labels=labels),
    }


def _roc_auc(y, proba, labels, support):
    """One-vs-rest ROC-AUC of each class (None if undefined), macro, weighted."""
    n_classes = len(labels)
    Y = label_binarize(y, classes=labels)
    if n_classes == 2:
        Y = np.hstack([1 - Y, Y])
    auc = [_auc_or_none(Y[:, i], proba[:, i]) for i in range(n_classes)]
    return (auc, *_auc_averages(y, proba, labels, auc, support))


def _top_2_accuracy(y, proba, labels):
    if len(labels) > 2:
        return float(top_k_accuracy_score(y, proba, k=2, labels=labels))
    return 1.0  # with two classes the truth is always among the top two


def _weakest_classes(labels, names, auc, scores):
    """The class with the lowest ROC-AUC (None if none has one), lowest F1."""
    defined = [i for i in range(len(labels)) if auc[i] is not None]
    lowest_auc = None
    if defined:
        i = min(defined, key=lambda j: auc[j])
        lowest_auc = {
            "label": to_jsonable(labels[i]),
            "name": names[i],
            "roc_auc": auc[i],
        }
    # F1 of classes absent from y is 0 by convention, not a real weakness.
    f1, support = scores["f1"], scores["support"]
    present = [i for i in range(len(labels)) if support[i] > 0]
    i = min(present, key=lambda j: f1[j])
    worst_f1 = {"label": to_jsonable(labels[i]), "name": names[i], "f1": float(f1[i])}
    return lowest_auc, worst_f1


def _auc_averages(y, proba, labels, auc, support):
    if all(a is not None for a in auc):
        if len(labels) == 2:
            value = float(roc_auc_score(y == labels[1], proba[:, 1]))
            return value, value
        return tuple(
            float(
                roc_auc_score(y, proba, multi_class="ovr", average=avg, labels=labels)
            )
            for avg in ("macro", "weighted")
        )
    defined = [i for i, a in enumerate(auc) if a is not None]
    if not defined:
        return None, None
    values = np.array([auc[i] for i in defined])
    weights = np.asarray(support)[defined]
    return float(values.mean()), float(np.average(values, weights=weights))


def _most_confused(cm, labels, names, top):
    off = cm.copy()
    np.fill_diagonal(off, 0)
    true_idx, pred_idx = np.nonzero(off)
    counts = off[true_idx, pred_idx]
    # Stable sort on -count keeps ties in (true, predicted) order.
    order = np.argsort(-counts, kind="stable")[:top]
    return [
        {
            "true": to_jsonable(labels[true_idx[k]]),
            "true_name": names[true_idx[k]],
            "predicted": to_jsonable(labels[pred_idx[k]]),
            "predicted_name": names[pred_idx[k]],
            "count": int(counts[k]),
        }
        for k in order
    ]
