"""``skfashion tune --budget``: a halving plan that keeps a cost in default fits."""

from ._console import UserError


def _split_shape(search, X, y, n_default):
    """``(n_splits, train_fraction)`` of the search's folds over ``n_default``."""
    from sklearn.model_selection import check_cv

    splitter = check_cv(search.cv, y, classifier=True)
    train_sizes = [len(train) for train, _ in splitter.split(X, y)]
    return len(train_sizes), sum(train_sizes) / len(train_sizes) / n_default


def _cost(search, n_splits, fraction):
    from ..model_selection import halving_cost

    return halving_cost(
        search.planned_rungs(),
        n_splits=n_splits,
        train_fraction=fraction,
        include_defaults=bool(search.include_defaults),
    )


def plan_budget(args, search, X, y, n_default, epochs):
    """Keep ``search`` within ``--budget``; the plan's line for the log.

    One default fit trains the estimator for ``epochs`` on all the
    ``n_default`` training images (the refit). Without ``--n-iter`` the
    candidates are cut until the plan fits the budget; with it, a plan over
    the budget is refused. Nothing is trained here.
    """
    budget = getattr(args, "budget", None)
    if not hasattr(search, "planned_rungs"):
        if budget is not None:
            raise UserError(
                "--budget plans a halving search; drop --method random (or "
                "drop --budget)"
            )
        return None
    n_splits, fraction = _split_shape(search, X, y, n_default)
    cost = _cost(search, n_splits, fraction)
    if budget is not None and cost > budget and args.n_iter is None:
        from ..model_selection._budget import most_candidates_within

        n, cost = most_candidates_within(
            budget,
            lambda n: _cost(search.set_params(n_candidates=n), n_splits, fraction),
            most=search.n_candidates - 1,
            fewest=2,
        )
        search.set_params(n_candidates=n)
    if budget is not None and cost > budget:
        fixes = [f"--budget {cost:.2f} or more"]
        if args.n_iter is not None:
            fixes.append("a smaller --n-iter")
        if n_splits > 1:
            fixes.append("fewer --cv folds")
        raise UserError(
            f"--budget {budget:g}: the smallest plan costs {cost:.2f} default "
            f"fits ({search.n_candidates} candidates, {n_splits} split(s)); "
            f"give {' or '.join(fixes)}"
        )
    return _plan_line(search, X, (n_default, n_splits), epochs, cost, budget)


def _plan_line(search, X, sizes, epochs, cost, budget):
    from ..model_selection import rung_candidates
    from ..model_selection._budget import FIT_OVERHEAD_SECONDS, estimate_fit_seconds

    n_default, n_splits = sizes

    rungs = search.planned_rungs()
    counts = rung_candidates(rungs, include_defaults=bool(search.include_defaults))
    shown = ", ".join(f"{c} x {e}" for c, (_, e) in zip(counts, rungs, strict=True))
    carried = " (the defaults carried to the last)" if search.include_defaults else ""
    n_fits = sum(counts) * n_splits + 1
    seconds = cost * estimate_fit_seconds(n_default, epochs, X.shape[1:])
    minutes = (seconds + n_fits * FIT_OVERHEAD_SECONDS) / 60
    within = "" if budget is None else f" (budget {budget:g})"
    return (
        f"plan: {search.n_candidates} candidates, {len(rungs)} rungs of at most "
        f"{shown} candidates x epochs{carried}; planned cost {cost:.2f} default "
        f"fits{within} (1 default fit = {epochs} epochs on {n_default:,} images, "
        f"the refit included), about {max(minutes, 0.1):.1f} min (an estimate "
        f"from images x epochs at the default CNN's speed on 2 CPU cores and "
        f"{FIT_OVERHEAD_SECONDS:g} s per fit, not measured)"
    )
