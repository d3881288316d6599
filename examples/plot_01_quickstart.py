"""
================================
Quickstart: a CNN in a few lines
================================

Fit a small convolutional network on the bundled Fashion-MNIST sample,
score it, and look at a few of its predictions. The sample has only 1,000
images and the network is trained for a handful of epochs, so the accuracy
here is far below what the default network reaches on the full data set
(see the Results page).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from skfashion.datasets import load_fashion_mnist_sample
from skfashion.models import KerasCNNClassifier

# %%
# Load the sample
# ---------------
# ``X`` holds flat 0-255 pixels, one row of 784 values per image; ``y`` the
# labels 0-9. A stratified split keeps 300 images aside for testing.

sample = load_fashion_mnist_sample()
X_train, X_test, y_train, y_test = train_test_split(
    sample.data, sample.target, test_size=0.3, stratify=sample.target, random_state=0
)
print(X_train.shape, X_train.dtype, X_train.max())

# %%
# Fit a small CNN
# ---------------
# Two convolutional blocks of 16 and 32 filters and a dense layer of 64
# units keep the fit to a few seconds. The raw 0-255 pixels are passed as
# they are: the estimator detects their scale and divides by 255 inside the
# network, and reshapes the flat rows to 28x28 images.

clf = KerasCNNClassifier(
    conv_filters=(16, 32), dense_units=64, epochs=8, batch_size=32, random_state=0
)
clf.fit(X_train, y_train)
print("pixel range found:", clf.pixel_range_, "- image shape:", clf.image_shape_)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# Predict
# -------
# ``predict`` returns labels, ``predict_proba`` one probability per class.

proba = clf.predict_proba(X_test[:8])
predicted = clf.predict(X_test[:8])
names = sample.target_names

fig, axes = plt.subplots(1, 8, figsize=(12, 2.4))
for ax, image, label, p, truth in zip(
    axes, X_test[:8], predicted, proba, y_test[:8], strict=True
):
    ax.imshow(image.reshape(28, 28), cmap="gray_r")
    colour = "tab:green" if label == truth else "tab:red"
    ax.set_title(f"{names[label]}\n{np.max(p):.2f}", fontsize=8, color=colour)
    ax.set_axis_off()
fig.suptitle("Predicted class and its probability (red: wrong)")
plt.show()
