"""skfashion beside its peers, measured in one run on the same data.

* scikit-learn's ``MLPClassifier((512, 256), early_stopping=True)`` versus
  ``KerasMLPClassifier(hidden_layer_sizes=(512, 256))`` (the peer's hidden
  layers; skfashion's default is (1024, 512)): test accuracy and training
  time. The rest is each library's own default training
  (scikit-learn: constant-rate Adam, stopping on a 10% validation split;
  skfashion: AdamW with a cosine schedule, batch normalisation and dropout,
  30 epochs on all the images).
* The same Keras network fitted directly with ``model.fit`` versus through
  the wrapper (same data, epochs, batch size, optimizer, loss, schedule), timed
  alternately: ``wrapper_overhead_ratio`` (target <= 1.05).

::

    python benchmarks/bench_peers.py
    python benchmarks/bench_peers.py --quick
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _results import record, report  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

from skfashion.datasets import fetch_fashion_mnist  # noqa: E402
from skfashion.models import KerasCNNClassifier, KerasMLPClassifier  # noqa: E402


def sklearn_vs_ours(X, y, X_test, y_test, *, quick):
    out = []
    for name, est in (
        (
            "sklearn_mlp",
            MLPClassifier(
                (512, 256),
                early_stopping=True,
                random_state=0,
                max_iter=5 if quick else 200,
            ),
        ),
        (
            "skfashion_mlp",
            # The peer's hidden layers, skfashion's training otherwise.
            KerasMLPClassifier(
                hidden_layer_sizes=(512, 256),
                random_state=0,
                **({"epochs": 2} if quick else {}),
            ),
        ),
    ):
        Xf = X / 255.0 if name == "sklearn_mlp" else X
        start = time.perf_counter()
        est.fit(Xf, y)
        seconds = time.perf_counter() - start
        acc = est.score(X_test / 255.0 if name == "sklearn_mlp" else X_test, y_test)
        out += [
            record(f"{name}_test_accuracy", acc, "fraction"),
            record(f"{name}_train_seconds", seconds, "s", better="<="),
        ]
    return out


def wrapper_overhead(X, y, *, epochs, repeats):
    """Median time of the wrapper over median time of plain Keras."""
    params = dict(epochs=epochs, random_state=0, lr_schedule="constant")
    wrapped, direct = [], []
    X32 = X.astype(np.float32)
    for _ in range(repeats):
        est = KerasCNNClassifier(**params)
        start = time.perf_counter()
        est.fit(X, y)
        wrapped.append(time.perf_counter() - start)
        # The identical network, built by the wrapper, re-initialised and
        # trained directly with Keras on the same arrays.
        model = keras.models.clone_model(est.model_)
        model.compile(
            optimizer=keras.optimizers.AdamW(
                est.learning_rate, weight_decay=est.weight_decay
            ),
            loss=est.model_.loss,  # the wrapper's own (label smoothing included)
            metrics=["accuracy"],
            jit_compile=False,
        )
        start = time.perf_counter()
        model.fit(
            X32, y, epochs=epochs, batch_size=est.batch_size_, verbose=0, shuffle=True
        )
        direct.append(time.perf_counter() - start)
    ratio = statistics.median(wrapped) / statistics.median(direct)
    print(f"wrapper {wrapped}  direct {direct}", flush=True)
    return [record("wrapper_overhead_ratio", ratio, "ratio", target=1.05, better="<=")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
    X_test, y_test = fetch_fashion_mnist(subset="test", return_X_y=True)
    if args.quick:
        X, y, X_test, y_test = X[:1500], y[:1500], X_test[:500], y_test[:500]
    records = sklearn_vs_ours(X, y, X_test, y_test, quick=args.quick)
    n = 1500 if args.quick else 20_000
    records += wrapper_overhead(
        X[:n], y[:n], epochs=1 if args.quick else 3, repeats=1 if args.quick else 3
    )
    report(records, quick=args.quick)


if __name__ == "__main__":
    main()
