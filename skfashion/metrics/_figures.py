"""Confusion matrix and one-vs-rest ROC / precision-recall figures."""

from numbers import Real

import numpy as np
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
)
from sklearn.utils import check_array
from sklearn.utils._param_validation import StrOptions, validate_params
from sklearn.utils.validation import column_or_1d

from ._evaluate import EvaluationResult, _check_evaluation_input, _check_target_names

__all__ = ["plot_confusion_matrix", "plot_precision_recall_ovr", "plot_roc_ovr"]

_NORMALIZE_TITLES = {
    None: "Confusion matrix (counts)",
    "true": "Confusion matrix (normalised over true classes)",
    "pred": "Confusion matrix (normalised over predicted classes)",
    "all": "Confusion matrix (normalised over all samples)",
}


def _new_axes(ax, figsize):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


@validate_params(
    {
        "result_or_estimator": "no_validation",
        "X": ["array-like", None],
        "y": ["array-like", None],
        "normalize": [StrOptions({"true", "pred", "all"}), None],
        "target_names": ["array-like", None],
        "ax": "no_validation",
        "colorbar": ["boolean"],
        "cmap": "no_validation",
        "values_format": [str, None],
        "xticks_rotation": [StrOptions({"vertical", "horizontal"}), Real],
    },
    prefer_skip_nested_validation=True,
)
def plot_confusion_matrix(
    result_or_estimator,
    X=None,
    y=None,
    *,
    normalize=None,
    target_names=None,
    ax=None,
    colorbar=True,
    cmap="Blues",
    values_format=None,
    xticks_rotation=45,
):
    """Plot the confusion matrix of an evaluation or a fitted classifier.

    Parameters
    ----------
    result_or_estimator : EvaluationResult or fitted classifier
        An :func:`evaluate` result, or a classifier to run on ``X``.
    X : array-like, default=None
        Samples; required with an estimator, not allowed with a result.
    y : array-like of shape (n_samples,), default=None
        True labels; required with an estimator, not allowed with a result.
    normalize : {"true", "pred", "all"} or None, default=None
        None plots counts; "true" divides each row by the size of its true
        class (the per-class recall on the diagonal), see
        :func:`sklearn.metrics.confusion_matrix`.
    target_names : array-like of str, default=None
        Class names in the order of ``classes_``; by default the result's
        names, or those of :func:`default_target_names`.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure is made when None.
    colorbar : bool, default=True
        Whether to add a colour bar.
    cmap : str or matplotlib Colormap, default="Blues"
        Colour map.
    values_format : str, default=None
        Format of the cell values; "d" for counts and ".2f" for rates by
        default.
    xticks_rotation : {"vertical", "horizontal"} or float, default=45
        Rotation of the predicted-class labels.

    Returns
    -------
    display : :class:`~sklearn.metrics.ConfusionMatrixDisplay`
        The display, with ``ax_`` and ``figure_``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.metrics import evaluate, plot_confusion_matrix
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> result = evaluate(GaussianNB().fit(X[:600], y[:600]), X[600:], y[600:])
    >>> disp = plot_confusion_matrix(result, normalize="true",
    ...                              ax=Figure().subplots())
    >>> disp.confusion_matrix.shape
    (10, 10)
    """
    if isinstance(result_or_estimator, EvaluationResult):
        if X is not None or y is not None:
            raise ValueError(
                "X and y must be None when plotting an EvaluationResult; it "
                "already holds the predictions."
            )
        result = result_or_estimator
        y_true, y_pred, classes = result.y_true, result.y_pred, result.classes
        names = result.target_names if target_names is None else target_names
    else:
        if X is None or y is None:
            raise ValueError(
                "plot_confusion_matrix needs X and y together with an estimator."
            )
        y_true, classes = _check_evaluation_input(
            result_or_estimator, X, y, need_proba=False
        )
        y_pred = result_or_estimator.predict(X)
        names = target_names
    names = _check_target_names(names, classes)
    if values_format is None:
        values_format = "d" if normalize is None else ".2f"
    ax = _new_axes(ax, (7, 6))
    display = ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=classes,
        normalize=normalize,
        display_labels=names,
        ax=ax,
        colorbar=colorbar,
        cmap=cmap,
        values_format=values_format,
        xticks_rotation=xticks_rotation,
    )
    if not isinstance(xticks_rotation, str) and xticks_rotation % 180:
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    ax.set_title(_NORMALIZE_TITLES[normalize])
    return display


_OVR_PARAMETERS = """Parameters
    ----------
    y_true : array-like of shape (n_samples,) or EvaluationResult
        True labels, or an :func:`evaluate` result holding labels and
        probabilities (then ``proba`` and ``classes`` must be None).
    proba : array-like of shape (n_samples, n_classes), default=None
        Predicted probabilities, e.g. ``estimator.predict_proba(X)``.
    classes : array-like of shape (n_classes,), default=None
        Class of each column of ``proba``, e.g. ``estimator.classes_``;
        ``np.unique(y_true)`` by default.
    target_names : array-like of str, default=None
        Class names in the order of ``classes``.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure is made when None."""


def _ovr_doc(func):
    """Insert the parameter section shared by the one-vs-rest plots."""
    if func.__doc__ is not None:  # python -OO strips docstrings
        func.__doc__ = func.__doc__.replace("{ovr_parameters}", _OVR_PARAMETERS)
    return func


