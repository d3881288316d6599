"""Random search, scikit-learn's halving and skfashion's halving on S1's space.

The three searches get the same 9 candidates (same ``random_state``) from
study S1's space on a stratified 10,000-image subset of the training images,
2-fold CV, S1's 10 epochs:

- ``RandomizedSearchCV`` trains every candidate for 10 epochs;
- scikit-learn's ``HalvingRandomSearchCV`` (resource ``epochs``, factor 3)
  retrains every survivor from scratch at each rung;
- skfashion's ``HalvingEpochsSearchCV`` (factor 3, first rung 1 epoch)
  continues each survivor's training, so a rung costs only its increment.

scikit-learn's arm needs a ``HalvingRandomSearchCV`` with a ``resource``
parameter. scikit-learn's main branch removed it (expected in 1.10: its
halving searchers then grow the number of samples only), so where the
installed version lacks it the arm is skipped, with the reason printed, and
its earlier records stay as they were.

::

    python benchmarks/bench_halving.py
    python benchmarks/bench_halving.py --quick

Records, for each halving searcher, the epochs it trained over those of
random search (``halving_epoch_ratio``: ours, target <= 0.25;
``sklearn_halving_epoch_ratio``: scikit-learn's, a third by its schedule),
the best CV accuracy of random search minus its own (``halving_score_gap``,
``sklearn_halving_score_gap``, target <= 0.003) and the wall times. No
candidate stops early, so the epoch ratios follow from the schedules; the
score gaps and wall times are the measured outcomes.
"""

import argparse
import inspect
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import sklearn  # noqa: E402
from _results import record, report  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    KFold,
    RandomizedSearchCV,
    train_test_split,
)

from skfashion.datasets import fetch_fashion_mnist  # noqa: E402
from skfashion.model_selection import (  # noqa: E402
    HalvingEpochsSearchCV,
    count_fits,
    get_preset,
)


def sklearn_halving_on_epochs():
    """scikit-learn's ``HalvingRandomSearchCV`` if it can halve on epochs.

    Returns ``(HalvingRandomSearchCV, None)``, or ``(None, reason)`` when the
    installed scikit-learn has no such searcher or no ``resource``
    parameter to name ``epochs`` with.
    """
    version = sklearn.__version__
    try:
        from sklearn.experimental import enable_halving_search_cv  # noqa: F401
        from sklearn.model_selection import HalvingRandomSearchCV
    except ImportError as exc:
        return None, f"scikit-learn {version} has no HalvingRandomSearchCV ({exc})"
    if "resource" not in inspect.signature(HalvingRandomSearchCV).parameters:
        return None, (
            f"scikit-learn {version}'s HalvingRandomSearchCV has no `resource` "
            "parameter (removed for 1.10): it halves on the number of samples "
            "only, not on epochs"
        )
    return HalvingRandomSearchCV, None


def searchers(estimator, space, *, n_iter, epochs, cv):
    """The searches to compare, by name, and why scikit-learn's is left out.

    Returns ``(searches, skipped)``: ``skipped`` is None, or the reason
    scikit-learn's halving arm cannot run here.
    """
    common = dict(cv=cv, random_state=0, refit=False)
    searches = {"random": RandomizedSearchCV(estimator, space, n_iter=n_iter, **common)}
    halving_cls, skipped = sklearn_halving_on_epochs()
    if halving_cls is not None:
        searches["sklearn_halving"] = halving_cls(
            estimator,
            space,
            n_candidates=n_iter,
            resource="epochs",
            max_resources=epochs,
            min_resources=1,
            factor=3,
            return_train_score=False,
            **common,
        )
    searches["halving"] = HalvingEpochsSearchCV(
        estimator,
        space,
        n_candidates=n_iter,
        factor=3,
        min_epochs=1,
        **common,
    )
    return searches, skipped


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--subset", type=int, default=10_000)
    parser.add_argument("--n-iter", type=int, default=9)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--folds", type=int, default=2)
    args = parser.parse_args(argv)
    if args.quick:
        args.subset, args.n_iter, args.epochs = 600, 3, 3
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
    X, _, y, _ = train_test_split(
        X, y, train_size=args.subset, stratify=y, random_state=0
    )
    preset = get_preset("s1-cnn")
    # batch 128 instead of S1's 32: the same space, 3x cheaper on CPU
    estimator = preset.estimator.set_params(
        epochs=args.epochs, batch_size=128, random_state=0
    )
    cv = KFold(args.folds, shuffle=True, random_state=0)
    results = {}
    searches, skipped = searchers(
        estimator,
        preset.param_distributions,
        n_iter=args.n_iter,
        epochs=args.epochs,
        cv=cv,
    )
    if skipped is not None:
        print(f"sklearn_halving: skipped: {skipped}", flush=True)
    for name, search in searches.items():
        start = time.perf_counter()
        search.fit(X, y)
        seconds = time.perf_counter() - start
        n_fits, epochs = count_fits(search)
        results[name] = (search.best_score_, epochs, seconds)
        print(
            f"{name}: best CV accuracy {search.best_score_:.4f}, {n_fits} fits, "
            f"{epochs} epochs, {seconds:.0f} s",
            flush=True,
        )
    r_score, r_epochs, r_s = results["random"]
    records = [
        record("random_search_best_cv_accuracy", r_score, "fraction"),
        record("random_search_wall_seconds", r_s, "s"),
    ]
    for name in ("halving", "sklearn_halving"):
        if name not in results:
            continue  # skipped, reason printed above
        score, epochs, seconds = results[name]
        target = 0.25 if name == "halving" else None
        records += [
            record(
                f"{name}_epoch_ratio", epochs / r_epochs, "ratio",
                target=target, better="<=",
            ),
            record(
                f"{name}_score_gap", r_score - score, "accuracy",
                target=0.003, better="<=",
            ),
            record(f"{name}_time_ratio", seconds / r_s, "ratio", better="<="),
            record(f"{name}_wall_seconds", seconds, "s"),
            record(f"{name}_search_best_cv_accuracy", score, "fraction"),
        ]  # fmt: skip
    report(records, quick=args.quick)


if __name__ == "__main__":
    main()
