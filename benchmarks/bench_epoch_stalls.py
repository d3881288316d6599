"""Time lost between epochs: the default CNN's fit against one input pipeline.

The default CNN's steady training step predicts a fit several tenths faster
than the recorded fits take. This script measures where the difference
goes. A callback records, for each epoch, the seconds from the epoch's start
to its first batch (Keras builds the epoch's input iterator in between) and
the epoch's length. It does so in two arms, alternated twice, on the same
network and images:

* ``fit``: ``KerasCNNClassifier.fit`` as users call it (NumPy arrays, which
  Keras turns into a new input iterator every epoch);
* ``dataset``: the fitted network's ``model_.fit`` on one repeated, shuffled
  ``tf.data`` pipeline built once, with ``steps_per_epoch``.

Records ``fit_epoch_start_gap_seconds`` and
``dataset_epoch_start_gap_seconds`` (the mean gap per epoch after the first)
and ``fit_epoch_seconds`` and ``dataset_epoch_seconds`` (the median epoch
after the first)::

    python benchmarks/bench_epoch_stalls.py
    python benchmarks/bench_epoch_stalls.py --quick
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
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
    gaps = {"fit": [], "dataset": []}
    lengths = {"fit": [], "dataset": []}
    for _ in range(2):
        clock = _EpochClock()
        est = KerasCNNClassifier(epochs=epochs, random_state=0, callbacks=[clock])
        est.fit(X, y)
        gaps["fit"] += clock.gaps[1:]
        lengths["fit"] += clock.lengths[1:]

        clock = _EpochClock()
        pipeline = (
            tf.data.Dataset.from_tensor_slices((X, y))
            .shuffle(n, seed=0)
            .batch(batch)
            .repeat()
            .prefetch(2)
        )
        est.model_.fit(
            pipeline,
            steps_per_epoch=-(-n // batch),
            epochs=epochs,
            shuffle=False,  # the pipeline shuffles
            verbose=0,
            callbacks=[clock],
        )
        gaps["dataset"] += clock.gaps[1:]
        lengths["dataset"] += clock.lengths[1:]
    for arm in gaps:
        print(
            f"{arm}: gaps before the first batch (s)",
            [round(g, 2) for g in gaps[arm]],
            "epochs (s)",
            [round(t, 2) for t in lengths[arm]],
            flush=True,
        )
    report(
        [
            record(
                f"{arm}_epoch_start_gap_seconds",
                statistics.fmean(gaps[arm]),
                "s",
                better="<=",
            )
            for arm in gaps
        ]
        + [
            record(
                f"{arm}_epoch_seconds",
                statistics.median(lengths[arm]),
                "s",
                better="<=",
            )
            for arm in lengths
        ],
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
