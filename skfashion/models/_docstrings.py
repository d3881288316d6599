"""Docstring fragments shared by the estimators (one source of truth)."""

from ._state import ATTRIBUTES_DOC

_TRAINING = """\
optimizer : {"adamw", "adam", "nadam", "sgd", "rmsprop", "adagrad", \
"adadelta"}, default="adamw"
        Keras optimizer. SciKeras-style routed parameters such as
        ``optimizer__beta_1=0.95`` are accepted and override the flat ones.
    learning_rate : float, default={learning_rate}
        Peak learning rate (reached after the warm-up when
        ``lr_schedule="cosine"``).{learning_rate_reason}
    momentum : float, default=0.9
        Momentum of ``"sgd"`` and ``"rmsprop"``; ignored by the others.
    weight_decay : float, default=1e-4
        Decoupled weight decay applied by the optimizer (AdamW style).
    l2 : float, default=0.0
        L2 penalty on the kernels of the convolutional and dense layers.
    label_smoothing : float, default={label_smoothing}
        Mass of the target moved from the true class to all classes
        (Szegedy et al., 2016); softens over-confident networks.{label_smoothing_reason}
    ema_momentum : float or None, default=None
        Keep an exponential moving average of the weights with this momentum
        (the optimizer's ``use_ema``) and predict with it; None trains and
        predicts with the raw weights.
    tta : {"auto", "shift", "flip"} or None, default={tta}
        Test-time augmentation: :meth:`predict_proba` averages the
        probabilities of each image and of its ``"shift"`` views (moved one
        pixel up, down, left and right; 5 predictions per image) or its
        ``"flip"`` view (mirrored left to right; 2 per image). Prediction
        costs that many times more. Flips suit only a network trained with
        flips: Fashion-MNIST's shoes all face one way, and flipping them at
        prediction time cost a network that never saw a flipped shoe about
        3 points. ``"auto"`` is ``"flip"`` for a network trained with
        ``horizontal_flip=True`` and None otherwise. Training is unaffected,
        so it can be switched on a fitted model (an invalid value is then
        refused at prediction as ``fit`` refuses it). It needs a known image
        shape: ``image_shape``, or 3-D/4-D ``X``. For
        :class:`KerasMLPClassifier` on flat features without
        ``image_shape`` the square shape is only assumed from the number of
        features, and ``tta`` is refused rather than shifting or flipping
        features that may not be pixels; set ``image_shape``.{tta_reason}
    lr_schedule : {"cosine", "constant", "plateau"}, default="cosine"
        ``"cosine"``: linear warm-up then cosine decay to 0 over all training
        steps; ``"constant"``; ``"plateau"``: halve the rate when the
        monitored loss stops improving.
    warmup : float, default=0.1
        Fraction of the training steps used for the linear warm-up of the
        cosine schedule.
    batch_size : int or "auto", default={batch_size}
        Mini-batch size. ``"auto"`` follows the number of training images
        (:func:`~skfashion.models.auto_batch_size`): the largest power of two
        that gives 32 steps per epoch, between 16 and 256, so 256 from 8,192
        images on; the value used is ``batch_size_``.{batch_size_reason}
    epochs : int, default={epochs}
        Number of passes over the training data (with ``warm_start``, the
        passes each further :meth:`fit` adds). The resource of
        :class:`~skfashion.model_selection.HalvingEpochsSearchCV`. With
        :meth:`partial_fit` (one epoch per call) the ``"cosine"`` schedule
        spans ``epochs`` calls: set it to the number of calls.
    schedule_epochs : int or None, default=None
        Length in epochs of the ``"cosine"`` learning-rate schedule; None
        means ``epochs``. A larger value trains the first ``epochs`` epochs of
        a longer run: a later fit with more epochs and a ``cache_dir``
        continues the stored shorter fit instead of starting again.
    warm_start : bool, default=False
        When True, a further :meth:`fit` continues from the current weights
        and optimizer state and trains ``epochs`` more epochs (as
        :class:`sklearn.neural_network.MLPClassifier` does); the schedule
        goes on where it stopped, so set ``schedule_epochs`` to the total.
    early_stopping : bool, default=False
        Stop when the validation loss has not improved for ``patience``
        epochs. The validation set is a stratified ``validation_fraction``
        of the data given to :meth:`fit` (never of a test fold).
    validation_fraction : float or None, default=None
        Fraction of the training data held out for validation; None means
        0.1 with early stopping and no validation set otherwise. The held
        out curves appear in ``history_`` as ``val_loss``/``val_accuracy``.
    patience : int, default=5
        Epochs without improvement before early stopping (and twice the
        patience of the ``"plateau"`` schedule).
    restore_best_weights : bool, default=True
        With early stopping, keep the weights of the best validation epoch.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.
    pixel_range : {"auto", "0-255", "0-1"} or None, default="auto"
        Scale of the pixels. ``"auto"`` reads it from the data given to
        :meth:`fit`: values in [0, 1] are 0-1 pixels, values in [0, 255]
        with some above 1 are 0-255 pixels (divided by 255 inside the
        network), and anything else is not pixels and is used as given:
        negative values (as after ``StandardScaler``) silently, values above
        255 with a :class:`~skfashion.exceptions.PixelScaleWarning`.
        At prediction time pixels on the other scale raise an error (0-255
        given to a 0-1 model) or a
        :class:`~skfashion.exceptions.PixelScaleWarning` (0-1 given to a
        0-255 model). ``"0-255"`` and ``"0-1"`` state the scale and refuse
        other values; None uses the features as given, with no check.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` of the images behind flat features; one entry may
        be -1. None reads it from 3-D/4-D input or assumes square images.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, dropout, augmentation and the
        validation split; the same value gives the same model on CPU.
    verbose : int, default=0
        Keras' verbosity during :meth:`fit` (0 silent, 1 progress bar, 2 one
        line per epoch).
    callbacks : list of keras.callbacks.Callback or None, default=None
        Extra Keras callbacks run during :meth:`fit`. A callback that sets
        the learning rate (``LearningRateScheduler``, ``ReduceLROnPlateau``)
        needs ``lr_schedule="constant"``; with another schedule ``fit``
        refuses it before training.
    cache_dir : str, path-like or None, default=None
        Folder of finished fits. A fit whose parameters and training data
        match a stored one loads it instead of training, so an interrupted
        search run again trains only what did not finish. Needs an int
        ``random_state``. Entries are written atomically, and each records
        its key: an entry that turns out not to be this fit's (renamed,
        copied, or written by an older skfashion) is reported with a
        :class:`~skfashion.exceptions.CacheEntryWarning` and trained
        again. When a fit opens the folder it removes skfashion's own
        temporary files (``.<entry>.XXXXXXXX.tmp``) left there by a killed
        process once they are more than an hour old (a younger one may be
        another process's write in progress); it never touches other
        files. A loaded model file never sets ``cache_dir``."""

#: The ``Attributes`` section, generated from the table of fitted attributes
#: (``_state.FITTED_ATTRIBUTES``): one list for fitting, pickling and docs.
_ATTRIBUTES = ATTRIBUTES_DOC


def fill_doc(**defaults):
    """Insert the shared fragments into a class docstring."""

    defaults = {
        "label_smoothing": 0.0,
        "batch_size_reason": "",
        "label_smoothing_reason": "",
        "learning_rate": "2e-3",
        "learning_rate_reason": "",
        "tta": "None",
        "tta_reason": "",
        **defaults,
    }

    def decorate(cls):
        doc = cls.__doc__
        if doc is None:  # python -OO strips docstrings
            return cls
        training = _TRAINING
        for key, value in defaults.items():
            training = training.replace("{" + key + "}", str(value))
        doc = doc.replace("{training_parameters}", training)
        doc = doc.replace("{attributes}", _ATTRIBUTES)
        cls.__doc__ = doc
        return cls

    return decorate
