"""The estimator shared by the skfashion Keras classifiers.

SciKeras' ``KerasClassifier`` declares its scikit-learn tags the pre-1.6 way
(``_more_tags``) and lists ``ClassifierMixin`` after ``BaseEstimator``, so on
scikit-learn >= 1.6 ``is_classifier`` is False for it. The class here fixes
that through ``__sklearn_tags__`` and adds the input checks, pixel scaling,
stratified validation split, learning-rate schedules and early stopping that a
scikit-learn user expects.

This module holds the estimator itself: ``fit``, ``predict`` and the
scikit-learn protocol. Its other jobs live in their own modules:

- ``_params``: parameter constraints and SciKeras-style routed parameters;
- ``_network``: building and compiling the Keras network;
- ``_batches``: the validation split and the mini-batches of a fit;
- ``_callbacks``: the Keras callbacks of a fit, and scikit-learn's
  callbacks (``set_callbacks``);
- ``_partial``: ``partial_fit``, one epoch per call;
- ``_cache``: the fit cache (``cache_dir``);
- ``_inference``: batched prediction and test-time augmentation;
- ``_state``: the table of fitted attributes, and pickling;
- ``_scikeras``: everything taken from SciKeras;
- ``_tracing``: TensorFlow's retracing warning, silenced during fit and
  predict.
"""

import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import ClassifierTags, compute_sample_weight
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from .._keras_privates import disable_op_determinism, op_determinism_enabled
from .._sklearn_privates import (
    CallbackSupportMixin,
    _check_feature_names,
    _check_sample_weight,
    with_callbacks,
)
from ..exceptions import CacheEntryWarning
from ..utils import resolve_image_shape
from . import _state
from ._batches import _epoch_batches, _MemmapBatches, _memory_mapped, validation_indices
from ._cache import (
    _check_cache_writable,
    _remove_stale_temps,
    cache_entry,
    load_shorter,
    load_stored,
)
from ._callbacks import (
    _StopOnNonFiniteLoss,
    begin_fit_task,
    check_callbacks,
    end_fit_task,
    epoch_tasks,
    training_callbacks,
)
from ._inference import _inference_function as _inference_function
from ._inference import check_tta, predict_batched, tta_kind, tta_views
from ._input import (
    as_network_input,
    check_labels,
    check_pixel_range,
    infer_pixel_range,
    to_flat_images,
)
from ._layers import skip_single_replica_all_reduce
from ._network import _NetworkMixin
from ._params import COMMON_CONSTRAINTS, _RoutedParamsMixin
from ._partial import _PartialFitMixin, keep_seed_states
from ._persistence import (
    check_saveable_labels,
    check_storable_network,
    load_model,
    save_cache_entry,
)
from ._registry import register
from ._scale import needs_batch_norm_recompute, recompute_batch_norm
from ._scikeras import KerasClassifier, wrapper_fit
from ._tracing import quiet_retracing

# ``_inference_function`` (imported "as" itself), ``_epoch_batches`` and
# ``_MemmapBatches`` stay importable from this module, where tests have
# always found them. ``fit`` and ``_fit_keras_model`` look ``load_model``,
# ``save_cache_entry``, ``_epoch_batches`` and ``recompute_batch_norm`` up in this
# module at each call, so a test can still replace them here.


