"""Where the default CNN's training steps and predictions spend their time.

TensorFlow's profiler records every operation of 30 training steps (batches
of the default size, after warm-up steps) and of one ``predict_proba`` call
on the 10,000 test images with one view per image (``tta=None``). The
operations' own times (not counting the cores' idle time) are summed by kind:

* ``cnn_train_linear_op_share``: convolutions and matrix products of the
  network, forward and backward: the work ``cnn_train_flops_ratio``
  (``bench_hardware.py``) counts. The rest of a step goes to
* ``cnn_train_optimizer_op_share``: the optimizer's update of the weights,
* ``cnn_train_batchnorm_op_share``: batch normalisation and its gradient,
* ``cnn_train_random_op_share``: random draws (dropout masks, flips,
  erasing),
* pooling, activations' gradients and the loss (printed, not recorded);
* ``cnn_predict_linear_op_share``: the same share for ``predict_proba``.

::

    python benchmarks/bench_ops.py
    python benchmarks/bench_ops.py --quick
"""

import argparse
import collections
import glob
import json
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from _results import record, report  # noqa: E402

# TensorFlow's own converter from a profile to the tables TensorBoard shows.
from tensorflow.python.profiler.internal import (  # noqa: E402
    _pywrap_profiler_plugin as profiler_plugin,
)

from skfashion.datasets import fetch_fashion_mnist  # noqa: E402
from skfashion.models import KerasCNNClassifier  # noqa: E402


def op_times(run):
    """Self time in microseconds of each operation that ``run()`` executes.

    A list of ``(op type, op name, microseconds)``, the cores' idle time
    left out.
    """
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        try:
            run()
        finally:
            tf.profiler.experimental.stop()
        files = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
        data, ok = profiler_plugin.xspace_to_tools_data(files, "framework_op_stats", {})
    if not ok:
        raise RuntimeError("TensorFlow's profiler returned no operation table")
    table = json.loads(data)
    table = table[0] if isinstance(table, list) else table
    column = {c["id"]: i for i, c in enumerate(table["cols"])}
    out = []
    for row in table["rows"]:
        cells = [c.get("v") if c else None for c in row["c"]]
        kind = cells[column["type"]]
        if kind != "IDLE":
            out.append(
                (kind, cells[column["operation"]], cells[column["total_self_time"]])
            )
    return out


def kind_of(op_type, op_name, optimizer_scope):
    """The kind of work an operation does, for the shares above."""
    # The optimizer's operations run under its name scope ("adam_w/...").
    if optimizer_scope in (part.replace("_", "") for part in op_name.split("/")):
        return "optimizer"
    if "Conv2D" in op_type or "MatMul" in op_type:
        return "linear"
    if "BatchNorm" in op_type:
        return "batchnorm"
    if "Random" in op_type:
        return "random"
    if "Pool" in op_type:
        return "pooling"
    return "other"


def shares(ops, optimizer_scope):
    """Fraction of the busy time spent in each kind of operation."""
    totals = collections.Counter()
    for op_type, op_name, micros in ops:
        totals[kind_of(op_type, op_name, optimizer_scope)] += micros
    busy = sum(totals.values())
    return {kind: t / busy for kind, t in totals.most_common()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
    X_test, _ = fetch_fashion_mnist(subset="test", return_X_y=True)
    n, steps = (1000, 5) if args.quick else (5000, 30)
    if args.quick:
        X_test = X_test[:1000]
    est = KerasCNNClassifier(epochs=1, random_state=0).fit(X[:n], y[:n])
    model = est.model_
    batches = (
        tf.data.Dataset.from_tensor_slices(
            (X[:n].astype("float32"), est.classes_.searchsorted(y[:n]))
        )
        .repeat()
        .batch(est.batch_size_)
        .prefetch(2)
    )

    def train_steps():
        model.fit(batches, steps_per_epoch=steps, shuffle=False, verbose=0)

    train_steps()  # warm-up: traces the training step
    scope = type(model.optimizer).__name__.lower()
    train = shares(op_times(train_steps), scope)
    est.set_params(tta=None)
    est.predict_proba(X_test[:256])  # traces the inference function
    predict = shares(op_times(lambda: est.predict_proba(X_test)), scope)
    for what, table in (("training step", train), ("predict_proba", predict)):
        print(
            f"{what}:", ", ".join(f"{k} {v:.1%}" for k, v in table.items()), flush=True
        )
    report(
        [
            record("cnn_train_linear_op_share", train["linear"], "fraction"),
            record(
                "cnn_train_optimizer_op_share", train.get("optimizer", 0.0), "fraction"
            ),
            record(
                "cnn_train_batchnorm_op_share", train.get("batchnorm", 0.0), "fraction"
            ),
            record("cnn_train_random_op_share", train.get("random", 0.0), "fraction"),
            record("cnn_predict_linear_op_share", predict["linear"], "fraction"),
        ],
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
