"""One-vs-rest ROC and precision-recall curves of all classes in one axes."""

import numpy as np
from sklearn.metrics import PrecisionRecallDisplay, RocCurveDisplay
from sklearn.utils import check_array
from sklearn.utils.validation import column_or_1d

from ._evaluate import _check_evaluation_input, _check_target_names

__all__ = ["OneVsRestCurvesDisplay"]

_KINDS = ("roc", "precision_recall")


class OneVsRestCurvesDisplay:
    """ROC or precision-recall curves of every class against the rest.

    Each class's curve treats that class as positive and all others as
    negative; its ROC-AUC or average precision (AP) is shown in the legend.
    Classes without positive or without negative samples in ``y_true`` are
    left out. Build it with :meth:`from_estimator` or
    :meth:`from_predictions`, as scikit-learn's displays.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, one column per class of ``classes``.
    classes : array-like of shape (n_classes,)
        Class of each column of ``proba``.
    target_names : array-like of str, default=None
        Class names in the order of ``classes``; by default the labels.
    kind : {"roc", "precision_recall"}, default="roc"
        Which curves.

    Attributes
    ----------
    curves_ : list of :class:`~sklearn.metrics.RocCurveDisplay` or \
:class:`~sklearn.metrics.PrecisionRecallDisplay`
        One display per drawn class, all sharing ``ax_``.
    ax_ : matplotlib Axes
        The axes of the curves.
    figure_ : matplotlib Figure
        The figure holding ``ax_``.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from skfashion.metrics import OneVsRestCurvesDisplay
    >>> y = np.array(["a", "b", "c", "a", "b", "c"])
    >>> proba = np.array([[.8, .1, .1], [.2, .7, .1], [.1, .3, .6],
    ...                   [.5, .4, .1], [.3, .3, .4], [.2, .2, .6]])
    >>> display = OneVsRestCurvesDisplay.from_predictions(
    ...     y, proba, ax=Figure().subplots())
    >>> [d.line_.get_label() for d in display.curves_]
    ['a (AUC = 1.000)', 'b (AUC = 0.812)', 'c (AUC = 1.000)']
    >>> display = OneVsRestCurvesDisplay.from_predictions(
    ...     y, proba, kind="precision_recall", ax=Figure().subplots())
    >>> [round(d.average_precision, 3) for d in display.curves_]
    [1.0, 0.75, 1.0]
    """

    def __init__(self, y_true, proba, *, classes, target_names=None, kind="roc"):
        self.y_true = y_true
        self.proba = proba
        self.classes = classes
        self.target_names = target_names
        self.kind = kind

    @classmethod
    def from_estimator(cls, estimator, X, y, *, kind="roc", target_names=None, ax=None):
        """Plot the curves of a fitted classifier on ``X``, ``y``.

        Parameters
        ----------
        estimator : fitted classifier
            Any classifier with ``predict_proba`` and ``classes_``.
        X : array-like
            Samples.
        y : array-like of shape (n_samples,)
            True labels.
        kind : {"roc", "precision_recall"}, default="roc"
            Which curves.
        target_names : array-like of str, default=None
            Class names in the order of ``estimator.classes_``.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.

        Returns
        -------
        display : OneVsRestCurvesDisplay
            The display, plotted.
        """
        _check_kind(kind)
        y_true, classes = _check_evaluation_input(estimator, X, y)
        return cls.from_predictions(
            y_true,
            estimator.predict_proba(X),
            classes=classes,
            kind=kind,
            target_names=target_names,
            ax=ax,
        )

    @classmethod
    def from_predictions(
        cls, y_true, proba, *, classes=None, kind="roc", target_names=None, ax=None
    ):
        """Plot the curves of predicted probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        proba : array-like of shape (n_samples, n_classes)
            Predicted probabilities, e.g. ``estimator.predict_proba(X)`` or
            an :func:`evaluate` result's ``proba``.
        classes : array-like of shape (n_classes,), default=None
            Class of each column of ``proba``, e.g. ``estimator.classes_``;
            ``np.unique(y_true)`` by default.
        kind : {"roc", "precision_recall"}, default="roc"
            Which curves.
        target_names : array-like of str, default=None
            Class names in the order of ``classes``.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.

        Returns
        -------
        display : OneVsRestCurvesDisplay
            The display, plotted.
        """
        _check_kind(kind)
        y_true, proba, classes = _ovr_inputs(y_true, proba, classes)
        display = cls(
            y_true, proba, classes=classes, target_names=target_names, kind=kind
        )
        return display.plot(ax=ax)

    def plot(self, *, ax=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.

        Returns
        -------
        display : OneVsRestCurvesDisplay
            ``self``, with ``curves_``, ``ax_`` and ``figure_``.
        """
        _check_kind(self.kind)
        y_true, proba, classes = _ovr_inputs(self.y_true, self.proba, self.classes)
        names = _check_target_names(self.target_names, classes)
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(6.5, 6))
        # A curve needs both positives and negatives of the class.
        counts = [int(np.sum(y_true == label)) for label in classes]
        drawable = [i for i, c in enumerate(counts) if 0 < c < len(y_true)]
        if not drawable:
            raise ValueError(
                "no class has both positive and negative samples in y_true, so "
                "no one-vs-rest curve can be drawn."
            )
        curves = []
        for i in drawable:
            positive = y_true == classes[i]
            if self.kind == "roc":
                curve = RocCurveDisplay.from_predictions(
                    positive,
                    proba[:, i],
                    name=names[i],
                    ax=ax,
                    plot_chance_level=i == drawable[-1],
                )
                curve.line_.set_label(f"{names[i]} (AUC = {curve.roc_auc:.3f})")
            else:
                curve = PrecisionRecallDisplay.from_predictions(
                    positive, proba[:, i], name=names[i], ax=ax
                )
                curve.line_.set_label(
                    f"{names[i]} (AP = {curve.average_precision:.3f})"
                )
            curves.append(curve)
        # scikit-learn labels the axes "(Positive label: True)"; one-vs-rest
        # curves each have their own positive class, named in the legend.
        if self.kind == "roc":
            ax.set_xlabel("False positive rate")
            ax.set_ylabel("True positive rate")
            ax.set_title("ROC curves, one-vs-rest")
            ax.legend(loc="lower right", fontsize="small")
        else:
            ax.set_xlabel("Recall")
            ax.set_ylabel("Precision")
            ax.set_title("Precision-recall curves, one-vs-rest")
            ax.legend(loc="lower left", fontsize="small")
        self.curves_ = curves
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


def _check_kind(kind):
    if kind not in _KINDS:
        raise ValueError(
            f"kind must be one of {', '.join(map(repr, _KINDS))}, got {kind!r}."
        )


def _ovr_inputs(y_true, proba, classes):
    """Checked ``(y_true, proba, classes)`` arrays."""
    if proba is None:
        raise ValueError("one-vs-rest curves need proba together with y_true.")
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
    return y_true, proba, classes
