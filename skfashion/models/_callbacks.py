"""The Keras callbacks of a fit: skfashion's own, and checks of the user's.

A fit runs :class:`_StopOnNonFiniteLoss`, then the user's callbacks, then
those that :func:`training_callbacks` derives from the parameters (early
stopping, the ``"plateau"`` schedule), then :class:`_EpochTasks`, which
reports each epoch to scikit-learn's own callbacks (``set_callbacks``)
where the installed scikit-learn has them.
"""

import keras
import numpy as np

from .._sklearn_privates import (
    HAS_SKLEARN_CALLBACKS,
    fit_callback_context,
    init_callback_context,
)
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


def training_callbacks(estimator, has_validation, *, incremental=False):
    """The callbacks that the parameters ask for, after the user's.

    ``incremental`` (``partial_fit``, one epoch per call): no early
    stopping, which needs several epochs of one fit.
    """
    monitor = "val_loss" if has_validation else "loss"
    out = []
    if estimator.early_stopping and not incremental:
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


# ------------------------------------------------- scikit-learn's callbacks
def begin_fit_task(estimator, X, y, sample_weight, *, task_name, n_epochs):
    """Open the root task of a fit for scikit-learn's callbacks.

    Returns its ``CallbackContext`` (one subtask per epoch, ``n_epochs`` at
    most), or None where scikit-learn has no callback API. The estimator's
    ``fit`` and ``partial_fit`` run under ``with_callbacks``, which tears
    the callbacks down however the fit ends.
    """
    if not HAS_SKLEARN_CALLBACKS:
        return None
    context = init_callback_context(
        estimator, task_name=task_name, max_subtasks=max(int(n_epochs), 1)
    )
    context.call_on_fit_task_begin(
        estimator=estimator, X=X, y=y, metadata=_metadata(sample_weight)
    )
    return context


def end_fit_task(estimator, context, X, y, sample_weight):
    """Close the root task opened by :func:`begin_fit_task` (None: nothing)."""
    if context is None:
        return
    # An empty dict: the callbacks get a copy of the fitted estimator.
    context.call_on_fit_task_end(
        estimator=estimator,
        X=X,
        y=y,
        metadata=_metadata(sample_weight),
        reconstruction_attributes=dict,
    )


def _metadata(sample_weight):
    return None if sample_weight is None else {"sample_weight": sample_weight}


class _EpochTasks(keras.callbacks.Callback):
    """Each epoch of a fit as a subtask of scikit-learn's callback context.

    A ``ProgressBar`` then advances once per epoch. An ``on_fit_task_end``
    hook that returns True stops the training after that epoch. The
    callbacks get no ``fitted_estimator`` for an epoch (the network is
    still training), only for the whole fit.
    """

    def __init__(self, estimator, context):
        super().__init__()
        self._estimator = estimator
        self._context = context
        self._task = None

    def on_epoch_begin(self, epoch, logs=None):
        self._task = self._context.subcontext(task_name="epoch")
        self._task.call_on_fit_task_begin(estimator=self._estimator)

    def on_epoch_end(self, epoch, logs=None):
        task, self._task = self._task, None
        if task is not None and task.call_on_fit_task_end(estimator=self._estimator):
            self.model.stop_training = True


def epoch_tasks(estimator):
    """The Keras callback that reports epochs to scikit-learn's callbacks, or
    None when the running fit has no callback context."""
    context = fit_callback_context(estimator) if HAS_SKLEARN_CALLBACKS else None
    return None if context is None else _EpochTasks(estimator, context)
