"""Successive halving over epochs that continues training between rungs."""

import math
import os
import shutil
import tempfile
from numbers import Integral, Real

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import ParameterSampler, check_cv
from sklearn.utils import check_random_state

from .._sklearn_privates import BaseSearchCV, Interval
from ._selection import keep_defaults_unless_beaten
from ._space import as_spaces, check_search_space

__all__ = ["HalvingEpochsSearchCV", "halving_schedule"]


def halving_schedule(n_candidates, max_epochs, *, factor=3, min_epochs=None):
    """Candidates and epochs of each rung of :class:`HalvingEpochsSearchCV`.

    The number of rungs is ``1 + floor(log_factor(n_candidates))``, fewer
    when the epochs cannot grow that often. Epochs grow by ``factor`` from
    ``min_epochs`` (by default ``max_epochs / factor ** (rungs - 1)``) and
    the last rung always trains ``max_epochs``.

    Parameters
    ----------
    n_candidates : int
        Candidates of the first rung.
    max_epochs : int
        Epochs of the last rung.
    factor : float, default=3
        Candidates are divided, and epochs multiplied, by it at each rung.
    min_epochs : int or None, default=None
        Epochs of the first rung.

    Returns
    -------
    rungs : list of (int, int)
        ``(candidates, epochs)`` of each rung.

    Examples
    --------
    >>> from skfashion.model_selection import halving_schedule
    >>> halving_schedule(9, 25)
    [(9, 3), (3, 8), (1, 25)]
    >>> halving_schedule(9, 9, factor=3)
    [(9, 1), (3, 3), (1, 9)]
    """
    n_rungs = 1 + int(math.floor(math.log(n_candidates, factor) + 1e-9))
    if min_epochs is None:
        # Epochs of rung r: max_epochs / factor ** (rungs - 1 - r), at least 1.
        epochs = [
            max(1, round(max_epochs / factor ** (n_rungs - 1 - r)))
            for r in range(n_rungs)
        ]
    else:
        n_rungs = min(
            n_rungs,
            1 + int(math.floor(math.log(max_epochs / min_epochs, factor) + 1e-9)),
        )
        epochs = [round(min_epochs * factor**r) for r in range(n_rungs)]
    epochs[-1] = max_epochs
    # Rungs whose epochs would not grow are merged into the next one.
    rungs, cands = [], n_candidates
    for r in range(n_rungs):
        if r < n_rungs - 1 and epochs[r] >= epochs[r + 1]:
            continue
        rungs.append((cands, min(epochs[r], max_epochs)))
        cands = max(1, math.ceil(cands / factor))
    return rungs


