"""Display classes, in scikit-learn's style, for training curves and mistakes."""

import math
from collections.abc import Mapping
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..utils import resolve_image_shape
from ._evaluate import _check_evaluation_input, _check_target_names

__all__ = ["MisclassifiedImagesDisplay", "TrainingCurvesDisplay"]

_DEFAULT_METRICS = ("loss", "accuracy")


def _unwrap(estimator):
    """Yield ``estimator`` and the fitted models it wraps (pipeline, search)."""
    seen = 0
    while estimator is not None and seen < 10:
        yield estimator
        seen += 1
        if hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_
        elif hasattr(estimator, "steps"):
            estimator = estimator.steps[-1][1]
        else:
            estimator = None


def _find_attribute(estimator, name):
    for est in _unwrap(estimator):
        value = getattr(est, name, None)
        if value is not None:
            return value
    return None


def _subplots(n_rows, n_cols, figsize):
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(n_rows, n_cols, figsize=figsize, squeeze=False)
    return axes


class TrainingCurvesDisplay:
    """Training curves (loss and accuracy per epoch), train vs validation.

    One axes per metric, side by side; each shows the training curve and,
    when recorded, the validation curve (``val_<metric>``). Create it with
    :meth:`from_estimator` or :meth:`from_history`.

    Parameters
    ----------
    history : dict
        ``{metric name: list of per-epoch values}``, e.g. a Keras
        ``History.history`` or a fitted skfashion classifier's ``history_``.
    metrics : tuple of str, default=None
        Metrics to plot, one axes each. By default those of "loss" and
        "accuracy" that ``history`` records.
    estimator_name : str, default=None
        Shown in the figure title.

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes of shape (n_metrics,)
        One axes per metric.
    figure_ : matplotlib Figure
        Figure holding the axes.
    lines_ : dict
        ``{history key: Line2D}`` of the drawn curves.

    See Also
    --------
    MisclassifiedImagesDisplay : Grid of misclassified images.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from skfashion.metrics import TrainingCurvesDisplay
    >>> history = {"loss": [1.2, 0.8, 0.6], "val_loss": [1.3, 1.0, 0.9],
    ...            "accuracy": [0.6, 0.7, 0.8], "val_accuracy": [0.55, 0.65, 0.7]}
    >>> disp = TrainingCurvesDisplay.from_history(history,
    ...                                           ax=Figure().subplots(1, 2))
    >>> sorted(disp.lines_)
    ['accuracy', 'loss', 'val_accuracy', 'val_loss']
    """

    def __init__(self, history, *, metrics=None, estimator_name=None):
        self.history = history
        self.metrics = metrics
        self.estimator_name = estimator_name

    def _check(self):
        history = getattr(self.history, "history", self.history)
        if not isinstance(history, Mapping) or not history:
            raise ValueError(
                "history must be a non-empty dict {metric: per-epoch values}, "
                f"got {self.history!r}."
            )
        if self.metrics is None:
            metrics = [
                m for m in _DEFAULT_METRICS if m in history or f"val_{m}" in history
            ]
            if not metrics:
                raise ValueError(
                    "history records neither loss nor accuracy; pass metrics= "
                    f"with some of its keys: {sorted(history)}."
                )
        else:
            metrics = (
                [self.metrics] if isinstance(self.metrics, str) else list(self.metrics)
            )
            missing = [
                m for m in metrics if m not in history and f"val_{m}" not in history
            ]
            if missing or not metrics:
                raise ValueError(
                    f"history has no values for {missing or metrics}; it records "
                    f"{sorted(history)}."
                )
        return history, metrics

    def plot(self, ax=None):
        """Plot the curves.

        Parameters
        ----------
        ax : sequence of matplotlib Axes, default=None
            One axes per metric; a new figure with the axes side by side is
            made when None.

        Returns
        -------
        display : TrainingCurvesDisplay
            The display, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        history, metrics = self._check()
        if ax is None:
            axes = _subplots(1, len(metrics), (5 * len(metrics), 3.8)).ravel()
        else:
            axes = np.asarray(ax, dtype=object).ravel()
            if len(axes) != len(metrics):
                raise ValueError(
                    f"ax must hold {len(metrics)} axes (one per metric "
                    f"{metrics}), got {len(axes)}."
                )
        lines = {}
        for axis, metric in zip(axes, metrics, strict=True):
            for key, label in ((metric, "train"), (f"val_{metric}", "validation")):
                values = np.asarray(history.get(key, []), dtype=np.float64).ravel()
                if values.size == 0:
                    continue
                epochs = np.arange(1, values.size + 1)
                # Markers keep a history of one or two epochs visible.
                marker = "o" if values.size <= 30 else None
                (lines[key],) = axis.plot(
                    epochs, values, marker=marker, markersize=3, label=label
                )
            axis.set_title(metric.replace("_", " "))
            axis.set_xlabel("epoch")
            axis.set_ylabel(metric)
            axis.legend(fontsize="small")
            axis.grid(True, alpha=0.3)
            axis.xaxis.get_major_locator().set_params(integer=True)
        self.ax_ = axes
        self.figure_ = axes[0].figure
        self.lines_ = lines
        if self.estimator_name:
            self.figure_.suptitle(f"Training curves of {self.estimator_name}")
        return self

    @classmethod
    def from_history(cls, history, *, metrics=None, estimator_name=None, ax=None):
        """Plot the training curves recorded in ``history``.

        Parameters
        ----------
        history : dict or keras.callbacks.History
            ``{metric name: list of per-epoch values}``.
        metrics : tuple of str, default=None
            Metrics to plot; by default loss and accuracy where recorded.
        estimator_name : str, default=None
            Shown in the figure title.
        ax : sequence of matplotlib Axes, default=None
            One axes per metric; a new figure is made when None.

        Returns
        -------
        display : TrainingCurvesDisplay
        """
        display = cls(history, metrics=metrics, estimator_name=estimator_name)
        return display.plot(ax=ax)

    @classmethod
    def from_estimator(cls, estimator, *, metrics=None, ax=None):
        """Plot the training curves of a fitted Keras-backed estimator.

        Parameters
        ----------
        estimator : fitted estimator
            Estimator with a ``history_`` attribute, such as
            :class:`~skfashion.models.KerasMLPClassifier`, or a Pipeline or
            fitted search whose (best) final step has one.
        metrics : tuple of str, default=None
            Metrics to plot; by default loss and accuracy where recorded.
        ax : sequence of matplotlib Axes, default=None
            One axes per metric; a new figure is made when None.

        Returns
        -------
        display : TrainingCurvesDisplay
        """
        check_is_fitted(estimator)
        history = _find_attribute(estimator, "history_")
        if history is None:
            raise ValueError(
                f"{type(estimator).__name__} has no training history (history_); "
                "TrainingCurvesDisplay needs an epoch-trained estimator such as "
                "KerasMLPClassifier."
            )
        return cls.from_history(
            history,
            metrics=metrics,
            estimator_name=type(estimator).__name__,
            ax=ax,
        )


def _to_images(X, image_shape):
    """Images ``(n, h, w)`` or ``(n, h, w, c)`` from flat or image-shaped X."""
    X = np.asarray(X)
    if X.ndim == 4 and X.shape[-1] == 1:
        X = X[..., 0]
    if X.ndim in (3, 4):
        return X
    if X.ndim != 2:
        raise ValueError(
            f"X must be flat images (n_samples, n_pixels) or images "
            f"(n_samples, height, width[, channels]), got shape {X.shape}."
        )
    shape = resolve_image_shape(image_shape, X.shape[1], None, required=True)
    return X.reshape(len(X), *shape)


def _displayable(image, top):
    """An image as imshow draws it: colour for 3 or 4 channels, else gray.

    Colour images are divided by ``top`` (255 for 0-255 pixels, 65535 for
    16-bit ones, 1 for 0-1 pixels, decided once for a whole grid) and
    clipped to [0, 1]; any other channel count is shown as the mean over
    its channels.
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 2:
        return image
    if image.shape[-1] in (3, 4):
        return np.clip(image / top, 0.0, 1.0)
    return image.mean(axis=-1)


