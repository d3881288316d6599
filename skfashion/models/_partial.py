"""``partial_fit``: one epoch per call, continuing the same network.

:class:`_PartialFitMixin` gives the estimators scikit-learn's incremental
protocol, as :class:`~sklearn.linear_model.SGDClassifier` and
:class:`~sklearn.neural_network.MLPClassifier` have it, so that
``OptunaSearchCV(..., enable_pruning=True)`` and other searchers that
score a model between epochs can drive them:

- the first call builds the network for ``classes`` (every class of the
  whole training set), which it requires;
- every call trains one epoch on the ``X`` and ``y`` it is given; the
  weights, the optimizer state and the learning-rate schedule go on from
  the previous call, and ``n_iter_`` and ``history_`` add up;
- a call after :meth:`set_params` has changed anything that the network or
  its optimizer is built from starts a new network, and needs ``classes``
  again.

What a whole ``fit`` does once (a validation split, early stopping, the
``"plateau"`` schedule's watch on the loss, the fit cache) has no place in
one epoch: see :meth:`_PartialFitMixin.partial_fit`.
"""

import contextlib
import warnings
from numbers import Integral

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from .._keras_privates import disable_op_determinism, op_determinism_enabled
from .._sklearn_privates import HAS_SKLEARN_CALLBACKS, with_callbacks
from ._callbacks import begin_fit_task, end_fit_task
from ._input import check_labels
from ._scikeras import restore_wrapper_state, wrapper_fit
from ._tracing import quiet_retracing

#: Parameters that each call reads afresh: changing one keeps the network.
PER_CALL_PARAMS = frozenset(
    {
        "verbose",
        "callbacks",
        "tta",
        "cache_dir",
        "warm_start",
        "early_stopping",
        "validation_fraction",
        "patience",
        "restore_best_weights",
        "class_weight",
    }
)
#: Parameters of the ``"cosine"`` schedule only; per call under the others.
_SCHEDULE_PARAMS = frozenset({"epochs", "schedule_epochs", "warmup"})


def network_params(estimator):
    """The parameters that the network and its optimizer are built from.

    Recorded with every fitted state (``_network_params``): ``partial_fit``
    starts a new network when they have changed since.
    """
    skip = PER_CALL_PARAMS
    if estimator.lr_schedule != "cosine":
        skip = skip | _SCHEDULE_PARAMS
    return {k: v for k, v in estimator.get_params(deep=False).items() if k not in skip}


def _same(a, b):
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # arrays, objects without a plain equality
        return False


def changed_params(estimator):
    """Names of the network's parameters changed since the last fit."""
    before = getattr(estimator, "_network_params", None)
    if before is None:
        return []
    now = network_params(estimator)
    return sorted(
        k for k in now.keys() | before.keys() if not _same(now.get(k), before.get(k))
    )


class _PartialFitMixin:
    """``partial_fit`` for the estimators (see the module docstring)."""

    @with_callbacks
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train the network for one epoch on ``X`` and ``y``.

        The first call builds the network and needs ``classes``; every
        further call continues the weights, the optimizer state and the
        learning-rate schedule, and adds one epoch to ``n_iter_`` and
        ``history_``. ``k`` calls on the same data train the network that
        ``fit`` trains with ``epochs=k`` (the same on CPU for an int
        ``random_state``). A fitted estimator (by :meth:`fit` or a loaded
        model) is continued too.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), \
