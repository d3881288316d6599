"""Evaluation of fitted classifiers: metrics, figures and HTML reports."""

from ._displays import MisclassifiedImagesDisplay, TrainingCurvesDisplay
from ._evaluate import (
    EvaluationResult,
    default_target_names,
    evaluate,
)
from ._figures import plot_confusion_matrix, plot_precision_recall_ovr, plot_roc_ovr
from ._report import report_files, write_report

__all__ = [
    "EvaluationResult",
    "MisclassifiedImagesDisplay",
    "TrainingCurvesDisplay",
    "default_target_names",
    "evaluate",
    "plot_confusion_matrix",
    "plot_precision_recall_ovr",
    "plot_roc_ovr",
    "report_files",
    "write_report",
]
