"""Shared machinery of the skfashion Keras classifiers.

SciKeras' ``KerasClassifier`` declares its scikit-learn tags the pre-1.6 way
(``_more_tags``) and lists ``ClassifierMixin`` after ``BaseEstimator``, so on
scikit-learn >= 1.6 ``is_classifier`` is False for it. The classes here fix
that through ``__sklearn_tags__`` and add the input checks, pixel scaling,
stratified validation split, learning-rate schedules and early stopping that a
scikit-learn user expects.
"""

import functools
import glob
import hashlib
import inspect
import json
import logging
import math
import mmap
import os
import random
import re
import tempfile
import time
import warnings
import weakref
from numbers import Integral, Real

import keras
import numpy as np
import tensorflow as tf
from scikeras.wrappers import BaseWrapper, KerasClassifier
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import ClassifierTags, check_random_state, compute_sample_weight
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_feature_names,
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)
from tensorflow.python.framework import config as tf_config

from ..exceptions import CacheEntryWarning, TrainingDivergedError
from ..utils import resolve_image_shape
from ._folding import fold_signature, folded_call
from ._input import (
    PIXEL_SCALES,
    PIXEL_TOPS,
    as_network_input,
    check_pixel_range,
    infer_pixel_range,
    to_flat_images,
)
from ._layers import (
    LayerSeeds,
    SmoothedSparseCrossentropy,
    cosine_schedule,
    make_optimizer,
    skip_single_replica_all_reduce,
)
from ._persistence import (
    _json_params,
    check_saveable_labels,
    check_storable_network,
    load_model,
    read_cache_record,
    save_model,
)
from ._registry import register
from ._scale import (
    needs_batch_norm_recompute,
    recompute_batch_norm,
    resolve_batch_size,
)

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


class _NewModelTracingFilter(logging.Filter):
    """Drop TensorFlow's "triggered tf.function retracing" warning.

    Every fit builds a new Keras model, whose train and predict functions are
    traced anew; after five models TensorFlow's heuristic reports these first
    traces of new functions as "retracing" of one function. Only that
    message is dropped; TensorFlow's other warnings pass.
    """

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


logging.getLogger("tensorflow").addFilter(_NewModelTracingFilter())


#: Images per batch at prediction (at least ``batch_size``).
_PREDICT_BATCH = 2048


#: Each network's inference functions, by fold signature, dropped with the
#: network.
_INFERENCE = weakref.WeakKeyDictionary()


def _inference_function(model):
    """``model`` in inference mode as a traced function of float32 batches.

    Batch normalisation layers are folded into the next linear layer
    (:mod:`._folding`), which predicts the same probabilities with fewer
    passes over the activations. Kept per network and fold signature,
    outside the estimator (predicting must not change an estimator's
    ``__dict__``). The function reaches the network through a weak
    reference, so the cache never keeps a network alive.
    """
    signature = fold_signature(model)
    traced = _INFERENCE.setdefault(model, {})
    infer = traced.get(signature)
    if infer is None:
        ref = weakref.ref(model)
        spec = tf.TensorSpec((None, *model.inputs[0].shape[1:]), tf.float32)

        def call(x):
            if signature is None:
                return ref()(x, training=False)
            return folded_call(ref(), x, signature)

        # The Python branches are resolved once, at tracing.
        infer = tf.function(call, input_signature=[spec], autograph=False)
        traced[signature] = infer
    return infer


def _shifted(images, axis, step):
    """``images`` moved one pixel along ``axis``, repeating the edge."""
    n = images.shape[axis]
    index = np.clip(np.arange(n) - step, 0, n - 1)
    return np.take(images, index, axis=axis)


