"""Default CNN and MLP: test accuracy and training time on Fashion-MNIST.

Trains each estimator with no arguments (only ``random_state``) on the 60,000
training images and scores it on the 10,000 test images::

    python benchmarks/bench_defaults.py            # both models, full data
    python benchmarks/bench_defaults.py --model mlp --repeats 5
    python benchmarks/bench_defaults.py --quick    # smoke run, small subset

With ``--repeats R`` each model is trained R times with seeds ``seed``,
``seed + 1``, ...; the figures are the medians, ``_min``/``_max`` records
give the spread of the test accuracy and ``_seeds`` the number of runs, so
that one lucky seed cannot carry a claim. The predict figures time one
``score`` call on the test images, first call included (end to end);
``bench_hardware.py`` measures steady-state prediction.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from _results import record, report  # noqa: E402

from skfashion.datasets import fetch_fashion_mnist  # noqa: E402
from skfashion.models import KerasCNNClassifier, KerasMLPClassifier  # noqa: E402

TARGETS = {"cnn": (0.94, 900.0), "mlp": (0.90, 180.0)}


def train_and_score(model, X, y, X_test, y_test, *, quick, seed):
    """One default fit: (test accuracy, train s, train images/s, predict images/s)."""
    params = {"random_state": seed}
    if quick:
        params["epochs"] = 2
    cls = KerasCNNClassifier if model == "cnn" else KerasMLPClassifier
    est = cls(**params)
    start = time.perf_counter()
    est.fit(X, y)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    acc = est.score(X_test, y_test)
    predict_s = time.perf_counter() - start
    print(f"{model} seed {seed}: test accuracy {acc:.4f}, {train_s:.0f} s", flush=True)
    return acc, train_s, len(X) * est.n_iter_ / train_s, len(X_test) / predict_s


def default_runs(model, *, quick, seed, repeats):
    """Array of (test accuracy, train s, train images/s, predict images/s)."""
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
    X_test, y_test = fetch_fashion_mnist(subset="test", return_X_y=True)
    if quick:
        X, y, X_test, y_test = X[:2000], y[:2000], X_test[:1000], y_test[:1000]
    return np.array(
        [
            train_and_score(model, X, y, X_test, y_test, quick=quick, seed=seed + i)
            for i in range(repeats)
        ]
    )


def run(model, *, quick, seed, repeats):
    runs = default_runs(model, quick=quick, seed=seed, repeats=repeats)
    return records_from_runs(model, runs)


def records_from_runs(model, runs):
    """Median records, and the spread of the test accuracy, of ``runs``."""
    repeats = len(runs)
    acc, train_s, train_ips, predict_ips = np.median(runs, axis=0)
    acc_target, time_target = TARGETS[model]
    # Written for one run too (then equal to the figure), so that a spread
    # from an earlier run with more seeds never outlives its median.
    spread = [
        record(f"{model}_default_test_accuracy_min", runs[:, 0].min(), "fraction"),
        record(f"{model}_default_test_accuracy_max", runs[:, 0].max(), "fraction"),
        record(f"{model}_default_seeds", repeats, "runs"),
    ]
    return spread + [
        record(f"{model}_default_test_accuracy", acc, "fraction", target=acc_target),
        record(
            f"{model}_default_train_seconds",
            train_s,
            "s",
            target=time_target,
            better="<=",
        ),
        record(
            f"{model}_default_train_images_per_second",
            train_ips,
            "images/s",
        ),
        record(
            f"{model}_default_predict_images_per_second",
            predict_ips,
            "images/s",
        ),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["cnn", "mlp", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="small subset, 2 epochs")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument(
        "--repeats", type=int, default=1, help="fits per model; medians are recorded"
    )
    args = parser.parse_args(argv)
    models = ["mlp", "cnn"] if args.model == "both" else [args.model]
    for model in models:
        records = run(model, quick=args.quick, seed=args.seed, repeats=args.repeats)
        report(records, quick=args.quick)


if __name__ == "__main__":
    main()
