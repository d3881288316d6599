"""What a halving search costs, in default fits, and plans that keep a budget.

One *default fit* is the training of the estimator for its full ``epochs``
on all the training images: what ``skfashion train`` does once. A halving
search of :class:`HalvingEpochsSearchCV` continues its survivors' training,
so each rung adds only the epochs its candidates lack; the refit of the
winner is one more default fit.
"""

import math
from numbers import Integral, Real

from .._sklearn_privates import Interval, validate_params

__all__ = ["halving_cost", "rung_candidates"]

#: Images x epochs per second of the default CNN on 28 x 28 grayscale images
#: on two CPU cores (60,000 images x 25 epochs in 444 s, benchmarks/README.md).
#: Only an estimate of the minutes a plan takes: another network, a GPU or a
#: busy machine change it.
DEFAULT_CNN_IMAGE_EPOCHS_PER_SECOND = 3400.0
#: Seconds each (candidate, fold) fit of a search spends beside its epochs
#: (building, compiling and saving the network), for the same estimate.
FIT_OVERHEAD_SECONDS = 5.0


def rung_candidates(rungs, *, include_defaults=False):
    """Candidates each rung trains at most, the carried defaults included.

    With ``include_defaults`` the defaults candidate goes on to every rung
    whatever its rank: where it is not among the best, it is one candidate
    more than the schedule's. This is the count that rung can reach.

    Parameters
    ----------
    rungs : list of (int, int)
        ``(candidates, epochs)`` of each rung, as :func:`halving_schedule`
        gives them.
    include_defaults : bool, default=False
        Whether the defaults candidate is carried to the last rung.

    Returns
    -------
    counts : list of int
        Most candidates of each rung.

    Examples
    --------
    >>> from skfashion.model_selection import halving_schedule, rung_candidates
    >>> rung_candidates(halving_schedule(9, 25), include_defaults=True)
    [9, 4, 2]
    """
    counts = []
    for n, _ in rungs:
        if not counts:
            counts.append(int(n))
            continue
        present = counts[-1]
        extra = 1 if include_defaults and n < present else 0
        counts.append(min(int(n), present) + extra)
    return counts


@validate_params(
    {
        "rungs": [list, tuple],
        "n_splits": [Interval(Integral, 1, None, closed="left")],
        "train_fraction": [Interval(Real, 0, None, closed="right")],
        "include_defaults": ["boolean"],
        "refit": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def halving_cost(
    rungs, *, n_splits=1, train_fraction=1.0, include_defaults=False, refit=True
):
    """Cost of a halving search and its refit, in default fits.

    One default fit trains the estimator for its full epochs (the last
    rung's) on all the images. Each rung costs its candidates x the epochs
    it adds / the last rung's epochs x ``n_splits`` x ``train_fraction``
    (survivors continue their training, so a rung trains only the epochs
    it adds); the refit costs 1. With ``include_defaults`` every rung after
    the first counts the carried defaults candidate as one candidate more
    (see :func:`rung_candidates`): the cost is what the search can reach,
    and a search whose defaults rank among the best costs less.

    Parameters
    ----------
    rungs : list of (int, int)
        ``(candidates, epochs)`` of each rung, as :func:`halving_schedule`
        or :meth:`HalvingEpochsSearchCV.planned_rungs` give them.
    n_splits : int, default=1
        Folds of the cross-validation (1 for a holdout).
    train_fraction : float, default=1.0
        Images of one training fold over the images of a default fit:
        ``(k - 1) / k`` for k-fold CV, ``1 - test_size`` for a holdout.
    include_defaults : bool, default=False
        Whether the defaults candidate is carried to the last rung.
    refit : bool, default=True
        Count the refit of the winner (one default fit).

    Returns
    -------
    cost : float
        Default fits.

    Examples
    --------
    >>> from skfashion.model_selection import halving_cost, halving_schedule
    >>> rungs = halving_schedule(9, 25)
    >>> rungs
    [(9, 3), (3, 8), (1, 25)]
    >>> # a holdout of a fifth: (9*3 + 3*5 + 1*17) * 0.8 / 25 + 1
    >>> round(halving_cost(rungs, train_fraction=0.8), 4)
    2.888
    >>> round(halving_cost(rungs, train_fraction=0.8, include_defaults=True), 4)
    3.592
    """
    if not rungs:
        raise ValueError("rungs must hold at least one (candidates, epochs) rung.")
    final = rungs[-1][1]
    counts = rung_candidates(rungs, include_defaults=include_defaults)
    image_epochs, previous = 0, 0
    for count, (_, epochs) in zip(counts, rungs, strict=True):
        image_epochs += count * (epochs - previous)
        previous = epochs
    search = image_epochs * n_splits * float(train_fraction) / final
    return search + (1.0 if refit else 0.0)


def most_candidates_within(budget, cost_of, *, most, fewest):
    """The most candidates, from ``most`` down to ``fewest``, within ``budget``.

    ``cost_of(n)`` is the cost in default fits of a plan of ``n``
    candidates. Returns ``(n, cost)`` of the first plan that costs at most
    ``budget``, or ``(fewest, cost)`` of the cheapest one tried when none
    does (the caller refuses it).
    """
    for n in range(max(most, fewest), fewest - 1, -1):
        cost = cost_of(n)
        if cost <= budget:
            break
    return n, cost


def estimate_fit_seconds(n_images, epochs, image_shape):
    """Seconds of one fit estimated from images x epochs (not measured).

    Scaled from the default CNN's speed on 28 x 28 images by the pixels of
    ``image_shape`` (channels aside); an order of magnitude, not a promise.
    """
    pixels = math.prod(image_shape[:2]) if len(image_shape) >= 2 else 784
    scale = max(pixels, 1) / 784
    return n_images * epochs * scale / DEFAULT_CNN_IMAGE_EPOCHS_PER_SECOND