#: The extra views of each test-time augmentation, as functions of a batch
#: of images shaped (n, height, width, channels).
TTA_VIEWS = {
    "shift": (
        lambda im: _shifted(im, 1, 1),
        lambda im: _shifted(im, 1, -1),
        lambda im: _shifted(im, 2, 1),
        lambda im: _shifted(im, 2, -1),
    ),
    "flip": (lambda im: im[:, :, ::-1],),
}


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
    # ``model`` is a parameter of KerasImageClassifier only.
    model = None
    build_fn = None
    loss = "sparse_categorical_crossentropy"
    metrics = None
    validation_batch_size = None
    run_eagerly = False
    shuffle = True

    #: Prefixes of the SciKeras-style routed parameters this class accepts;
    #: ``model__`` only where the network is the user's.
    _routing_prefixes_allowed = tuple(p for p in _ROUTING_PREFIXES if p != "model__")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            register(cls)

    _common_constraints = {
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "l2": [Interval(Real, 0, None, closed="left")],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "ema_momentum": [Interval(Real, 0, 1, closed="neither"), None],
        "tta": [StrOptions({"auto", *TTA_VIEWS}), None],
        "lr_schedule": [StrOptions(set(SCHEDULES))],
        "warmup": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "schedule_epochs": [Interval(Integral, 1, None, closed="left"), None],
        "warm_start": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "restore_best_weights": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "pixel_range": [StrOptions({"auto", *PIXEL_TOPS}), None],
        "image_shape": [tuple, list, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "cache_dir": [str, os.PathLike, None],
    }

    def _store_routed(self, kwargs):
        # SciKeras-style routed parameters (``optimizer__beta_1=...``) are
        # stored as attributes. Any other unknown keyword is a mistake, and
        # is reported now rather than at ``fit`` (as skorch does).
        self._check_routed_names(kwargs)
        self._check_model_params(kwargs)
        vars(self).update(kwargs)
        if kwargs:
            self._user_params = set(kwargs)

    def _check_routed_names(self, names=None):
        names = getattr(self, "_user_params", ()) if names is None else names
        allowed = self._routing_prefixes_allowed
        for key in names:
            if key.startswith(allowed):
                continue
            hint = ""
            if key.startswith("model__") or key in ("model", "build_fn"):
                hint = (
                    " To train a network of your own, use "
                    "skfashion.models.KerasImageClassifier(model=...)."
                )
            raise TypeError(
                f"{type(self).__name__}.__init__() got an unexpected keyword "
                f"argument {key!r}. Check the spelling against get_params(); "
                "routed Keras parameters must start with one of "
                f"{', '.join(allowed)}.{hint}"
            )

    def _check_model_params(self, names):
        """Refuse ``model__<name>__<sub>``: only one level is routed.

        ``model__<name>`` becomes the keyword ``<name>`` of the network
        function; a deeper name would be dropped silently at the build.
        """
        nested = sorted(
            k for k in names if k.startswith("model__") and "__" in k[len("model__") :]
        )
        if nested:
            raise InvalidParameterError(
                f"{type(self).__name__} got {', '.join(map(repr, nested))}, but "
                "model__<name> parameters are routed one level deep, as the "
                "keyword <name> of the model function; a further __<sub> "
                "would be dropped. Pass the whole value as model__<name> "
                "(for example a dict) and read it in the function."
            )

    def _model_params(self):
        """The routed ``model__<name>`` parameters, as keyword arguments."""
        prefix = "model__"
        return {
            k[len(prefix) :]: v
            for k, v in self.get_params().items()
            if k.startswith(prefix) and "__" not in k[len(prefix) :]
        }

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
        # DataFrame columns: set feature_names_in_ in fit, and warn or raise
        # at predict as scikit-learn's own estimators do. scikit-learn's
        # public validate_data would also reset n_features_in_ from 3-D
        # image input, so its private helper is used, here only;
        # tests/test_estimators.py fails if it disappears.
        _check_feature_names(self, X, reset=reset)
        X, image_hw = to_flat_images(X, estimator_name=name)
        if reset:
            self.image_shape_ = resolve_image_shape(
                self.image_shape,
                X.shape[1],
                image_hw,
                required=self._needs_image_shape,
            )
            # A network of flat features (the MLP) takes any features: their
            # square shape is then only assumed, and tta must not use it.
            self._image_shape_guessed = bool(
                not self._needs_image_shape
                and self.image_shape is None
                and image_hw is None
                and self.image_shape_ is not None
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
        return as_network_input(X)

    def _prepare_y(self, y, n_samples):
        y = column_or_1d(y, warn=True)
        if len(y) != n_samples:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {n_samples} and "
                f"{len(y)}."
            )
        if y.dtype.kind == "O":
            try:
                np.unique(y)
            except TypeError:
                kinds = sorted({type(v).__name__ for v in y.tolist()})
                raise ValueError(
                    f"y mixes labels of types {', '.join(kinds)}, which cannot "
                    "be ordered against each other, so classes_ cannot be "
                    "built. Give labels of one type, for example "
                    "y.astype(str)."
                ) from None
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
        self._check_model_params(self.get_params(deep=False))
        self._check_architecture()
        self._check_class_weight()
        self._check_callbacks()
        continuing = bool(self.warm_start) and hasattr(self, "model_")
        X = self._prepare_X(X, reset=not continuing)
        self._check_tta()  # before training, not at the first predict
        y = self._prepare_y(y, X.shape[0])
        if continuing:
            unseen = np.setdiff1d(np.unique(y), self.classes_)
            if unseen.size:
                raise ValueError(
                    f"warm_start=True continues the network fitted on classes "
                    f"{self.classes_.tolist()}, but y has new classes "
                    f"{unseen.tolist()}; set warm_start=False to train anew."
                )
        if sample_weight is not None:
            check_consistent_length(X, sample_weight)
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        if self.class_weight is not None:
            cw = compute_sample_weight(class_weight=self.class_weight, y=y)
            sample_weight = cw if sample_weight is None else sample_weight * cw
        entry = None
        if not continuing:
            if self.cache_dir is not None:
                # The fit will be stored: refuse unstorable labels now, not
                # after the training.
                check_saveable_labels(np.unique(y))
            entry = self._cache_entry(X, y, sample_weight, kwargs)
            if entry is not None:
                _remove_stale_temps(entry.folder)
                if self._load_cached(entry, y):
                    return self
                _check_cache_writable(self.cache_dir)
                if self._load_shorter(entry, y):
                    # Continue the longest stored cut of the same run.
                    continuing = True
                    kwargs["epochs"] = self.epochs - self.n_iter_
        self._val_indices = self._validation_indices(y)
        # A fit that will be stored is checked for storability once its
        # network is built, before the first epoch (_fit_keras_model).
        self._storing = entry is not None
        if continuing:
            # SciKeras keeps the network; the epochs counter and history go on,
            # and the data order of the new epochs gets its own seed.
            self._fit_callbacks = list(self.callbacks or [])
            kwargs.setdefault("initial_epoch", self.n_iter_)
            if self._random_state is not None:
                self._random_state = int(self._random_state) + self.n_iter_
        else:
            self.classes_ = None
        # SciKeras seeds through TF_DETERMINISTIC_OPS, which TensorFlow may
        # latch on for the whole process; later unseeded TensorFlow code would
        # then fail, so the previous setting is put back.
        determinism = tf_config.is_op_determinism_enabled()
        warm_start = self.warm_start
        self.warm_start = continuing  # what SciKeras reads to keep the network
        try:
            BaseWrapper.fit(self, X, y, sample_weight=sample_weight, **kwargs)
            # One canonical fitted state, whichever way the model was obtained.
            self._restore_fitted_state(self._fitted_state(), self.model_)
            if entry is not None:
                save_model(self, entry.path, _cache=entry.record())
        except BaseException:
            # A failed fit (a diverged loss, Ctrl-C, a cache entry that cannot
            # be written) must not leave a network that looks fitted: the
            # estimator goes back to unfitted, as before its first fit.
            self._forget_fitted_state()
            raise
        finally:
            self.warm_start = warm_start
            del self._val_indices, self._storing
            if not determinism and tf_config.is_op_determinism_enabled():
                tf_config.disable_op_determinism()
        return self

    def _check_class_weight(self):
        cw = self.class_weight
        if isinstance(cw, dict):
            bad = {
                k: v
                for k, v in cw.items()
                if not isinstance(v, Real) or not np.isfinite(v) or v < 0
            }
            if bad:
                raise ValueError(
                    "class_weight values must be finite numbers >= 0, got "
                    f"{bad!r}. Negative weights turn the loss upside down."
                )

    # ---------------------------------------------------------- fitted state
    def _fitted_state(self):
        """Every fitted attribute but the network, as plain JSON values.

        The single owner of the fitted state: :meth:`fit`, the fit cache,
        :func:`save_model`, :func:`load_model` and pickling all go through
        this method and :meth:`_restore_fitted_state`, so an estimator has
        the same attributes however it got fitted.
        """
        check_is_fitted(self)
        classes = np.asarray(self.classes_)
        return {
            "classes": classes.tolist(),
            "classes_dtype": "O" if classes.dtype.kind == "O" else classes.dtype.str,
            "n_features_in": int(self.n_features_in_),
            "n_samples": int(self.X_shape_[0]),
            "image_shape": None
            if self.image_shape_ is None
            else [int(v) for v in self.image_shape_],
            "image_shape_guessed": bool(getattr(self, "_image_shape_guessed", False)),
            "pixel_range": self.pixel_range_,
            "batch_size": int(self.batch_size_),
            "feature_names_in": None
            if getattr(self, "feature_names_in_", None) is None
            else [str(v) for v in self.feature_names_in_],
            "history": {
                str(k): [float(v) for v in vals] for k, vals in self.history_.items()
            },
        }

    def _restore_fitted_state(self, state, model):
        """Set every fitted attribute from ``state`` and the network ``model``.

        Besides skfashion's own attributes this rebuilds the ones SciKeras
        keeps (``X_shape_``, ``target_encoder_``, ...), the same way SciKeras'
        ``fit`` derives them, so that SciKeras' methods keep working.
        """
        kind = state["classes_dtype"]
        classes = np.asarray(
            state["classes"], dtype=object if kind == "O" else np.dtype(kind)
        )
        n_features = int(state["n_features_in"])
        shape = state["image_shape"]
        self.image_shape_ = None if shape is None else tuple(int(v) for v in shape)
        # Files of skfashion <= 0.1 do not record it: taken as known.
        self._image_shape_guessed = bool(state.get("image_shape_guessed") or False)
        self.pixel_range_ = state["pixel_range"]
        # Files of skfashion <= 0.1 do not record it: what the rule gives.
        batch = state.get("batch_size")
        if batch is None:
            batch = resolve_batch_size(self.batch_size, int(state["n_samples"]))
        self.batch_size_ = int(batch)
        names = state.get("feature_names_in")
        if names is None:
            vars(self).pop("feature_names_in_", None)
        else:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        self.X_dtype_ = np.dtype(np.float32)
        self.X_shape_ = (int(state["n_samples"]), n_features)
        self.n_features_in_ = n_features
        self.y_dtype_ = classes.dtype
        self.y_ndim_ = 1
        self.classes_ = None  # SciKeras' target type and encoder read it
        self.target_type_ = self._type_of_target(classes)
        self.target_encoder_ = self.target_encoder.fit(classes)
        vars(self).update(self.target_encoder_.get_metadata())
        self.feature_encoder_ = self.feature_encoder.fit(
            np.zeros((1, n_features), dtype=np.float32)
        )
        self.model_ = model
        self.history_ = {k: list(v) for k, v in state["history"].items()}
        self.n_iter_ = len(self.history_.get("loss", []))
        self._random_state = (
            self.random_state if isinstance(self.random_state, Integral) else None
        )

    def _forget_fitted_state(self):
        """Remove every fitted attribute (the estimator is unfitted after)."""
        for key in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, key)
        vars(self).pop("_image_shape_guessed", None)

    def __getstate__(self):
        state = {
            k: v
            for k, v in vars(self).items()
            if not (k.endswith("_") and not k.startswith("_"))
            and k not in ("_fit_callbacks", "_predict_callbacks")
        }
        if hasattr(self, "model_"):
            state["_fitted"] = (self._fitted_state(), self.model_)
        return state

    def __setstate__(self, state):
        state = dict(state)
        fitted = state.pop("_fitted", None)
        vars(self).update(state)
        if fitted is not None:
            self._restore_fitted_state(*fitted)

    # ----------------------------------------------------------------- cache
    _CACHE_IGNORED = frozenset({"cache_dir", "verbose", "callbacks", "warm_start"})

    def _cache_entry(self, X, y, sample_weight, fit_kwargs):
        """Where this (parameters, data) fit lives in ``cache_dir``, or None.

        The key covers every parameter that changes the trained model, the
        configuration of the network a user's ``model`` function builds
        (:meth:`_cache_network`), what ``fit`` inferred from X (image shape,
        pixel range) and a digest of the exact training data, so a resumed
        search reuses a fit only when it would have trained the very same
        model. With ``schedule_epochs`` set, ``epochs`` is left out of the
        key: fits of the same run cut after different epochs share it, and a
        longer one continues the longest stored one (see
        :class:`_CacheEntry`). Each entry records its key, and is checked
        against the fit asking for it when loaded (:meth:`_entry_mismatch`).
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
        resumable = self.schedule_epochs is not None and not self.early_stopping
        ignored = self._CACHE_IGNORED | ({"epochs"} if resumable else set())
        params = {
            k: _fingerprint(v) for k, v in self.get_params().items() if k not in ignored
        }
        network = self._cache_network(np.unique(y).size)
        if network is not None:
            params["__network__"] = network
        digest = hashlib.blake2b(digest_size=20)
        digest.update(type(self).__name__.encode())
        digest.update(json.dumps(params, sort_keys=True, default=repr).encode())
        inferred = [self.image_shape_, self.pixel_range_]
        digest.update(json.dumps(inferred, default=list).encode())
        for arr in (X, np.asarray(y), sample_weight):
            if arr is not None:
                arr = np.ascontiguousarray(arr)
                digest.update(f"{arr.dtype.str}{arr.shape}".encode())
                digest.update(
                    arr.data if arr.dtype != object else repr(arr.tolist()).encode()
                )
        return _CacheEntry(
            os.fspath(self.cache_dir),
            digest.hexdigest(),
            self.epochs if resumable else None,
        )

    def _cache_network(self, n_classes):
        """What the fit cache keys on besides the parameters, or None.

        The built-in networks follow from the parameters alone;
        KerasImageClassifier returns the configuration of the network its
        ``model`` function builds.
        """
        return None

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

    def _entry_mismatch(self, stored, record, key, epochs, y):
        """Why the loaded entry ``stored`` is not this fit's, or None.

        ``record`` is the entry's own record of its key and epochs
        (:func:`~skfashion.models._persistence.read_cache_record`); ``key``
        and ``epochs`` are what this fit looks for. The stored parameters
        and classes must be this fit's too.
        """
        if record is None:
            return "it records no cache key: written by an older skfashion"
        if record["key"] != key:
            return f"it records the key {record['key'][:80]!r}"
        if record["epochs"] != epochs:
            return f"it records {record['epochs']} epochs, not {epochs}"
        if type(stored) is not type(self):
            return f"it holds a {type(stored).__name__}"
        ignored = self._CACHE_IGNORED | ({"epochs"} if epochs is not None else set())
        mine, theirs = _cache_params(self, ignored), _cache_params(stored, ignored)
        differ = sorted(
            k
            for k in mine.keys() | theirs.keys()
            if mine.get(k, None) != theirs.get(k, None)
        )
        if differ:
            return f"its parameters differ: {', '.join(differ)}"
        if epochs is not None and stored.n_iter_ != epochs:
            return f"it holds {stored.n_iter_} epochs, not {epochs}"
        if np.asarray(stored.classes_).tolist() != np.unique(y).tolist():
            return "it was fitted on other classes"
        return None

    def _load_cached(self, entry, y):
        """Take the stored fit of ``entry``; False when there is none.

        An entry that cannot be loaded, or that turns out to be another
        fit's, is reported once and trained again (the new fit overwrites
        it).
        """
        if not os.path.exists(entry.path):
            return False
        try:
            record = read_cache_record(entry.path)
            stored = load_model(entry.path)
        except Exception as exc:  # any damage: retrain and overwrite
            warnings.warn(
                f"Cache entry {entry.path} cannot be read ({exc}); training "
                "this fit again and overwriting the entry.",
                CacheEntryWarning,
                stacklevel=3,
            )
            return False
        reason = self._entry_mismatch(stored, record, entry.key, entry.epochs, y)
        if reason is not None:
            warnings.warn(
                f"Cache entry {entry.path} does not belong to this fit "
                f"({reason}); training this fit again and overwriting the entry.",
                CacheEntryWarning,
                stacklevel=3,
            )
            return False
        self._restore_fitted_state(stored._fitted_state(), stored.model_)
        return True

    def _load_shorter(self, entry, y):
        """Take the longest stored shorter cut of ``entry``'s run, if any."""
        for epochs, path in entry.shorter():
            try:
                record = read_cache_record(path)
                stored = load_model(path)
            except Exception as exc:
                warnings.warn(
                    f"Cache entry {path} cannot be read ({exc}); not continuing "
                    "from it.",
                    CacheEntryWarning,
                    stacklevel=3,
                )
                continue
            reason = self._entry_mismatch(stored, record, entry.key, epochs, y)
            if reason is not None:
                warnings.warn(
                    f"Cache entry {path} does not belong to this fit ({reason}); "
                    "not continuing from it.",
                    CacheEntryWarning,
                    stacklevel=3,
                )
                continue
            self._restore_fitted_state(stored._fitted_state(), stored.model_)
            return True
        return False

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

    def _fit_batch_size(self):
        """The batch size of the running fit (``batch_size="auto"`` resolved)."""
        return resolve_batch_size(self.batch_size, self._n_train())

    def _n_train(self):
        n = self.X_shape_[0]
        val = getattr(self, "_val_indices", None)
        return n - (0 if val is None else len(val))

    def _fit_keras_model(
        self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs
    ):
        val = self._val_indices
        self.batch_size_ = batch_size = self._fit_batch_size()
        kwargs["batch_size"] = batch_size
        source = X
        train = None
        if val is not None:
            train = np.setdiff1d(np.arange(len(X)), val, assume_unique=True)
            val_data = (X[val], y[val])
            if sample_weight is not None:
                val_data += (sample_weight[val],)
            kwargs["validation_data"] = val_data
        if _memory_mapped(X):
            # Keras would copy a whole array into one tensor: a memmap is
            # read batch by batch instead, so only its pages stay resident.
            X = _MemmapBatches(
                X,
                y,
                sample_weight,
                rows=train,
                batch_size=batch_size,
                seed=self._random_state,
                first_epoch=initial_epoch,
            )
            y = sample_weight = None
            kwargs["shuffle"] = False  # the batches are shuffled already
        else:
            if train is not None:
                if sample_weight is not None:
                    sample_weight = sample_weight[train]
                X, y = X[train], y[train]
            # One input pipeline for the whole fit: Keras would build a new
            # iterator over the arrays at every epoch, and on CPU that start
            # often left both cores idle for seconds before the epoch's first
            # batch (benchmarks/bench_epoch_stalls.py).
            kwargs["steps_per_epoch"] = math.ceil(len(X) / batch_size)
            X = _epoch_batches(
                X,
                y,
                sample_weight,
                batch_size=batch_size,
                seed=self._random_state,
                first_epoch=initial_epoch,
            )
            y = sample_weight = None
            kwargs["shuffle"] = False  # the pipeline shuffles every epoch
        user_callbacks = self._fit_callbacks
        self._fit_callbacks = (
            [_StopOnNonFiniteLoss(self)]
            + list(user_callbacks)
            + self._training_callbacks(val is not None)
        )
        if self.verbose == 0:
            kwargs.setdefault("verbose", 0)
        if getattr(self, "_storing", False):
            # cache_dir: the fit will be saved; a network that cannot be
            # saved and loaded back is refused now, not after training.
            check_storable_network(self.model_)
        # Built or loaded (a warm start, a continued cache entry) alike.
        skip_single_replica_all_reduce(self.model_.optimizer)
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
        n_train = self._n_train()
        steps = self.n_iter_ * math.ceil(n_train / batch_size)
        if needs_batch_norm_recompute(self.model_, steps):
            recompute_batch_norm(self.model_, source, rows=train, batch_size=batch_size)

    def _check_callbacks(self):
        """Refuse user callbacks that cannot work with ``lr_schedule``.

        Under ``lr_schedule="cosine"`` the learning rate is a schedule that
        Keras cannot overwrite, so a callback that sets it would fail after
        the first epoch; under ``"plateau"`` two callbacks would fight over it.
        """
        setters = (
            keras.callbacks.LearningRateScheduler,
            keras.callbacks.ReduceLROnPlateau,
        )
        for callback in self.callbacks or []:
            # SciKeras also accepts callback classes, built at fit.
            cls = callback if isinstance(callback, type) else type(callback)
            if issubclass(cls, setters) and self.lr_schedule != "constant":
                raise ValueError(
                    f"callbacks contains {cls.__name__}, which sets "
                    f"the learning rate, but lr_schedule={self.lr_schedule!r} "
                    "sets it too. Pass lr_schedule='constant' to let the "
                    "callback control the learning rate."
                )

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
    def _build_keras_model(self):
        # SciKeras' version dispatches on ``self.model`` and passes its own
        # compile arguments to a build function taking **kwargs; in
        # skfashion ``model`` is KerasImageClassifier's parameter, handled by
        # ``_network_outputs``. Overridden here, in one place;
        # tests/test_estimators.py fails if SciKeras stops calling it.
        # model__<name>__<sub> is refused before (_check_model_params).
        return self._keras_build_fn(self._get_metadata(), **self._model_params())

    def _keras_build_fn(self, meta, **model_params):
        return self._seeded_build(
            lambda: self._build_and_compile(meta, model_params), self._random_state
        )

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
        self._check_tta()
        X = self._prepare_X(X, reset=False)
        proba = None
        for view in self._tta_views(X):
            p = self._predict_view(view)
            proba = p if proba is None else proba + p
        proba /= proba.sum(axis=1, keepdims=True)
        return proba

    def _predict_view(self, X):
        """The network's probabilities for prepared input ``X``, as float64.

        Batches go through one traced inference function per network, with
        a fixed input signature: no retracing on odd batch sizes, and about
        15% faster than Keras' ``predict`` loop on the default CNN, before
        batch normalisation is folded (another 7-10%). Integer pixels become
        float32 one batch at a time.
        """
        infer = _inference_function(self.model_)
        batch = max(getattr(self, "batch_size_", 0), _PREDICT_BATCH)
        proba = np.empty((len(X), self.n_classes_), dtype=np.float64)
        for start in range(0, len(X), batch):
            chunk = np.asarray(X[start : start + batch], dtype=np.float32)
            proba[start : start + len(chunk)] = infer(chunk).numpy()
        return proba

    def _tta_kind(self):
        """The test-time augmentation to apply: ``tta`` with ``"auto"`` resolved.

        ``"auto"`` is ``"flip"`` for a network trained with horizontal flips
        and None (one view) otherwise.
        """
        if self.tta == "auto":
            return "flip" if getattr(self, "horizontal_flip", False) else None
        return self.tta

    def _check_tta(self):
        # Called once image_shape_ is settled (in fit, or on a fitted model).
        # tta may have been set after fit: checked as fit checks it.
        name = type(self).__name__
        validate_parameter_constraints(
            {"tta": self._parameter_constraints["tta"]},
            {"tta": self.tta},
            caller_name=name,
        )
        if self._tta_kind() is None:
            return
        if self.image_shape_ is None:
            raise ValueError(
                f"tta={self.tta!r} shifts or flips images, but {name} was "
                "given features of unknown image shape; set "
                "image_shape=(height, width) or tta=None."
            )
        if getattr(self, "_image_shape_guessed", False):
            shape = tuple(self.image_shape_)
            stated = None
            if self.image_shape is not None:
                stated = resolve_image_shape(
                    self.image_shape, math.prod(shape), None, required=False
                )
            if stated != shape:
                raise ValueError(
                    f"tta={self.tta!r} shifts or flips images, but {name} was "
                    f"fitted on {math.prod(shape)} flat features without "
                    f"image_shape: the square image shape {shape} is only "
                    "assumed from their number, and features that are not "
                    f"pixels would be scrambled. Set image_shape={shape} if "
                    "they are images of that shape, or tta=None."
                )

    def _tta_views(self, X):
        """The views of prepared input ``X`` averaged by ``predict_proba``.

        ``X`` itself, then for ``tta="shift"`` the images moved by one pixel
        up, down, left and right (the edge row or column repeated), for
        ``tta="flip"`` the images mirrored left to right. Yielded one at a
        time, so that memory holds one view besides ``X``.
        """
        yield X
        kind = self._tta_kind()
        if kind is None:
            return
        h, w = self.image_shape_[:2]
        images = X.reshape(len(X), h, w, -1)
        for move in TTA_VIEWS[kind]:
            yield np.ascontiguousarray(move(images)).reshape(X.shape)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), \
