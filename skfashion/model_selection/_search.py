"""Building scikit-learn search objects for skfashion estimators."""

import math
import os

from sklearn.base import clone
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import (
    GridSearchCV,
    HalvingRandomSearchCV,
    RandomizedSearchCV,
)
from sklearn.utils.validation import check_scalar

from ._presets import Preset, get_preset

METHODS = ("random", "halving", "grid")


def check_search_space(estimator, param_distributions, *, resource=None):
    """Raise a clear error for a search space the estimator cannot take.

    Parameters
    ----------
    estimator : estimator
        The estimator to search over.
    param_distributions : dict or list of dict
        The space.
    resource : str or None, default=None
        The successive-halving resource, which must not be searched too.
    """
    spaces = (
        param_distributions
        if isinstance(param_distributions, list)
        else [param_distributions]
    )
    if not spaces or any(not isinstance(s, dict) or not s for s in spaces):
        raise ValueError(
            "param_distributions must be a non-empty dict (or list of non-empty "
            f"dicts) of parameter name to values; got {param_distributions!r}."
        )
    valid = set(estimator.get_params())
    for space in spaces:
        unknown = sorted(set(space) - valid)
        if unknown:
            raise ValueError(
                f"param_distributions names parameters that "
                f"{type(estimator).__name__} does not have: {unknown}. Valid "
                f"parameters: {sorted(valid)}."
            )
        for name, values in space.items():
            if not hasattr(values, "rvs") and not len(values):
                raise ValueError(f"param_distributions[{name!r}] is empty.")
        if resource is not None and resource in space:
            raise ValueError(
                f"The halving resource {resource!r} is also in param_distributions;"
                " remove it from the space (halving sets it at every rung)."
            )


