"""The report's figures, drawn with skfashion's and scikit-learn's displays."""

import io
import math

import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay

from ..metrics import (
    MisclassifiedImagesDisplay,
    OneVsRestCurvesDisplay,
    TrainingCurvesDisplay,
)
from ..metrics._displays import _find_attribute, _to_images
from ..model_selection import SearchScoresDisplay

_DPI = 100

#: Every figure file a report may hold; which ones it has depends on the
#: estimator, the data and the search.
FIGURE_FILES = (
    "confusion_matrix.png",
    "confusion_matrix_normalized.png",
    "roc_ovr.png",
    "precision_recall_ovr.png",
    "training_curves.png",
    "misclassified.png",
    "search_scores.png",
)


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()


def _figure(figsize, nrows=1, ncols=1):
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def make_figures(estimator, X, result, search):
    """All report figures as ``[(file name, caption, PNG bytes)]``."""
    return [
        *_confusion_figures(result),
        *_curve_figures(result),
        *_training_curves_figure(estimator),
        *_misclassified_figure(estimator, X, result),
        *_search_figure(search),
    ]


def _confusion_figures(result):
    """The confusion matrix, in counts and normalised over true classes."""
    figures = []
    for normalize, stem, caption in (
        (None, "confusion_matrix", "Confusion matrix (counts)."),
        (
            "true",
            "confusion_matrix_normalized",
            "Confusion matrix normalised over true classes (rows sum to 1).",
        ),
    ):
        fig, ax = _figure((7.5, 6.5))
        ax = ax[0, 0]
        ConfusionMatrixDisplay.from_predictions(
            result.y_true,
            result.y_pred,
            labels=result.classes,
            normalize=normalize,
            display_labels=result.target_names,
            ax=ax,
            cmap="Blues",
            values_format="d" if normalize is None else ".2f",
            xticks_rotation=45,
        )
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
        ax.set_title(caption.rstrip("."))
        figures.append((f"{stem}.png", caption, _png(fig)))
    return figures


def _curve_figures(result):
    """The one-vs-rest ROC and precision-recall curves."""
    figures = []
    for kind, stem, caption in (
        ("roc", "roc_ovr", "One-vs-rest ROC curves with ROC-AUC."),
        (
            "precision_recall",
            "precision_recall_ovr",
            "One-vs-rest precision-recall curves with average precision (AP).",
        ),
    ):
        fig, ax = _figure((7, 6.5))
        OneVsRestCurvesDisplay.from_predictions(
            result.y_true,
            result.proba,
            classes=result.classes,
            target_names=result.target_names,
            kind=kind,
            ax=ax[0, 0],
        )
        figures.append((f"{stem}.png", caption, _png(fig)))
    return figures


def _training_curves_figure(estimator):
    """The loss and accuracy per epoch, when the estimator has a history."""
    history = _find_attribute(estimator, "history_")
    metrics = [m for m in ("loss", "accuracy") if history and m in history]
    if not metrics:
        return []
    display = TrainingCurvesDisplay(history, metrics=metrics)
    fig, ax = _figure((5 * len(metrics), 3.8), 1, len(metrics))
    display.plot(ax=ax.ravel())
    validated = any(f"val_{m}" in history for m in metrics)
    caption = (
        "Training curves: "
        + " and ".join(metrics)
        + " per epoch, "
        + ("training vs validation." if validated else "on the training data.")
    )
    return [("training_curves.png", caption, _png(fig))]


def _misclassified_figure(estimator, X, result):
    """The most confident mistakes, when ``X`` holds images."""
    image_shape = None
    if np.ndim(X) == 2:
        image_shape = _find_attribute(estimator, "image_shape_")
    try:
        _to_images(X[:1], image_shape)
    except ValueError:
        return []  # not image data: no image grid
    n_wrong = int(np.sum(result.y_true != result.y_pred))
    n_images = min(16, n_wrong)
    n_cols = max(1, min(8, n_images))
    n_rows = max(1, math.ceil(n_images / n_cols))
    fig, ax = _figure((1.9 * n_cols, 2.2 * n_rows), n_rows, n_cols)
    MisclassifiedImagesDisplay.from_predictions(
        X,
        result.y_true,
        result.y_pred,
        result.proba,
        classes=result.classes,
        target_names=result.target_names,
        n_images=n_images,
        image_shape=image_shape,
        ax=ax,
    )
    caption = (
        f"The {n_images} most confident mistakes (of {n_wrong}): true and "
        "predicted class, with the predicted probability."
    )
    return [("misclassified.png", caption, _png(fig))]


def _search_figure(search):
    """The search candidates' scores against each searched parameter."""
    params = [] if search is None else _searched_params(search)
    if not params:
        return []
    n_cols = min(len(params), 3)
    n_rows = math.ceil(len(params) / n_cols)
    fig, ax = _figure((4.2 * n_cols, 3.4 * n_rows), n_rows, n_cols)
    SearchScoresDisplay.from_estimator(search, ax=ax)
    caption = (
        "Mean test score of each search candidate against each searched "
        "parameter; the star marks the chosen candidate."
    )
    return [("search_scores.png", caption, _png(fig))]


def _searched_params(search):
    return [k for k in search.cv_results_ if k.startswith("param_")]


# ---------------------------------------------------------------------- write