(n_samples, height, width) or (n_samples, height, width, 1)
            Images, on the pixel scale used in ``fit``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``; ``-inf`` where a probability is 0.
        """
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


def _check_cache_writable(cache_dir):
    """Fail before training if fit-cache entries cannot be written."""
    folder = os.fspath(cache_dir)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".skfashion-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise type(exc)(
            exc.errno,
            f"cache_dir={folder!r}: cannot write fit-cache entries there "
            f"({exc.strerror or exc}); pass a writable folder or "
            "cache_dir=None",
        ) from None


#: How deep :func:`_fingerprint` follows partials, closures and objects.
_FINGERPRINT_DEPTH = 4


def _fingerprint(value, depth=0):
    """A stable, content-based stand-in for a parameter value in cache keys.

    Functions are identified by module, name, source code, default
    arguments and the contents of their closure cells;
    ``functools.partial`` objects by their function, arguments and
    keywords; other callable objects by their class's source and their
    attributes; Keras models by their architecture and Keras objects by
    their configuration: never by ``repr`` where it can be helped, since
    a memory address changes from one process to the next while the object
    may stay the same (and the other way round). What a function *calls*
    is not seen here: KerasImageClassifier adds the configuration of the
    network its ``model`` builds to the key (``_cache_network``).
    """
    deeper = depth < _FINGERPRINT_DEPTH

    def inner(v):
        return _fingerprint(v, depth + 1) if deeper else _type_name(v)

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        if arr.dtype == object:
            return {"array": [inner(v) for v in arr.ravel().tolist()]}
        return {
            "array": f"{arr.dtype.str}{arr.shape}",
            "blake2b": hashlib.blake2b(arr.data, digest_size=20).hexdigest(),
        }
    if isinstance(value, (list, tuple)):
        return [inner(v) for v in value]
    if isinstance(value, dict):
        return {str(k): inner(v) for k, v in value.items()}
    if isinstance(value, keras.Model):
        return {"keras_model": value.to_json()}
    if isinstance(value, functools.partial):
        return {
            "partial": inner(value.func),
            "args": [inner(v) for v in value.args],
            "keywords": {str(k): inner(v) for k, v in value.keywords.items()},
        }
    if isinstance(value, type):
        return {"class": _type_name(value, of_class=True), "src": _source(value)}
    if callable(value) and not hasattr(value, "get_config"):
        name = getattr(value, "__qualname__", type(value).__qualname__)
        out = {"callable": f"{getattr(value, '__module__', '')}.{name}"}
        if inspect.isfunction(value) or inspect.ismethod(value):
            func = getattr(value, "__func__", value)
            out["src"] = _source(func)
            out["defaults"] = inner(func.__defaults__)
            out["kwdefaults"] = inner(func.__kwdefaults__)
            out["closure"] = [inner(_cell(c)) for c in func.__closure__ or ()]
            if inspect.ismethod(value):
                out["self"] = inner(value.__self__)
        else:  # a callable object: its class and its state
            out["class_src"] = _source(type(value))
            state = getattr(value, "__dict__", None)
            if isinstance(state, dict):
                out["state"] = {str(k): inner(v) for k, v in state.items()}
        return out
    if hasattr(value, "get_config"):  # Keras layers, initializers, ...
        try:
            config = value.get_config()
        except Exception:
            config = None
        if config is not None:
            return {"class": _type_name(value), "config": inner(config)}
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return repr(value)


def _type_name(value, of_class=False):
    cls = value if of_class else type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


def _source(obj):
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return None


def _cell(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


def _cache_params(estimator, ignored):
    """``estimator``'s parameters as its model file stores them, for checks."""
    params = json.loads(json.dumps(_json_params(estimator), default=repr))
    return {k: v for k, v in params.items() if k not in ignored}


