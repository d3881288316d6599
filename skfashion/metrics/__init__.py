"""Evaluation of fitted classifiers: metrics, figures and HTML reports."""

from ._displays import MisclassifiedImagesDisplay, TrainingCurvesDisplay
from ._evaluate import (
    EvaluationResult,
    default_target_names,
    evaluate,
)
from ._figures import OneVsRestCurvesDisplay
from ._report import report_files, write_report

__all__ = [
    "EvaluationResult",
    "MisclassifiedImagesDisplay",
    "OneVsRestCurvesDisplay",
    "TrainingCurvesDisplay",
    "default_target_names",
    "evaluate",
    "report_files",
    "write_report",
]