def _grid_top(images):
    """The pixel scale of a grid of images: the top of 0-1, 0-255 or 0-65535
    (16-bit images), the smallest that holds the largest value."""
    hi = float(np.max(images))
    return next((top for top in (1.0, 255.0, 65535.0) if hi <= top), hi)


def _name_map(classes, target_names, labels):
    if classes is None:
        labels = np.asarray(labels)
        n_names = None if target_names is None else len(target_names)
        in_range = (
            n_names is not None
            and np.issubdtype(labels.dtype, np.integer)
            and labels.min() >= 0
            and labels.max() < n_names
        )
        classes = np.arange(n_names) if in_range else np.unique(labels)
    classes = np.asarray(classes)
    names = _check_target_names(target_names, classes)
    return dict(zip(classes.tolist(), names, strict=True))


class MisclassifiedImagesDisplay:
    """Grid of misclassified images with true and predicted class names.

    Create it with :meth:`from_estimator` or :meth:`from_predictions`, which
    pick the mistakes; the constructor takes the chosen images.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width[, channels])
        Images to show; 3 or 4 channels are shown in colour.
    true_names, pred_names : sequence of str of length n_images
        True and predicted class name of each image.
    pred_proba : ndarray of shape (n_images,), default=None
        Predicted probability of the predicted class, shown when given.
    indices : ndarray of shape (n_images,), default=None
        Position of each image in the data it was taken from.

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes of shape (n_rows, n_cols)
        The grid; axes beyond ``n_images`` are hidden.
    figure_ : matplotlib Figure
        Figure holding the grid.
    ims_ : list of matplotlib AxesImage
        One per shown image.

    See Also
    --------
    TrainingCurvesDisplay : Loss and accuracy per epoch.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from skfashion.metrics import MisclassifiedImagesDisplay
    >>> X = np.random.default_rng(0).integers(0, 256, (6, 784))
    >>> y_true = np.array([0, 1, 2, 3, 4, 5])
    >>> y_pred = np.array([0, 6, 2, 4, 4, 7])
    >>> disp = MisclassifiedImagesDisplay.from_predictions(
    ...     X, y_true, y_pred, target_names=[str(i) for i in range(10)],
    ...     ax=Figure().subplots(2, 2, squeeze=False))
    >>> len(disp.ims_), disp.indices.tolist()
    (3, [1, 3, 5])
    """

    def __init__(
        self, images, true_names, pred_names, *, pred_proba=None, indices=None
    ):
        self.images = images
        self.true_names = true_names
        self.pred_names = pred_names
        self.pred_proba = pred_proba
        self.indices = indices

    def plot(self, ax=None, *, n_cols=None, cmap="gray_r"):
        """Plot the images in a grid.

        Parameters
        ----------
        ax : array-like of matplotlib Axes, default=None
            Axes to draw on, at least one per image; a new figure is made
            when None.
        n_cols : int, default=None
            Columns of a new grid; about the square root of the number of
            images by default.
        cmap : str or matplotlib Colormap, default="gray_r"
            Colour map of grayscale images (colour images ignore it).

        Returns
        -------
        display : MisclassifiedImagesDisplay
            The display, with ``ax_``, ``figure_`` and ``ims_`` set.
        """
        n = len(self.images)
        if ax is None:
            if n_cols is None:
                n_cols = max(1, math.ceil(math.sqrt(n)))
            n_rows = max(1, math.ceil(n / n_cols))
            axes = _subplots(n_rows, n_cols, (1.9 * n_cols, 2.2 * n_rows))
        else:
            axes = np.asarray(ax, dtype=object)
            if axes.ndim < 2:
                axes = axes.reshape(1, -1)
            if axes.size < max(n, 1):
                raise ValueError(
                    f"ax holds {axes.size} axes but there are {n} images to show."
                )
        flat = axes.ravel()
        ims = []
        # One pixel scale for the whole grid, so that a dark image is not
        # brightened to the scale of 0-1 images.
        top = _grid_top(self.images) if n else 1.0
        for k, axis in enumerate(flat):
            axis.set_axis_off()
            if k >= n:
                continue
            ims.append(
                axis.imshow(
                    _displayable(self.images[k], top),
                    cmap=cmap,
                    interpolation="nearest",
                )
            )
            title = f"true: {self.true_names[k]}\npred: {self.pred_names[k]}"
            if self.pred_proba is not None:
                title += f" ({self.pred_proba[k]:.2f})"
            axis.set_title(title, fontsize=8)
        if n == 0:
            flat[0].text(
                0.5,
                0.5,
                "No misclassified images",
                ha="center",
                va="center",
                transform=flat[0].transAxes,
            )
        self.ax_ = axes
        self.figure_ = flat[0].figure
        self.ims_ = ims
        return self

    @classmethod
    def from_predictions(
        cls,
        X,
        y_true,
        y_pred,
        proba=None,
        *,
        classes=None,
        n_images=16,
        target_names=None,
        image_shape=None,
        ax=None,
        n_cols=None,
    ):
        """Show misclassified samples of ``X`` given labels and predictions.

        With probabilities the most confident mistakes come first; without,
        the mistakes appear in data order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or \
(n_samples, height, width[, channels])
            The images.
        y_true, y_pred : array-like of shape (n_samples,)
            True and predicted labels.
        proba : array-like of shape (n_samples,) or (n_samples, n_classes), \
default=None
            Probability of the predicted class, or all class probabilities
            (columns in the order of ``classes``).
        classes : array-like of shape (n_classes,), default=None
            Classes in the order of ``target_names`` and of the columns of
            ``proba``; e.g. ``estimator.classes_``. By default the integer
            labels index ``target_names``, or the sorted labels seen are used.
        n_images : int, default=16
            Most images to show.
        target_names : array-like of str, default=None
            Class names; see :func:`default_target_names` for the default.
        image_shape : tuple of int, default=None
            ``(height, width[, channels])`` of flat ``X``; square grayscale
            images are inferred. Colour (3 or 4 channels) is shown in colour.
        ax : array-like of matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.
        n_cols : int, default=None
            Columns of a new grid.

        Returns
        -------
        display : MisclassifiedImagesDisplay
        """
        if not isinstance(n_images, Integral) or n_images < 0:
            raise ValueError(f"n_images must be a non-negative int, got {n_images!r}.")
        images = _to_images(X, image_shape)
        y_true = column_or_1d(np.asarray(y_true))
        y_pred = column_or_1d(np.asarray(y_pred))
        if not len(images) == len(y_true) == len(y_pred):
            raise ValueError(
                "X, y_true and y_pred have inconsistent numbers of samples: "
                f"{len(images)}, {len(y_true)} and {len(y_pred)}."
            )
        names = _name_map(classes, target_names, np.concatenate([y_true, y_pred]))
        wrong = np.flatnonzero(y_true != y_pred)
        confidence = None
        if proba is not None:
            confidence = _predicted_proba(proba, y_pred, names, classes)
            # Most confident mistakes first; they are the most telling.
            wrong = wrong[np.argsort(-confidence[wrong], kind="stable")]
        chosen = wrong[:n_images]
        display = cls(
            images[chosen],
            [names.get(v, str(v)) for v in y_true[chosen].tolist()],
            [names.get(v, str(v)) for v in y_pred[chosen].tolist()],
            pred_proba=None if confidence is None else confidence[chosen],
            indices=chosen,
        )
        return display.plot(ax=ax, n_cols=n_cols)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        n_images=16,
        target_names=None,
        image_shape=None,
        ax=None,
        n_cols=None,
    ):
        """Show samples of ``X`` that a fitted classifier gets wrong.

        Parameters
        ----------
        estimator : fitted classifier
            Classifier with ``predict`` and ``classes_``; with
            ``predict_proba`` the most confident mistakes come first.
        X : array-like of shape (n_samples, n_pixels) or \
(n_samples, height, width[, channels])
            The images.
        y : array-like of shape (n_samples,)
            True labels.
        n_images : int, default=16
            Most images to show.
        target_names : array-like of str, default=None
            Class names in the order of ``classes_``.
        image_shape : tuple of int, default=None
            ``(height, width[, channels])`` of flat ``X``; by default the estimator's
            ``image_shape_`` if it has one, else square images.
        ax : array-like of matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.
        n_cols : int, default=None
            Columns of a new grid.

        Returns
        -------
        display : MisclassifiedImagesDisplay
        """
        y, classes = _check_evaluation_input(estimator, X, y, need_proba=False)
        if image_shape is None and np.ndim(X) == 2:
            image_shape = _find_attribute(estimator, "image_shape_")
        proba = None
        if hasattr(estimator, "predict_proba"):
            proba = estimator.predict_proba(X)
        y_pred = np.asarray(estimator.predict(X))
        return cls.from_predictions(
            X,
            y,
            y_pred,
            proba,
            classes=classes,
            n_images=n_images,
            target_names=target_names,
            image_shape=image_shape,
            ax=ax,
            n_cols=n_cols,
        )


def _predicted_proba(proba, y_pred, names, classes):
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim == 1:
        if len(proba) != len(y_pred):
            raise ValueError(
                f"proba has {len(proba)} entries but there are {len(y_pred)} samples."
            )
        return proba
    columns = list(names) if classes is None else np.asarray(classes).tolist()
    if proba.shape != (len(y_pred), len(columns)):
        raise ValueError(
            f"proba has shape {proba.shape}, expected ({len(y_pred)}, "
            f"{len(columns)}) (one column per class); pass classes=."
        )
    position = {c: i for i, c in enumerate(columns)}
    try:
        cols = np.array([position[v] for v in y_pred.tolist()])
    except KeyError as exc:
        raise ValueError(
            f"y_pred holds a label not in classes: {exc.args[0]!r}."
        ) from None
    return proba[np.arange(len(y_pred)), cols]
