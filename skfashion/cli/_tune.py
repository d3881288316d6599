"""``skfashion tune``: search a preset with cross-validation, refit, report."""

import time

from ._console import UserError, _keras_verbosity, _note, _one_line, _say
from ._data import _check_color_mode_use, _check_training_data, _load_data
from ._params import (
    _check_params,
    _data_defaults_notice,
    _parse_params,
    _preset_params,
    _searched_names,
)
from ._results import _finish
from ._run_folder import _prepare_out, _remove_cache


def cmd_tune(args):
    from ..model_selection import count_fits, fit_search, make_search

    _check_color_mode_use(args)
    # The data first (a quick read): the search space of --data follows its size.
    X_all, y_all, X_test, y_test, info, names = _load_data(args)
    X, y = _search_images(X_all, y_all, args.subset)
    preset, params, n_iter, epochs, cv = _plan(args, n_search=len(y))
    out = _prepare_out(args.out, overwrite=args.overwrite, resume=args.resume)
    info["search images"] = len(y)
    info["search preset"] = preset.name
    if args.data is not None:
        _check_training_data(preset.estimator, X, y, f"--data {args.data}")
        given = set(params) | _searched_names(preset)
        _note(_data_defaults_notice("tune", preset.estimator, given))
    search = make_search(
        preset,
        method=args.method,
        n_iter=n_iter,
        cv=cv,
        n_jobs=args.n_jobs,
        random_state=args.seed,
        cache_dir=out / "cache",
        refit=False,
    )
    plan = _describe_protocol(search, cv, X, y, epochs)
    info["search protocol"] = plan
    _say(args, f"{args.method} search of preset {preset.name}: {plan}")
    start = time.perf_counter()
    fit_search(search, X, y, verbose=0 if args.quiet else 1)
    timings = {"search_seconds": round(time.perf_counter() - start, 2)}
    n_fits, trained = count_fits(search)
    info["search fits"] = f"{n_fits} fits, {trained} epochs trained in all"
    best = _refit_best(args, search, X_all, y_all, epochs, timings)
    _finish(
        args,
        best,
        X_test,
        y_test,
        out,
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


def _choose_preset(args, n_search):
    """--preset, else the data-sized preset for --data, else the main job's."""
    from ..model_selection import get_preset, list_presets, preset_for_data

    if args.preset is None:
        if args.data is not None:
            return preset_for_data(n_search)
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
    model trains for the full budget on all the training images.
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
    _say(
        args,
        f"best mean CV accuracy {search.best_score_:.4f} with "
        f"{_format_params(search.best_params_)}",
        f"refitting the best candidate on {len(y_all)} images for {epochs} epochs",
    )
    start = time.perf_counter()
    best.fit(X_all, y_all)
    best.set_params(verbose=0)
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
