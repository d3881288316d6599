"""A seeded fit gives the same network in another process on this machine."""

import os
import subprocess
import sys

#: Fits the tiny CNN (augmentation, dropout) and MLP (label smoothing, the
#: default cosine schedule) on the bundled sample and prints a digest of
#: their probabilities, bit for bit.
SCRIPT = """
import hashlib
import numpy as np
from skfashion.datasets import load_fashion_mnist_sample
from skfashion.models import KerasCNNClassifier, KerasMLPClassifier

X, y = load_fashion_mnist_sample(return_X_y=True)
X, y = X[:300], y[:300]
digest = hashlib.sha256()
for clf in (
    KerasCNNClassifier(conv_filters=(4,), dense_units=8, epochs=2, random_state=7),
    KerasMLPClassifier(hidden_layer_sizes=(16,), epochs=2, random_state=7),
):
    proba = clf.fit(X, y).predict_proba(X)
    digest.update(np.ascontiguousarray(proba, dtype=np.float32).tobytes())
print(digest.hexdigest())
"""


def _digest_in_new_process():
    res = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout.strip().splitlines()[-1]


def test_seeded_fits_agree_across_processes():
    first, second = _digest_in_new_process(), _digest_in_new_process()
    assert len(first) == 64
    assert first == second


def test_epoch_orders_depend_on_seed_and_epoch_only():
    # In-memory training data reaches Keras as one endless pipeline: each
    # epoch is a permutation of the rows, drawn from (seed, epoch), so a fit
    # continued from epoch 2 sees what a straight fit sees from epoch 2 on.
    import numpy as np

    from skfashion.models._base import _epoch_batches, _MemmapBatches

    X = np.arange(10, dtype=np.uint8)[:, None] * np.ones((1, 3), np.uint8)
    y = np.arange(10)

    def epochs(first_epoch, n_epochs, seed=7):
        batches = _epoch_batches(
            X, y, None, batch_size=4, seed=seed, first_epoch=first_epoch
        )
        rows = [b[1].numpy() for b in batches.take(3 * n_epochs)]
        return [np.concatenate(rows[3 * e : 3 * e + 3]) for e in range(n_epochs)]

    straight = epochs(0, 4)
    for order in straight:
        np.testing.assert_array_equal(np.sort(order), y)
    assert len({tuple(order) for order in straight}) == 4
    for a, b in zip(epochs(2, 2), straight[2:], strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(epochs(0, 1, seed=8)[0], straight[0])

    # A memmap's batches visit the same orders, image for image, continued
    # fits included.
    memmap = _MemmapBatches(X, y, None, rows=None, batch_size=4, seed=7, first_epoch=2)
    for order in straight[2:]:
        visited = [memmap[i] for i in range(len(memmap))]
        np.testing.assert_array_equal(np.concatenate([b[1] for b in visited]), order)
        np.testing.assert_array_equal(np.concatenate([b[0] for b in visited]), X[order])
        memmap.on_epoch_end()