class _BaseImageClassifier(
    _RoutedParamsMixin,
    _NetworkMixin,
    _PartialFitMixin,
    CallbackSupportMixin,
    KerasClassifier,
):
    """Base class: scikit-learn classifier over a Keras network.

    Subclasses implement ``_build_network(inputs, seeds)`` returning the last
    hidden tensor, taking every layer seed from ``seeds`` (a
    :class:`~skfashion.models._layers.LayerSeeds`); the softmax output layer
    and everything else (compilation, schedules, validation split, input
    checks) live here and in the mixins.
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

    _common_constraints = COMMON_CONSTRAINTS

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            register(cls)

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

    def __sklearn_validate_model__(self):
        """Check that this fitted estimator is whole before it is used.

        Runs :func:`~skfashion.models.load_model`'s checks of a model file
        on the estimator itself (see ``_state.validate_fitted``). Raises
        ``NotFittedError`` if it is not fitted, and ``ModelFileError``
        naming the field if its fitted state is inconsistent.

        Examples
        --------
        >>> from skfashion.datasets import load_fashion_mnist_sample
        >>> from skfashion.models import KerasMLPClassifier
        >>> X, y = load_fashion_mnist_sample(return_X_y=True)
        >>> clf = KerasMLPClassifier(hidden_layer_sizes=(8,), epochs=1,
        ...                          random_state=0).fit(X[:200], y[:200])
        >>> clf.__sklearn_validate_model__()  # passes: returns None
        """
        _state.validate_fitted(self)

    # ----------------------------------------------------------------- input
    def _prepare_X(self, X, *, reset):
        name = type(self).__name__
        # DataFrame columns: set feature_names_in_ in fit, and warn or raise
        # at predict as scikit-learn's own estimators do. scikit-learn's
        # public validate_data would also reset n_features_in_ from 3-D
        # image input, so its private helper is used (see
        # skfashion/_sklearn_privates.py).
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
        return check_labels(y, n_samples, estimator_name=type(self).__name__)

    # ------------------------------------------------------------------- fit
    @with_callbacks
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
        self._check_fit_params()
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
        sample_weight = self._fit_sample_weight(X, y, sample_weight)
        n_epochs = kwargs.get("epochs", getattr(self, "fit__epochs", self.epochs))
        context = begin_fit_task(
            self, X, y, sample_weight, task_name="fit", n_epochs=n_epochs
        )
        entry, found = None, None
        with quiet_retracing():
            if not continuing:
                entry, found = self._open_cache(X, y, sample_weight, kwargs)
                if found == "shorter":
                    # Continue the longest stored cut of the same run.
                    continuing = True
                    kwargs["epochs"] = self.epochs - self.n_iter_
            if found != "done":
                self._train(X, y, sample_weight, kwargs, continuing, entry)
        end_fit_task(self, context, X, y, sample_weight)
        return self

    def _check_fit_params(self):
        """Check the parameters before ``fit`` or ``partial_fit`` trains."""
        self._validate_params()
        self._check_routed_names()
        self._check_model_params(self.get_params(deep=False))
        self._check_architecture()
        self._check_class_weight()
        self._check_callbacks()

    def _fit_sample_weight(self, X, y, sample_weight):
        """``sample_weight`` checked, times the weights of ``class_weight``."""
        if sample_weight is not None:
            check_consistent_length(X, sample_weight)
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        if self.class_weight is not None:
            cw = compute_sample_weight(class_weight=self.class_weight, y=y)
            sample_weight = cw if sample_weight is None else sample_weight * cw
        return sample_weight

    def _open_cache(self, X, y, sample_weight, kwargs):
        """This fit's cache entry, and what was taken from the cache.

        Returns ``(entry, found)``: ``entry`` is None without ``cache_dir``;
        ``found`` is ``"done"`` when the stored fit was taken (nothing to
        train), ``"shorter"`` when a shorter cut of the same run was taken
        to be continued, and None when the fit trains from scratch.
        """
        if self.cache_dir is not None:
            # The fit will be stored: refuse unstorable labels now, not
            # after the training.
            check_saveable_labels(np.unique(y))
        entry = cache_entry(self, X, y, sample_weight, kwargs)
        if entry is None:
            return None, None
        _remove_stale_temps(entry.folder)
        stored = load_stored(self, entry, y, load_model)
        if stored is not None:
            self._restore_fitted_state(stored._fitted_state(), stored.model_)
            return entry, "done"
        _check_cache_writable(self.cache_dir)
        stored = load_shorter(self, entry, y, load_model)
        if stored is None:
            return entry, None
        self._restore_fitted_state(stored._fitted_state(), stored.model_)
        return entry, "shorter"

    def _train(self, X, y, sample_weight, kwargs, continuing, entry):
        """Train the network (or go on training it); store it in ``entry``."""
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
        determinism = op_determinism_enabled()
        warm_start = self.warm_start
        self.warm_start = continuing  # what SciKeras reads to keep the network
        try:
            wrapper_fit(self, X, y, sample_weight=sample_weight, **kwargs)
            # One canonical fitted state, whichever way the model was obtained.
            self._restore_fitted_state(self._fitted_state(), self.model_)
            if entry is not None:
                self._store_entry(entry)
        except BaseException:
            # A failed fit (a diverged loss, Ctrl-C) must not leave a network
            # that looks fitted: the estimator goes back to unfitted, as
            # before its first fit.
            self._forget_fitted_state()
            raise
        finally:
            self.warm_start = warm_start
            del self._val_indices, self._storing
            if not determinism and op_determinism_enabled():
                disable_op_determinism()

    def _validation_indices(self, y):
        """Indices of the validation split, stratified on ``y`` when possible."""
        return validation_indices(
            y,
            self.validation_fraction,
            early_stopping=self.early_stopping,
            random_state=self.random_state,
        )

    def _check_callbacks(self):
        check_callbacks(self)

    def _fit_keras_model(
        self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs
    ):
        # SciKeras' hook (see _scikeras.PRIVATE_NAMES), called by its fit
        # with the encoded data: feeds Keras skfashion's batches and
        # callbacks, then lets SciKeras run keras.Model.fit.
        val = self._val_indices
        self.batch_size_ = batch_size = self._fit_batch_size()
        kwargs["batch_size"] = batch_size
        source, train = X, None
        if val is not None:
            train = np.setdiff1d(np.arange(len(X)), val, assume_unique=True)
            val_data = (X[val], y[val])
            if sample_weight is not None:
                val_data += (sample_weight[val],)
            kwargs["validation_data"] = val_data
        batches = self._training_batches(
            X, y, sample_weight, train, initial_epoch, kwargs
        )
        user_callbacks = self._fit_callbacks
        incremental = getattr(self, "_incremental", False)  # partial_fit
        tasks = epoch_tasks(self)  # scikit-learn's callbacks, if any
        self._fit_callbacks = (
            [_StopOnNonFiniteLoss(self)]
            + list(user_callbacks)
            + training_callbacks(self, val is not None, incremental=incremental)
            + ([] if tasks is None else [tasks])
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
                batches,
                None,
                sample_weight=None,
                warm_start=warm_start,
                epochs=epochs,
                initial_epoch=initial_epoch,
                **kwargs,
            )
        finally:
            self._fit_callbacks = user_callbacks
        self.n_iter_ = len(self.history_["loss"])
        steps = self.n_iter_ * math.ceil(self._n_train() / batch_size)
        if needs_batch_norm_recompute(self.model_, steps):
            # partial_fit: the next call's dropout and augmentation draws
            # must be those the next epoch of one fit would make.
            with keep_seed_states(self.model_, keep=incremental):
                recompute_batch_norm(
                    self.model_, source, rows=train, batch_size=batch_size
                )

    def _training_batches(self, X, y, sample_weight, train, initial_epoch, kwargs):
        """The training rows ``train`` (None: all) of X, y and sample_weight
        as the one input Keras iterates, shuffled per epoch; sets the
        ``kwargs`` of ``keras.Model.fit`` that go with it."""
        batch_size = kwargs["batch_size"]
        kwargs["shuffle"] = False  # the batches are shuffled already
        if _memory_mapped(X):
            # Keras would copy a whole array into one tensor: a memmap is
            # read batch by batch instead, so only its pages stay resident.
            return _MemmapBatches(
                X,
                y,
                sample_weight,
                rows=train,
                batch_size=batch_size,
                seed=self._random_state,
                first_epoch=initial_epoch,
            )
        if train is not None:
            if sample_weight is not None:
                sample_weight = sample_weight[train]
            X, y = X[train], y[train]
        # One input pipeline for the whole fit: Keras would build a new
        # iterator over the arrays at every epoch, and on CPU that start
        # often left both cores idle for seconds before the epoch's first
        # batch (benchmarks/bench_epoch_stalls.py).
        kwargs["steps_per_epoch"] = math.ceil(len(X) / batch_size)
        return _epoch_batches(
            X,
            y,
            sample_weight,
            batch_size=batch_size,
            seed=self._random_state,
            first_epoch=initial_epoch,
        )

    # ---------------------------------------------------------- fitted state
    # The attributes and their record are listed once, in _state.py.
    def _store_entry(self, entry):
        """Store the finished fit in the cache; a failed write only warns.

        What can be checked before training is (a writable folder, a
        storable network); a write that still fails (a full disk, a folder
        put where the entry goes) loses the cache entry, not the fit.
        """
        try:
            save_cache_entry(self, entry.path, entry.record())
        except OSError as exc:
            warnings.warn(
                f"Cache entry {entry.path} could not be written ({exc}); the "
                "fitted model is kept, but not cached.",
                CacheEntryWarning,
                stacklevel=4,
            )

    def _fitted_state(self):
        """Every fitted attribute but the network, as plain JSON values.

        The single owner of the fitted state: :meth:`fit`, the fit cache,
        :func:`save_model`, :func:`load_model` and pickling all go through
        this method and :meth:`_restore_fitted_state`, so an estimator has
        the same attributes however it got fitted.
        """
        return _state.fitted_state(self)

    def _restore_fitted_state(self, state, model):
        """Set every fitted attribute from ``state`` and the network ``model``.

        Besides skfashion's own attributes this rebuilds the ones SciKeras
        keeps (``X_shape_``, ``target_encoder_``, ...), the same way SciKeras'
        ``fit`` derives them, so that SciKeras' methods keep working.
        """
        _state.restore_fitted_state(self, state, model)

    def _forget_fitted_state(self):
        """Remove every fitted attribute (the estimator is unfitted after)."""
        _state.forget_fitted_state(self)

    def __getstate__(self):
        return _state.pickled_state(self)

    def __setstate__(self, state):
        _state.unpickled_state(self, state)

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
        batch = getattr(self, "batch_size_", 0)
        proba = None
        with quiet_retracing():
            for view in self._tta_views(X):
                p = predict_batched(self.model_, view, self.n_classes_, batch)
                proba = p if proba is None else proba + p
        proba /= proba.sum(axis=1, keepdims=True)
        return proba

    def _check_tta(self):
        check_tta(self)

    def _tta_views(self, X):
        """The views of prepared input ``X`` averaged by ``predict_proba``."""
        return tta_views(X, tta_kind(self), self.image_shape_)

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

    def __repr__(self):
        # BaseEstimator's repr (changed parameters only) instead of SciKeras'
        # one-line-per-parameter dump.
        return BaseEstimator.__repr__(self)
