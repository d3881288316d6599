"""How well the default CNN uses this machine, and memory during a search.

* ``matmul_gflops``: a 4096x4096 float32 matmul in TensorFlow (the machine's
  practical peak), measured in the same run as
* ``cnn_train_images_per_second`` and ``cnn_train_flops_ratio``: training
  throughput of the default CNN and its achieved GFLOP/s (3x the forward
  FLOPs per image) as a fraction of the matmul figure. The machine changes
  speed from minute to minute, so a matmul is timed right after each epoch
  and each epoch's ratio is taken to its own matmul. The records are
  medians over the epochs after the first (which traces the graphs), so the
  ratio is the median of the per-epoch ratios, not ``cnn_train_gflops``
  over ``matmul_gflops``,
* ``cnn_predict_images_per_second``: ``predict_proba`` on the 10,000 test
  images without test-time augmentation (``tta=None``: one view per
  image), median of 5 calls after a warm-up call (steady state), and
  ``cnn_predict_tta_images_per_second`` the same with the default's
  test-time augmentation,
* ``cnn_predict_fold_speedup``: ``predict_proba`` (batch normalisation
  folded into the next layer) against the same network called as it is
  (``model(x, training=False)`` traced, same batches), median of the ratios
  of 8 alternating pairs of calls,
* ``search_peak_rss_mb`` and ``search_rss_growth_mb``: peak resident memory
  of a process that loads the data and runs a 12-fit search (3 candidates x
  4 folds), taken before anything else runs, and its growth from the 3rd to
  the 12th fit.

::

    python benchmarks/bench_hardware.py
    python benchmarks/bench_hardware.py --quick
"""

import argparse
import os
import resource
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from _results import record, report  # noqa: E402
from sklearn.model_selection import KFold, RandomizedSearchCV  # noqa: E402

from skfashion.datasets import fetch_fashion_mnist  # noqa: E402
from skfashion.models import KerasCNNClassifier  # noqa: E402


def matmul_gflops(n=4096, repeats=10):
    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    tf.matmul(a, b).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()
        times.append(time.perf_counter() - start)
    return 2 * n**3 / statistics.median(times) / 1e9


def forward_flops(model):
    """Multiply-adds x 2 of the convolution and dense layers, per image."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kh, kw = layer.kernel_size
            cin = layer.input.shape[-1]
            _, h, w, cout = layer.output.shape
            total += 2 * kh * kw * cin * cout * h * w
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * layer.input.shape[-1] * layer.units
    return total


class _EpochTimer(keras.callbacks.Callback):
    """Times each epoch, then a matmul right after it (the paired peak)."""

    def __init__(self, matmul_n):
        super().__init__()
        self.matmul_n = matmul_n

    def on_train_begin(self, logs=None):
        self.times, self.peaks = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)
        self.peaks.append(matmul_gflops(self.matmul_n, repeats=3))


def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class _RssScorer:
    """Accuracy scorer that also logs resident memory after each fit."""

    def __init__(self):
        self.rss = []

    def __call__(self, est, X, y):
        self.rss.append(_rss_mb())
        return est.score(X, y)


_UNFOLDED = {}


def _predict_unfolded(model, X, batch=2048):
    """The network's own inference, traced once, on ``predict_proba``'s batches."""
    if model not in _UNFOLDED:
        spec = tf.TensorSpec((None, X.shape[1]), tf.float32)
        _UNFOLDED[model] = tf.function(
            lambda x: model(x, training=False), input_signature=[spec]
        )
        _UNFOLDED[model](X[:256].astype("float32"))
    infer = _UNFOLDED[model]
    out = []
    for start in range(0, len(X), batch):
        out.append(infer(X[start : start + batch].astype("float32")).numpy())
    return out


def _timed_calls(est, X, repeats):
    """Seconds of each of ``repeats`` ``predict_proba(X)`` calls."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        est.predict_proba(X)
        seconds.append(time.perf_counter() - start)
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
    X_test, _ = fetch_fashion_mnist(subset="test", return_X_y=True)
    n = 2000 if args.quick else 20_000
    epochs = 2 if args.quick else 6

    # The search runs first, so that the process's peak memory is that of the
    # data and the search alone.
    scorer = _RssScorer()
    n_search = 1000 if args.quick else 5000
    RandomizedSearchCV(
        KerasCNNClassifier(epochs=1, random_state=0),
        {"dropout": [0.2, 0.3, 0.4], "dense_units": [128, 256]},
        n_iter=3,
        cv=KFold(4),
        scoring=scorer,
        refit=False,
        random_state=0,
    ).fit(X[:n_search], y[:n_search])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    growth = scorer.rss[-1] - scorer.rss[2]

    timer = _EpochTimer(1024 if args.quick else 4096)
    est = KerasCNNClassifier(epochs=epochs, random_state=0, callbacks=[timer])
    est.fit(X[:n], y[:n])
    # The first epoch traces the graphs.
    times, peaks = timer.times[1:], timer.peaks[1:]
    flops_per_image = 3 * forward_flops(est.model_)
    images_s = n / statistics.median(times)
    train_gflops = flops_per_image * images_s / 1e9
    gflops = statistics.median(peaks)
    ratio = statistics.median(
        flops_per_image * n / t / 1e9 / peak
        for t, peak in zip(times, peaks, strict=True)
    )
    print(
        "epoch s:",
        [round(t, 2) for t in times],
        "matmul GFLOP/s after each:",
        [round(p) for p in peaks],
        flush=True,
    )
    default_tta = est.tta
    est.set_params(tta=None)  # one view per image, as the target means
    est.predict_proba(X_test[:256])  # traces the predict function
    predict_s = _timed_calls(est, X_test, 5)

    fold_ratios = []
    for _ in range(2 if args.quick else 8):
        start = time.perf_counter()
        est.predict_proba(X_test)
        folded = time.perf_counter() - start
        start = time.perf_counter()
        _predict_unfolded(est.model_, X_test)
        fold_ratios.append((time.perf_counter() - start) / folded)
    print("folded / unfolded speed ratios:", [round(r, 3) for r in fold_ratios])
    est.set_params(tta=default_tta)
    tta_s = _timed_calls(est, X_test, 5)

    print("rss after each fit (MB):", [round(v) for v in scorer.rss], flush=True)
    report(
        [
            record("matmul_gflops", gflops, "GFLOP/s"),
            record("cnn_train_images_per_second", images_s, "images/s"),
            record("cnn_train_gflops", train_gflops, "GFLOP/s"),
            record("cnn_train_flops_ratio", ratio, "ratio", target=0.50),
            record(
                "cnn_predict_images_per_second",
                len(X_test) / statistics.median(predict_s),
                "images/s",
                target=15_000.0,
            ),
            record(
                "cnn_predict_tta_images_per_second",
                len(X_test) / statistics.median(tta_s),
                "images/s",
            ),
            record(
                "cnn_predict_fold_speedup",
                statistics.median(fold_ratios),
                "ratio",
            ),
            record("search_peak_rss_mb", peak, "MB", better="<="),
            record("search_rss_growth_mb", growth, "MB", better="<="),
        ],
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
