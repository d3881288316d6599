"""
================================================
Confusion matrix, ROC curves and an HTML report
================================================

:func:`~skfashion.metrics.evaluate` computes the usual metrics in one call;
the figure functions take its result, so the model runs only once; and
:func:`~skfashion.report.write_report` writes all of it as a
self-contained HTML page with ``metrics.json`` and the figures.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split

from skfashion.datasets import load_fashion_mnist_sample
from skfashion.metrics import OneVsRestCurvesDisplay, evaluate
from skfashion.models import KerasCNNClassifier
from skfashion.report import write_report

bunch = load_fashion_mnist_sample()
X, y = bunch.data, bunch.target
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
clf = KerasCNNClassifier(
    conv_filters=(16, 32), dense_units=64, epochs=8, batch_size=32, random_state=0
).fit(X_train, y_train)

# %%
# All the metrics at once
# -----------------------

# Class names come from the data set.
result = evaluate(clf, X_test, y_test, target_names=bunch.target_names)
print(result)
print(result.classification_report_text)
print("most confused:", result.most_confused[:3])
print("worst F1:", result.worst_f1_class)

# %%
# Confusion matrix
# ----------------
# Normalised over the true classes, the diagonal is each class's recall.
# Shirts, T-shirts, pullovers and coats are the classic confusions of
# Fashion-MNIST.

fig, ax = plt.subplots(figsize=(7.5, 6.5))
ConfusionMatrixDisplay.from_estimator(
    clf,
    X_test,
    y_test,
    normalize="true",
    display_labels=bunch.target_names,
    values_format=".2f",
    xticks_rotation=45,
    ax=ax,
)
fig.tight_layout()

# %%
# One-vs-rest ROC curves
# ----------------------
# One curve per class, that class against all the others, with its AUC.

fig, ax = plt.subplots(figsize=(7, 6))
OneVsRestCurvesDisplay.from_predictions(
    result.y_true,
    result.proba,
    classes=result.classes,
    target_names=result.target_names,
    ax=ax,
)
fig.tight_layout()

# %%
# The HTML report
# ---------------
# ``write_report`` evaluates again and writes a run folder; here a temporary
# one. ``report.html`` embeds every figure, so it can be mailed or archived
# as a single file.

with tempfile.TemporaryDirectory() as tmp:
    path = write_report(
        clf,
        X_test,
        y_test,
        Path(tmp) / "run",
        data_info={"source": "bundled sample", "test images": len(y_test)},
        target_names=bunch.target_names,
        title="Small CNN on the Fashion-MNIST sample",
    )
    for file in sorted(path.parent.rglob("*")):
        if file.is_file():
            print(f"{file.relative_to(path.parent)}  ({file.stat().st_size:,} bytes)")

plt.show()
