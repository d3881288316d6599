"""The estimators' parameters: their constraints and the routed ones.

:data:`COMMON_CONSTRAINTS` are the scikit-learn constraints of the
parameters every estimator has; :class:`_RoutedParamsMixin` stores and
checks SciKeras-style routed parameters (``optimizer__beta_1=...``,
``model__units=...``) and the parameters that need more than a constraint.
"""

import os
from numbers import Integral, Real

import numpy as np

from .._sklearn_privates import Interval, InvalidParameterError, StrOptions
from ._inference import TTA_VIEWS
from ._input import PIXEL_TOPS

OPTIMIZERS = ("sgd", "adam", "adamw", "nadam", "rmsprop", "adagrad", "adadelta")
ACTIVATIONS = ("relu", "elu", "selu", "gelu", "swish", "tanh", "sigmoid", "leaky_relu")
SCHEDULES = ("constant", "cosine", "plateau")
_ROUTING_PREFIXES = (
    "model__",
    "fit__",
    "compile__",
    "predict__",
    "optimizer__",
    "callbacks__",
)

#: Constraints of the parameters shared by every estimator.
COMMON_CONSTRAINTS = {
    "optimizer": [StrOptions(set(OPTIMIZERS))],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "momentum": [Interval(Real, 0, 1, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "l2": [Interval(Real, 0, None, closed="left")],
    "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    "ema_momentum": [Interval(Real, 0, 1, closed="neither"), None],
    "tta": [StrOptions({"auto", *TTA_VIEWS}), None],
    "lr_schedule": [StrOptions(set(SCHEDULES))],
    "warmup": [Interval(Real, 0, 1, closed="left")],
    "batch_size": [
        Interval(Integral, 1, None, closed="left"),
        StrOptions({"auto"}),
    ],
    "epochs": [Interval(Integral, 1, None, closed="left")],
    "schedule_epochs": [Interval(Integral, 1, None, closed="left"), None],
    "warm_start": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
    "patience": [Interval(Integral, 1, None, closed="left")],
    "restore_best_weights": ["boolean"],
    "class_weight": [dict, StrOptions({"balanced"}), None],
    "pixel_range": [StrOptions({"auto", *PIXEL_TOPS}), None],
    "image_shape": [tuple, list, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "callbacks": [list, None],
    "cache_dir": [str, os.PathLike, None],
}


def _positive_ints(value):
    return isinstance(value, (tuple, list)) and all(
        isinstance(v, Integral) and not isinstance(v, bool) and v > 0 for v in value
    )


class _RoutedParamsMixin:
    """Routed ``<prefix>__<name>`` parameters, and checks beyond constraints."""

    #: Prefixes of the SciKeras-style routed parameters this class accepts;
    #: ``model__`` only where the network is the user's.
    _routing_prefixes_allowed = tuple(p for p in _ROUTING_PREFIXES if p != "model__")

    def _store_routed(self, kwargs):
        # SciKeras-style routed parameters (``optimizer__beta_1=...``) are
        # stored as attributes. Any other unknown keyword is a mistake, and
        # is reported now rather than at ``fit`` (as skorch does).
        self._check_routed_names(kwargs)
        self._check_model_params(kwargs)
        vars(self).update(kwargs)
        if kwargs:
            self._user_params = set(kwargs)

    def _check_routed_names(self, names=None):
        names = getattr(self, "_user_params", ()) if names is None else names
        allowed = self._routing_prefixes_allowed
        for key in names:
            if key.startswith(allowed):
                continue
            hint = ""
            if key.startswith("model__") or key in ("model", "build_fn"):
                hint = (
                    " To train a network of your own, use "
                    "skfashion.models.KerasImageClassifier(model=...)."
                )
            raise TypeError(
                f"{type(self).__name__}.__init__() got an unexpected keyword "
                f"argument {key!r}. Check the spelling against get_params(); "
                "routed Keras parameters must start with one of "
                f"{', '.join(allowed)}.{hint}"
            )

    def _check_model_params(self, names):
        """Refuse ``model__<name>__<sub>``: only one level is routed.

        ``model__<name>`` becomes the keyword ``<name>`` of the network
        function; a deeper name would be dropped silently at the build.
        """
        nested = sorted(
            k for k in names if k.startswith("model__") and "__" in k[len("model__") :]
        )
        if nested:
            raise InvalidParameterError(
                f"{type(self).__name__} got {', '.join(map(repr, nested))}, but "
                "model__<name> parameters are routed one level deep, as the "
                "keyword <name> of the model function; a further __<sub> "
                "would be dropped. Pass the whole value as model__<name> "
                "(for example a dict) and read it in the function."
            )

    def _model_params(self):
        """The routed ``model__<name>`` parameters, as keyword arguments."""
        prefix = "model__"
        return {
            k[len(prefix) :]: v
            for k, v in self.get_params().items()
            if k.startswith(prefix) and "__" not in k[len(prefix) :]
        }

    def _check_class_weight(self):
        cw = self.class_weight
        if isinstance(cw, dict):
            bad = {
                k: v
                for k, v in cw.items()
                if not isinstance(v, Real) or not np.isfinite(v) or v < 0
            }
            if bad:
                raise ValueError(
                    "class_weight values must be finite numbers >= 0, got "
                    f"{bad!r}. Negative weights turn the loss upside down."
                )
