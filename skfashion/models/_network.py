"""Building and compiling the estimators' Keras networks.

:class:`_NetworkMixin` builds the network of a fit: scaled flat pixels in,
the subclass's layers (``_build_network``, or the user's network for
KerasImageClassifier), class probabilities out, compiled with the
optimizer, schedule and loss that the parameters ask for, in a fresh Keras
session seeded with the fit's seed.
"""

import math
import random

import keras
import numpy as np

from ._input import PIXEL_SCALES
from ._layers import (
    LayerSeeds,
    SmoothedSparseCrossentropy,
    cosine_schedule,
    make_optimizer,
)
from ._scale import resolve_batch_size


class _NetworkMixin:
    """The network of a fit, built and compiled from the parameters.

    Subclasses implement ``_build_network(inputs, seeds)`` returning the
    last hidden tensor, taking every layer seed from ``seeds`` (a
    :class:`~skfashion.models._layers.LayerSeeds`), or override
    :meth:`_network_outputs`.
    """

    def _build_keras_model(self):
        # SciKeras' version dispatches on ``self.model`` and passes its own
        # compile arguments to a build function taking **kwargs; in
        # skfashion ``model`` is KerasImageClassifier's parameter, handled by
        # ``_network_outputs``. Overridden here, in one place (see
        # _scikeras.PRIVATE_NAMES; tests/test_private_names.py fails if
        # SciKeras stops calling it). model__<name>__<sub> is refused before
        # (_check_model_params).
        return self._keras_build_fn(self._get_metadata(), **self._model_params())

    def _keras_build_fn(self, meta, **model_params):
        return self._seeded_build(
            lambda: self._build_and_compile(meta, model_params), self._random_state
        )

    def _seeded_build(self, build, seed):
        """``build()`` in a fresh Keras session seeded with ``seed``.

        Keras seeds Python's and NumPy's global generators too (unseeded
        user layers draw from them while the network is built); the
        caller's streams are put back once the network exists.
        """
        # Drop the graph and names left by earlier fits: a CV search builds
        # dozens of models in one process and would otherwise keep growing.
        keras.backend.clear_session()
        py_state, np_state = random.getstate(), np.random.get_state()  # noqa: NPY002
        try:
            if seed is not None:
                keras.utils.set_random_seed(int(seed))
            return build()
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)  # noqa: NPY002

    def _cache_network(self, n_classes):
        """What the fit cache keys on besides the parameters, or None.

        The built-in networks follow from the parameters alone;
        KerasImageClassifier returns the configuration of the network its
        ``model`` function builds.
        """
        return None

    def _build_and_compile(self, meta, model_params):
        n_features = meta["n_features_in_"]
        inputs = keras.Input(shape=(n_features,), name="pixels")
        x = inputs
        scale = PIXEL_SCALES[self.pixel_range_]
        if scale != 1.0:
            x = keras.layers.Rescaling(scale, name="pixel_scale")(x)
        seeds = LayerSeeds(self._random_state)
        outputs = self._network_outputs(x, seeds, meta["n_classes_"], model_params)
        model = keras.Model(inputs, outputs, name=type(self).__name__)
        model.compile(
            optimizer=self._optimizer(),
            loss=self._loss(meta["n_classes_"]),
            metrics=["accuracy"],
            jit_compile=False,  # XLA is several times slower on CPU here
        )
        return model

    def _network_outputs(self, x, seeds, n_classes, model_params):
        """Class probabilities on top of the scaled flat pixels ``x``.

        The built-in networks add a seeded softmax layer over the features of
        ``_build_network``; KerasImageClassifier calls the user's network.
        """
        features = self._build_network(x, seeds)
        return keras.layers.Dense(
            n_classes,
            activation="softmax",
            kernel_initializer=seeds.initializer(),
            name="proba",
        )(features)

    def _fit_batch_size(self):
        """The batch size of the running fit (``batch_size="auto"`` resolved)."""
        return resolve_batch_size(self.batch_size, self._n_train())

    def _n_train(self):
        n = self.X_shape_[0]
        val = getattr(self, "_val_indices", None)
        return n - (0 if val is None else len(val))

    def _optimizer(self):
        lr = self.learning_rate
        if self.lr_schedule == "cosine":
            steps_per_epoch = math.ceil(self._n_train() / self._fit_batch_size())
            total = self.schedule_epochs or self.epochs
            lr = cosine_schedule(lr, steps_per_epoch * total, self.warmup)
        routed = {
            k[len("optimizer__") :]: v
            for k, v in self.get_params().items()
            if k.startswith("optimizer__")
        }
        return make_optimizer(
            self.optimizer,
            learning_rate=lr,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
            ema_momentum=self.ema_momentum,
            routed=routed,
        )

    def _loss(self, n_classes):
        if self.label_smoothing > 0:
            return SmoothedSparseCrossentropy(n_classes, self.label_smoothing)
        return "sparse_categorical_crossentropy"

    def _regularizer(self):
        return keras.regularizers.L2(self.l2) if self.l2 > 0 else None

    def _activations(self, n_layers, what):
        act = self.activation
        if isinstance(act, str):
            return [act] * n_layers
        act = list(act)
        if len(act) != n_layers:
            raise ValueError(
                f"activation has {len(act)} entries but there are {n_layers} "
                f"{what}; give one activation or one per layer."
            )
        return act
