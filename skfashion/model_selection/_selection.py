"""Which candidate a search keeps: the best, or the defaults unless beaten clearly.

The standard error of the difference between two candidates' scores on a
search's own folds serves both :func:`tuning_gain` (did tuning pay?) and
the ``defaults_margin`` rule of :class:`HalvingEpochsSearchCV` (keep the
defaults unless a challenger beats them by more than a number of standard
errors): one computation, so that the report and the choice agree.
"""

import math

import numpy as np


def _n_split_columns(results, score_name):
    """Splits of a search, counted from its ``split<k>_test_<name>`` columns."""
    k = 0
    while f"split{k}_test_{score_name}" in results:
        k += 1
    return k


def difference_se(results, score_name, a, b, *, n_holdout=None):
    """Standard error of ``score[a] - score[b]`` and how it was computed.

    Parameters
    ----------
    results : dict
        A search's ``cv_results_`` (or the results it is building).
    score_name : str
        The score, held as ``mean_test_<score_name>`` and
        ``split<k>_test_<score_name>``.
    a, b : int
        Rows of the two candidates, scored on the same folds.
    n_holdout : int or None, default=None
        Images of the holdout of a one-split search.

    Returns
    -------
    se : float or None
        For k-fold CV the standard error of the per-fold differences,
        ``std(d, ddof=1) / sqrt(k)``; for a holdout the binomial
        approximation ``sqrt(p1 (1 - p1) / n + p2 (1 - p2) / n)``; None
        for a holdout of unknown size.
    how : str
        One phrase on the method.
    """
    k = _n_split_columns(results, score_name)
    if k > 1:
        folds = [np.asarray(results[f"split{j}_test_{score_name}"]) for j in range(k)]
        diffs = np.array([float(f[a]) - float(f[b]) for f in folds])
        return float(np.std(diffs, ddof=1) / math.sqrt(k)), (
            f"standard error of the {k} per-fold differences"
        )
    if not n_holdout:
        return None, "unknown: the holdout's size is not recorded"
    means = np.asarray(results[f"mean_test_{score_name}"], dtype=float)
    p = np.clip(means[[a, b]], 0.0, 1.0)
    var = float(np.sum(p * (1 - p)))
    return float(math.sqrt(var / n_holdout)), (
        f"approximation: binomial SE sqrt(p(1-p)/n) of each score on the "
        f"holdout of {n_holdout} images, combined as sqrt(se1^2 + se2^2) "
        "(as if the two were independent and the score an accuracy)"
    )


def keep_defaults_unless_beaten(
    results, score_name, best, defaults, margin, *, n_holdout=None
):
    """The row a search keeps under the ``defaults_margin`` rule.

    The best candidate replaces the defaults only if its score exceeds
    theirs by more than ``margin`` standard errors of the difference
    (:func:`difference_se`).

    Parameters
    ----------
    results : dict
        A search's ``cv_results_``.
    score_name : str
        The ranking score (``mean_test_<score_name>``).
    best : int
        Row of the best-scoring candidate.
    defaults : int
        Row of the defaults candidate, scored at the same budget.
    margin : float
        Standard errors a challenger must win by.
    n_holdout : int or None, default=None
        Images of the holdout of a one-split search.

    Returns
    -------
    row : int
        ``best`` or ``defaults``.
    kept : bool
        True when the rule kept the defaults over a ``best`` that scored
        higher. A failed defaults fit (NaN score), or a standard error that
        cannot be computed, leaves ``best``.
    """
    if best == defaults:
        return best, False
    scores = np.asarray(results[f"mean_test_{score_name}"], dtype=float)
    if np.isnan(scores[defaults]):
        return best, False
    se, _ = difference_se(results, score_name, best, defaults, n_holdout=n_holdout)
    if se is None or scores[best] - scores[defaults] > margin * se:
        return best, False
    return defaults, True