class HalvingEpochsSearchCV(BaseSearchCV):
    """Successive halving on epochs, continuing the survivors' training.

    Every candidate trains ``min_epochs`` epochs on each fold; the best
    ``1 / factor`` go on to the next rung, where each fold *continues* from
    the weights and optimizer state it ended the previous rung with and
    trains only the missing epochs. The learning-rate schedule of every fit
    is laid over ``max_epochs``, so a candidate's training is one run cut at
    the rung boundaries, and the last rung scores exactly the training the
    refit will do. Unlike scikit-learn's ``HalvingRandomSearchCV`` nothing is
    retrained from scratch.

    The state of each (candidate, fold) after each rung is a model file in
    ``cache_dir``, written atomically: a search interrupted at any point and
    run again with the same ``cache_dir`` trains only what is missing.

    Parameters
    ----------
    estimator : skfashion estimator or Pipeline
        A skfashion classifier, or a Pipeline whose last step is one (its
        parameters are then named ``<step>__epochs`` and so on).
    param_distributions : dict or list of dict
        Search space, as for ``RandomizedSearchCV``. It must not contain the
        epochs, which the rungs set.
    n_candidates : int, default=9
        Candidates of the first rung (including the defaults, see
        ``include_defaults``).
    factor : float, default=3
        Rungs keep the best ``ceil(n / factor)`` candidates and multiply the
        epochs by ``factor``. Must be > 1.
    min_epochs : int or None, default=None
        Epochs of the first rung; None derives them from the number of rungs
        (see :func:`halving_schedule`).
    max_epochs : int or None, default=None
        Epochs of the last rung and of the refit; None takes the estimator's
        ``epochs``.
    cv : int, cross-validation generator or iterable, default=5
        Splits, fixed for all rungs (a ``ShuffleSplit`` with one split is a
        holdout).
    scoring : str, callable or None, default=None
        One metric; None uses the estimator's ``score`` (accuracy).
    refit : bool, default=True
        Refit the best candidate of the last rung on all the data.
    error_score : "raise" or float, default=np.nan
        Score of a fit that fails; it never survives a rung.
    return_train_score : bool, default=False
        Also score each fit on its training data.
    n_jobs : int or None, default=None
        Fits run in parallel through joblib (and so on a Dask cluster with
        ``joblib.parallel_backend("dask")``).
    random_state : int, RandomState instance or None, default=None
        Sampling of the candidates; also the estimator's seed when it has
        none (continuation needs a fixed seed).
    cache_dir : str, path-like or None, default=None
        Folder of the per-rung states. None uses a temporary folder removed
        at the end. On a multi-machine Dask cluster it must be storage that
        every worker sees: without it a worker cannot find the state another
        worker saved and that fit trains again from scratch (correct, but
        without the savings). The states live in the estimator's fit cache
        (its ``cache_dir``), so a state is found only by a fit of the same
        parameters, data and, for a
        :class:`~skfashion.models.KerasImageClassifier`, the same built
        network (a search over ``model`` trains each network), and a state
        file is checked against the candidate's parameters when loaded: one
        that is not the candidate's is reported with a
        :class:`~skfashion.exceptions.CacheEntryWarning` and not continued.
    include_defaults : bool, default=False
        Make the estimator's own values of the searched parameters the first
        candidate, and carry it to the last rung whatever its early rank
        (one extra candidate in a rung where it would have been dropped).
        Early rungs rank against regularisation, which costs accuracy early
        and pays late; so the final choice is made between fully trained
        candidates, the defaults among them, and the search cannot end below
        the defaults in CV.
    defaults_margin : float or None, default=None
        With ``include_defaults``, keep the defaults unless a challenger
        beats them clearly: the best candidate of the last rung is chosen
        only if its score exceeds the defaults' by more than
        ``defaults_margin`` standard errors of the difference (as
        :func:`tuning_gain` computes it: per-fold differences for k-fold
        CV, the binomial approximation on a holdout); otherwise
        ``best_index_``, ``best_params_``, ``best_score_`` and the refit
        are the defaults'. The ranking (``rank_test_score``) is unchanged.
        None chooses the best score, as other searchers do; without
        ``include_defaults`` it has no effect.
    verbose : int, default=0
        Print each rung's plan (and scikit-learn's per-fit lines above 1).
    pre_dispatch : int or str, default="2*n_jobs"
        Passed to joblib.

    Attributes
    ----------
    cv_results_ : dict of ndarray
        One row per (rung, candidate); ``iter`` is the rung and
        ``n_resources`` its epochs, as in scikit-learn's halving searchers.
    best_params_, best_score_, best_index_, best_estimator_ : as in \
``RandomizedSearchCV``
        Chosen among the candidates of the last rung (the defaults' when
        ``defaults_margin`` kept them).
    defaults_kept_ : bool
        Whether ``defaults_margin`` kept the defaults over a challenger that
        scored higher in the last rung; False when the best score chose.
    n_candidates_ : list of int
        Candidates of each rung.
    n_resources_ : list of int
        Epochs of each rung.
    n_epochs_trained_ : int
        Epochs the rungs asked for in all (each fold counted): the sum of the
        increments, refit excluded.
    n_splits_ : int
        Splits of ``cv``.

    Examples
    --------
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.models import KerasMLPClassifier
    >>> from skfashion.model_selection import HalvingEpochsSearchCV
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> search = HalvingEpochsSearchCV(
    ...     KerasMLPClassifier(hidden_layer_sizes=(8,), epochs=4, batch_size=64),
    ...     {"learning_rate": [1e-3, 3e-3, 1e-2]},
    ...     n_candidates=3, cv=2, random_state=0,
    ... ).fit(X[:200], y[:200])
    >>> search.n_resources_, search.n_candidates_
    ([1, 4], [3, 1])
    """

    #: What the rungs grow, named like scikit-learn's halving searchers'
    #: ``resource`` parameter (here fixed, so not a parameter).
    resource = "epochs"

    _parameter_constraints = {
        **BaseSearchCV._parameter_constraints,
        "param_distributions": [dict, list],
        "n_candidates": [Interval(Integral, 1, None, closed="left")],
        "factor": [Interval(Real, 1, None, closed="neither")],
        "min_epochs": [Interval(Integral, 1, None, closed="left"), None],
        "max_epochs": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "cache_dir": [str, os.PathLike, None],
        "include_defaults": ["boolean"],
        "defaults_margin": [Interval(Real, 0, None, closed="left"), None],
    }
    _parameter_constraints.pop("refit")
    _parameter_constraints["refit"] = ["boolean"]

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_candidates=9,
        factor=3,
        min_epochs=None,
        max_epochs=None,
        cv=5,
        scoring=None,
        refit=True,
        error_score=np.nan,
        return_train_score=False,
        n_jobs=None,
        random_state=None,
        cache_dir=None,
        include_defaults=False,
        defaults_margin=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
    ):
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.param_distributions = param_distributions
        self.n_candidates = n_candidates
        self.factor = factor
        self.min_epochs = min_epochs
        self.max_epochs = max_epochs
        self.random_state = random_state
        self.cache_dir = cache_dir
        self.include_defaults = include_defaults
        self.defaults_margin = defaults_margin

    # ------------------------------------------------------------ settings
    def _prefix(self):
        """Parameter prefix of the skfashion step ("" or "<step>__")."""
        params = self.estimator.get_params()
        if "epochs" in params and "schedule_epochs" in params:
            return ""
        steps = getattr(self.estimator, "steps", None)
        if steps:
            name = steps[-1][0]
            if f"{name}__schedule_epochs" in params:
                return f"{name}__"
        raise TypeError(
            "HalvingEpochsSearchCV needs a skfashion classifier or a Pipeline "
            f"ending in one (with epochs and schedule_epochs); got "
            f"{type(self.estimator).__name__}."
        )

    def _check_settings(self, prefix):
        params = self.estimator.get_params()
        max_epochs = (
            int(params[prefix + "epochs"])
            if self.max_epochs is None
            else self.max_epochs
        )
        if self.min_epochs is not None and self.min_epochs > max_epochs:
            raise ValueError(
                f"min_epochs={self.min_epochs} is larger than max_epochs="
                f"{max_epochs}; the first rung cannot train more than the last."
            )
        if params.get(prefix + "early_stopping"):
            raise ValueError(
                "HalvingEpochsSearchCV sets the epochs of every fit; the "
                "estimator's early_stopping=True would cut them short. Set "
                f"{prefix}early_stopping=False."
            )
        if not (isinstance(self.scoring, str) or self.scoring is None) and not callable(
            self.scoring
        ):
            raise ValueError(
                "HalvingEpochsSearchCV ranks candidates on one metric; scoring "
                f"must be a string, a callable or None, got {self.scoring!r}."
            )
        # The checks every searcher shares, then the names the rungs set.
        check_search_space(self.estimator, self.param_distributions)
        spaces = as_spaces(self.param_distributions)
        reserved = {
            prefix + name
            for name in ("epochs", "schedule_epochs", "warm_start", "cache_dir")
        }
        for space in spaces:
            bad = sorted(reserved & set(space))
            if bad:
                raise ValueError(
                    f"param_distributions contains {bad}, which the halving "
                    "rungs set themselves; remove them (use max_epochs for the "
                    "epochs of the last rung)."
                )
        return max_epochs, spaces

    def planned_rungs(self, max_epochs=None):
        """``(candidates, epochs)`` of each rung this search will run.

        Parameters
        ----------
        max_epochs : int or None, default=None
            Overrides ``max_epochs`` and the estimator's ``epochs``.

        Returns
        -------
        rungs : list of (int, int)
            As :func:`halving_schedule` gives them.
        """
        if max_epochs is None:
            max_epochs = self.max_epochs
        if max_epochs is None:
            max_epochs = int(self.estimator.get_params()[self._prefix() + "epochs"])
        return halving_schedule(
            self.n_candidates,
            max_epochs,
            factor=self.factor,
            min_epochs=self.min_epochs,
        )

    # ----------------------------------------------------------------- fit
    def fit(self, X, y=None, **params):
        """Run the rungs, then refit the best candidate of the last one.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Training images.
        y : array-like of shape (n_samples,)
            Labels.
        **params : dict
            Passed to the estimator's ``fit`` and the CV splitter, as in
            scikit-learn's searchers.

        Returns
        -------
        self : object
            The fitted search.
        """
        self._validate_params()
        prefix = self._prefix()
        max_epochs, spaces = self._check_settings(prefix)
        self._rungs = self.planned_rungs(max_epochs)
        self._epochs_name = prefix + "epochs"
        self._spaces = spaces
        folder = self.cache_dir
        scratch = None
        if folder is None:
            scratch = folder = tempfile.mkdtemp(prefix="skfashion-halving-")
        # The rungs' own settings reach every fit as candidate parameters
        # (stripped from the results afterwards), and the splits, drawn once
        # so that every rung trains and scores on the same folds (a splitter
        # without a fixed seed would redraw them), through evaluate_candidates:
        # the estimator and cv parameters are left as the user set them.
        self._fixed_params = self._rung_settings(prefix, folder, max_epochs)
        self._splits = list(
            check_cv(self.cv, y, classifier=is_classifier(self.estimator)).split(
                X, y, groups=params.get("groups")
            )
        )
        try:
            super().fit(X, y, **params)
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
        self._strip_rung_settings()
        if hasattr(self, "best_estimator_"):
            user = self.estimator.get_params()
            self.best_estimator_.set_params(
                **{prefix + "cache_dir": user[prefix + "cache_dir"]}
            )
        self.n_candidates_ = [n for n, _ in self._rungs_run]
        self.n_resources_ = [e for _, e in self._rungs_run]
        self.n_epochs_trained_ = self._epochs_trained()
        return self

    def _rung_settings(self, prefix, folder, max_epochs):
        """The parameters that every fit of the search gets, whatever it tries.

        The fit cache in ``folder``, the learning-rate schedule of the full
        ``max_epochs``, no warm start, and a seed drawn from
        ``random_state`` when the estimator has no integer seed.
        """
        fixed = {}
        seed_name = prefix + "random_state"
        if not isinstance(self.estimator.get_params()[seed_name], Integral):
            rng = check_random_state(self.random_state)
            fixed[seed_name] = int(rng.randint(np.iinfo(np.int32).max))
        fixed[prefix + "cache_dir"] = os.fspath(folder)
        fixed[prefix + "schedule_epochs"] = max_epochs
        fixed[prefix + "warm_start"] = False
        return fixed

    def _strip_rung_settings(self):
        """Leave only the searched parameters in the results.

        The settings of ``_rung_settings`` are the search's own: each row
        of ``cv_results_["params"]`` gets back the candidate as searched,
        and the settings' ``param_*`` columns go, except a seed that some
        candidates search.
        """
        results = getattr(self, "cv_results_", None)
        if results is None:
            return
        searched = set().union(*self._rung_candidates)
        for key in set(self._fixed_params) - searched:
            results.pop(f"param_{key}", None)
        results["params"] = self._rung_candidates
        if hasattr(self, "best_params_"):
            self.best_params_ = results["params"][self.best_index_]

    def _initial_candidates(self):
        n = self.n_candidates
        out = []
        self._defaults_candidate = None
        if self.include_defaults:
            defaults = {**self.estimator.get_params(), **self._fixed_params}
            self._defaults_candidate = {k: defaults[k] for k in self._spaces[0]}
            out.append(self._defaults_candidate)
        # Sampled as scikit-learn's searchers sample them, so the same
        # random_state gives the same candidates as RandomizedSearchCV.
        sampled = ParameterSampler(
            self.param_distributions,
            n - len(out),
            random_state=self.random_state,
        )
        out.extend(dict(p) for p in sampled)
        return out

    def _run_search(self, evaluate_candidates):
        candidates = self._initial_candidates()
        # Images of each test fold, for the standard error of a holdout
        # score (fit has drawn the splits into self._splits).
        self._test_fold_sizes = [len(test) for _, test in self._splits]
        self._rungs_run = []
        self._rung_candidates = []
        previous, results = 0, None
        for rung, (planned, epochs) in enumerate(self._rungs):
            if rung > 0:
                candidates = self._best(results, rung - 1, planned)
            n = len(candidates)
            if self.verbose:
                print(
                    f"rung {rung + 1}/{len(self._rungs)}: {n} candidates, epochs "
                    f"{previous} -> {epochs} on each fold",
                    flush=True,
                )
            rung_params = [{**p, self._epochs_name: epochs} for p in candidates]
            self._rung_candidates.extend(rung_params)
            results = evaluate_candidates(
                [{**self._fixed_params, **p} for p in rung_params],
                cv=check_cv(self._splits),
                more_results={"iter": [rung] * n, "n_resources": [epochs] * n},
            )
            # The candidates as searched, without the rungs' own settings.
            results = {**results, "params": list(self._rung_candidates)}
            self._rungs_run.append((n, epochs))
            previous = epochs

    def _best(self, results, rung, keep):
        """The ``keep`` best candidates of ``rung`` (failed fits last).

        With ``include_defaults`` the defaults candidate always goes on, as
        an extra candidate when it is not among the best.
        """
        rows = np.flatnonzero(np.asarray(results["iter"]) == rung)
        scores = np.asarray(results["mean_test_score"], dtype=float)[rows]
        scores = np.where(np.isnan(scores), -np.inf, scores)
        order = list(rows[np.argsort(-scores, kind="stable")][:keep])
        epochs_name = self._epochs_name
        kept = [
            {k: v for k, v in results["params"][i].items() if k != epochs_name}
            for i in order
        ]
        defaults = getattr(self, "_defaults_candidate", None)
        if defaults is not None:
            same = [
                {k: v for k, v in results["params"][i].items() if k != epochs_name}
                for i in rows
            ]
            key = _candidate_key(defaults)
            present = {_candidate_key(c) for c in same}
            if key in present and key not in {_candidate_key(c) for c in kept}:
                kept.append(defaults)
        return kept

    def _epochs_trained(self):
        total, previous = 0, 0
        for n, epochs in self._rungs_run:
            total += n * (epochs - previous)
            previous = epochs
        return total * self.n_splits_

    def _select_best_index(self, refit, refit_metric, results):
        # The best candidate of the last rung, as scikit-learn's halving
        # searchers do: earlier rungs scored shorter trainings. BaseSearchCV
        # calls it with refit=True and refit=False alike, so best_params_
        # (what ``skfashion tune`` refits) follow the defaults_margin rule.
        self.defaults_kept_ = False
        last = np.flatnonzero(results["iter"] == np.max(results["iter"]))
        scores = np.asarray(results[f"mean_test_{refit_metric}"], dtype=float)[last]
        if np.all(np.isnan(scores)):
            return int(last[0])
        best = int(last[np.nanargmax(scores)])
        defaults = self._defaults_row(last)
        if self.defaults_margin is None or defaults is None:
            return best
        sizes = self._test_fold_sizes
        best, self.defaults_kept_ = keep_defaults_unless_beaten(
            results,
            refit_metric,
            best,
            defaults,
            self.defaults_margin,
            n_holdout=sizes[0] if len(sizes) == 1 else None,
        )
        return best

    def _defaults_row(self, rows):
        """The row among ``rows`` of the defaults candidate, or None."""
        defaults = getattr(self, "_defaults_candidate", None)
        if defaults is None:
            return None
        key = _candidate_key(defaults)
        for i in rows:
            params = self._rung_candidates[i]
            params = {k: v for k, v in params.items() if k != self._epochs_name}
            if _candidate_key(params) == key:
                return int(i)
        return None


def _candidate_key(params):
    """A comparable stand-in for a candidate's parameters (any key order)."""
    return repr(sorted(params.items()))
