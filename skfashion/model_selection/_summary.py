"""Readable summaries of a fitted search's ``cv_results_``."""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._sklearn_privates import HasMethods, Interval, validate_params
from ..utils import to_jsonable
from ._selection import difference_se


def ranking_score_name(search):
    """Name of the score that ranks a fitted search's candidates.

    Parameters
    ----------
    search : fitted BaseSearchCV
        Any scikit-learn or skfashion searcher.

    Returns
    -------
    name : str
        ``"score"`` for a single metric, else the scorer named by ``refit``;
        ``cv_results_`` holds it as ``mean_test_<name>``.

    Raises
    ------
    ValueError
        When neither exists (multi-metric scoring with ``refit=False``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skfashion.model_selection import ranking_score_name
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GridSearchCV(
    ...     LogisticRegression(max_iter=500), {"C": [0.1, 1.0]},
    ...     scoring=["accuracy", "f1_macro"], refit="f1_macro",
    ... ).fit(X, y)
    >>> ranking_score_name(search)
    'f1_macro'
    """
    check_is_fitted(search, "cv_results_")
    results = search.cv_results_
    if "rank_test_score" in results:
        return "score"
    refit = getattr(search, "refit", None)
    if isinstance(refit, str) and f"rank_test_{refit}" in results:
        return refit
    raise ValueError(
        "Cannot tell which score ranks the candidates: cv_results_ has no "
        "rank_test_score and the search's refit is not a scorer name."
    )


def _candidate_order(results, suffix):
    ranks = np.asarray(results[f"rank_test_{suffix}"])
    n = len(ranks)
    iters = np.asarray(results.get("iter", np.zeros(n, dtype=int)))
    # Successive halving ranks all iterations together, but early iterations
    # ran on fewer resources; later iterations come first, like best_index_.
    return np.lexsort((np.arange(n), ranks, -iters))


