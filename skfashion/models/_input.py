"""Validation and conversion of image inputs shared by the estimators.

Every estimator receives images as flat ``(n_samples, n_features)`` float32
arrays internally.  Keeping the flat layout at the SciKeras boundary means
``n_features_in_`` follows scikit-learn's meaning and the estimators can sit
after any transformer in a :class:`~sklearn.pipeline.Pipeline`; the CNN
restores the 2-D layout inside the Keras model with a ``Reshape`` layer.
"""

import inspect
import sys
import warnings
from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d

from ..exceptions import PixelScaleWarning

#: Pixel ranges accepted by the ``pixel_range`` parameter, each with the
#: largest pixel value of its scale; the network divides by it.
PIXEL_TOPS = {"0-1": 1.0, "0-16": 16.0, "0-255": 255.0, "0-65535": 65535.0}
#: The factor that brings each pixel range to [0, 1] inside the network.
PIXEL_SCALES = {None: 1.0, **{name: 1.0 / top for name, top in PIXEL_TOPS.items()}}
#: How far beyond its fitted range input may go at prediction time, as a
#: fraction of the range: a MinMaxScaler fitted on training folds maps
#: unseen images slightly outside [0, 1].
OVERSHOOT = 0.25
#: The share of values allowed even further out: a per-pixel scaler maps a
#: pixel that was (almost) constant in the training folds far beyond 1 on
#: a few unseen images (up to 25 on Fashion-MNIST folds, for 0.02% of the
#: values), while input on another scale has most of its values there.
RARE_BEYOND = 0.01


def _share_beyond(X, low, high, chunk=65536):
    """Share of the values of ``X`` below ``low`` or above ``high``."""
    count = 0
    for start in range(0, len(X), chunk):
        part = X[start : start + chunk]
        count += np.count_nonzero(part < low) + np.count_nonzero(part > high)
    return count / max(X.size, 1)


def _stream_kind(X):
    """What kind of stream of batches ``X`` is, or None for other input.

    ``tf.data.Dataset`` and ``keras.utils.PyDataset`` are recognised only
    when their package is already imported: otherwise X cannot be one.
    """
    tf = sys.modules.get("tensorflow")
    data = getattr(tf, "data", None)
    if data is not None and isinstance(X, data.Dataset):
        return "tf.data.Dataset"
    keras = sys.modules.get("keras")
    utils = getattr(keras, "utils", None)
    py_dataset = getattr(utils, "PyDataset", None)
    if py_dataset is not None and isinstance(X, py_dataset):
        return "keras.utils.PyDataset"
    if isinstance(X, Iterator):
        return "generator" if inspect.isgenerator(X) else "iterator"
    return None


def refuse_streams(X, *, estimator_name):
    """Refuse a ``tf.data.Dataset``, a generator or a Keras ``PyDataset``.

    Such input yields batches one after the other: scikit-learn can neither
    index it (cross-validation, ``train_test_split``, the validation split)
    nor clone it, and it has no length to check ``y`` against. The error
    names the two ways skfashion reads data larger than memory.
    """
    kind = _stream_kind(X)
    if kind is None:
        return
    name = type(X).__name__
    shown = kind if name == kind else f"{kind} ({name})"
    article = "an" if kind[0] in "aeiou" else "a"
    raise TypeError(
        f"{estimator_name} got X as {article} {shown}, which "
        "yields batches one after the other: it is not data that "
        "scikit-learn can index (cross-validation folds, train_test_split, "
        "the validation split) or clone, so it is not accepted. Pass X as "
        "one array of images, (n_samples, height, width[, channels]) or "
        "(n_samples, n_features), and the labels as y. For images larger "
        "than memory, write the batches into a .npy file created with "
        "numpy.lib.format.open_memmap(path, mode='w+', dtype='uint8', "
        "shape=(n_samples, height, width)) and pass "
        "np.load(path, mmap_mode='r'), which is read batch by batch; for a "
        "folder of image files with one subfolder per class, use "
        "skfashion.datasets.load_image_folder(path, return_X_y=True)."
    )


def to_flat_images(X, *, estimator_name):
    """Validate ``X`` and return ``(X_flat, image_hw)``.

    ``image_hw`` is the image shape found in 3-D or 4-D input:
    ``(height, width)`` for one channel, ``(height, width, channels)``
    otherwise; None for flat input.
    """
    refuse_streams(X, estimator_name=estimator_name)
    if sp.issparse(X):
        raise TypeError(
            f"{estimator_name} does not accept sparse input (got a "
            f"{type(X).__name__}); images are dense: pass X.toarray()."
        )
    X = check_array(
        X,
        allow_nd=True,
        dtype="numeric",
        ensure_all_finite=True,
        ensure_min_samples=1,
        ensure_min_features=1,
        input_name="X",
    )
    if X.dtype.kind == "c":  # pragma: no cover - check_array rejects complex
        raise ValueError(f"X must be real-valued, got dtype {X.dtype}.")
    image_hw = None
    if X.ndim == 4:
        image_hw = X.shape[1:3] if X.shape[-1] == 1 else X.shape[1:4]
    elif X.ndim == 3:
        image_hw = X.shape[1:3]
    elif X.ndim != 2:
        raise ValueError(
            "X must be (n_samples, n_features), (n_samples, height, width) or "
            f"(n_samples, height, width, channels); got shape {X.shape}."
        )
    X = X.reshape(X.shape[0], -1)
    return X, image_hw


