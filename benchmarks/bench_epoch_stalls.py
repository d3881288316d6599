"""Time lost between epochs: the estimator's fit against Keras' own on arrays.

A callback records, for each epoch, the seconds from the epoch's start to
its first batch (where the epoch's input iterator is built) and the epoch's
length, in two arms alternated twice, on the same network and images:

* ``fit``: ``KerasCNNClassifier.fit`` as users call it (one endless
  ``tf.data`` pipeline per fit);
* ``keras_arrays``: the fitted network's ``model_.fit`` on the NumPy arrays,
  which makes Keras build a new input iterator at every epoch (what the
  estimator did before); on the 2-core development machine that start often
  left both cores idle for seconds.

Records ``fit_epoch_start_gap_seconds`` and
``keras_arrays_epoch_start_gap_seconds`` (the mean gap per epoch after the
first) and ``fit_epoch_seconds`` and ``keras_arrays_epoch_seconds`` (the
median epoch after the first)::

    python benchmarks/bench_epoch_stalls.py
    python benchmarks/bench_epoch_stalls.py --quick
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
from _results import record, report  # noqa: E402

from skfashion.datasets import fetch_fashion_mnist  # noqa: E402
from skfashion.models import KerasCNNClassifier  # noqa: E402


class _EpochClock(keras.callbacks.Callback):
    """Each epoch's gap before its first batch, and its length, in seconds."""

    def __init__(self):
        super().__init__()
        self.gaps, self.lengths = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._start, self._first = time.perf_counter(), None

    def on_train_batch_begin(self, batch, logs=None):
        if self._first is None:
            self._first = time.perf_counter() - self._start

    def on_epoch_end(self, epoch, logs=None):
        self.gaps.append(self._first)
        self.lengths.append(time.perf_counter() - self._start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
    n, epochs, batch = (2000, 3, 128) if args.quick else (30_000, 6, 128)
    X, y = X[:n], y[:n]
    gaps = {"fit": [], "keras_arrays": []}
    lengths = {"fit": [], "keras_arrays": []}
    for _ in range(2):
        clock = _EpochClock()
        est = KerasCNNClassifier(epochs=epochs, random_state=0, callbacks=[clock])
        est.fit(X, y)
        gaps["fit"] += clock.gaps[1:]
        lengths["fit"] += clock.lengths[1:]

        clock = _EpochClock()
        est.model_.fit(
            X,
            y,
            batch_size=batch,
            epochs=epochs,
            shuffle=True,
            verbose=0,
            callbacks=[clock],
        )
        gaps["keras_arrays"] += clock.gaps[1:]
        lengths["keras_arrays"] += clock.lengths[1:]
    for arm in gaps:
        print(
            f"{arm}: gaps before the first batch (s)",
            [round(g, 2) for g in gaps[arm]],
            "epochs (s)",
            [round(t, 2) for t in lengths[arm]],
            flush=True,
        )
    figures = {
        "epoch_start_gap_seconds": (statistics.fmean, gaps),
        "epoch_seconds": (statistics.median, lengths),
    }
    report(
        [
            record(f"{arm}_{name}", summary(values[arm]), "s", better="<=")
            for name, (summary, values) in figures.items()
            for arm in values
        ],
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
