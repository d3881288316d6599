"""``--param NAME=VALUE``: estimator parameters given on the command line.

Names are checked against the estimator's ``get_params``, and values with
the checks ``fit`` starts with, before any work: a bad value is a usage
error, reported in one line, never a failure of the training.
"""

import ast

from ._console import UserError, _one_line

MODELS = {"cnn": "KerasCNNClassifier", "mlp": "KerasMLPClassifier"}

#: Parameters that take Python objects, which no command line can give.
_PYTHON_ONLY = {
    "callbacks": (
        "it takes Keras callback objects, which a command line cannot make; "
        "for the built-in ones use --param early_stopping=True (and "
        "patience=N) or --param lr_schedule='plateau', or pass callbacks in "
        "Python: {cls}(callbacks=[...])"
    ),
}


def _parse_params(pairs):
    """``name=value`` pairs, values read as Python literals when they parse."""
    params = {}
    for pair in pairs or []:
        name, sep, raw = pair.partition("=")
        if not sep or not name.isidentifier():
            raise UserError(f"--param expects name=value, got {pair!r}")
        try:
            params[name] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            params[name] = raw
    return params


def _make_estimator(kind, params):
    """The estimator of ``--model kind`` with ``params``, all of them checked."""
    from .. import models

    cls = getattr(models, MODELS[kind])
    valid = cls().get_params()
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise UserError(
            f"unknown --param {', '.join(unknown)} for --model {kind}; valid: "
            f"{', '.join(sorted(valid))}"
        )
    estimator = cls(**params)
    _check_params(estimator, params)
    return estimator


def _check_params(estimator, given):
    """Check the parameter values of ``estimator`` as ``fit`` first does.

    ``given`` are the names the user set. The checks are those ``fit`` of
    skfashion's classifiers runs before it trains; their ValueError or
    TypeError becomes a :class:`UserError` naming --param.
    """
    for name in sorted(set(given) & set(_PYTHON_ONLY)):
        value = estimator.get_params()[name]
        if value not in (None, [], ()):
            why = _PYTHON_ONLY[name].format(cls=type(estimator).__name__)
            raise UserError(f"--param {name}={value!r}: {why}")
    try:
        estimator._validate_params()  # the _parameter_constraints
        estimator._check_routed_names()
        estimator._check_architecture()
        estimator._check_class_weight()
        estimator._check_callbacks()
    except (ValueError, TypeError) as exc:
        raise UserError(f"invalid --param value: {_one_line(exc)}") from None


def _searched_names(preset):
    spaces = preset.param_distributions
    return {
        name
        for space in (spaces if isinstance(spaces, list) else [spaces])
        for name in space
    }


def _preset_params(preset, params, *, method):
    """Check the ``--param`` values of ``tune`` against ``preset``."""
    valid = preset.estimator.get_params()
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise UserError(
            f"unknown --param {', '.join(unknown)} for preset {preset.name}; "
            f"valid: {', '.join(sorted(valid))}"
        )
    options = {"epochs": "--epochs", "random_state": "--seed"}
    for name in sorted(set(params) & set(options)):
        raise UserError(f"--param {name}: set it with {options[name]}")
    searched = sorted(set(params) & _searched_names(preset))
    if searched:
        raise UserError(
            f"--param {', '.join(searched)}: searched by preset {preset.name}, "
            "so it cannot be fixed; choose another preset or leave it out"
        )
    if method == "halving" and params.get("early_stopping"):
        raise UserError(
            "--param early_stopping=True: the halving search sets the epochs "
            "of every fit, which early stopping would cut short; leave it out "
            "or pass --method random"
        )
    return params


def _data_defaults_notice(command, estimator, given):
    """One line on the Fashion-MNIST-minded defaults that apply to ``--data``.

    The CNN mirrors training images (``horizontal_flip=True``) and, with
    ``tta="auto"``, averages each prediction with the mirror image: right
    for clothes, wrong for digits or text. None when the estimator has no
    such default in force or ``given`` (the parameters the user set, or
    the search space) includes it.
    """
    params = estimator.get_params()
    if not params.get("horizontal_flip") or "horizontal_flip" in given:
        return None
    applied = ["horizontal_flip=True (training images mirrored at random)"]
    if params.get("tta") == "auto" and "tta" not in given:
        applied.append("tta='auto' (predictions averaged with mirror images)")
    return (
        f"skfashion {command}: note: {type(estimator).__name__} keeps its "
        f"Fashion-MNIST defaults {' and '.join(applied)} on --data; if "
        "left-right orientation tells your classes apart (digits, text), "
        "pass --param horizontal_flip=False"
    )
