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
