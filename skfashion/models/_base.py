"""Shared machinery of the skfashion Keras classifiers.

SciKeras' ``KerasClassifier`` declares its scikit-learn tags the pre-1.6 way
(``_more_tags``) and lists ``ClassifierMixin`` after ``BaseEstimator``, so on
scikit-learn >= 1.6 ``is_classifier`` is False for it. The classes here fix
that through ``__sklearn_tags__`` and add the input checks, pixel scaling,
stratified validation split, learning-rate schedules and early stopping that a
scikit-learn user expects.
"""

import hashlib
import json
import math
import os
from numbers import Integral, Real

import keras
import numpy as np
from scikeras.wrappers import BaseWrapper, KerasClassifier
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import ClassifierTags, check_random_state, compute_sample_weight
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)
from tensorflow.python.framework import config as tf_config

from ._input import (
    PIXEL_SCALES,
    as_float32,
    check_pixel_range,
    infer_pixel_range,
    resolve_image_shape,
    to_flat_images,
)
from ._layers import LayerSeeds, cosine_schedule, make_optimizer

OPTIMIZERS = ("sgd", "adam", "adamw", "nadam", "rmsprop", "adagrad", "adadelta")
ACTIVATIONS = ("relu", "elu", "selu", "gelu", "swish", "tanh", "sigmoid", "leaky_relu")
SCHEDULES = ("constant", "cosine", "plateau")
_ROUTING_PREFIXES = (
    "model__",
    "fit__",
    "compile__",
    "predict__",
    "optimizer__",
    "callbacks__",
)


def _positive_ints(value):
    return isinstance(value, (tuple, list)) and all(
        isinstance(v, Integral) and not isinstance(v, bool) and v > 0 for v in value
    )


