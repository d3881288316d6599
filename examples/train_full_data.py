"""
======================================
The default networks on the full data
======================================

Train the default CNN and MLP on the 60,000 Fashion-MNIST training images and
score them on the 10,000 test images. This is what
``python benchmarks/bench_defaults.py`` measures. It needs the data files
(``sudo apt-get install dataset-fashion-mnist``, or a download on first use)
and about 10 minutes of a 2-core CPU for the CNN, so the documentation shows
this script without running it.

Recorded by ``python benchmarks/bench_defaults.py`` in
``benchmarks/results/latest.json`` (2 cores, Intel Xeon, Linux; 2026-11-22):

============  ==============  =============  =====================
Model         Test accuracy   Training time  Training throughput
============  ==============  =============  =====================
CNN           0.9351          595 s          2,520 images/s
MLP           0.9007          74 s           24,460 images/s
============  ==============  =============  =====================

The Results page of this documentation always shows the latest recorded
figures.
"""

import time

from skfashion.datasets import fetch_fashion_mnist
from skfashion.metrics import evaluate
from skfashion.models import KerasCNNClassifier, KerasMLPClassifier

X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
X_test, y_test = fetch_fashion_mnist(subset="test", return_X_y=True)

# %%
# Train both defaults
# -------------------
# No parameter but the seed: the defaults are the tuned settings.

for estimator in (
    KerasMLPClassifier(random_state=0),
    KerasCNNClassifier(random_state=0),
):
    start = time.perf_counter()
    estimator.fit(X, y)
    seconds = time.perf_counter() - start
    result = evaluate(estimator, X_test, y_test)
    print(
        f"{type(estimator).__name__}: test accuracy {result.accuracy:.4f}, "
        f"macro F1 {result.f1_macro:.4f}, trained in {seconds:.0f} s"
    )
