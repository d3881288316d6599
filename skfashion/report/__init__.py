"""HTML evaluation reports of fitted classifiers, with figures and search summaries.

The report draws on :mod:`skfashion.metrics` (the evaluation and its
figures) and :mod:`skfashion.model_selection` (the search summaries), so it
lives in its own package above both.
"""

from ._report import report_files, write_report

__all__ = [
    "report_files",
    "write_report",
]
