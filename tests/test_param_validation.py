"""Every estimator's constraints match its signature, and its docstring."""

import ast
import inspect
import re

import pytest

from skfashion.model_selection import HalvingEpochsSearchCV
from skfashion.models import (
    KerasCNNClassifier,
    KerasImageClassifier,
    KerasMLPClassifier,
)
from skfashion.models._registry import registered_names

ESTIMATORS = [KerasCNNClassifier, KerasMLPClassifier, KerasImageClassifier]


@pytest.mark.parametrize("cls", ESTIMATORS + [HalvingEpochsSearchCV])
def test_constraints_match_signature(cls):
    params = {
        name
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if name != "self" and p.kind is not p.VAR_KEYWORD
    }
    assert set(cls._parameter_constraints) == params


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_every_parameter_is_documented(cls):
    doc = cls.__doc__ or ""
    for name in cls._parameter_constraints:
        assert f"    {name} : " in doc, f"{cls.__name__} does not document {name}"


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_documented_defaults_are_the_real_ones(cls):
    # "name : type, default=VALUE" in the docstring must state the value the
    # signature holds (numbers compared as numbers: 2e-3 == 0.002).
    documented = dict(re.findall(r"\n    (\w+) : [^\n]*default=([^\n]+)", cls.__doc__))
    signature = inspect.signature(cls.__init__).parameters
    checked = 0
    for name, text in documented.items():
        if name not in signature:
            continue
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            continue  # a description, not a literal
        assert value == signature[name].default, f"{cls.__name__}.{name}"
        checked += 1
    assert checked >= 15


def test_registry_holds_every_public_estimator():
    assert registered_names() == sorted(cls.__name__ for cls in ESTIMATORS)


@pytest.mark.parametrize("schedule", ["cosine", "plateau"])
def test_learning_rate_callback_conflicts_with_schedule(sample, schedule):
    import keras

    X, y = sample
    with pytest.raises(ValueError, match="ReduceLROnPlateau, which sets"):
        KerasMLPClassifier(
            epochs=1,
            lr_schedule=schedule,
            callbacks=[keras.callbacks.ReduceLROnPlateau],
        ).fit(X[:50], y[:50])
    callback = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr)
    clf = KerasMLPClassifier(
        hidden_layer_sizes=(4,), epochs=1, lr_schedule=schedule, callbacks=[callback]
    )
    with pytest.raises(ValueError, match="lr_schedule='constant'"):
        clf.fit(X[:50], y[:50])
    assert not hasattr(clf, "model_")
    clf.set_params(lr_schedule="constant").fit(X[:50], y[:50])
    assert clf.n_iter_ == 1


@pytest.mark.parametrize(
    "routed, match",
    [
        ({"optimizer__beta_1": "x"}, "optimizer__beta_1 must be a number"),
        ({"optimizer__beta_1": True}, "optimizer__beta_1 must be a number"),
        ({"optimizer__no_such_option": 1}, "optimizer__no_such_option"),
    ],
)
def test_bad_routed_optimizer_parameter_is_named(sample, routed, match):
    X, y = sample
    clf = KerasMLPClassifier(
        hidden_layer_sizes=(4,), epochs=1, optimizer="adam", **routed
    )
    with pytest.raises((ValueError, TypeError), match=match):
        clf.fit(X[:50], y[:50])