class _BaseImageClassifier(KerasClassifier):
    """Base class: scikit-learn classifier over a Keras network.

    Subclasses implement ``_build_network(inputs, seeds)`` returning the last
    hidden tensor, taking every layer seed from ``seeds`` (a
    :class:`~skfashion.models._layers.LayerSeeds`); the softmax output layer
    and everything else (compilation, schedules, validation split, input
    checks) live here.
    """

    # Fixed SciKeras settings, kept as class attributes so that they are not
    # estimator parameters (SciKeras lists instance attributes as parameters).
    model = None
    build_fn = None
    loss = "sparse_categorical_crossentropy"
    metrics = None
    validation_batch_size = None
    run_eagerly = False
    shuffle = True
    warm_start = False

    _common_constraints = {
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "l2": [Interval(Real, 0, None, closed="left")],
        "lr_schedule": [StrOptions(set(SCHEDULES))],
        "warmup": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "restore_best_weights": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "pixel_range": [StrOptions({"auto", "0-255", "0-1"}), None],
        "image_shape": [tuple, list, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "cache_dir": [str, os.PathLike, None],
    }

    def _store_routed(self, kwargs):
        # SciKeras-style routed parameters (``optimizer__beta_1=...``) are
        # stored as attributes; their names are checked in ``fit``.
        vars(self).update(kwargs)
        if kwargs:
            self._user_params = set(kwargs)

    def _check_routed_names(self):
        for key in getattr(self, "_user_params", ()):
            if not key.startswith(_ROUTING_PREFIXES):
                raise TypeError(
                    f"{type(self).__name__} got an unexpected parameter {key!r}. "
                    "Check the spelling against get_params(); routed Keras "
                    f"parameters must start with one of {', '.join(_ROUTING_PREFIXES)}."
                )

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        # BaseEstimator's tags, not SciKeras' legacy ``_more_tags``.
        tags = BaseEstimator.__sklearn_tags__(self)
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags(multi_class=True, multi_label=False)
        tags.target_tags.required = True
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        tags.input_tags.two_d_array = True
        # A network trained for a few epochs on tiny data is not accurate.
        tags.classifier_tags.poor_score = True
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    # ----------------------------------------------------------------- input
    def _prepare_X(self, X, *, reset):
        name = type(self).__name__
        X, image_hw = to_flat_images(X, estimator_name=name)
        if reset:
            self.image_shape_ = resolve_image_shape(
                self.image_shape,
                X.shape[1],
                image_hw,
                required=self._needs_image_shape,
            )
            self.pixel_range_ = infer_pixel_range(
                X, self.pixel_range, estimator_name=name
            )
        else:
            if X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but {name} is expecting "
                    f"{self.n_features_in_} features as input."
                )
            if (
                image_hw is not None
                and self.image_shape_ is not None
                and (tuple(image_hw) != tuple(self.image_shape_))
            ):
                raise ValueError(
                    f"X holds images of shape {tuple(image_hw)}, but {name} was "
                    f"fitted on images of shape {tuple(self.image_shape_)}."
                )
            check_pixel_range(X, self.pixel_range_, estimator_name=name)
        return as_float32(X)

    def _prepare_y(self, y, n_samples):
        y = column_or_1d(y, warn=True)
        if len(y) != n_samples:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {n_samples} and "
                f"{len(y)}."
            )
        check_classification_targets(y)
        if np.unique(y).size < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in "
                f"y, but y contains only one class: {np.unique(y)!r}."
            )
        return y

    # ------------------------------------------------------------------- fit
    def fit(self, X, y, sample_weight=None, **kwargs):
        """Fit the network to images ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), \
(n_samples, height, width) or (n_samples, height, width, 1)
            Training images.
        y : array-like of shape (n_samples,)
            Class labels of any type; ``classes_`` and predictions use them.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights, multiplied with ``class_weight`` if both are set.
        **kwargs : dict
            Extra arguments routed to ``keras.Model.fit`` (SciKeras style).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        self._check_routed_names()
        self._check_architecture()
        X = self._prepare_X(X, reset=True)
        y = self._prepare_y(y, X.shape[0])
        if sample_weight is not None:
            check_consistent_length(X, sample_weight)
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        if self.class_weight is not None:
            cw = compute_sample_weight(class_weight=self.class_weight, y=y)
            sample_weight = cw if sample_weight is None else sample_weight * cw
        cache_path = self._cache_path(X, y, sample_weight, kwargs)
        if cache_path is not None and self._load_cached(cache_path):
            return self
        self._val_indices = self._validation_indices(y)
        self.classes_ = None
        # SciKeras seeds through TF_DETERMINISTIC_OPS, which TensorFlow may
        # latch on for the whole process; later unseeded TensorFlow code would
        # then fail, so the previous setting is put back.
        determinism = tf_config.is_op_determinism_enabled()
        try:
            BaseWrapper.fit(self, X, y, sample_weight=sample_weight, **kwargs)
        finally:
            del self._val_indices
            if not determinism and tf_config.is_op_determinism_enabled():
                tf_config.disable_op_determinism()
        if cache_path is not None:
            from ._persistence import save_model

            save_model(self, cache_path)
        return self

    # ----------------------------------------------------------------- cache
    _CACHE_IGNORED = frozenset({"cache_dir", "verbose", "callbacks"})

    def _cache_path(self, X, y, sample_weight, fit_kwargs):
        """File of this (parameters, data) fit in ``cache_dir``, or None.

        The key covers every parameter that changes the trained model and a
        digest of the exact training data, so a resumed search reuses a fit
        only when it would have trained the very same model.
        """
        if self.cache_dir is None:
            return None
        if (
            fit_kwargs
            or self.callbacks
            or not isinstance(self.random_state, (int, np.integer))
        ):
            # Without a fixed seed (or with extra fit arguments) a rerun would
            # not be the same fit, so reusing a stored one would be wrong.
            raise ValueError(
                "cache_dir needs an int random_state and no callbacks or extra "
                f"fit arguments; got random_state={self.random_state!r}."
            )
        params = {
            k: v for k, v in self.get_params().items() if k not in self._CACHE_IGNORED
        }
        digest = hashlib.blake2b(digest_size=20)
        digest.update(type(self).__name__.encode())
        digest.update(json.dumps(params, sort_keys=True, default=repr).encode())
        for arr in (X, np.asarray(y), sample_weight):
            if arr is not None:
                arr = np.ascontiguousarray(arr)
                digest.update(f"{arr.dtype.str}{arr.shape}".encode())
                digest.update(
                    arr.data if arr.dtype != object else repr(arr.tolist()).encode()
                )
        return os.path.join(os.fspath(self.cache_dir), digest.hexdigest() + ".skf")

    def _load_cached(self, path):
        from ..exceptions import ModelFileError
        from ._persistence import load_model

        if not os.path.exists(path):
            return False
        try:
            stored = load_model(path)
        except ModelFileError:
            return False  # unreadable entry: train again and overwrite it
        for attr in (
            "model_",
            "classes_",
            "n_classes_",
            "n_features_in_",
            "image_shape_",
            "pixel_range_",
            "history_",
            "n_iter_",
        ):
            setattr(self, attr, getattr(stored, attr))
        return True

    def _validation_fraction(self):
        if self.validation_fraction is not None:
            return self.validation_fraction
        return 0.1 if self.early_stopping else 0.0

    def _validation_indices(self, y):
        """Indices of the validation split, stratified on ``y`` when possible."""
        fraction = self._validation_fraction()
        if self.early_stopping and fraction == 0:
            raise ValueError("early_stopping=True needs validation_fraction > 0.")
        if fraction == 0:
            return None
        n = len(y)
        n_val = math.ceil(fraction * n)
        if n_val < 1 or n - n_val < 1:
            raise ValueError(
                f"validation_fraction={fraction} leaves no samples to train or "
                f"validate on with {n} samples."
            )
        _, counts = np.unique(y, return_counts=True)
        stratify = y if counts.min() >= 2 and n_val >= len(counts) else None
        rng = check_random_state(self.random_state)
        _, val = train_test_split(
            np.arange(n),
            test_size=n_val,
            stratify=stratify,
            random_state=rng.randint(np.iinfo(np.int32).max),
        )
        return np.sort(val)

    def _n_train(self):
        n = self.X_shape_[0]
        val = getattr(self, "_val_indices", None)
        return n - (0 if val is None else len(val))

    def _fit_keras_model(
        self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs
    ):
        val = self._val_indices
        if val is not None:
            train = np.setdiff1d(np.arange(len(X)), val, assume_unique=True)
            val_data = (X[val], y[val])
            if sample_weight is not None:
                val_data += (sample_weight[val],)
                sample_weight = sample_weight[train]
            X, y = X[train], y[train]
            kwargs["validation_data"] = val_data
        user_callbacks = self._fit_callbacks
        self._fit_callbacks = list(user_callbacks) + self._training_callbacks(
            val is not None
        )
        if self.verbose == 0:
            kwargs.setdefault("verbose", 0)
        try:
            super()._fit_keras_model(
                X,
                y,
                sample_weight=sample_weight,
                warm_start=warm_start,
                epochs=epochs,
                initial_epoch=initial_epoch,
                **kwargs,
            )
        finally:
            self._fit_callbacks = user_callbacks
        self.n_iter_ = len(self.history_["loss"])

    def _training_callbacks(self, has_validation):
        monitor = "val_loss" if has_validation else "loss"
        out = []
        if self.early_stopping:
            out.append(
                keras.callbacks.EarlyStopping(
                    monitor=monitor,
                    patience=self.patience,
                    restore_best_weights=self.restore_best_weights,
                )
            )
        if self.lr_schedule == "plateau":
            out.append(
                keras.callbacks.ReduceLROnPlateau(
                    monitor=monitor, factor=0.5, patience=max(1, self.patience // 2)
                )
            )
        return out

    # ----------------------------------------------------------------- build
    def _keras_build_fn(self, meta):
        # Drop the graph and names left by earlier fits: a CV search builds
        # dozens of models in one process and would otherwise keep growing.
        keras.backend.clear_session()
        if self._random_state is not None:
            keras.utils.set_random_seed(int(self._random_state))
        n_features = meta["n_features_in_"]
        inputs = keras.Input(shape=(n_features,), name="pixels")
        x = inputs
        scale = PIXEL_SCALES[self.pixel_range_]
        if scale != 1.0:
            x = keras.layers.Rescaling(scale, name="pixel_scale")(x)
        seeds = LayerSeeds(self._random_state)
        features = self._build_network(x, seeds)
        outputs = keras.layers.Dense(
            meta["n_classes_"],
            activation="softmax",
            kernel_initializer=seeds.initializer(),
            name="proba",
        )(features)
        model = keras.Model(inputs, outputs, name=type(self).__name__)
        model.compile(
            optimizer=self._optimizer(),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            jit_compile=False,  # XLA is several times slower on CPU here
        )
        return model

    def _optimizer(self):
        lr = self.learning_rate
        if self.lr_schedule == "cosine":
            steps_per_epoch = math.ceil(self._n_train() / self.batch_size)
            lr = cosine_schedule(lr, steps_per_epoch * self.epochs, self.warmup)
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
            routed=routed,
        )

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

    # --------------------------------------------------------------- predict
    def predict_proba(self, X):
        """Class probabilities for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), \
(n_samples, height, width) or (n_samples, height, width, 1)
            Images, on the pixel scale used in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; rows sum to 1.
        """
        check_is_fitted(self)
        X = self._prepare_X(X, reset=False)
        proba = self.model_.predict(
            X, batch_size=max(self.batch_size, 1024), verbose=0
        ).astype(np.float64)
        proba /= proba.sum(axis=1, keepdims=True)
        return proba

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Most probable class of each image in ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), \
(n_samples, height, width) or (n_samples, height, width, 1)
            Images, on the pixel scale used in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, drawn from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on ``X`` and ``y``.

        Parameters
        ----------
        X : array-like
            Images.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Accuracy of ``predict(X)`` with respect to ``y``.
        """
        from sklearn.metrics import accuracy_score

        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)

    # SciKeras' partial_fit bypasses the input checks and schedules above;
    # hide it so that scikit-learn does not treat the estimators as online.
    @available_if(lambda self: False)
    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        """Not supported: train with :meth:`fit` and the ``epochs`` parameter."""

    def __repr__(self):
        # BaseEstimator's repr (changed parameters only) instead of SciKeras'
        # one-line-per-parameter dump.
        return BaseEstimator.__repr__(self)
