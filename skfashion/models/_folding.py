"""Prediction with batch normalisation folded into the next linear layer.

At prediction time a batch normalisation layer is a fixed affine map of
each channel, ``x * scale + shift``. In the built-in networks it follows an
activation, so it cannot go into the convolution or dense layer before it,
but it can go into the next one: a dense layer or convolution of an affine
map of ``x`` is the same layer, with rescaled weights and a new bias, of
``x`` itself. Max pooling commutes with the map when every scale is
positive, average pooling, dropout and flattening always do. The folded
network skips one full pass over the activations per batch normalisation
layer, and its answers are those of the network, up to float32 rounding.

The folded weights are computed inside the traced function from the live
variables, so a network trained further (``warm_start``, ``partial_fit``)
predicts with its new weights. Their cost does not depend on the number of
images: for the default CNN about 2 million multiplications per batch,
against about 5.5 million per image for the network itself.
"""

import keras
import tensorflow as tf
from keras import layers

from .._keras_privates import inbound_nodes
from ._layers import RandomErasing

__all__ = ["fold_signature", "folded_call"]

#: Layers that return their input at prediction time (the training-only
#: augmentations included: skipped, not called).
_IDENTITY_AT_INFERENCE = (
    layers.Dropout,
    RandomErasing,
    layers.RandomFlip,
    layers.RandomTranslation,
)


def _is_batch_norm(layer):
    """Whether ``layer`` is a batch normalisation this module can fold."""
    return (
        isinstance(layer, layers.BatchNormalization)
        and layer.axis in (-1, len(layer.input.shape) - 1)
        and layer.compute_dtype == "float32"
        and layer.variable_dtype == "float32"
    )


def _float32_linear(layer):
    return (
        layer.compute_dtype == "float32"
        and layer.variable_dtype == "float32"
        and getattr(layer, "quantization_mode", None) is None
    )


def _chain(model):
    """The layers of ``model`` if each one feeds only the next, else None."""
    chain = [
        layer for layer in model.layers if not isinstance(layer, layers.InputLayer)
    ]
    if len(model.inputs) != 1 or len(model.outputs) != 1 or not chain:
        return None
    previous = model.inputs[0]
    for layer in chain:
        if len(inbound_nodes(layer)) != 1 or layer.input is not previous:
            return None
        previous = layer.output
    if model.outputs[0] is not previous:
        return None
    return chain


def fold_signature(model):
    """What the traced folded function of ``model`` depends on, or None.

    None when the network is not a chain of layers or has no batch
    normalisation to fold (it is then called as it is). Otherwise a tuple
    with one flag per batch normalisation layer: whether all its scales are
    positive, so that it may move past a max pooling. The flags are read
    from the current weights at each prediction, which costs microseconds.
    """
    chain = _chain(model)
    if chain is None:
        return None
    norms = [layer for layer in chain if _is_batch_norm(layer)]
    if not norms:
        return None
    return tuple(bool(keras.ops.all(_affine(layer)[0] > 0)) for layer in norms)


def _affine(layer):
    """``(scale, shift)`` of a batch normalisation layer at prediction time."""
    scale = tf.math.rsqrt(tf.convert_to_tensor(layer.moving_variance) + layer.epsilon)
    if layer.scale:
        scale = scale * layer.gamma
    shift = -tf.convert_to_tensor(layer.moving_mean) * scale
    if layer.center:
        shift = shift + layer.beta
    return scale, shift


def _apply(x, affine):
    return x if affine is None else x * affine[0] + affine[1]


def _dense(layer, x, affine):
    """``layer`` on ``x * scale + shift`` with the map folded in."""
    scale, shift = affine
    kernel = tf.convert_to_tensor(layer.kernel)
    y = tf.matmul(x, kernel * scale[:, None]) + tf.linalg.matvec(
        kernel, shift, transpose_a=True
    )
    if layer.use_bias:
        y = y + layer.bias
    return layer.activation(y)


def _conv(layer, x, affine):
    """Conv2D ``layer`` on ``x * scale + shift`` with the map folded in.

    With ``padding="same"`` the zeros around the image are zeros of the
    normalised input, so the shift's contribution is smaller at the border:
    it is computed once per batch as the convolution of a constant image.
    """
    scale, shift = affine
    kernel = tf.convert_to_tensor(layer.kernel)
    padding = layer.padding.upper()
    conv = {
        "strides": layer.strides,
        "padding": padding,
        "dilations": layer.dilation_rate,
    }
    y = tf.nn.convolution(x, kernel * scale[:, None], **conv)
    if padding == "VALID":
        offset = tf.reduce_sum(kernel * shift[:, None], axis=(0, 1, 2))
    else:
        plane = tf.ones(tf.concat([[1], tf.shape(x)[1:]], 0)) * shift
        offset = tf.nn.convolution(plane, kernel, **conv)
    y = y + offset
    if layer.use_bias:
        y = y + layer.bias
    return layer.activation(y)


def _foldable_into(layer, x):
    if isinstance(layer, layers.Dense):
        return _float32_linear(layer) and len(x.shape) == 2
    return (
        isinstance(layer, layers.Conv2D)
        and not isinstance(layer, (layers.Conv2DTranspose, layers.DepthwiseConv2D))
        and _float32_linear(layer)
        and layer.data_format == "channels_last"
        and layer.groups == 1
        and len(x.shape) == 4
    )


def folded_call(model, x, signature):
    """``model(x, training=False)`` with its batch normalisations folded.

    ``signature`` is :func:`fold_signature` of ``model``; a pending affine
    map travels forward until a dense layer or convolution absorbs it, and
    is applied as it is where nothing can.
    """
    positive = iter(signature)
    affine = None
    for layer in _chain(model):
        if _is_batch_norm(layer):
            moves_past_max = next(positive)
            scale, shift = _affine(layer)
            if affine is not None:
                scale, shift = affine[0] * scale, affine[1] * scale + shift
            affine = (scale, shift, moves_past_max and (affine is None or affine[2]))
            continue
        if isinstance(layer, _IDENTITY_AT_INFERENCE):
            continue
        if affine is not None:
            if isinstance(layer, (layers.Dense, layers.Conv2D)) and _foldable_into(
                layer, x
            ):
                x = (_dense if isinstance(layer, layers.Dense) else _conv)(
                    layer, x, affine[:2]
                )
                affine = None
                continue
            if (
                isinstance(layer, layers.AveragePooling2D)
                or (isinstance(layer, layers.MaxPooling2D) and affine[2])
            ) and layer.data_format == "channels_last":
                x = layer(x, training=False)
                continue
            if (
                isinstance(layer, layers.Flatten)
                and layer.data_format == "channels_last"
                and len(x.shape) == 4
            ):
                pixels = x.shape[1] * x.shape[2]
                affine = (
                    tf.tile(affine[0], [pixels]),
                    tf.tile(affine[1], [pixels]),
                    False,
                )
                x = layer(x, training=False)
                continue
            x = _apply(x, affine[:2])
            affine = None
        x = layer(x, training=False)
    return _apply(x, None if affine is None else affine[:2])
