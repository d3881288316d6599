"""TensorFlow's "retracing" warning, silenced while a network is traced.

Every fit builds a new Keras model, whose train and predict functions are
traced anew. TensorFlow counts traces per Python function's code object,
not per model, so after five models its heuristic reports these first
traces of new functions as "retracing" of one function (the warning is
still logged by TensorFlow 2.21 in a CV search). :func:`quiet_retracing`
drops that message, and only that message, while a fit or a prediction
runs; nothing is installed at import, and the filter is removed when the
last fit or prediction running in the process ends.
"""

import contextlib
import logging
import threading


class _NewModelTracingFilter(logging.Filter):
    """Drop TensorFlow's "triggered tf.function retracing" warning.

    Only that message is dropped; TensorFlow's other warnings pass.
    """

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


_FILTER = _NewModelTracingFilter()
_LOCK = threading.Lock()
#: How many fits and predictions (of any thread) run now.
_ACTIVE = 0


@contextlib.contextmanager
def quiet_retracing():
    """Drop TensorFlow's retracing warning for the duration of the block.

    Blocks may nest and run in several threads at once: the filter is on
    the "tensorflow" logger from the first block's start to the last
    block's end.
    """
    global _ACTIVE
    logger = logging.getLogger("tensorflow")
    with _LOCK:
        if _ACTIVE == 0:
            logger.addFilter(_FILTER)
        _ACTIVE += 1
    try:
        yield
    finally:
        with _LOCK:
            _ACTIVE -= 1
            if _ACTIVE == 0:
                logger.removeFilter(_FILTER)
