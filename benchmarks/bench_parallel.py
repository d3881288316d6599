"""A search with ``n_jobs=2`` versus ``n_jobs=1`` on this machine.

The same 8-fit random search of the default CNN runs serially and then with
two worker processes, each given half of the cores for TensorFlow by
:func:`skfashion.model_selection.make_search`. Records
``search_n_jobs2_speedup`` (serial time / parallel time; >= 1 means two jobs
are not slower)::

    python benchmarks/bench_parallel.py
    python benchmarks/bench_parallel.py --quick
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from _results import record, report  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

from skfashion.datasets import fetch_fashion_mnist  # noqa: E402
from skfashion.model_selection import make_search  # noqa: E402
from skfashion.models import KerasCNNClassifier  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
    n = 600 if args.quick else 4000
    X, y = X[:n], y[:n]
    space = {"dropout": [0.3, 0.4, 0.5], "dense_units": [128, 256]}
    timings, scores = {}, {}
    # The parallel run goes second: its worker processes must start after
    # make_search has set their TensorFlow thread counts.
    for n_jobs in (1, 2):
        search = make_search(
            KerasCNNClassifier(epochs=1 if args.quick else 3, random_state=0),
            space,
            n_iter=4,
            cv=KFold(2),
            n_jobs=n_jobs,
            random_state=0,
            refit=False,
        )
        start = time.perf_counter()
        search.fit(X, y)
        timings[n_jobs] = time.perf_counter() - start
        scores[n_jobs] = search.cv_results_["mean_test_score"]
        print(f"n_jobs={n_jobs}: {timings[n_jobs]:.1f} s", flush=True)
    print("same scores:", bool(np.allclose(scores[1], scores[2])), flush=True)
    speedup = timings[1] / timings[2]
    report(
        [record("search_n_jobs2_speedup", speedup, "ratio", target=1.0)],
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
