"""What a fit feeds the network: the validation split and the mini-batches.

Every input path visits the rows of epoch ``e`` in the order
:func:`_epoch_order` gives for ``(seed, e)``, so a fit continued from some
epoch (``warm_start``, a continued cache entry) sees the batches that a
straight fit sees from there on, whether the rows are in memory
(:func:`_epoch_batches`, one tf.data pipeline) or in a ``np.memmap``
(:class:`_MemmapBatches`, read batch by batch).
"""

import math
import mmap

import keras
import numpy as np
import tensorflow as tf
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state


def validation_indices(y, fraction, *, early_stopping, random_state):
    """Indices of the validation split, stratified on ``y`` when possible.

    ``fraction`` is ``validation_fraction`` (None: 0.1 with early stopping,
    no split otherwise); None when there is no split.
    """
    if fraction is None:
        fraction = 0.1 if early_stopping else 0.0
    if early_stopping and fraction == 0:
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
    rng = check_random_state(random_state)
    _, val = train_test_split(
        np.arange(n),
        test_size=n_val,
        stratify=stratify,
        random_state=rng.randint(np.iinfo(np.int32).max),
    )
    return np.sort(val)


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

    The epoch is counted by ``on_epoch_begin``, which Keras calls once at
    the start of every epoch. ``on_epoch_end`` is not a count: Keras also
    calls it once before the first epoch, after reading two batches to
    learn their shapes, which would start the fit on the second epoch's
    order. Where Keras never calls ``on_epoch_begin``, ``on_epoch_end``
    moves to the next epoch.
    """

    def __init__(self, X, y, sample_weight, *, rows, batch_size, seed, first_epoch):
        super().__init__()
        self._X, self._y, self._w = X, y, sample_weight
        self._rows = np.arange(len(X)) if rows is None else np.asarray(rows)
        self._batch_size = int(batch_size)
        self._seed = _order_seed(seed)
        self._first_epoch = int(first_epoch)
        self._epoch = self._first_epoch
        self._begun = 0  # epochs begun, as Keras reports them
        self._order, self._order_epoch = None, None

    def _epoch_rows(self):
        """The rows in the current epoch's order (drawn once per epoch)."""
        if self._order_epoch != self._epoch:
            order = _epoch_order(len(self._rows), self._seed, self._epoch).numpy()
            self._order, self._order_epoch = self._rows[order], self._epoch
        return self._order

    def __len__(self):
        return math.ceil(len(self._rows) / self._batch_size)

    def __getitem__(self, index):
        start = index * self._batch_size
        # Read in file order (``rows`` sorted), then put back in the epoch's
        # order (``rows[back]``): the in-memory path's batch, image for image.
        rows, back = np.unique(
            self._epoch_rows()[start : start + self._batch_size],
            return_inverse=True,
        )
        batch = (np.asarray(self._X[rows])[back], self._y[rows][back])
        return batch if self._w is None else (*batch, self._w[rows][back])

    def on_epoch_begin(self):
        self._begun += 1
        self._epoch = self._first_epoch + self._begun - 1

    def on_epoch_end(self):
        # Set again by the next on_epoch_begin, where Keras calls it: so the
        # call before the first epoch changes nothing.
        self._epoch = (
            self._first_epoch + self._begun if self._begun else self._epoch + 1
        )
