"""
=========================================
An MLP after StandardScaler in a Pipeline
=========================================

:class:`~skfashion.models.KerasMLPClassifier` takes flat features, so it can
follow any scikit-learn transformer. After
:class:`~sklearn.preprocessing.StandardScaler` the features are no longer
0-255 pixels: they have negative values, so the estimator's default
``pixel_range="auto"`` uses them as given, without scaling or pixel checks.
The whole pipeline is cross-validated like any
scikit-learn model.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfashion.datasets import load_fashion_mnist_sample
from skfashion.models import KerasMLPClassifier

X, y = load_fashion_mnist_sample(return_X_y=True)

# %%
# Build the pipeline
# ------------------
# Standardised values are negative, which pixels never are, so the default
# ``pixel_range="auto"`` takes them as features and uses them as given
# (``pixel_range_`` is then None).

pipe = make_pipeline(
    StandardScaler(),
    KerasMLPClassifier(
        hidden_layer_sizes=(128,),
        dropout=0.2,
        epochs=10,
        batch_size=32,
        random_state=0,
    ),
)
print(pipe)

# %%
# Cross-validate it
# -----------------
# Three stratified folds, scored on accuracy and on one-vs-rest ROC-AUC,
# which uses ``predict_proba``.

cv = StratifiedKFold(3, shuffle=True, random_state=0)
scores = cross_validate(pipe, X, y, cv=cv, scoring=["accuracy", "roc_auc_ovr"])
for name in ("test_accuracy", "test_roc_auc_ovr", "fit_time"):
    values = scores[name]
    print(f"{name:>18}: {np.mean(values):.3f} +/- {np.std(values):.3f}")

# %%
# Without the scaler
# ------------------
# The same network on the raw pixels, for comparison: here the estimator
# scales the pixels itself (``pixel_range="auto"``).

raw = KerasMLPClassifier(
    hidden_layer_sizes=(128,), dropout=0.2, epochs=10, batch_size=32, random_state=0
)
raw_scores = cross_validate(raw, X, y, cv=cv, scoring="accuracy")["test_score"]

fig, ax = plt.subplots(figsize=(5, 3))
ax.boxplot([scores["test_accuracy"], raw_scores])
ax.set_xticks([1, 2], ["StandardScaler + MLP", "MLP on raw pixels"])
ax.set_ylabel("accuracy per fold")
ax.set_title("3-fold cross-validation on the 1,000-image sample")
fig.tight_layout()
plt.show()
