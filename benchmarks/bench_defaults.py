"""Default CNN and MLP: test accuracy and training time on Fashion-MNIST.

Trains each estimator with no arguments (only ``random_state``) on the 60,000
training images and scores it on the 10,000 test images::

    python benchmarks/bench_defaults.py            # both models, full data
    python benchmarks/bench_defaults.py --model cnn
    python benchmarks/bench_defaults.py --quick    # smoke run, small subset
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from _results import record, report  # noqa: E402

from skfashion.datasets import fetch_fashion_mnist  # noqa: E402
from skfashion.models import KerasCNNClassifier, KerasMLPClassifier  # noqa: E402

TARGETS = {"cnn": (0.93, 900.0), "mlp": (0.90, 120.0)}


def run(model, *, quick, seed):
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
    X_test, y_test = fetch_fashion_mnist(subset="test", return_X_y=True)
    params = {"random_state": seed}
    if quick:
        X, y, X_test, y_test = X[:2000], y[:2000], X_test[:1000], y_test[:1000]
        params["epochs"] = 2
    cls = KerasCNNClassifier if model == "cnn" else KerasMLPClassifier
    est = cls(**params)
    start = time.perf_counter()
    est.fit(X, y)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    acc = est.score(X_test, y_test)
    predict_s = time.perf_counter() - start
    acc_target, time_target = TARGETS[model]
    return [
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
            len(X) * est.n_iter_ / train_s,
            "images/s",
        ),
        record(
            f"{model}_default_predict_images_per_second",
            len(X_test) / predict_s,
            "images/s",
        ),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["cnn", "mlp", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="small subset, 2 epochs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    models = ["mlp", "cnn"] if args.model == "both" else [args.model]
    for model in models:
        report(run(model, quick=args.quick, seed=args.seed), quick=args.quick)


if __name__ == "__main__":
    main()
