"""TensorFlow's and Keras' private names that skfashion uses, in one place.

Every private TensorFlow or Keras module, function or attribute that
skfashion touches is reached through this module, with the reason it is
used; the rest of skfashion calls the functions here. When TensorFlow or
Keras changes one, this is the one file to fix:
``tests/test_private_names.py`` checks that each still exists, and that no
other module of skfashion names one.

TensorFlow is imported inside the functions: importing this module costs
nothing, as importing Keras with another backend must not load TensorFlow.
"""

#: The private attributes of Keras objects reached below, checked by
#: tests/test_private_names.py against the installed Keras.
KERAS_PRIVATE_ATTRIBUTES = (
    "_inbound_nodes",  # keras.layers.Layer: the calls that built a layer
    "_flatten_layers",  # keras.Model: every layer, nested models included
    "_keras_history",  # KerasTensor: the operation that computes a tensor
    "_all_reduce_sum_gradients",  # TF optimizer: sums gradients over replicas
)


def op_determinism_enabled():
    """Whether TensorFlow's deterministic ops are switched on.

    ``tensorflow.python.framework.config.is_op_determinism_enabled``:
    TensorFlow has a public ``enable_op_determinism`` but no public way to
    read or undo it. SciKeras switches it on to seed a fit, and TensorFlow
    may latch it for the whole process; the estimators put the previous
    setting back after each fit (see :func:`disable_op_determinism`).
    """
    from tensorflow.python.framework import config

    return config.is_op_determinism_enabled()


def disable_op_determinism():
    """Switch TensorFlow's deterministic ops off again.

    ``tensorflow.python.framework.config.disable_op_determinism``; see
    :func:`op_determinism_enabled`. Later unseeded TensorFlow code would
    fail with determinism left on.
    """
    from tensorflow.python.framework import config

    config.disable_op_determinism()


def inbound_nodes(layer):
    """The nodes (calls) that connect ``layer`` in its networks.

    ``Layer._inbound_nodes``: batch-norm folding (``models/_folding.py``)
    folds a layer only when it is called exactly once, on the previous
    layer's output; Keras has no public list of a layer's calls.
    """
    return layer._inbound_nodes


def flatten_layers(model):
    """Every layer of ``model``, nested models' layers included, not ``model``.

    ``Model._flatten_layers(include_self=False)``: the fit-cache key of a
    subclassed user network without ``get_config`` lists the configuration
    of each of its layers (``models/_image.py``).
    """
    return model._flatten_layers(include_self=False)


def keras_history(tensor):
    """The ``(operation, node_index, tensor_index)`` that computes ``tensor``.

    ``KerasTensor._keras_history``: the layer that computes a functional
    network's output, to refuse a sigmoid output (``models/_image.py``).
    """
    return tensor._keras_history


def all_reduce_sum_gradients(optimizer):
    """The optimizer's gradient sum over replicas, or None where it has none.

    ``optimizer._all_reduce_sum_gradients`` (Keras' TensorFlow optimizers):
    outside a distribution strategy it registers a new gradient function at
    every traced train step that TensorFlow never frees;
    :func:`skfashion.models._layers.skip_single_replica_all_reduce`
    replaces it on one optimizer object.
    """
    return getattr(optimizer, "_all_reduce_sum_gradients", None)


def set_all_reduce_sum_gradients(optimizer, function):
    """Replace ``optimizer._all_reduce_sum_gradients`` on this object only.

    ``object.__setattr__``: a plain function attribute, not state that
    Keras tracks (and saves).
    """
    object.__setattr__(optimizer, "_all_reduce_sum_gradients", function)


def keras_global_state():
    """Keras' per-thread global state module; ImportError where it has none.

    ``keras.src.backend.common.global_state``: the loader's memory check
    (``models/_modelfile_network.py``) counts the variables that deserializing a
    network would create, which Keras lists there
    (``"uninitialized_variables"``) and offers no public access to.
    """
    from keras.src.backend.common import global_state

    return global_state
