"""scikit-learn classifiers backed by Keras networks, and their safe storage."""

from ._cnn import KerasCNNClassifier
from ._image import KerasImageClassifier
from ._mlp import KerasMLPClassifier
from ._persistence import (
    check_saveable_labels,
    load_model,
    load_model_card,
    save_model,
    training_overlap,
)
from ._scale import auto_batch_size

__all__ = [
    "KerasCNNClassifier",
    "KerasImageClassifier",
    "KerasMLPClassifier",
    "auto_batch_size",
    "check_saveable_labels",
    "load_model",
    "load_model_card",
    "save_model",
    "training_overlap",
]
