"""Fitting a search with a progress display.

scikit-learn's searchers have no per-fit callback, so the scorer is wrapped:
each (candidate, fold) score is appended to a small file, which works from
worker processes too, and a thread of the calling process reads the file to
show fits done / total, elapsed time, an ETA weighted by the epochs each
fit trains, and the best mean CV score so far.
"""

import hashlib
import math
import os
import sys
import tempfile
import threading
import time

from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv

from ._halving import HalvingEpochsSearchCV


class _ReportingScorer:
    """Scorer that also appends each score to ``path`` (picklable).

    Each line holds a key of the candidate's parameters and the score, so
    the display can average the folds of a candidate.
    """

    def __init__(self, scorer, path, level_param=None):
        self.scorer = scorer
        self.path = path
        self.level_param = level_param

    def __call__(self, estimator, X, y=None, **kwargs):
        score = self.scorer(estimator, X, y, **kwargs)
        params = estimator.get_params(deep=True)
        key = hashlib.blake2b(
            repr(sorted((k, repr(v)) for k, v in params.items())).encode(),
            digest_size=8,
        ).hexdigest()
        # The rung of a halving search: its epochs.
        level = 0
        if self.level_param:
            suffix = "__" + self.level_param
            level = next(
                (
                    v
                    for k, v in params.items()
                    if k == self.level_param or k.endswith(suffix)
                ),
                0,
            )
        # One short append per fit: atomic enough for a progress display.
        with open(self.path, "a") as f:
            f.write(f"{key}\t{float(score)!r}\t{int(level)}\n")
        return score


