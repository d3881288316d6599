"""The Keras callbacks of a fit: skfashion's own, and checks of the user's.

A fit runs :class:`_StopOnNonFiniteLoss`, then the user's callbacks, then
those that :func:`training_callbacks` derives from the parameters (early
stopping, the ``"plateau"`` schedule).
"""

import keras
import numpy as np

from ..exceptions import TrainingDivergedError


def check_callbacks(estimator):
    """Refuse user callbacks that cannot work with ``lr_schedule``.

    Under ``lr_schedule="cosine"`` the learning rate is a schedule that
    Keras cannot overwrite, so a callback that sets it would fail after
    the first epoch; under ``"plateau"`` two callbacks would fight over it.
    """
    setters = (
        keras.callbacks.LearningRateScheduler,
        keras.callbacks.ReduceLROnPlateau,
    )
    for callback in estimator.callbacks or []:
        # SciKeras also accepts callback classes, built at fit.
        cls = callback if isinstance(callback, type) else type(callback)
        if issubclass(cls, setters) and estimator.lr_schedule != "constant":
            raise ValueError(
                f"callbacks contains {cls.__name__}, which sets "
                f"the learning rate, but lr_schedule={estimator.lr_schedule!r} "
                "sets it too. Pass lr_schedule='constant' to let the "
                "callback control the learning rate."
            )


def training_callbacks(estimator, has_validation):
    """The callbacks that the parameters ask for, after the user's."""
    monitor = "val_loss" if has_validation else "loss"
    out = []
    if estimator.early_stopping:
        out.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor,
                patience=estimator.patience,
                restore_best_weights=estimator.restore_best_weights,
            )
        )
    if estimator.lr_schedule == "plateau":
        out.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor, factor=0.5, patience=max(1, estimator.patience // 2)
            )
        )
    return out


class _StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop training after an epoch whose loss is NaN or infinite.

    Checked once per epoch, on the epoch's mean loss (NaN or infinite as
    soon as one batch is): a per-batch hook would make Keras convert every
    batch's logs to Python numbers in step with the training, which slows
    it down.
    """

    def __init__(self, estimator):
        super().__init__()
        self._name = type(estimator).__name__

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            raise TrainingDivergedError(
                f"{self._name}: the training loss became {float(loss)} in epoch "
                f"{epoch + 1}; the network diverged and "
                "is not returned. Lower learning_rate, check that the inputs "
                "are finite and on a sensible scale (pixel_range), or clip "
                "gradients with optimizer__clipnorm=1.0."
            )