(n_samples, height, width) or (n_samples, height, width, 1)
            Training images of this call.
        y : array-like of shape (n_samples,)
            Their labels, all among ``classes``; a call may hold a single
            class.
        classes : array-like of shape (n_classes,), default=None
            Every class of the whole training set. Required by the first
            call, and by a call after :meth:`set_params` changed a parameter
            that the network or its optimizer is built from (anything but
            ``verbose``, ``callbacks``, ``tta``, ``cache_dir``,
            ``warm_start``, ``early_stopping``, ``validation_fraction``,
            ``patience``, ``restore_best_weights`` and ``class_weight``, and
            ``epochs``, ``schedule_epochs`` and ``warmup`` when
            ``lr_schedule`` is not ``"cosine"``): that call starts a new
            network. Later calls may repeat the same classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights, multiplied with a ``class_weight`` dict.

        Returns
        -------
        self : object
            The estimator, trained one epoch more.

        Notes
        -----
        Under ``lr_schedule="cosine"`` the schedule spans
        ``schedule_epochs`` (or ``epochs``) calls, of the size of the first
        call's data: set ``epochs`` to the number of calls you will make.
        The calls past it train at the schedule's final rate, 0, so the
        weights no longer change; the first such call warns. Each call
        trains on all of its data: ``validation_fraction`` and
        ``early_stopping`` are ignored (the searcher that calls
        ``partial_fit`` scores and stops), and no fit is cached.
        ``lr_schedule="plateau"`` and ``class_weight="balanced"`` are
        refused: one epoch shows no plateau, and one call's labels are not
        the class balance of the whole data (pass a ``class_weight`` dict,
        for example from :func:`sklearn.utils.class_weight.compute_class_weight`).
        ``batch_size="auto"`` is resolved from the first call's data.

        Examples
        --------
        >>> import numpy as np
        >>> from skfashion.datasets import load_fashion_mnist_sample
        >>> from skfashion.models import KerasMLPClassifier
        >>> X, y = load_fashion_mnist_sample(return_X_y=True)
        >>> clf = KerasMLPClassifier(hidden_layer_sizes=(16,), epochs=3,
        ...                          random_state=0)
        >>> for _ in range(3):
        ...     clf = clf.partial_fit(X[:300], y[:300], classes=np.arange(10))
        >>> clf.n_iter_
        3
        """
        self._check_fit_params()
        _check_incremental_settings(self)
        start = _starts_network(self, classes)
        classes = _checked_classes(self, classes, start)
        if start:
            self._forget_fitted_state()
        X = self._prepare_X(X, reset=start)
        self._check_tta()
        y = _call_labels(self, y, X.shape[0], classes)
        sample_weight = self._fit_sample_weight(X, y, sample_weight)
        context = begin_fit_task(
            self, X, y, sample_weight, task_name="partial_fit", n_epochs=1
        )
        with quiet_retracing():
            _train_one_epoch(self, X, y, sample_weight, classes if start else None)
        end_fit_task(self, context, X, y, sample_weight)
        _warn_past_schedule(self)
        return self


def _check_incremental_settings(estimator):
    """Refuse the settings that one epoch per call cannot honour."""
    name = type(estimator).__name__
    if estimator.lr_schedule == "plateau":
        raise ValueError(
            f"{name}.partial_fit got lr_schedule='plateau', which halves the "
            "learning rate when the loss stops improving over several epochs "
            "of one fit; partial_fit trains one epoch per call. Use "
            "lr_schedule='cosine' (with epochs set to the number of calls) or "
            "'constant'."
        )
    if isinstance(estimator.class_weight, str):
        raise ValueError(
            f"{name}.partial_fit got class_weight={estimator.class_weight!r}, "
            "which weighs the classes by their counts in y, but one call sees "
            "only part of the data. Pass a dict of weights for the whole data, "
            "for example dict(zip(classes, compute_class_weight('balanced', "
            "classes=classes, y=y_all))) from sklearn.utils.class_weight."
        )


def _starts_network(estimator, classes):
    """Whether this call builds a new network (and so needs ``classes``)."""
    if not hasattr(estimator, "model_"):
        if classes is None:
            raise ValueError(
                f"classes must be passed on the first call to "
                f"{type(estimator).__name__}.partial_fit, got classes=None: "
                "pass every class of the whole training set, for example "
                "classes=np.unique(y_all)."
            )
        return True
    changed = changed_params(estimator)
    if changed and classes is None:
        raise ValueError(
            f"{type(estimator).__name__}.partial_fit starts a new network: "
            f"set_params changed {', '.join(changed)} since the network was "
            "built, and classes=None. Pass classes= to train the new network, "
            "or set the parameters back to continue the current one."
        )
    return bool(changed)


def _checked_classes(estimator, classes, start):
    """``classes`` as the sorted labels of a new network, or ``classes_``."""
    if not start:
        if classes is not None:
            given = np.unique(column_or_1d(classes))
            same = given.shape == estimator.classes_.shape
            if not (same and np.array_equal(given, estimator.classes_)):
                raise ValueError(
                    f"classes={given.tolist()!r} is not the same as the classes "
                    f"{estimator.classes_.tolist()!r} of the network being "
                    "trained; pass the same classes, or none, to continue it."
                )
        return estimator.classes_
    classes = column_or_1d(classes)
    name = type(estimator).__name__
    try:  # labels as y must be: orderable, not continuous, 2 classes or more
        classes = check_labels(classes, len(classes), estimator_name=name)
    except ValueError as exc:
        raise ValueError(
            f"classes={classes.tolist()!r} cannot be the classes of {name}: {exc}"
        ) from None
    return np.unique(classes)


def _call_labels(estimator, y, n_samples, classes):
    """This call's ``y``, all among ``classes`` (one class is enough)."""
    y = column_or_1d(y, warn=True)
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {n_samples} and {len(y)}."
        )
    check_classification_targets(y)
    try:
        unknown = np.setdiff1d(np.unique(y), classes)
    except TypeError:  # labels that cannot be ordered against classes
        unknown = np.asarray([v for v in set(y.tolist()) if v not in set(classes)])
    if unknown.size:
        raise ValueError(
            f"y has labels {unknown.tolist()!r} that are not in classes "
            f"{np.asarray(classes).tolist()!r}. The first partial_fit call's "
            "classes must list every class of the whole training set; to "
            "train on other classes, call partial_fit with the new classes "
            "after set_params, or fit."
        )
    return y