def _ovr_inputs(y_true, proba, classes, target_names, func_name):
    """Resolve ``(y_true, proba, classes, names)`` from a result or arrays."""
    if isinstance(y_true, EvaluationResult):
        if proba is not None or classes is not None:
            raise ValueError(
                f"{func_name}: proba and classes must be None when plotting an "
                "EvaluationResult; it already holds them."
            )
        result = y_true
        names = result.target_names if target_names is None else target_names
        return result.y_true, result.proba, result.classes, names
    if proba is None:
        raise ValueError(f"{func_name} needs proba together with y_true.")
    y_true = column_or_1d(np.asarray(y_true))
    proba = check_array(proba, ensure_2d=True, dtype=np.float64)
    if len(y_true) != len(proba):
        raise ValueError(
            f"y_true and proba have inconsistent numbers of samples: "
            f"{len(y_true)} and {len(proba)}."
        )
    classes = np.unique(y_true) if classes is None else np.asarray(classes)
    if proba.shape[1] != len(classes):
        raise ValueError(
            f"proba has {proba.shape[1]} columns but there are {len(classes)} "
            "classes; pass classes=estimator.classes_ (one per column)."
        )
    return y_true, proba, classes, target_names


def _plot_ovr(kind, y_true, proba, classes, target_names, ax, func_name):
    y_true, proba, classes, names = _ovr_inputs(
        y_true, proba, classes, target_names, func_name
    )
    names = _check_target_names(names, classes)
    ax = _new_axes(ax, (6.5, 6))
    # A curve needs both positives and negatives of the class.
    counts = [int(np.sum(y_true == label)) for label in classes]
    drawable = [i for i, c in enumerate(counts) if 0 < c < len(y_true)]
    displays = []
    for i in drawable:
        positive = y_true == classes[i]
        if kind == "roc":
            display = RocCurveDisplay.from_predictions(
                positive,
                proba[:, i],
                name=names[i],
                ax=ax,
                plot_chance_level=i == drawable[-1],
            )
            display.line_.set_label(f"{names[i]} (AUC = {display.roc_auc:.3f})")
        else:
            display = PrecisionRecallDisplay.from_predictions(
                positive, proba[:, i], name=names[i], ax=ax
            )
            display.line_.set_label(
                f"{names[i]} (AP = {display.average_precision:.3f})"
            )
        displays.append(display)
    if not displays:
        raise ValueError(
            f"{func_name}: no class has both positive and negative samples in "
            "y_true, so no curve can be drawn."
        )
    # scikit-learn labels the axes "(Positive label: True)"; one-vs-rest
    # curves each have their own positive class, named in the legend.
    if kind == "roc":
        ax.set_xlabel("False positive rate")
        ax.set_ylabel("True positive rate")
        ax.set_title("ROC curves, one-vs-rest")
        ax.legend(loc="lower right", fontsize="small")
    else:
        ax.set_xlabel("Recall")
        ax.set_ylabel("Precision")
        ax.set_title("Precision-recall curves, one-vs-rest")
        ax.legend(loc="lower left", fontsize="small")
    return displays


_OVR_PARAMS = {
    "y_true": "no_validation",
    "proba": ["array-like", None],
    "classes": ["array-like", None],
    "target_names": ["array-like", None],
    "ax": "no_validation",
}


@validate_params(_OVR_PARAMS, prefer_skip_nested_validation=True)
@_ovr_doc
def plot_roc_ovr(y_true, proba=None, *, classes=None, target_names=None, ax=None):
    """Plot one-vs-rest ROC curves of all classes in one axes.

    Each class's curve treats that class as positive and all others as
    negative; its ROC-AUC is shown in the legend. Classes without positive
    or without negative samples in ``y_true`` are left out.

    {ovr_parameters}

    Returns
    -------
    displays : list of :class:`~sklearn.metrics.RocCurveDisplay`
        One display per drawn class, all sharing one ``ax_``.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from skfashion.metrics import plot_roc_ovr
    >>> y = np.array(["a", "b", "c", "a", "b", "c"])
    >>> proba = np.array([[.8, .1, .1], [.2, .7, .1], [.1, .3, .6],
    ...                   [.5, .4, .1], [.3, .3, .4], [.2, .2, .6]])
    >>> displays = plot_roc_ovr(y, proba, ax=Figure().subplots())
    >>> [d.line_.get_label() for d in displays]
    ['a (AUC = 1.000)', 'b (AUC = 0.812)', 'c (AUC = 1.000)']
    """
    return _plot_ovr("roc", y_true, proba, classes, target_names, ax, "plot_roc_ovr")


@validate_params(_OVR_PARAMS, prefer_skip_nested_validation=True)
@_ovr_doc
def plot_precision_recall_ovr(
    y_true, proba=None, *, classes=None, target_names=None, ax=None
):
    """Plot one-vs-rest precision-recall curves of all classes in one axes.

    Each class's legend entry shows its average precision (AP). Classes
    without positive or without negative samples in ``y_true`` are left out.

    {ovr_parameters}

    Returns
    -------
    displays : list of :class:`~sklearn.metrics.PrecisionRecallDisplay`
        One display per drawn class, all sharing one ``ax_``.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from skfashion.metrics import plot_precision_recall_ovr
    >>> y = np.array([0, 1, 0, 1])
    >>> proba = np.array([[.9, .1], [.4, .6], [.3, .7], [.2, .8]])
    >>> displays = plot_precision_recall_ovr(y, proba, ax=Figure().subplots())
    >>> [round(d.average_precision, 3) for d in displays]
    [0.833, 0.833]
    """
    return _plot_ovr(
        "pr", y_true, proba, classes, target_names, ax, "plot_precision_recall_ovr"
    )