def image_hwc(image_shape):
    """``(height, width, channels)`` of a resolved image shape."""
    return (*image_shape[:2], image_shape[2] if len(image_shape) == 3 else 1)


def _integral(X):
    if X.dtype.kind in "iub":
        return True
    return bool(np.all(np.equal(np.mod(X, 1), 0)))


def _auto_pixel_range(X, lo, hi, estimator_name):
    """The pixel range ``pixel_range="auto"`` settles on (see the table in
    ``docs/user_guide/input.rst``)."""
    if lo < 0:
        return None  # transformed features (StandardScaler, PCA, ...)
    if X.dtype == np.uint8:
        return "0-255"
    if X.dtype == np.uint16:
        return "0-65535"
    if hi <= 1.0:
        return "0-1"
    integral = _integral(X)
    if integral and hi <= 16.0:
        return "0-16"  # scikit-learn's digits, 4-bit images
    if hi <= 255.0:
        return "0-255"
    if integral and hi <= 65535.0:
        return "0-65535"  # 16-bit images
    warnings.warn(
        f"{estimator_name}(pixel_range='auto'): X has values from {lo:g} to "
        f"{hi:g}, which fit none of the pixel scales 0-1, 0-16, 0-255 or "
        "0-65535, so X is used as given, not scaled, and not checked at "
        "prediction time. Pass pixel_range=None to say that X holds "
        "features, or scale the images to [0, 1].",
        PixelScaleWarning,
        stacklevel=5,
    )
    return None


def infer_pixel_range(X, pixel_range, *, estimator_name):
    """Check the pixel values seen in ``fit`` and settle the pixel range.

    ``"auto"`` reads the scale from the dtype and the values: ``uint8`` is
    0-255 and ``uint16`` 0-65535; otherwise values in [0, 1] are 0-1,
    whole numbers up to 16 are 0-16 (digits), values up to 255 are 0-255,
    whole numbers up to 65535 are 0-65535 (16-bit), and anything else is
    not pixels and is used as given, as with ``pixel_range=None``: negative
    values (standardised or other transformed features) silently, others
    with a :class:`~skfashion.exceptions.PixelScaleWarning`.
    """
    if pixel_range is None:
        return None
    lo, hi = float(X.min()), float(X.max())
    if pixel_range == "auto":
        return _auto_pixel_range(X, lo, hi, estimator_name)
    top = PIXEL_TOPS[pixel_range]
    if lo < 0 or hi > top:
        raise ValueError(
            f"{estimator_name}(pixel_range={pixel_range!r}) expects pixel "
            f"values in [0, {top:g}]; X has values from {lo:g} to {hi:g}. If X "
            "holds transformed features (for example after StandardScaler), "
            "set pixel_range='auto' or None."
        )
    return pixel_range


def check_pixel_range(X, pixel_range_, *, estimator_name):
    """Refuse or flag pixels on another scale than the one seen in ``fit``.

    Values up to ``OVERSHOOT`` of the range beyond it are accepted as they
    are (a scaler fitted on other images), and so are rare values further
    out (at most ``RARE_BEYOND`` of them); more is an error whose advice
    names the scale the values look like.
    """
    if pixel_range_ is None:
        return
    top = PIXEL_TOPS[pixel_range_]
    lo, hi = float(X.min()), float(X.max())
    margin = OVERSHOOT * top
    if (lo < -margin or hi > top + margin) and _share_beyond(
        X, -margin, top + margin
    ) > RARE_BEYOND:
        looks = next(
            (
                name
                for name, other in PIXEL_TOPS.items()
                # A scale the values fill at least half of, not one they
                # merely fit in (1.3 is an overshoot, not 0-16 pixels).
                if lo >= 0 and other / 2 < hi <= other and other > top
            ),
            None,
        )
        hint = ""
        if looks is not None:
            other = PIXEL_TOPS[looks]
            rescale = f"X / {other:g}" if top == 1.0 else f"X * {top:g} / {other:g}"
            hint = f" They look like {looks} pixels: rescale them ({rescale})."
        raise ValueError(
            f"This {estimator_name} was fitted on pixels in [0, {top:g}], but X "
            f"has values from {lo:g} to {hi:g}.{hint}"
        )
    if top > 1.0 and 0.0 < hi <= 1.0:
        warnings.warn(
            f"This {estimator_name} was fitted on pixels in [0, {top:g}], but "
            f"every value of X is at most {hi:g}: X looks scaled to [0, 1] "
            f"and the predictions would be meaningless. Multiply X by {top:g}.",
            PixelScaleWarning,
            stacklevel=3,
        )


def as_network_input(X):
    """``X`` as the networks take it, copying as little as possible.

    Integer pixels (``uint8`` images, a ``np.memmap`` of them) are kept as
    they are: the network casts each batch to float32 as it reads it, so the
    whole set is never held as float32. Floating-point input becomes float32,
    without a copy when it already is.
    """
    if X.dtype.kind in "iub":
        return X
    return np.asarray(X, dtype=np.float32)


def check_labels(y, n_samples, *, estimator_name):
    """``y`` as a 1-D array of class labels for ``n_samples`` images.

    Refused: a length other than ``n_samples``, labels of types that cannot
    be ordered against each other (``classes_`` is sorted), continuous
    targets, and a single class.
    """
    y = column_or_1d(y, warn=True)
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {n_samples} and {len(y)}."
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
            f"{estimator_name} needs samples of at least 2 classes in "
            f"y, but y contains only one class: {np.unique(y)!r}."
        )
    return y
