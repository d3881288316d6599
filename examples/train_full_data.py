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

The figures that script records (test accuracy, training time and
throughput, with the median and spread over seeds) are on the :ref:`results`
page, read from ``benchmarks/results/latest.json``; they are not copied here,
so that they cannot go stale.
"""

import time

from skfashion.datasets import fetch_fashion_mnist
from skfashion.metrics import evaluate
from skfashion.models import KerasCNNClassifier, KerasMLPClassifier

X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
test = fetch_fashion_mnist(subset="test")
X_test, y_test = test.data, test.target

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
    result = evaluate(estimator, X_test, y_test, target_names=test.target_names)
    print(
        f"{type(estimator).__name__}: test accuracy {result.accuracy:.4f}, "
        f"macro F1 {result.f1_macro:.4f}, trained in {seconds:.0f} s"
    )