class _CacheEntry:
    """File of one fit in the cache folder, and the shorter fits it extends.

    ``epochs`` is None for plain entries (one file per key). For resumable
    fits (``schedule_epochs`` set) each entry holds the fit cut after
    ``epochs`` epochs: ``<key>-e<epochs>.skf``. The file records the key
    and epochs (:meth:`record`), checked when it is loaded.
    """

    def __init__(self, folder, key, epochs):
        self.folder, self.key, self.epochs = folder, key, epochs
        name = key if epochs is None else f"{key}-e{epochs}"
        self.path = os.path.join(folder, name + ".skf")

    def record(self):
        """What the entry's file records of it (the field ``cache``)."""
        return {"key": self.key, "epochs": self.epochs}

    def shorter(self):
        """``(epochs, path)`` of stored shorter cuts of the same run, longest
        first."""
        if self.epochs is None:
            return []
        found = []
        pattern = re.compile(re.escape(self.key) + r"-e(\d+)\.skf$")
        for path in glob.glob(
            os.path.join(glob.escape(self.folder), self.key + "-e*.skf")
        ):
            match = pattern.search(os.path.basename(path))
            if match and int(match.group(1)) < self.epochs:
                found.append((int(match.group(1)), path))
        return sorted(found, reverse=True)


#: Temporary files that skfashion itself leaves in a cache folder when killed
#: mid-write: an entry being saved (``skfashion.utils.atomic_write_path``
#: names it ``.<entry name>.XXXXXXXX.tmp``) or the writability probe.
_STALE_TEMP = re.compile(
    r"\.[0-9a-f]{40}(?:-e[0-9]+)?\.skf\.[a-z0-9_]{8}\.tmp"
    r"|\.skfashion-probe-[a-z0-9_]{8}"
)
#: Age after which such a file is taken as left behind, not being written:
#: another process may be saving an entry into the same folder right now.
_STALE_AFTER_S = 3600


