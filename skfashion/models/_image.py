"""Classifier over a Keras network of the user's own."""

import inspect
from numbers import Real

import keras
import numpy as np
from keras import layers

from .._keras_privates import flatten_layers, keras_history
from .._sklearn_privates import Interval
from ._base import _BaseImageClassifier
from ._docstrings import fill_doc
from ._input import image_hwc
from ._layers import augmentation_layers
from ._params import _ROUTING_PREFIXES


@fill_doc(batch_size='"auto"', epochs=10)
class KerasImageClassifier(_BaseImageClassifier):
    """scikit-learn classifier over any Keras image network.

    The same training machinery as :class:`KerasCNNClassifier` and
    :class:`KerasMLPClassifier` (pixel checks and scaling, stratified
    validation split, early stopping, schedules, augmentation, class and
    sample weights, seeding, ``cache_dir``, ``warm_start``, safe
    persistence) around a network you define.

    The network receives images of shape ``(height, width, channels)`` with pixels
    scaled to [0, 1] and returns one score per class, as its one output. It
    may end in a softmax (probabilities) or in a linear layer (logits):
    ``fit`` checks the outputs of the freshly built network on random images
    and adds a softmax when they are not probabilities. A network whose last
    layer has a sigmoid activation is refused with a ValueError naming that
    layer: its outputs are independent per-class probabilities, which a
    softmax on top would squash towards uniform (a sigmoid is 1 at most, so
    the top class could never exceed about e / (e + n_classes - 1)), while
    the estimator trains one categorical cross-entropy over the classes. End
    it in ``activation="softmax"``, or in no activation (logits). A network
    with several outputs is refused too.

    Parameters
    ----------
    model : callable or keras.Model
        Either a function ``model(input_shape, n_classes, **params)``
        returning a ``keras.Model``, where ``params`` are the routed
        ``model__<name>`` parameters of this estimator (searchable, for
        example ``{"model__units": [64, 128]}``), or a ``keras.Model``, which
        is cloned with fresh weights for every fit and never modified.
    shift : float, default=0.0
        Training-only random translation, as a fraction of the image size.
    horizontal_flip : bool, default=False
        Training-only random horizontal flips.
    random_erasing : float, default=0.0
        Probability of erasing a random patch of a training image.
    {training_parameters}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    KerasCNNClassifier : The built-in convolutional network.

    Notes
    -----
    With ``cache_dir`` (and always inside
    :class:`~skfashion.model_selection.HalvingEpochsSearchCV`) a fit is
    identified by the configuration of the network that ``model`` builds,
    built once more (not trained) for that purpose, besides the parameters
    and the data: two ``functools.partial`` objects, closures or callable
    objects that build different networks never share a stored fit, nor
    does a function whose helper was edited in between. A change that the
    configuration does not show (the code of a custom layer class) needs a
    new ``cache_dir``.

    :func:`~skfashion.models.save_model` stores networks made of Keras' own
    layers; a custom layer class must be registered with
    ``@keras.saving.register_keras_serializable`` (it is refused otherwise,
    since a model file never runs code when it loads). The ``model``
    parameter itself is not stored: a loaded estimator predicts, and is
    given ``model`` again to be refitted.

    Examples
    --------
    >>> import keras
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.models import KerasImageClassifier
    >>> def small_cnn(input_shape, n_classes, units=16):
    ...     return keras.Sequential([
    ...         keras.Input(input_shape),
    ...         keras.layers.Conv2D(4, 3, activation="relu"),
    ...         keras.layers.GlobalAveragePooling2D(),
    ...         keras.layers.Dense(units, activation="relu"),
    ...         keras.layers.Dense(n_classes),  # logits: a softmax is added
    ...     ])
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> clf = KerasImageClassifier(small_cnn, model__units=8, epochs=2,
    ...                            random_state=0).fit(X[:300], y[:300])
    >>> clf.predict_proba(X[:2]).shape
    (2, 10)
    """

    _needs_image_shape = True
    _routing_prefixes_allowed = _ROUTING_PREFIXES

    _parameter_constraints = {
        **_BaseImageClassifier._common_constraints,
        "model": [callable, keras.Model],
        "shift": [Interval(Real, 0, 0.5, closed="both")],
        "horizontal_flip": ["boolean"],
        "random_erasing": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        model=None,
        *,
        shift=0.0,
        horizontal_flip=False,
        random_erasing=0.0,
        optimizer="adamw",
        learning_rate=2e-3,
        momentum=0.9,
        weight_decay=1e-4,
        l2=0.0,
        label_smoothing=0.0,
        ema_momentum=None,
        tta=None,
        lr_schedule="cosine",
        warmup=0.1,
        batch_size="auto",
        epochs=10,
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
        self.model = model
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
        if self.model is None:
            raise ValueError(
                "KerasImageClassifier needs model=: a function "
                "model(input_shape, n_classes, **params) returning a keras.Model, "
                "or a keras.Model instance."
            )

    def _user_network(self, input_shape, n_classes, model_params):
        if isinstance(self.model, keras.Model):
            if model_params:
                raise TypeError(
                    f"model__ parameters {sorted(model_params)} need model to be "
                    "a function that accepts them; a keras.Model instance takes "
                    "none."
                )
            # A copy with freshly initialised weights: the user's instance is
            # never trained, and every fit starts from new weights.
            return keras.models.clone_model(self.model)
        try:
            inspect.signature(self.model).bind(input_shape, n_classes, **model_params)
        except TypeError as exc:
            raise TypeError(
                f"model={getattr(self.model, '__name__', self.model)!r} cannot be "
                f"called as model(input_shape, n_classes, **{model_params!r}): "
                f"{exc}. Routed model__<name> parameters become its keyword "
                "arguments."
            ) from None
        net = self.model(input_shape, n_classes, **model_params)
        if not isinstance(net, keras.Model):
            raise TypeError(
                "model(input_shape, n_classes, **params) must return a "
                f"keras.Model, got {type(net).__name__}."
            )
        return net

    def _cache_network(self, n_classes):
        # A keras.Model instance is keyed on its architecture already (see
        # _fingerprint); a function is keyed on what it builds.
        if self.model is None or isinstance(self.model, keras.Model):
            return None
        shape = image_hwc(self.image_shape_)
        net = self._seeded_build(
            lambda: self._user_network(shape, n_classes, self._model_params()),
            self.random_state,
        )
        return _network_config(net)

    def _network_outputs(self, x, seeds, n_classes, model_params):
        h, w, c = image_hwc(self.image_shape_)
        x = layers.Reshape((h, w, c), name="image")(x)
        for layer in augmentation_layers(
            shift=self.shift,
            horizontal_flip=self.horizontal_flip,
            random_erasing=self.random_erasing,
            seeds=seeds,
        ):
            x = layer(x)
        net = self._user_network((h, w, c), n_classes, model_params)
        _check_one_output(net)
        scores = net(x)
        if isinstance(scores, (list, tuple, dict)):
            _check_one_output(net, len(scores))
        if tuple(scores.shape[1:]) != (n_classes,):
            raise ValueError(
                f"The network must map images of shape {(h, w, c)} to one score "
                f"per class, shape (None, {n_classes}); it outputs "
                f"{tuple(scores.shape)}."
            )
        _refuse_sigmoid_output(net)
        if not _outputs_probabilities(net, (h, w, c), self._random_state):
            scores = layers.Activation("softmax", name="proba")(scores)
        return scores


def _outputs_probabilities(net, input_shape, seed):
    """True when ``net`` ends in a softmax: non-negative rows summing to 1."""
    rng = np.random.default_rng(0 if seed is None else seed)
    probe = rng.uniform(0, 1, size=(4, *input_shape)).astype(np.float32)
    out = keras.ops.convert_to_numpy(net(probe, training=False))
    return bool(np.all(out >= 0) and np.allclose(out.sum(axis=1), 1.0, atol=1e-3))


def _network_config(net):
    """The architecture of ``net`` as JSON text, for the fit cache's key."""
    try:
        return net.to_json()
    except Exception:  # a subclassed model without get_config
        layers_ = []
        for layer in flatten_layers(net):
            try:
                config = layer.get_config()
            except Exception:
                config = None
            layers_.append([type(layer).__qualname__, repr(config)])
        try:
            source = inspect.getsource(type(net))
        except (OSError, TypeError):
            source = None
        return {"class": type(net).__qualname__, "src": source, "layers": layers_}


def _check_one_output(net, n_outputs=None):
    """Refuse a network with more than one output."""
    if n_outputs is None:
        try:
            n_outputs = len(net.outputs)
        except Exception:  # a subclassed model has no outputs before a call
            return
    if n_outputs != 1:
        raise ValueError(
            f"The network {net.name!r} has {n_outputs} outputs; "
            "KerasImageClassifier needs one output: a tensor of shape "
            "(None, n_classes) of class scores (logits) or probabilities."
        )


#: Output activations that a softmax on top cannot repair.
_SIGMOID_ACTIVATIONS = ("sigmoid", "hard_sigmoid")


def _output_layer(net):
    """The layer that computes ``net``'s output, looking into nested models."""
    for _ in range(100):
        try:
            history = keras_history(net.outputs[0])
            layer = history.operation
        except Exception:
            layers_ = getattr(net, "layers", None)
            layer = layers_[-1] if layers_ else None
        if isinstance(layer, keras.Model) and layer is not net:
            net = layer
            continue
        return layer
    return None


def _refuse_sigmoid_output(net):
    """Refuse a network whose last layer has a sigmoid activation."""
    layer = _output_layer(net)
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", None)
    if name in _SIGMOID_ACTIVATIONS:
        raise ValueError(
            f"The network ends in layer {layer.name!r} with a {name} "
            "activation: per-class probabilities that do not sum to 1, which "
            "a softmax on top would flatten towards uniform. "
            "KerasImageClassifier trains one categorical cross-entropy over "
            "the classes: end the network in activation='softmax' "
            "(probabilities) or in no activation (logits, a softmax is then "
            "added)."
        )
