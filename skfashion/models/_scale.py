"""Training rules that follow the size of the data.

The defaults were tuned on 60,000 Fashion-MNIST images. Two things go wrong
on a few hundred images with the same settings: too few optimizer steps
(three batches of 256 per epoch), and batch-norm moving statistics that are
still far from the network's real activations when ``fit`` returns. The
rules here fix both; at full scale they change nothing.
"""

import math

import numpy as np
import tensorflow as tf
from keras import layers

#: Largest batch of ``batch_size="auto"``: the full-data default.
AUTO_BATCH_MAX = 256
#: Smallest batch of ``batch_size="auto"``.
AUTO_BATCH_MIN = 16
#: ``batch_size="auto"`` aims for at least this many optimizer steps per
#: epoch, as a power of two between the two bounds above.
AUTO_STEPS_PER_EPOCH = 32

#: A fit of fewer optimizer steps than this gets its batch-norm statistics
#: recomputed after the last epoch (see :func:`recompute_batch_norm`).
BN_RECOMPUTE_STEPS = 2000


def auto_batch_size(n_train):
    """The batch size of ``batch_size="auto"`` for ``n_train`` images.

    The largest power of two that still gives ``AUTO_STEPS_PER_EPOCH``
    steps per epoch, between 16 and 256: 256 from 8,192 training images
    on, 16 below 1,024.

    Parameters
    ----------
    n_train : int
        Number of training images (after any validation split).

    Returns
    -------
    batch_size : int
        A power of two from 16 to 256.

    Examples
    --------
    >>> from skfashion.models._scale import auto_batch_size
    >>> [auto_batch_size(n) for n in (100, 700, 2000, 10000, 60000)]
    [16, 16, 32, 256, 256]
    """
    target = max(1, n_train // AUTO_STEPS_PER_EPOCH)
    power = 2 ** int(math.floor(math.log2(target)))
    return int(min(AUTO_BATCH_MAX, max(AUTO_BATCH_MIN, power)))


def resolve_batch_size(batch_size, n_train):
    """The batch size a fit on ``n_train`` images uses."""
    if batch_size == "auto":
        return auto_batch_size(n_train)
    return int(batch_size)


def _batch_norm_layers(model):
    found, stack = [], list(model.layers)
    while stack:
        layer = stack.pop()
        stack.extend(getattr(layer, "layers", []))
        if isinstance(layer, layers.BatchNormalization) and layer.trainable:
            found.append(layer)
    return found


def needs_batch_norm_recompute(model, n_steps):
    """Whether a fit of ``n_steps`` optimizer steps leaves stale statistics."""
    return n_steps < BN_RECOMPUTE_STEPS and bool(_batch_norm_layers(model))


def recompute_batch_norm(model, X, *, rows=None, batch_size):
    """Set every batch-norm layer's moving statistics from the data ``X``.

    During training the moving mean and variance follow the batches with a
    momentum; after a few dozen steps they still carry their initial values
    and lag behind the weights, and the network predicts badly although it
    trained well. Here each layer's statistics become the plain average of
    the batch statistics over ``X``, taken with the final weights in
    training mode (as during training), one pass, no weight update.

    Parameters
    ----------
    model : keras.Model
        The trained network; changed in place.
    X : ndarray of shape (n_samples, n_features)
        Inputs as the network takes them (a memmap is read batch by batch).
    rows : ndarray of int, default=None
        The rows of ``X`` to use (the training rows); None means all.
    batch_size : int
        Images per forward pass, the training batch size.
    """
    bn = _batch_norm_layers(model)
    rows = np.arange(len(X)) if rows is None else np.asarray(rows)
    if not bn or len(rows) == 0:
        return
    momentum = [layer.momentum for layer in bn]
    seen = 0
    try:
        for start in range(0, len(rows), batch_size):
            chunk = np.asarray(X[rows[start : start + batch_size]], dtype=np.float32)
            # This momentum makes each moving value the mean of the batch
            # statistics so far, weighted by the batches' sizes.
            for layer in bn:
                layer.momentum = seen / (seen + len(chunk))
            model(tf.constant(chunk), training=True)
            seen += len(chunk)
    finally:
        for layer, value in zip(bn, momentum, strict=True):
            layer.momentum = value
