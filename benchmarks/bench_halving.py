"""Successive halving on epochs versus random search, on study S1's space.

Both searches sample the same candidates (same ``random_state``) from S1's
space on a stratified subset of the training images; random search trains
every candidate for the full number of epochs, halving only the survivors::

    python benchmarks/bench_halving.py            # 10,000 images, 9 candidates
    python benchmarks/bench_halving.py --quick

Records ``halving_epoch_ratio`` (epochs trained by halving / by random search,
target <= 0.34) and ``halving_score_gap`` (best CV accuracy of random search
minus that of halving, target <= 0.003). No candidate stops early, so the
epoch ratio follows from the schedule (9 candidates, factor 3: 9 x 1 + 3 x 3
+ 1 x 9 epochs against 9 x 9, a third); the score gap and
``halving_time_ratio``, the wall time of halving over random search, are the
measured outcomes. Random search runs first and so also pays TensorFlow's
one-time start-up, which favours halving slightly in the time ratio.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from _results import record, report  # noqa: E402
from sklearn.model_selection import KFold, train_test_split  # noqa: E402

from skfashion.datasets import fetch_fashion_mnist  # noqa: E402
from skfashion.model_selection import count_fits, get_preset, make_search  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--subset", type=int, default=10_000)
    parser.add_argument("--n-iter", type=int, default=9)
    parser.add_argument("--epochs", type=int, default=9)
    parser.add_argument("--folds", type=int, default=2)
    args = parser.parse_args(argv)
    if args.quick:
        args.subset, args.n_iter, args.epochs = 600, 4, 4
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
    X, _, y, _ = train_test_split(
        X, y, train_size=args.subset, stratify=y, random_state=0
    )
    cv = KFold(args.folds, shuffle=True, random_state=0)
    results = {}
    for method in ("random", "halving"):
        preset = get_preset("s1-cnn")
        # batch 128 instead of S1's 32: the same space, 3x cheaper on CPU
        preset.estimator.set_params(epochs=args.epochs, batch_size=128, random_state=0)
        search = make_search(
            preset,
            method=method,
            n_iter=args.n_iter,
            cv=cv,
            random_state=0,
            refit=False,
            factor=3,
        )
        start = time.perf_counter()
        search.fit(X, y)
        seconds = time.perf_counter() - start
        n_fits, epochs = count_fits(search)
        results[method] = (search.best_score_, epochs, seconds, n_fits)
        print(
            f"{method}: best CV accuracy {search.best_score_:.4f}, {n_fits} fits, "
            f"{epochs} epochs, {seconds:.0f} s, best {search.best_params_}",
            flush=True,
        )
    (r_score, r_epochs, r_s, _), (h_score, h_epochs, h_s, _) = (
        results["random"],
        results["halving"],
    )
    report(
        [
            record(
                "halving_epoch_ratio",
                h_epochs / r_epochs,
                "ratio",
                target=0.34,
                better="<=",
            ),
            record(
                "halving_score_gap",
                r_score - h_score,
                "accuracy",
                target=0.003,
                better="<=",
            ),
            record("halving_time_ratio", h_s / r_s, "ratio", better="<="),
            record("random_search_best_cv_accuracy", r_score, "fraction"),
            record("halving_search_best_cv_accuracy", h_score, "fraction"),
        ],
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