def _read_scores(path):
    """``(key, score)`` of the fits finished so far."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                key, _, rest = line.strip().partition("\t")
                score, _, level = rest.partition("\t")
                if score:
                    out.append(((key, int(level or 0)), float(score)))
    except (OSError, ValueError):
        pass
    return out


def _best_mean(scores, n_splits):
    """Best mean score over candidates whose folds are all done, or None.

    In a halving search only the highest rung with a finished candidate
    counts: the same quantity the search reports as its best score at the
    end, not a lucky score after one epoch.
    """
    by_key = {}
    for key, score in scores:
        by_key.setdefault(key, []).append(score)
    done = {
        key: sum(v) / len(v)
        for key, v in by_key.items()
        if len(v) >= (n_splits or 1) and not any(math.isnan(x) for x in v)
    }
    if not done:
        return None
    top = max(level for _, level in done)
    return max(mean for (_, level), mean in done.items() if level == top)


def _fit_costs(search, X, y):
    """Relative cost of each fit in the order they run, and the splits.

    The costs are the epochs each fit trains: equal for random and grid
    searches, the epoch increments of each rung for halving, so the ETA
    weighs the long last rungs correctly.
    """
    try:
        n_splits = check_cv(search.cv, y, classifier=True).get_n_splits(X, y)
    except Exception:  # a custom splitter that needs groups: no total
        return None, None
    if isinstance(search, HalvingEpochsSearchCV):
        costs, previous = [], 0
        for n, epochs in search.planned_rungs():
            costs += [epochs - previous] * (n * n_splits)
            previous = epochs
        return costs, n_splits
    if hasattr(search, "n_candidates"):  # scikit-learn's halving
        return None, n_splits
    if hasattr(search, "n_iter"):
        return [1] * (search.n_iter * n_splits), n_splits
    from sklearn.model_selection import ParameterGrid

    return [1] * (len(ParameterGrid(search.param_grid)) * n_splits), n_splits


def _format_seconds(s):
    s = int(s)
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
        if s >= 3600
        else (f"{s // 60:02d}:{s % 60:02d}")
    )


def _eta(costs, done, elapsed, after=0.0):
    """Seconds left: the fits to come and ``after``, at the pace so far."""
    if not costs or not done:
        return None
    spent = sum(costs[:done])
    left = sum(costs[done:]) + after
    return elapsed / spent * left if spent else None


def _progress_line(done, total, elapsed, best, eta=None, job=False):
    eta_txt = "?" if eta is None else _format_seconds(eta)
    best_txt = "-" if best is None else f"{best:.4f}"
    of = f"/{total}" if total else ""
    label = "job eta" if job else "eta"
    return (
        f"fits {done}{of}  elapsed {_format_seconds(elapsed)}  {label} {eta_txt}  "
        f"best mean CV score {best_txt}"
    )


def fit_search(
    search,
    X,
    y=None,
    *,
    verbose=1,
    stream=None,
    interval=0.5,
    after=0.0,
    **fit_params,
):
    """Fit a scikit-learn search while showing its progress.

    Parameters
    ----------
    search : BaseSearchCV
        Any scikit-learn search (random, grid, halving), single metric.
    X, y : array-like
        Training data.
    verbose : int, default=1
        0: silent (the search is simply fitted). 1: a progress bar on a
        terminal, plain lines otherwise.
    stream : file-like or None, default=None
        Where to write; defaults to ``sys.stderr``.
    interval : float, default=0.5
        Seconds between updates.
    after : float, default=0.0
        Work that follows the search (a refit, a report), in epochs of one
        training fold, for an ETA of the whole job (shown as ``job eta``)
        rather than of the search alone.
    **fit_params : dict
        Passed to ``search.fit``.

    Returns
    -------
    search : BaseSearchCV
        The fitted search.

    Notes
    -----
    With ``verbose=1`` the search does not record training scores
    (``return_train_score`` is off during the fit), since they would be
    counted as fits by the display.
    """
    if verbose == 0 or isinstance(search.scoring, (dict, list, tuple)):
        return search.fit(X, y, **fit_params)
    stream = sys.stderr if stream is None else stream
    original = search.scoring
    scorer = check_scoring(search.estimator, scoring=original)
    costs, n_splits = _fit_costs(search, X, y)
    total = None if costs is None else len(costs)
    fd, path = tempfile.mkstemp(prefix="skfashion-progress-", suffix=".txt")
    os.close(fd)
    stop = threading.Event()
    start = time.perf_counter()
    tty = hasattr(stream, "isatty") and stream.isatty()

    def show():
        bar, last_done = None, -1
        if tty:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, unit="fit", file=stream, desc="search")
        while True:
            finished = stop.wait(interval)
            scores = _read_scores(path)
            done, best = len(scores), _best_mean(scores, n_splits)
            if bar is not None:
                bar.n = done
                if best is not None:
                    bar.set_postfix(best_mean_cv=f"{best:.4f}", refresh=False)
                if after and done:
                    left = _eta(costs, done, time.perf_counter() - start, after)
                    if left is not None:
                        bar.set_description(
                            f"search (job eta {_format_seconds(left)})", refresh=False
                        )
                bar.refresh()
            elif done != last_done:
                elapsed = time.perf_counter() - start
                print(
                    _progress_line(
                        done,
                        total,
                        elapsed,
                        best,
                        _eta(costs, done, elapsed, after),
                        job=bool(after),
                    ),
                    file=stream,
                    flush=True,
                )
            last_done = done
            if finished:
                break
        if bar is not None:
            bar.close()

    thread = threading.Thread(target=show, daemon=True)
    # The scorer cannot tell a test fold from a training fold, so training
    # scores (HalvingRandomSearchCV records them by default) would count as
    # fits and as "best" scores: they are not computed during a shown search.
    train_scores = search.return_train_score
    level = "epochs" if isinstance(search, HalvingEpochsSearchCV) else None
    search.set_params(
        scoring=_ReportingScorer(scorer, path, level), return_train_score=False
    )
    thread.start()
    try:
        search.fit(X, y, **fit_params)
    finally:
        stop.set()
        thread.join()
        search.set_params(scoring=original, return_train_score=train_scores)
        if hasattr(search, "scorer_"):
            search.scorer_ = scorer
        os.unlink(path)
    return search