def _new_network(estimator, classes, X):
    """Build the network for ``classes`` and the data ``X`` of a first call.

    SciKeras' fitted attributes are set as its ``fit`` sets them, from the
    classes rather than from this call's labels (which may lack some).
    """
    restore_wrapper_state(estimator, classes, len(X), X.shape[1])
    seed = estimator.random_state
    if isinstance(seed, np.random.RandomState):
        # As SciKeras does: an int drawn from a copy, leaving seed unchanged.
        copy = np.random.RandomState()
        copy.set_state(seed.get_state())
        seed = int(copy.randint(low=1))
    estimator._random_state = seed if isinstance(seed, Integral) else None
    estimator._predict_callbacks = []
    estimator.model_ = estimator._build_keras_model()


def _train_one_epoch(estimator, X, y, sample_weight, classes):
    """Train one epoch, building the network first when ``classes`` is given.

    The epoch is epoch ``n_iter_`` of the run: it sees the data order and
    schedule position that a single ``fit`` sees in that epoch. A failed
    call leaves the estimator unfitted, as a failed ``fit`` does.
    """
    determinism = op_determinism_enabled()
    warm_start = estimator.warm_start
    estimator._val_indices = None
    estimator._storing = False
    estimator._incremental = True
    try:
        if classes is not None:
            _new_network(estimator, classes, X)
        seed = estimator._random_state
        estimator._fit_callbacks = list(estimator.callbacks or [])
        estimator.warm_start = True  # what SciKeras reads to keep the network
        first_epoch = getattr(estimator, "n_iter_", 0)
        wrapper_fit(
            estimator,
            X,
            y,
            sample_weight=sample_weight,
            epochs=1,
            initial_epoch=first_epoch,
        )
        estimator._restore_fitted_state(estimator._fitted_state(), estimator.model_)
        # The record keeps an int seed only; a drawn one goes on too.
        estimator._random_state = seed
    except BaseException:
        estimator._forget_fitted_state()
        raise
    finally:
        estimator.warm_start = warm_start
        del estimator._val_indices, estimator._storing, estimator._incremental
        if not determinism and op_determinism_enabled():
            disable_op_determinism()


def _warn_past_schedule(estimator):
    """Warn once, at the first call past the cosine schedule's end."""
    if estimator.lr_schedule != "cosine":
        return
    span = estimator.schedule_epochs or estimator.epochs
    if estimator.n_iter_ == span + 1:
        warnings.warn(
            f"{type(estimator).__name__}.partial_fit has trained "
            f"{estimator.n_iter_} epochs, past the cosine learning-rate "
            f"schedule of {span} epochs (schedule_epochs or epochs), whose "
            "final rate is 0: the weights no longer change. Set epochs (or "
            "schedule_epochs) to the number of partial_fit calls, or use "
            "lr_schedule='constant'.",
            UserWarning,
            # The caller of partial_fit (with_callbacks wraps it, where
            # scikit-learn has callbacks).
            stacklevel=4 if HAS_SKLEARN_CALLBACKS else 3,
        )


@contextlib.contextmanager
def keep_seed_states(model, *, keep=True):
    """Put the states of ``model``'s random generators back on exit.

    Dropout and augmentation layers draw from seed generators whose state
    is a variable of the network. ``fit`` ends with a pass over the data
    that refreshes the batch-norm statistics (``_scale``), which draws from
    them too; ``partial_fit`` runs that pass after every call, so without
    this the next call's draws would differ from those of the next epoch of
    one ``fit``. Nothing is kept when ``keep`` is False.
    """
    states = [
        v for v in model.non_trainable_variables if v.name == "seed_generator_state"
    ]
    saved = [v.numpy() for v in states] if keep else []
    try:
        yield
    finally:
        for variable, value in zip(states, saved, strict=False):
            variable.assign(value)
