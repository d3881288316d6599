"""Convolutional network classifier."""

from numbers import Integral, Real

from keras import layers

from .._sklearn_privates import Interval, StrOptions
from ._base import _BaseImageClassifier
from ._docstrings import fill_doc
from ._input import image_hwc
from ._layers import augmentation_layers, batch_norm
from ._params import ACTIVATIONS, _positive_ints


@fill_doc(
    batch_size='"auto"',
    batch_size_reason=(
        "\n        256 by default, with ``learning_rate=6e-3``: 10-16% more training"
        "\n        images per second than 128 at 4e-3, validation accuracy"
        "\n        0.9462 / 0.9428 / 0.9436 against 0.9454 / 0.9429 / 0.9431"
        "\n        (seeds 0, 1, 2)."
    ),
    epochs=25,
    learning_rate="6e-3",
    learning_rate_reason=(
        "\n        6e-3 by default, with ``batch_size=256``: validation 0.9462"
        "\n        against 0.9448 at 4e-3 (seed 0); with batch 128, 4e-3 beat"
        "\n        2e-3 and 8e-3 (0.9405 against 0.9389 and 0.9395)."
    ),
    label_smoothing=0.1,
    label_smoothing_reason=(
        "\n        0.1 by default, with ``dense_units=512``: validation accuracy"
        "\n        0.9414 / 0.9398 / 0.9404 against 0.9405 / 0.9382 / 0.9392"
        "\n        for 0.0 and 256 units (seeds 0, 1, 2), at about the same cost."
    ),
    tta='"auto"',
    tta_reason=(
        '\n        ``"auto"`` by default, so flips with ``horizontal_flip=True``:'
        "\n        validation accuracy 0.9454 / 0.9429 / 0.9431 against"
        "\n        0.9414 / 0.9398 / 0.9404 without either (seeds 0, 1, 2), and"
        "\n        0.9419 / 0.9426 / 0.9405 with flips in training only;"
        "\n        prediction costs twice as much."
    ),
)
class KerasCNNClassifier(_BaseImageClassifier):
    """Convolutional neural network classifier for small grayscale images.

    A scikit-learn classifier over a Keras network made of convolutional
    blocks (convolution, optional batch normalisation, pooling), dropout, dense
    layers and a softmax output. Every architecture and training choice is a
    flat parameter, so ``RandomizedSearchCV`` can sample it. The defaults
    reach about 94.3% test accuracy on Fashion-MNIST (median of 3 seeds) in
    under 15 minutes on a 2-core CPU (see the benchmarks).

    Parameters
    ----------
    conv_filters : tuple of int, default=(32, 64)
        Filters of each convolutional block; one block per entry.
    convs_per_block : int, default=1
        Convolutions in each block before its pooling.
    kernel_size : int, default=3
        Side of the square convolution kernels.
    padding : {"same", "valid"}, default="same"
        Convolution padding (Keras' default and the studies use "valid").
    batch_norm : bool or {"after_conv", "after_pool"}, default=True
        Batch normalisation after every convolution and hidden dense layer,
        through TensorFlow's fused kernel (Keras' own layer made training 2.6
        times slower). True is "after_conv". "after_pool" normalises a
        block's last convolution after its 2x2 pooling instead, on about a
        quarter of the activations (the same as "after_conv" when
        ``pooling=None``): 5-12% faster to train, but 0.0015 lower
        validation accuracy over two seeds, so not the default. On by default:
        validation accuracy 0.9389 against 0.9369 without it, and 0.9405
        with the higher learning rate it allows (benchmarks/README.md).
    pooling : {"max", "avg"} or None, default="max"
        2x2 pooling at the end of each block; None for no pooling.
    conv_dropout : float, default=0.25
        Dropout after the convolutional stack.
    dense_units : int or tuple of int, default=512
        Units of the hidden dense layer(s); () for none. 512 by default,
        with ``label_smoothing=0.1``: +0.0012 validation accuracy over 256
        units without smoothing (mean of 3 seeds, the two changes together), at
        about the same training time.
    dropout : float, default=0.4
        Dropout before the output layer.
    activation : str, default="relu"
        Activation of the convolutions and hidden dense layers.
    shift : float, default=0.0
        Training-only random translation, as a fraction of the image size.
    horizontal_flip : bool, default=True
        Training-only random horizontal flips. On by default, and with
        ``tta="auto"`` prediction then averages each image with its mirror
        image (see ``tta``); turn it off for images whose left-right
        orientation carries the class (digits, text).
    random_erasing : float, default=0.3
        Probability of erasing a random patch of a training image (the
        default regulariser: without it the network overfits by epoch 15).
    {training_parameters}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    KerasMLPClassifier : Multilayer perceptron on flat pixels.

    Examples
    --------
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.models import KerasCNNClassifier
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> clf = KerasCNNClassifier(conv_filters=(8,), dense_units=16, epochs=3,
    ...                          batch_size=32, random_state=0).fit(X[:500], y[:500])
    >>> clf.predict_proba(X[500:503]).shape
    (3, 10)
    >>> float(clf.score(X[500:], y[500:])) > 0.5
    True
    """

    _needs_image_shape = True

    _parameter_constraints = {
        **_BaseImageClassifier._common_constraints,
        "conv_filters": [tuple, list],
        "convs_per_block": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "padding": [StrOptions({"same", "valid"})],
        "batch_norm": ["boolean", StrOptions({"after_pool", "after_conv"})],
        "pooling": [StrOptions({"max", "avg"}), None],
        "conv_dropout": [Interval(Real, 0, 1, closed="left")],
        "dense_units": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "shift": [Interval(Real, 0, 0.5, closed="both")],
        "horizontal_flip": ["boolean"],
        "random_erasing": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        *,
        conv_filters=(32, 64),
        convs_per_block=1,
        kernel_size=3,
        padding="same",
        batch_norm=True,
        pooling="max",
        conv_dropout=0.25,
        dense_units=512,
        dropout=0.4,
        activation="relu",
        shift=0.0,
        horizontal_flip=True,
        random_erasing=0.3,
        optimizer="adamw",
        learning_rate=6e-3,
        momentum=0.9,
        weight_decay=1e-4,
        l2=0.0,
        label_smoothing=0.1,
        ema_momentum=None,
        tta="auto",
        lr_schedule="cosine",
        warmup=0.1,
        batch_size="auto",
        epochs=25,
        schedule_epochs=None,
        warm_start=False,
        early_stopping=False,
        validation_fraction=None,
        patience=5,
        restore_best_weights=True,
        class_weight=None,
        pixel_range="auto",
        image_shape=None,
        random_state=None,
        verbose=0,
        callbacks=None,
        cache_dir=None,
        **kwargs,
    ):
        self.conv_filters = conv_filters
        self.convs_per_block = convs_per_block
        self.kernel_size = kernel_size
        self.padding = padding
        self.batch_norm = batch_norm
        self.pooling = pooling
        self.conv_dropout = conv_dropout
        self.dense_units = dense_units
        self.dropout = dropout
        self.activation = activation
        self.shift = shift
        self.horizontal_flip = horizontal_flip
        self.random_erasing = random_erasing
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.l2 = l2
        self.label_smoothing = label_smoothing
        self.ema_momentum = ema_momentum
        self.tta = tta
        self.lr_schedule = lr_schedule
        self.warmup = warmup
        self.batch_size = batch_size
        self.epochs = epochs
        self.schedule_epochs = schedule_epochs
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.class_weight = class_weight
        self.pixel_range = pixel_range
        self.image_shape = image_shape
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.cache_dir = cache_dir
        self._store_routed(kwargs)

    def _check_architecture(self):
        if not _positive_ints(self.conv_filters) or not self.conv_filters:
            raise ValueError(
                "conv_filters must be a non-empty tuple of positive ints, got "
                f"{self.conv_filters!r}."
            )
        dense = self.dense_units
        if not isinstance(dense, Integral) and not (
            _positive_ints(dense) or len(dense) == 0
        ):
            raise ValueError(
                "dense_units must be a positive int or a tuple of positive ints, "
                f"got {dense!r}."
            )

    def _build_network(self, x, seeds):
        h, w, c = image_hwc(self.image_shape_)
        x = layers.Reshape((h, w, c), name="image")(x)
        for layer in augmentation_layers(
            shift=self.shift,
            horizontal_flip=self.horizontal_flip,
            random_erasing=self.random_erasing,
            seeds=seeds,
        ):
            x = layer(x)
        reg = self._regularizer()
        pool = {"max": layers.MaxPooling2D, "avg": layers.AveragePooling2D}
        # "after_pool" normalises a block's last convolution after its
        # pooling: a quarter of the activations, a cheaper training step.
        after_pool = self.pooling is not None and self.batch_norm == "after_pool"
        for filters in self.conv_filters:
            for i in range(self.convs_per_block):
                x = layers.Conv2D(
                    filters,
                    self.kernel_size,
                    padding=self.padding,
                    activation=self.activation,
                    kernel_initializer=seeds.initializer(),
                    kernel_regularizer=reg,
                )(x)
                if self.batch_norm and (i < self.convs_per_block - 1 or not after_pool):
                    x = batch_norm()(x)
            if self.pooling is not None:
                # "same" pooling keeps 1-pixel-high inputs valid.
                x = pool[self.pooling](2, padding="same")(x)
            if after_pool:
                x = batch_norm()(x)
        if self.conv_dropout > 0:
            x = layers.Dropout(self.conv_dropout, seed=seeds.next())(x)
        x = layers.Flatten()(x)
        dense = (
            (self.dense_units,)
            if isinstance(self.dense_units, Integral)
            else tuple(self.dense_units)
        )
        for units in dense:
            x = layers.Dense(
                units,
                activation=self.activation,
                kernel_initializer=seeds.initializer(),
                kernel_regularizer=reg,
            )(x)
            if self.batch_norm:
                x = batch_norm()(x)
        if self.dropout > 0:
            x = layers.Dropout(self.dropout, seed=seeds.next())(x)
        return x
