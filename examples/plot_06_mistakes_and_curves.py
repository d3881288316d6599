"""
========================================
Misclassified images and training curves
========================================

Two displays in scikit-learn's style show what a single accuracy figure
hides: :class:`~skfashion.metrics.TrainingCurvesDisplay` plots the loss and
accuracy of every epoch, on the training data and on a held-out validation
split, and :class:`~skfashion.metrics.MisclassifiedImagesDisplay` shows the
images the model gets wrong, the most confident mistakes first.
"""

import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split

from skfashion.datasets import load_fashion_mnist_sample
from skfashion.metrics import MisclassifiedImagesDisplay, TrainingCurvesDisplay
from skfashion.models import KerasCNNClassifier

bunch = load_fashion_mnist_sample()
X, y = bunch.data, bunch.target
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

# %%
# Train with a validation split
# -----------------------------
# ``validation_fraction=0.2`` holds out a stratified fifth of the training
# images; their loss and accuracy are recorded in ``history_`` next to the
# training ones.

clf = KerasCNNClassifier(
    conv_filters=(16, 32),
    dense_units=64,
    epochs=12,
    batch_size=32,
    validation_fraction=0.2,
    random_state=0,
).fit(X_train, y_train)
print(sorted(clf.history_), "-", clf.n_iter_, "epochs")

# %%
# Training curves
# ---------------
# The training curves are measured while dropout and random erasing are
# active, so with this much regularisation the validation curves can lie
# above them. The sign of over-fitting to look for is a validation loss that
# turns upwards while the training loss keeps falling: then fewer epochs, or
# ``early_stopping=True``, give a better model.

TrainingCurvesDisplay.from_estimator(clf)
plt.show()

# %%
# The most confident mistakes
# ---------------------------
# Each title gives the true class, the predicted class and the probability
# the model gave to its (wrong) prediction.

display = MisclassifiedImagesDisplay.from_estimator(
    clf, X_test, y_test, target_names=bunch.target_names, n_images=12, n_cols=6
)
display.figure_.tight_layout()
print("positions in X_test:", display.indices.tolist())
plt.show()