@validate_params(
    {
        "search": [HasMethods(["fit"])],
        "top": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def search_results_table(search, *, top=10):
    """Summarise the best candidates of a fitted hyper-parameter search.

    Parameters
    ----------
    search : fitted BaseSearchCV
        E.g. :class:`~sklearn.model_selection.GridSearchCV`,
        :class:`~sklearn.model_selection.RandomizedSearchCV` or a halving
        search. Multi-metric searches are ranked by their ``refit`` scorer.
    top : int, default=10
        Number of candidates to keep.

    Returns
    -------
    rows : list of dict
        Best candidates first, each with ``rank``, ``mean_test_score``,
        ``std_test_score``, ``mean_fit_time`` and ``params``, plus ``iter``
        and ``n_resources`` for successive-halving searches (whose later
        iterations come first). JSON-safe; failed fits have ``None`` scores.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.model_selection import search_results_table
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> search = GridSearchCV(GaussianNB(), {"var_smoothing": [1e-9, 1e-1]},
    ...                       cv=2).fit(X[:300], y[:300])
    >>> rows = search_results_table(search, top=1)
    >>> rows[0]["rank"], sorted(rows[0])
    (1, ['mean_fit_time', 'mean_test_score', 'params', 'rank', 'std_test_score'])
    """
    check_is_fitted(search, "cv_results_")
    results = search.cv_results_
    suffix = ranking_score_name(search)
    rows = []
    for i in _candidate_order(results, suffix)[:top]:
        row = {
            "rank": int(results[f"rank_test_{suffix}"][i]),
            "mean_test_score": to_jsonable(results[f"mean_test_{suffix}"][i]),
            "std_test_score": to_jsonable(results[f"std_test_{suffix}"][i]),
            "mean_fit_time": to_jsonable(results["mean_fit_time"][i]),
        }
        for key in ("iter", "n_resources"):
            if key in results:
                row[key] = to_jsonable(results[key][i])
        row["params"] = to_jsonable(results["params"][i])
        rows.append(row)
    return rows


def _is_number(value):
    return isinstance(value, (Real, np.number)) and not isinstance(
        value, (bool, np.bool_)
    )


def _shorten(text, width=24):
    return text if len(text) <= width else text[: width - 1] + "\u2026"


class SearchScoresDisplay:
    """Mean test score of each search candidate against each searched parameter.

    One subplot per parameter: numeric parameters spanning more than a
    decade get a log axis, others are shown as categories; the candidates of
    each rung of a halving search get their own colour, and the chosen
    candidate is starred. Build it with :meth:`from_estimator`.

    Parameters
    ----------
    cv_results : dict
        A fitted search's ``cv_results_``.
    score_name : str
        The ranking score; ``cv_results`` holds it as
        ``mean_test_<score_name>`` (see :func:`ranking_score_name`).
    best_index : int or None, default=None
        Row of the chosen candidate, starred when given.
    resource : str, default="resources"
        Name of the resource of a halving search's rungs, for the legend.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        One axes per searched parameter (extra axes are switched off).
    figure_ : matplotlib Figure
        The figure holding ``axes_``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.model_selection import SearchScoresDisplay
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> search = GridSearchCV(
    ...     GaussianNB(), {"var_smoothing": [1e-9, 1e-5, 1e-1]}, cv=2).fit(X, y)
    >>> display = SearchScoresDisplay.from_estimator(search)
    >>> display.axes_[0].get_xscale()
    'log'
    """

    def __init__(self, cv_results, *, score_name, best_index=None, resource=None):
        self.cv_results = cv_results
        self.score_name = score_name
        self.best_index = best_index
        self.resource = resource

    @classmethod
    def from_estimator(cls, search, *, ax=None):
        """Plot the scores of a fitted search.

        Parameters
        ----------
        search : fitted BaseSearchCV
            Random, grid or halving search, scikit-learn's or skfashion's.
        ax : array-like of matplotlib Axes, default=None
            At least one axes per searched parameter; a new figure is made
            when None.

        Returns
        -------
        display : SearchScoresDisplay
            The display, plotted.

        Raises
        ------
        ValueError
            When the search has no searched parameter.
        """
        check_is_fitted(search, "cv_results_")
        display = cls(
            search.cv_results_,
            score_name=ranking_score_name(search),
            best_index=getattr(search, "best_index_", None),
            resource=getattr(search, "resource", None),
        )
        return display.plot(ax=ax)

    def plot(self, *, ax=None):
        """Draw the scores.

        Parameters
        ----------
        ax : array-like of matplotlib Axes, default=None
            At least one axes per searched parameter; a new figure is made
            when None.

        Returns
        -------
        display : SearchScoresDisplay
            ``self``, with ``axes_`` and ``figure_``.
        """
        results = self.cv_results
        suffix = self.score_name
        names = [k[len("param_") :] for k in results if k.startswith("param_")]
        if not names:
            raise ValueError(
                "the search has no searched parameter (cv_results has no "
                "param_* column), so there is no score to plot against one."
            )
        if ax is None:
            import matplotlib.pyplot as plt

            n_cols = min(len(names), 3)
            n_rows = math.ceil(len(names) / n_cols)
            fig, ax = plt.subplots(
                n_rows,
                n_cols,
                squeeze=False,
                figsize=(4.2 * n_cols, 3.4 * n_rows),
                layout="constrained",
            )
        axes = np.asarray(ax, dtype=object).ravel()
        if len(axes) < len(names):
            raise ValueError(
                f"ax has {len(axes)} axes but the search has {len(names)} "
                "searched parameters; give one axes per parameter or ax=None."
            )
        scores = np.asarray(results[f"mean_test_{suffix}"], dtype=np.float64)
        n = len(scores)
        iters = np.asarray(results.get("iter", np.zeros(n, dtype=int)))
        best = self.best_index
        for axis, name in zip(axes, names, strict=False):
            _plot_parameter(axis, results, name, scores, iters, best, self.resource)
            axis.set_ylabel(f"mean test {suffix}")
        axes[0].legend(fontsize="x-small")
        for axis in axes[len(names) :]:
            axis.set_axis_off()
        self.axes_ = axes
        self.figure_ = axes[0].figure
        self.figure_.suptitle(
            "Mean cross-validated score against each searched parameter"
        )
        return self


def _plot_parameter(ax, results, name, scores, iters, best, resource):
    """Scatter the scores against parameter ``name`` on ``ax``."""
    column = results[f"param_{name}"]
    mask = np.ma.getmaskarray(column) | np.isnan(scores)
    values = [v for v, m in zip(np.ma.getdata(column), mask, strict=True) if not m]
    keep = np.flatnonzero(~mask)
    numeric = bool(values) and all(_is_number(v) for v in values)
    if numeric:
        x = np.asarray(values, dtype=np.float64)
        positive = x[x > 0]
        if len(positive) == len(x) and x.max() / x.min() > 10:
            ax.set_xscale("log")
    else:
        labels = [str(v) for v in values]
        categories = list(dict.fromkeys(labels))
        x = np.array([categories.index(v) for v in labels], dtype=np.float64)
        ax.set_xticks(range(len(categories)))
        ax.set_xticklabels(
            [_shorten(c) for c in categories], rotation=30, ha="right", fontsize=8
        )
        ax.set_xlim(-0.5, len(categories) - 0.5)
    for it in np.unique(iters[keep]):
        sel = iters[keep] == it
        label = None
        if "iter" in results:
            label = f"iter {it}"
            if "n_resources" in results:
                n_resources = results["n_resources"][keep[sel][0]]
                label += f" ({resource or 'resources'}={n_resources})"
        ax.scatter(x[sel], scores[keep][sel], s=22, alpha=0.8, label=label)
    if best is not None and best in keep:
        k = int(np.flatnonzero(keep == best)[0])
        ax.scatter(
            x[k],
            scores[best],
            s=140,
            marker="*",
            color="crimson",
            zorder=3,
            label="best",
        )
    ax.set_xlabel(name, fontsize=9)
    ax.grid(True, alpha=0.3)


# ---------------------------------------------------------------- parameters
def _same_params(a, b):
    """Whether two candidates' parameters are equal (values compared with ==)."""
    if set(a) != set(b):
        return False
    try:
        return all(bool(np.all(a[k] == b[k])) for k in a)
    except (TypeError, ValueError):
        return repr(sorted(a.items())) == repr(sorted(b.items()))


def _defaults_rows(search, rows):
    """Rows among ``rows`` whose candidate is the estimator's own values."""
    results = search.cv_results_
    epochs_name = getattr(search, "_epochs_name", None)
    own = search.estimator.get_params(deep=True)
    found = []
    for i in rows:
        params = {k: v for k, v in results["params"][i].items() if k != epochs_name}
        if all(k in own for k in params) and _same_params(
            params, {k: own[k] for k in params}
        ):
            found.append(int(i))
    return found


def _gain_verdict(out):
    diff, se = out["difference"], out["standard_error"]
    challenger = out["challenger"]
    if challenger is not None:
        c_se = challenger["standard_error"]
        return (
            f"The defaults were kept: the best challenger scored higher by "
            f"{challenger['difference']:.4f}, not more than the search's margin "
            f"of {out['defaults_margin']:g} SE ({out['defaults_margin'] * c_se:.4f}),"
            " so the search chose the defaults; tuning did not pay here."
        )
    if out["winner_is_defaults"]:
        return "The defaults won: the search chose them; tuning did not pay here."
    who = "The tuned candidate" if diff > 0 else "The defaults"
    text = (
        f"{who} scored higher by {abs(diff):.4f}"
        if diff != 0
        else "The tuned candidate and the defaults scored the same"
    )
    if se is None:
        return text + "; its standard error is unknown."
    if out["exceeds_2se"]:
        return text + f", more than 2 SE ({2 * se:.4f}): a real difference."
    return text + f", within 2 SE ({2 * se:.4f}): not a clear difference."


def tuning_gain(search, *, n_holdout=None):
    """Did tuning pay? The defaults against the winner on the search's folds.

    Compares, in the last rung (at the same epochs) of a fitted search, the
    candidate made of the estimator's own values (the defaults candidate of
    ``include_defaults``) with the chosen candidate, on the search's own
    cross-validation folds or holdout only: never on a test split. The
    standard error of the difference is that of the per-fold differences
    for k-fold CV; for a holdout it is approximated from the binomial
    standard error of each score. When the ``defaults_margin`` rule of
    :class:`HalvingEpochsSearchCV` kept the defaults over a challenger that
    scored higher, the chosen candidate is the defaults and ``challenger``
    compares that challenger with them.

    Parameters
    ----------
    search : fitted BaseSearchCV
        Single-metric search, e.g. :class:`HalvingEpochsSearchCV` with
        ``include_defaults=True``.
    n_holdout : int or None, default=None
        Images of the holdout, for a one-split search that does not record
        them (:class:`HalvingEpochsSearchCV` does).

    Returns
    -------
    gain : dict
        ``available`` (bool); when False, ``reason``. Otherwise
        ``defaults_score``, ``winner_score``, ``difference`` (winner minus
        defaults), ``standard_error`` (None when unknown), ``se_method``,
        ``n_splits``, ``n_holdout``, ``epochs`` (of the last rung, None
        outside halving), ``defaults_index`` and ``winner_index`` (rows of
        ``cv_results_``), ``winner_params``, ``winner_is_defaults``,
        ``exceeds_2se``, ``defaults_margin`` (the search's, or None),
        ``defaults_kept`` (whether that margin kept the defaults),
        ``challenger`` (None unless it did; else the best-scoring
        candidate's ``index``, ``score``, ``params``, ``difference`` over
        the defaults and its ``standard_error``) and ``verdict`` (one
        sentence). JSON-safe.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.model_selection import tuning_gain
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> search = GridSearchCV(GaussianNB(), {"var_smoothing": [1e-9, 0.1]},
    ...                       cv=3).fit(X, y)
    >>> gain = tuning_gain(search)
    >>> gain["winner_params"], round(gain["difference"], 4)
    ({'var_smoothing': 0.1}, 0.1229)
    >>> round(gain["standard_error"], 4), gain["exceeds_2se"]
    (0.0277, True)
    """
    if n_holdout is not None and (
        isinstance(n_holdout, bool)
        or not isinstance(n_holdout, Integral)
        or n_holdout < 1
    ):
        raise ValueError(
            f"n_holdout must be None or an integer >= 1 (the holdout's number "
            f"of images), got {n_holdout!r}; leave it None to use the size "
            "the search recorded."
        )
    check_is_fitted(search, "cv_results_")
    results = search.cv_results_
    suffix = ranking_score_name(search)
    n = len(results["params"])
    iters = np.asarray(results.get("iter", np.zeros(n, dtype=int)))
    last = np.flatnonzero(iters == iters.max())
    scores = np.asarray(results[f"mean_test_{suffix}"], dtype=float)
    winner = getattr(search, "best_index_", None)
    if winner is None or winner not in last:
        winner = int(last[np.nanargmax(scores[last])])
    defaults = _defaults_rows(search, last)
    if not defaults:
        earlier = _defaults_rows(search, np.flatnonzero(iters != iters.max()))
        why = (
            "the defaults candidate was dropped before the last rung "
            "(include_defaults=False), so it was not trained as long as the winner"
            if earlier
            else "the defaults candidate (the estimator's own values of the "
            "searched parameters) was not part of the search"
        )
        return {"available": False, "reason": f"Comparison unavailable: {why}."}
    d = defaults[0]
    n_splits = int(getattr(search, "n_splits_", 1))
    if n_holdout is None and n_splits == 1:
        sizes = getattr(search, "_test_fold_sizes", None)
        n_holdout = sizes[0] if sizes else None
    se, how = difference_se(results, suffix, winner, d, n_holdout=n_holdout)
    out = {
        "available": True,
        "defaults_score": float(scores[d]),
        "winner_score": float(scores[winner]),
        "difference": float(scores[winner] - scores[d]),
        "standard_error": se,
        "se_method": how,
        "n_splits": n_splits,
        "n_holdout": None if n_splits > 1 else n_holdout,
        "epochs": to_jsonable(results["n_resources"][winner])
        if "n_resources" in results
        else None,
        "defaults_index": d,
        "winner_index": int(winner),
        "winner_params": to_jsonable(results["params"][winner]),
        "winner_is_defaults": int(winner) in defaults,
    }
    out["exceeds_2se"] = bool(se is not None and abs(out["difference"]) > 2 * se)
    out.update(_kept_defaults(search, suffix, last, d, n_holdout))
    out["verdict"] = _gain_verdict(out)
    return out


def _kept_defaults(search, suffix, last, d, n_holdout):
    """The ``defaults_margin`` rule's part of :func:`tuning_gain`'s answer."""
    margin = getattr(search, "defaults_margin", None)
    kept = bool(getattr(search, "defaults_kept_", False))
    out = {"defaults_margin": margin, "defaults_kept": kept, "challenger": None}
    if not kept:
        return out
    results = search.cv_results_
    scores = np.asarray(results[f"mean_test_{suffix}"], dtype=float)
    best = int(last[np.nanargmax(scores[last])])
    se, _ = difference_se(results, suffix, best, d, n_holdout=n_holdout)
    out["challenger"] = {
        "index": best,
        "score": float(scores[best]),
        "params": to_jsonable(results["params"][best]),
        "difference": float(scores[best] - scores[d]),
        "standard_error": se,
    }
    return out