def _remove_stale_temps(folder):
    """Remove skfashion's own temporary files older than an hour from ``folder``.

    Only names that skfashion's cache writes match (:data:`_STALE_TEMP`);
    the user's files, and temporary files younger than
    :data:`_STALE_AFTER_S`, are never touched. Failures are ignored: this
    is housekeeping.
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        if not _STALE_TEMP.fullmatch(entry.name):
            continue
        try:
            if (
                entry.is_file(follow_symlinks=False)
                and now - entry.stat(follow_symlinks=False).st_mtime > _STALE_AFTER_S
            ):
                os.unlink(entry.path)
        except OSError:
            pass


def _memory_mapped(X):
    """Whether ``X`` is a ``np.memmap`` or a view of one (or of an mmap)."""
    while X is not None:
        if isinstance(X, (np.memmap, mmap.mmap)):
            return True
        X = getattr(X, "base", None)
    return False


def _order_seed(seed):
    """The integer that seeds every epoch's order of a fit (drawn if unseeded)."""
    if isinstance(seed, (int, np.integer)):
        return int(seed)
    return int(np.random.default_rng().integers(2**31))


def _epoch_order(n, seed, epoch):
    """The order in which epoch ``epoch`` visits ``n`` rows: ``(seed, epoch)`` alone.

    One implementation for every input path (a traced pipeline passes
    ``epoch`` as a tensor, a memmap's batches call it eagerly), so a fit
    sees the same orders whichever way its rows are read.
    """
    return tf.random.experimental.stateless_shuffle(
        tf.range(n, dtype=tf.int64),
        seed=tf.stack([tf.constant(seed, tf.int64), tf.cast(epoch, tf.int64)]),
    )


