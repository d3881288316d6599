"""Resident memory across the fits of one search, in one process.

A search of hundreds of fits must run in bounded memory. This runs a
50-fit ``RandomizedSearchCV`` of a small MLP (25 candidates x 2 folds) on
the bundled 1,000-image sample, serially, and reads the process's resident
set size after every fit (from a scorer, which runs right after each fit).
``bench_hardware.py`` records the same for 9 fits of the default CNN on
the full data (``search_rss_growth_mb``).
It prints two figures::

    search50_rss_growth_mb = <growth> MB
    fit_rss_growth_mb_per_fit = <growth per fit> MB  (target <= 1.0: ...)

``search50_rss_growth_mb`` is the growth from the 5th fit to the last (the
first fits load TensorFlow's kernels and caches), ``fit_rss_growth_mb_per_fit``
that growth divided by the number of fits in between. Run
``python benchmarks/bench_memory.py [--quick]``; ``--quick`` runs 12 fits.
"""

import argparse

import numpy as np
from bench_hardware import _RssScorer
from sklearn.model_selection import KFold, RandomizedSearchCV

from skfashion.datasets import load_fashion_mnist_sample
from skfashion.models import KerasMLPClassifier

TARGET_MB_PER_FIT = 1.0
FIRST_COUNTED_FIT = 5


def measure(n_fits):
    X, y = load_fashion_mnist_sample(return_X_y=True)
    scorer = _RssScorer()

    search = RandomizedSearchCV(
        KerasMLPClassifier(hidden_layer_sizes=(32,), epochs=2, random_state=0),
        {"learning_rate": np.geomspace(1e-3, 1e-2, 50), "dropout": [0.0, 0.1]},
        n_iter=n_fits // 2,
        cv=KFold(2, shuffle=True, random_state=0),
        scoring=scorer,
        refit=False,
        random_state=0,
    )
    search.fit(X, y)
    return scorer.rss


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12 fits, not 50")
    args = parser.parse_args(argv)
    readings = measure(12 if args.quick else 50)
    first = FIRST_COUNTED_FIT - 1
    growth = readings[-1] - readings[first]
    per_fit = growth / (len(readings) - 1 - first)
    from _results import record, report

    report(
        [
            record("search50_rss_growth_mb", growth, "MB", better="<="),
            record(
                "fit_rss_growth_mb_per_fit",
                per_fit,
                "MB",
                target=TARGET_MB_PER_FIT,
                better="<=",
            ),
        ],
        quick=args.quick,
    )
    print(
        f"  RSS after fits 1, {FIRST_COUNTED_FIT}, {len(readings)}: "
        f"{readings[0]:.0f}, {readings[first]:.0f}, {readings[-1]:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
