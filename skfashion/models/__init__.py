"""scikit-learn classifiers backed by Keras networks, and their safe storage."""

from ._cnn import KerasCNNClassifier
from ._image import KerasImageClassifier
from ._mlp import KerasMLPClassifier
from ._persistence import check_saveable_labels, load_model, save_model

__all__ = [
    "KerasCNNClassifier",
    "KerasImageClassifier",
    "KerasMLPClassifier",
    "check_saveable_labels",
    "load_model",
    "save_model",
]
