"""Building scikit-learn search objects for skfashion estimators."""

import os

from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.utils.validation import check_scalar

from ._halving import HalvingEpochsSearchCV
from ._presets import Preset, get_preset
from ._space import check_search_space

METHODS = ("random", "halving", "grid")


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

    Parameters
    ----------
    n_jobs : int or None
        Number of worker processes; None or 1 changes nothing.
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
    min_epochs=None,
    include_defaults=None,
    defaults_margin=None,
    refit=True,
    verbose=0,
):
    """Build the search object for an estimator or a preset.

    It returns a plain searcher (scikit-learn's ``RandomizedSearchCV`` or
    ``GridSearchCV``, or skfashion's :class:`HalvingEpochsSearchCV`), which
    can be used, inspected and pickled like any other. It changes no
    environment variable: before a search with ``n_jobs`` > 1, call
    :func:`share_cores_between_workers` (``skfashion tune`` does).

    Parameters
    ----------
    estimator : estimator, Preset or str
        An estimator, a :class:`Preset` or the name of one
        (see :func:`list_presets`). A preset supplies the space, ``n_iter``
        and ``cv`` unless they are given here.
    param_distributions : dict or None, default=None
        Search space; required for a plain estimator.
    method : {"random", "halving", "grid"}, default="random"
        ``RandomizedSearchCV``, :class:`HalvingEpochsSearchCV` (successive
        halving on epochs, continuing the survivors' training), or
        ``GridSearchCV`` (lists only).
    n_iter : int or None, default=None
        Candidates to sample (random) or to start halving with.
    cv : int, splitter or None, default=None
        Cross-validation; defaults to the preset's protocol or 5 folds.
    scoring : str, callable or None, default=None
        Scoring; None uses the estimator's accuracy.
    n_jobs : int or None, default=None
        Parallel fits. Call :func:`share_cores_between_workers` first, so
        that each worker process uses ``cores // n_jobs`` TensorFlow
        threads.
    random_state : int or None, default=None
        Seeds the sampling of candidates and, when the estimator has none,
        the estimator (needed by ``cache_dir``).
    cache_dir : str, path-like or None, default=None
        Resumable search: every finished (candidate, fold) fit is stored
        there and not trained again when the search is run again.
    factor : int, default=3
        Halving: the fraction of candidates kept and the growth of epochs
        between rungs.
    min_epochs : int or None, default=None
        Halving: epochs at the first rung (see :func:`halving_schedule`);
        None takes the preset's choice as long as it leaves as many rungs as
        the default schedule (a run with fewer epochs than the preset's
        keeps the default schedule).
    include_defaults : bool or None, default=None
        Halving: make the estimator's own values the first candidate; None
        takes the preset's choice (False for a plain estimator).
    defaults_margin : float or None, default=None
        Halving: keep the defaults unless a challenger beats them by more
        than this many standard errors (see :class:`HalvingEpochsSearchCV`);
        None takes the preset's choice (off for a plain estimator). To turn
        a preset's off, ``set_params(defaults_margin=None)`` on the search.
    refit : bool, default=True
        Refit the best candidate on all the data.
    verbose : int, default=0
        Verbosity of the searcher.

    Returns
    -------
    search : RandomizedSearchCV, HalvingEpochsSearchCV or GridSearchCV
        Not fitted.

    Notes
    -----
    Halving needs a single metric, and ``epochs`` must not be in the space;
    its last rung trains the estimator's ``epochs``.

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
    preset_defaults = use_preset_rung = False
    preset_margin = None
    if isinstance(estimator, Preset):
        preset = estimator
        estimator = clone(preset.estimator)
        param_distributions = param_distributions or preset.param_distributions
        n_iter = preset.n_iter if n_iter is None else n_iter
        cv = preset.cv if cv is None else cv
        preset_defaults = preset.include_defaults
        preset_margin = preset.defaults_margin
        use_preset_rung = min_epochs is None and preset.min_epochs is not None
    if param_distributions is None:
        raise ValueError("param_distributions is required for a plain estimator.")
    n_iter = 10 if n_iter is None else n_iter
    check_scalar(n_iter, "n_iter", int, min_val=1)
    cv = 5 if cv is None else cv
    estimator = clone(estimator)
    if random_state is not None and estimator.get_params().get("random_state") is None:
        estimator.set_params(random_state=random_state)
    common = dict(scoring=scoring, n_jobs=n_jobs, cv=cv, refit=refit, verbose=verbose)
    if method == "halving":
        check_search_space(estimator, param_distributions, resource="epochs")
        search = HalvingEpochsSearchCV(
            estimator,
            param_distributions,
            n_candidates=n_iter,
            factor=factor,
            min_epochs=min_epochs,
            random_state=random_state,
            cache_dir=None if cache_dir is None else os.fspath(cache_dir),
            include_defaults=preset_defaults
            if include_defaults is None
            else include_defaults,
            defaults_margin=preset_margin
            if defaults_margin is None
            else defaults_margin,
            **common,
        )
        if use_preset_rung:
            _use_first_rung(search, preset.min_epochs)
        return search
    if cache_dir is not None:
        estimator.set_params(cache_dir=os.fspath(cache_dir))
    check_search_space(estimator, param_distributions)
    if method == "grid":
        return GridSearchCV(estimator, param_distributions, **common)
    return RandomizedSearchCV(
        estimator,
        param_distributions,
        n_iter=n_iter,
        random_state=random_state,
        **common,
    )


def _use_first_rung(search, min_epochs):
    """Give ``search`` a preset's first-rung epochs where they fit its budget.

    A preset chooses ``min_epochs`` for its full budget. A run with fewer
    epochs (``skfashion tune --epochs 4``, ``--sample``) keeps the default
    schedule instead of collapsing into fewer rungs, or none.
    """
    default = search.planned_rungs()
    if min_epochs >= default[-1][1]:
        return
    if len(search.set_params(min_epochs=min_epochs).planned_rungs()) < len(default):
        search.set_params(min_epochs=None)


def count_fits(search):
    """Number of (candidate, fold) fits a fitted search ran, refit excluded.

    Parameters
    ----------
    search : fitted search object
        Counted from its ``cv_results_``; an unfitted search raises
        ``ValueError``.

    Returns
    -------
    n_fits : int
        Number of fits.
    epochs : int
        Epochs those fits trained: ``epochs`` of each candidate, times the
        number of splits. For :class:`HalvingEpochsSearchCV` the sum of the
        increments (a continued fit trains only the epochs it lacks); for
        scikit-learn's halving the epochs of every rung in full (it
        restarts). With ``early_stopping=True`` a fit may stop sooner, so
        this is an upper bound; the epochs a fitted estimator ran are its
        ``n_iter_``.
    """
    if not hasattr(search, "cv_results_"):
        raise ValueError("count_fits needs a fitted search (it reads cv_results_).")
    res = search.cv_results_
    n_splits = search.n_splits_
    n_cand = len(res["params"])
    if isinstance(search, HalvingEpochsSearchCV):
        return n_cand * n_splits, int(search.n_epochs_trained_)
    if "n_resources" in res:
        epochs = int(sum(res["n_resources"])) * n_splits
    else:
        default = search.estimator.get_params()["epochs"]
        epochs = sum(p.get("epochs", default) for p in res["params"]) * n_splits
    return n_cand * n_splits, int(epochs)