def _epoch_batches(X, y, sample_weight, *, batch_size, seed, first_epoch):
    """Endless shuffled mini-batches of in-memory arrays, as one tf.data pipeline.

    Epoch ``e`` visits the rows in ``_epoch_order(n, seed, e)``, so a fit
    continued from epoch ``first_epoch`` sees the orders that a straight fit
    sees from that epoch on. The arrays are copied into tensors once (as
    Keras does); float arrays become float32.
    """
    arrays = [X, y] if sample_weight is None else [X, y, sample_weight]
    tensors = tuple(
        tf.constant(a.astype(np.float32) if a.dtype.kind == "f" else a)
        for a in map(np.asarray, arrays)
    )
    seed, n = _order_seed(seed), len(X)

    def epoch_rows(epoch):
        order = _epoch_order(n, seed, epoch)
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    return (
        tf.data.Dataset.counter(first_epoch)
        .flat_map(epoch_rows)
        .map(lambda rows: tuple(tf.gather(t, rows) for t in tensors))
        .prefetch(2)
    )


class _MemmapBatches(keras.utils.PyDataset):
    """Shuffled mini-batches read from a ``np.memmap``, one at a time.

    Epoch ``e`` visits ``rows`` (all rows by default) in the order
    ``_epoch_order`` gives the in-memory path, so a fit continued from epoch
    ``first_epoch`` sees what a straight fit sees from there on. Each batch
    reads its rows in file order and hands them on in the epoch's order.
    """

    def __init__(self, X, y, sample_weight, *, rows, batch_size, seed, first_epoch):
        super().__init__()
        self._X, self._y, self._w = X, y, sample_weight
        self._rows = np.arange(len(X)) if rows is None else np.asarray(rows)
        self._batch_size = int(batch_size)
        self._seed = _order_seed(seed)
        self._epoch = int(first_epoch)
        self._shuffle()

    def _shuffle(self):
        order = _epoch_order(len(self._rows), self._seed, self._epoch).numpy()
        self._order = self._rows[order]

    def __len__(self):
        return math.ceil(len(self._rows) / self._batch_size)

    def __getitem__(self, index):
        start = index * self._batch_size
        # Read in file order (``rows`` sorted), then put back in the epoch's
        # order (``rows[back]``): the in-memory path's batch, image for image.
        rows, back = np.unique(
            self._order[start : start + self._batch_size], return_inverse=True
        )
        batch = (np.asarray(self._X[rows])[back], self._y[rows][back])
        return batch if self._w is None else (*batch, self._w[rows][back])

    def on_epoch_end(self):
        self._epoch += 1
        self._shuffle()


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