def tf_threads_for(n_jobs):
    """TensorFlow threads each of ``n_jobs`` worker processes should use.

    Parameters
    ----------
    n_jobs : int or None
        Number of parallel workers (-1 for one per core).

    Returns
    -------
    threads : int
        ``os.cpu_count() // n_jobs``, at least 1.
    """
    cores = os.cpu_count() or 1
    if n_jobs is None or n_jobs == 1:
        return cores
    workers = cores if n_jobs < 0 else min(n_jobs, cores)
    return max(1, cores // workers)


def share_cores_between_workers(n_jobs):
    """Give each future worker process its share of the cores.

    TensorFlow reads ``TF_NUM_INTRAOP_THREADS``/``TF_NUM_INTEROP_THREADS`` once,
    when a process starts using it, so the variables are set here in the
    parent and inherited by the worker processes joblib starts afterwards.
    Without this, ``n_jobs`` workers would each start one thread per core
    and oversubscribe the CPU.
    """
    if n_jobs is None or n_jobs == 1:
        return
    threads = str(tf_threads_for(n_jobs))
    os.environ["TF_NUM_INTRAOP_THREADS"] = threads
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ.setdefault("OMP_NUM_THREADS", threads)


def make_search(
    estimator,
    param_distributions=None,
    *,
    method="random",
    n_iter=None,
    cv=None,
    scoring=None,
    n_jobs=None,
    random_state=None,
    cache_dir=None,
    factor=3,
    min_resources="exhaust",
    refit=True,
    verbose=0,
):
    """Build the scikit-learn search object for an estimator or a preset.

    This is a thin convenience: it returns the plain scikit-learn searcher,
    which can be used, inspected and pickled like any other.

    Parameters
    ----------
    estimator : estimator, Preset or str
        An estimator, a :class:`Preset` or the name of one
        (see :func:`list_presets`). A preset supplies the space, ``n_iter``
        and ``cv`` unless they are given here.
    param_distributions : dict or None, default=None
        Search space; required for a plain estimator.
    method : {"random", "halving", "grid"}, default="random"
        ``RandomizedSearchCV``, ``HalvingRandomSearchCV`` with the ``epochs``
        parameter as resource, or ``GridSearchCV`` (lists only).
    n_iter : int or None, default=None
        Candidates to sample (random) or to start halving with.
    cv : int, splitter or None, default=None
        Cross-validation; defaults to the preset's protocol or 5 folds.
    scoring : str, callable or None, default=None
        Scoring; None uses the estimator's accuracy.
    n_jobs : int or None, default=None
        Parallel fits. With more than one, each worker process gets
        ``cores // n_jobs`` TensorFlow threads (see
        :func:`share_cores_between_workers`).
    random_state : int or None, default=None
        Seeds the sampling of candidates and, when the estimator has none,
        the estimator (needed by ``cache_dir``).
    cache_dir : str, path-like or None, default=None
        Resumable search: every finished (candidate, fold) fit is stored
        there and not trained again when the search is run again.
    factor : int, default=3
        Halving: the fraction of candidates kept and the growth of epochs
        between rungs.
    min_resources : int or "exhaust", default="exhaust"
        Halving: epochs at the first rung.
    refit : bool, default=True
        Refit the best candidate on all the data.
    verbose : int, default=0
        Verbosity of the searcher.

    Returns
    -------
    search : RandomizedSearchCV, HalvingRandomSearchCV or GridSearchCV
        Not fitted.

    Notes
    -----
    Successive halving on epochs trains every surviving candidate again from
    scratch at each rung (Keras models are not warm-started between rungs),
    needs an integer ``max_resources`` (the estimator's ``epochs``), fixed CV
    splits and a single metric, and the resource must not be in the space.

    Examples
    --------
    >>> from skfashion.model_selection import make_search
    >>> search = make_search("s1-cnn", n_iter=3)
    >>> type(search).__name__, search.n_iter, search.cv.get_n_splits()
    ('RandomizedSearchCV', 3, 4)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    if isinstance(estimator, str):
        estimator = get_preset(estimator)
    if isinstance(estimator, Preset):
        preset = estimator
        estimator = clone(preset.estimator)
        param_distributions = param_distributions or preset.param_distributions
        n_iter = preset.n_iter if n_iter is None else n_iter
        cv = preset.cv if cv is None else cv
    if param_distributions is None:
        raise ValueError("param_distributions is required for a plain estimator.")
    n_iter = 10 if n_iter is None else n_iter
    check_scalar(n_iter, "n_iter", int, min_val=1)
    cv = 5 if cv is None else cv
    estimator = clone(estimator)
    if random_state is not None and estimator.get_params().get("random_state") is None:
        estimator.set_params(random_state=random_state)
    if cache_dir is not None:
        estimator.set_params(cache_dir=os.fspath(cache_dir))
    share_cores_between_workers(n_jobs)
    common = dict(scoring=scoring, n_jobs=n_jobs, cv=cv, refit=refit, verbose=verbose)
    if method == "grid":
        check_search_space(estimator, param_distributions)
        return GridSearchCV(estimator, param_distributions, **common)
    if method == "random":
        check_search_space(estimator, param_distributions)
        return RandomizedSearchCV(
            estimator,
            param_distributions,
            n_iter=n_iter,
            random_state=random_state,
            **common,
        )
    check_search_space(estimator, param_distributions, resource="epochs")
    if not isinstance(scoring, (str, type(None))) and not callable(scoring):
        raise ValueError("Successive halving supports a single metric only.")
    return HalvingRandomSearchCV(
        estimator,
        param_distributions,
        n_candidates=n_iter,
        resource="epochs",
        max_resources=int(estimator.get_params()["epochs"]),
        min_resources=min_resources,
        factor=factor,
        random_state=random_state,
        **common,
    )


def count_fits(search, n_samples=None):
    """Number of (candidate, fold) fits a search will run, refit excluded.

    For halving it follows scikit-learn's schedule and also returns the
    epochs trained in all, the cost that halving saves.

    Parameters
    ----------
    search : fitted or unfitted search object
        A fitted search is counted from its ``cv_results_``.
    n_samples : int or None, default=None
        Needed for unfitted searches whose ``cv`` depends on the data.

    Returns
    -------
    n_fits : int
        Number of fits.
    epochs : int
        Epochs given to those fits: ``epochs`` of each candidate, or the
        resources of each halving rung, times the number of splits. With
        ``early_stopping=True`` a fit may stop sooner, so this is an upper
        bound; the epochs a fitted estimator ran are its ``n_iter_``.
    """
    if hasattr(search, "cv_results_"):
        res = search.cv_results_
        n_splits = search.n_splits_
        n_cand = len(res["params"])
        if "n_resources" in res:
            epochs = int(sum(res["n_resources"])) * n_splits
        else:
            epochs = (
                sum(
                    p.get("epochs", search.estimator.get_params()["epochs"])
                    for p in res["params"]
                )
                * n_splits
            )
        return n_cand * n_splits, int(epochs)
    raise ValueError("count_fits needs a fitted search (it reads cv_results_).")


def halving_schedule(n_candidates, max_epochs, *, factor=3, min_epochs=None):
    """Candidates and epochs per rung of a halving search on epochs.

    A planning aid (the fitted search's ``n_candidates_`` and
    ``n_resources_`` are authoritative).

    Examples
    --------
    >>> from skfashion.model_selection import halving_schedule
    >>> halving_schedule(9, 9, factor=3)
    [(9, 1), (3, 3), (1, 9)]
    """
    if min_epochs is None:
        n_rungs = 1 + int(math.floor(math.log(n_candidates, factor)))
        min_epochs = max(1, max_epochs // factor ** (n_rungs - 1))
    rungs, cands, epochs = [], n_candidates, min_epochs
    while cands >= 1 and epochs <= max_epochs:
        rungs.append((cands, epochs))
        if cands == 1:
            break
        cands = math.ceil(cands / factor)
        epochs *= factor
    return rungs
