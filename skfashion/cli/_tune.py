"""``skfashion tune``: search a preset with cross-validation, refit, report."""

import time

from ._budget import plan_budget
from ._console import UserError, _keras_verbosity, _note, _one_line, _say
from ._data import _check_color_mode_use, _check_training_data, _load_data
from ._job_progress import refit_progress, work_after_search
from ._params import (
    _check_params,
    _data_defaults_notice,
    _parse_params,
    _preset_params,
    _searched_names,
)
from ._results import _finish
from ._run_folder import _prepare_out, _remove_cache, _staged_run


def cmd_tune(args):
    _check_color_mode_use(args)
    # The data first (a quick read): the search space of --data follows its size.
    X_all, y_all, X_test, y_test, info, names = _load_data(args)
    X, y = _search_images(X_all, y_all, args.subset)
    preset, params, n_iter, epochs, cv = _plan(args, n_search=len(y))
    _check_enough_images(cv, X, y)
    out = _prepare_out(args.out, overwrite=args.overwrite, resume=args.resume)
    info["search images"] = len(y)
    info["search preset"] = preset.name
    if args.data is not None:
        _check_training_data(preset.estimator, X, y, f"--data {args.data}")
        given = set(params) | _searched_names(preset)
        _note(_data_defaults_notice("tune", preset.estimator, given))
    # The previous run's files are replaced only once the search, the refit
    # and the report have succeeded; an interrupted search keeps its fit
    # cache in --out/cache, for --resume.
    with _staged_run(out, keep_cache=args.resume) as stage:
        best, search, timings = _search_and_refit(
            args, stage, (preset, n_iter, epochs, cv), (X, y), (X_all, y_all, info)
        )
        with stage.hold_stdout():
            _finish(
                args,
                best,
                X_test,
                y_test,
                stage.path,
                X_train=X_all,
                target_names=names,
                data_info=info,
                timings=timings,
                search=search,
            )
    if not args.keep_cache:
        # The search is complete: its fit cache is needed only to resume.
        _remove_cache(out)
    return 0


def _search_and_refit(args, stage, protocol, search_data, all_data):
    """Run the search (its cache in ``stage``, or in --out with --resume), refit.

    Returns the refitted best estimator, the search and the timings.
    """
    from ..model_selection import (
        count_fits,
        fit_search,
        make_search,
        share_cores_between_workers,
    )

    preset, n_iter, epochs, cv = protocol
    X, y = search_data
    X_all, y_all, info = all_data
    # Before the workers start: each gets its share of the cores.
    share_cores_between_workers(args.n_jobs)
    search = make_search(
        preset,
        method=args.method,
        n_iter=n_iter,
        cv=cv,
        n_jobs=args.n_jobs,
        random_state=args.seed,
        cache_dir=(stage.out if args.resume else stage.path) / "cache",
        refit=False,
    )
    budget_line = plan_budget(args, search, X, y, len(y_all), epochs)
    plan = _describe_protocol(search, cv, X, y, epochs)
    info["search protocol"] = plan
    _say(args, f"{args.method} search of preset {preset.name}: {plan}")
    if budget_line is not None:
        info["search plan"] = budget_line
        _say(args, budget_line)
    start = time.perf_counter()
    # The ETA covers the refit and the report too: one ETA for the job.
    after = work_after_search(search, X, y, len(y_all), epochs)
    fit_search(search, X, y, verbose=0 if args.quiet else 1, after=after)
    timings = {"search_seconds": round(time.perf_counter() - start, 2)}
    n_fits, trained = count_fits(search)
    info["search fits"] = f"{n_fits} fits, {trained} epochs trained in all"
    _say(args, _gain_line(search))
    best = _refit_best(args, search, X_all, y_all, epochs, timings)
    return best, search, timings


def _gain_line(search):
    """The "did tuning pay?" line: the defaults against the winner."""
    from ..model_selection import tuning_gain

    gain = tuning_gain(search)
    if not gain["available"]:
        return f"did tuning pay? {gain['reason']}"
    se = gain["standard_error"]
    se_text = "SE unknown" if se is None else f"SE {se:.4f}"
    return (
        f"did tuning pay? on the search's folds: defaults "
        f"{gain['defaults_score']:.4f}, chosen {gain['winner_score']:.4f}, "
        f"difference {gain['difference']:+.4f} ({se_text}). {gain['verdict']}"
    )


def _choose_preset(args, n_search):
    """--preset, else the data-sized preset for --data, else the main job's."""
    from ..model_selection import get_preset, list_presets, preset_for_data

    if args.preset is None:
        if args.data is not None:
            try:
                return preset_for_data(n_search, budget=getattr(args, "budget", None))
            except ValueError as exc:
                raise UserError(f"--budget: {_one_line(exc)}") from None
        return get_preset("cnn")
    presets = list_presets()
    if args.preset not in presets:
        raise UserError(
            f"Unknown preset {args.preset!r}; choose one of {', '.join(presets)}."
        )
    return get_preset(args.preset)


def _plan(args, n_search):
    """``(preset, params, n_iter, epochs, cv)``, checked before any work.

    The preset's protocol (candidates, epochs, folds or holdout, all the
    training images) unless an option overrides it; --sample shrinks it.
    The preset's estimator gets the --param values, --epochs and --seed.
    """
    from sklearn.model_selection import KFold

    preset = _choose_preset(args, n_search)
    params = _preset_params(preset, _parse_params(args.param), method=args.method)
    n_iter = args.n_iter if args.n_iter is not None else preset.n_iter
    epochs = args.epochs if args.epochs is not None else preset.epochs
    if args.sample:
        n_iter = min(n_iter, 4) if args.n_iter is None else n_iter
        epochs = min(epochs, 4) if args.epochs is None else epochs
    cv = preset.cv if args.cv is None else KFold(args.cv, shuffle=True, random_state=0)
    preset.estimator.set_params(**params, epochs=epochs, random_state=args.seed)
    _check_params(preset.estimator, params)
    return preset, params, n_iter, epochs, cv


