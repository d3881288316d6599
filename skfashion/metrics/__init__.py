"""Evaluation of fitted classifiers: metrics and figures.

The HTML report is in :mod:`skfashion.report`; ``skfashion.metrics.write_report``
and ``skfashion.metrics.report_files`` remain importable as aliases of
:func:`skfashion.report.write_report` and :func:`skfashion.report.report_files`.
They are imported on first use, so that importing :mod:`skfashion.metrics`
does not import :mod:`skfashion.model_selection`.
"""

from ._displays import MisclassifiedImagesDisplay, TrainingCurvesDisplay
from ._evaluate import (
    EvaluationResult,
    default_target_names,
    evaluate,
)
from ._figures import OneVsRestCurvesDisplay

__all__ = [
    "EvaluationResult",
    "MisclassifiedImagesDisplay",
    "OneVsRestCurvesDisplay",
    "TrainingCurvesDisplay",
    "default_target_names",
    "evaluate",
]

#: Names kept here for compatibility, each an alias of the same name in
#: :mod:`skfashion.report`.
_REPORT_ALIASES = ("report_files", "write_report")


def __getattr__(name):
    """Aliases of :mod:`skfashion.report`'s functions, imported on first use."""
    if name in _REPORT_ALIASES:
        from .. import report

        return getattr(report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_REPORT_ALIASES])
