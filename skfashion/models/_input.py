"""Validation and conversion of image inputs shared by the estimators.

Every estimator receives images as flat ``(n_samples, n_features)`` float32
arrays internally.  Keeping the flat layout at the SciKeras boundary means
``n_features_in_`` follows scikit-learn's meaning and the estimators can sit
after any transformer in a :class:`~sklearn.pipeline.Pipeline`; the CNN
restores the 2-D layout inside the Keras model with a ``Reshape`` layer.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_array

from ..exceptions import PixelScaleWarning

#: Pixel ranges accepted by the ``pixel_range`` parameter and the factor that
#: brings each of them to [0, 1] inside the network.
PIXEL_SCALES = {"0-255": 1.0 / 255.0, "0-1": 1.0, None: 1.0}


def to_flat_images(X, *, estimator_name):
    """Validate ``X`` and return ``(X_flat, image_hw)``.

    ``image_hw`` is the image shape found in 3-D or 4-D input:
    ``(height, width)`` for one channel, ``(height, width, channels)``
    otherwise; None for flat input.
    """
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


def infer_pixel_range(X, pixel_range, *, estimator_name):
    """Check the pixel values seen in ``fit`` and settle the pixel range.

    ``"auto"`` follows one rule: values in [0, 1] are 0-1 pixels, values in
    [0, 255] with some above 1 are 0-255 pixels, and anything else is not
    pixels and is used as given, as with ``pixel_range=None``: negative
    values (standardised or other transformed features) silently, values
    above 255 with a :class:`~skfashion.exceptions.PixelScaleWarning`, since
    they may be images on another scale (16-bit) or a stray value.
    """
    if pixel_range is None:
        return None
    lo, hi = float(X.min()), float(X.max())
    if pixel_range == "auto":
        if lo < 0:
            return None  # transformed features (StandardScaler, PCA, ...)
        if hi > 255.0:
            warnings.warn(
                f"{estimator_name}(pixel_range='auto'): X has values from "
                f"{lo:g} to {hi:g}, beyond 0-255 pixels, so it is used as "
                "given, not scaled, and not checked at prediction time. Scale "
                "16-bit or other images to [0, 255] or [0, 1], or pass "
                "pixel_range=None to say that X holds features.",
                PixelScaleWarning,
                stacklevel=4,
            )
            return None
        return "0-255" if hi > 1.0 else "0-1"
    top = 1.0 if pixel_range == "0-1" else 255.0
    if lo < 0 or hi > top:
        allowed = "[0, 1]" if pixel_range == "0-1" else "[0, 255]"
        raise ValueError(
            f"{estimator_name}(pixel_range={pixel_range!r}) expects pixel "
            f"values in {allowed}; X has values from {lo:g} to {hi:g}. If X "
            "holds transformed features (for example after StandardScaler), "
            "set pixel_range='auto' or None."
        )
    return pixel_range


def check_pixel_range(X, pixel_range_, *, estimator_name):
    """Refuse or flag pixels on another scale than the one seen in ``fit``."""
    if pixel_range_ is None:
        return
    lo, hi = float(X.min()), float(X.max())
    if pixel_range_ == "0-1" and (lo < 0 or hi > 1.0):
        hint = " Divide X by 255." if hi <= 255 and lo >= 0 else ""
        raise ValueError(
            f"This {estimator_name} was fitted on pixels in [0, 1], but X has "
            f"values from {lo:g} to {hi:g}.{hint}"
        )
    if pixel_range_ == "0-255":
        if lo < 0 or hi > 255.0:
            raise ValueError(
                f"This {estimator_name} was fitted on pixels in [0, 255], but X "
                f"has values from {lo:g} to {hi:g}."
            )
        if 0.0 < hi <= 1.0:
            warnings.warn(
                f"This {estimator_name} was fitted on pixels in [0, 255], but "
                f"every value of X is at most {hi:g}: X looks scaled to [0, 1] "
                "and the predictions would be meaningless. Multiply X by 255.",
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