def _search_images(X_all, y_all, subset):
    """The images the search runs on: all, or a stratified --subset of them."""
    if subset is None or subset >= len(y_all):
        return X_all, y_all
    from sklearn.model_selection import train_test_split

    X, _, y, _ = train_test_split(
        X_all, y_all, train_size=subset, stratify=y_all, random_state=0
    )
    return X, y


def _refit_best(args, search, X_all, y_all, epochs, timings):
    """The best candidate, trained for ``epochs`` on all the training images.

    best_params_ include the epochs of the last rung (= epochs); the final
    model trains for the full budget on all the training images. They are
    the candidate the search chose (HalvingEpochsSearchCV's
    _select_best_index, with refit=False too): with a ``defaults_margin``,
    the defaults unless a challenger beat them clearly.
    """
    from sklearn.base import clone

    best = clone(search.estimator).set_params(
        **{
            **search.best_params_,
            "epochs": epochs,
            "cache_dir": None,
            "verbose": _keras_verbosity(args),
        }
    )
    best_params = search.best_params_
    chosen = (
        f"kept the defaults (no challenger beat them by more than "
        f"{search.defaults_margin:g} SE), mean CV accuracy"
        if getattr(search, "defaults_kept_", False)
        else "best mean CV accuracy"
    )
    _say(
        args,
        f"{chosen} {search.best_score_:.4f} with {_format_params(best_params)}",
        f"refitting the best candidate on {len(y_all)} images for {epochs} epochs",
    )
    own = best.get_params().get("callbacks")
    if not args.quiet and "callbacks" in best.get_params():
        # A line per epoch with the refit's ETA and the job's; not kept.
        best.set_params(callbacks=[*(own or []), refit_progress(epochs)])
    start = time.perf_counter()
    try:
        best.fit(X_all, y_all)
    finally:
        best.set_params(verbose=0)
        if "callbacks" in best.get_params():
            best.set_params(callbacks=own)
    timings["refit_seconds"] = round(time.perf_counter() - start, 2)
    return best


def _describe_protocol(search, cv, X, y, epochs):
    """One line on how a search scores candidates, for the log and report."""
    from sklearn.model_selection import check_cv

    splitter = check_cv(cv, y, classifier=True)
    try:
        train, test = next(iter(splitter.split(X, y)))
    except ValueError as exc:
        raise UserError(
            f"cannot split the {len(y)} search images for the search "
            f"({_one_line(exc)}); give a smaller --cv, or more images"
        ) from None
    n_splits = splitter.get_n_splits(X, y)
    how = (
        f"holdout of {len(test)} images, training on {len(train)}"
        if n_splits == 1
        else f"{n_splits}-fold CV ({len(train)} training images per fit)"
    )
    if hasattr(search, "planned_rungs"):
        rungs = ", ".join(f"{n} x {e}" for n, e in search.planned_rungs())
        return f"{how}; rungs (candidates x epochs) {rungs}, survivors continue"
    n = getattr(search, "n_iter", "?")
    return f"{how}; {n} candidates x {epochs} epochs"


def _check_enough_images(cv, X, y):
    """Refuse, before any training, search images too few to score candidates.

    Every class needs an image in each training part and in each
    validation part: with fewer, a fit never sees the class, or its fold
    cannot show whether it was learnt, and the scores (0.0, say) mean
    nothing.
    """
    import numpy as np
    from sklearn.model_selection import check_cv

    splitter = check_cv(cv, y, classifier=True)
    try:
        n_splits = splitter.get_n_splits(X, y)
        splits = list(splitter.split(X, y))
    except ValueError:
        return  # _describe_protocol says why the images cannot be split
    how = "the holdout" if n_splits == 1 else f"{n_splits}-fold CV"
    need = max(2, n_splits)
    classes, counts = np.unique(y, return_counts=True)
    few = [
        f"{c!r} ({k})"
        for c, k in zip(classes.tolist(), counts.tolist(), strict=True)
        if k < need
    ]
    missing = sorted(
        {c for train, _ in splits for c in np.setdiff1d(classes, y[train]).tolist()},
        key=str,
    )
    if not (few or missing):
        return
    if few:
        short = f"at least {need} images of each class; short: {', '.join(few)}"
    else:
        short = f"a training part leaves out {', '.join(map(repr, missing))}"
    raise UserError(
        f"too few search images ({len(y)}) for {how}: every class needs an image "
        f"in each training part and each validation part, so {short}. Give more "
        "images" + (", or a smaller --cv" if n_splits > 2 else "")
    )


def _format_params(params):
    """Parameters for people: numbers with 4 significant digits."""
    import numpy as np

    def fmt(v):
        if isinstance(v, (float, np.floating)):
            return f"{float(v):.4g}"
        if isinstance(v, np.integer):
            return str(int(v))
        if isinstance(v, tuple):
            return (
                "(" + ", ".join(fmt(x) for x in v) + ("," if len(v) == 1 else "") + ")"
            )
        return repr(v)

    return "{" + ", ".join(f"{k}={fmt(v)}" for k, v in sorted(params.items())) + "}"
