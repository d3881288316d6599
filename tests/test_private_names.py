"""skfashion's use of other packages' private names, confined and checked.

Private names of SciKeras, scikit-learn, TensorFlow and Keras change without
notice. skfashion reaches each through one module:

- SciKeras: ``skfashion/models/_scikeras.py`` (the only module that imports
  scikeras at all; its ``PRIVATE_NAMES`` lists the private methods and
  attributes the estimators rely on);
- scikit-learn: ``skfashion/_sklearn_privates.py``;
- TensorFlow and Keras: ``skfashion/_keras_privates.py``.

The tests below scan skfashion's source with ``ast`` and fail when a private
name is imported (or a Keras private attribute used) anywhere else, and
check every listed name against the installed packages, so that an upgrade
that moves or changes one fails here, with its name, rather than somewhere
in a fit.
"""

import ast
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "skfashion"

#: The one module allowed to import each package's private names.
HOMES = {
    "scikeras": "skfashion/models/_scikeras.py",
    "sklearn": "skfashion/_sklearn_privates.py",
    "tensorflow": "skfashion/_keras_privates.py",
    "keras": "skfashion/_keras_privates.py",
}

#: Every private name skfashion imports from another package, as
#: ``(module, name)``. A new one must be added here, in its home module,
#: with a comment there on why it is needed.
PRIVATE_IMPORTS = {
    ("sklearn.model_selection._search", "BaseSearchCV"),
    ("sklearn.utils._param_validation", "HasMethods"),
    ("sklearn.utils._param_validation", "Interval"),
    ("sklearn.utils._param_validation", "InvalidParameterError"),
    ("sklearn.utils._param_validation", "StrOptions"),
    ("sklearn.utils._param_validation", "validate_parameter_constraints"),
    ("sklearn.utils._param_validation", "validate_params"),
    ("sklearn.utils.validation", "_check_feature_names"),
    ("sklearn.utils.validation", "_check_sample_weight"),
    ("tensorflow.python.framework", "config"),
    ("keras.src.backend.common", "global_state"),
}

#: Files that still import private names themselves, owned by work in
#: progress elsewhere when the private names were gathered. Each needs the
#: one-line change noted; remove its entry once done, so the test tightens.
KNOWN_EXCEPTIONS = set()


def _is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_module(module):
    """Whether ``module`` is private: a ``_part``, or TF's/Keras' internals."""
    parts = module.split(".")
    return (
        any(map(_is_private, parts))
        or module.startswith("tensorflow.python")
        or module.startswith("keras.src")
    )


def _source_files():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        yield rel, ast.parse(path.read_text(encoding="utf-8"), filename=rel)


def _imports():
    """``(file, module, name)`` of every import from another package."""
    for rel, tree in _source_files():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                if node.module.split(".")[0] != "skfashion":
                    for alias in node.names:
                        yield rel, node.module, alias.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] != "skfashion":
                        yield rel, alias.name, None


def _private_imports():
    """``(file, module, name)`` of every import of another package's private."""
    for rel, module, name in _imports():
        if _private_module(module) or (name is not None and _is_private(name)):
            yield rel, module, name


def test_private_imports_are_the_listed_ones():
    found = {(module, name) for _, module, name in _private_imports()}
    new = found - PRIVATE_IMPORTS
    assert not new, (
        f"skfashion imports private names not listed in PRIVATE_IMPORTS: "
        f"{sorted(new)}. Import them in their package's module ({HOMES}) "
        "with a comment on why, and list them here."
    )
    gone = PRIVATE_IMPORTS - found
    assert not gone, f"listed but no longer imported: {sorted(gone)}"


def test_private_imports_only_in_their_module():
    misplaced = []
    for rel, module, name in _private_imports():
        home = HOMES.get(module.split(".")[0])
        if rel != home and (rel, module) not in KNOWN_EXCEPTIONS:
            misplaced.append(f"{rel}: from {module} import {name} (home: {home})")
    assert not misplaced, "\n".join(misplaced)


def test_known_exceptions_are_still_needed():
    # An exception whose file was fixed must go, so the rule tightens.
    left = {(rel, module) for rel, module, _ in _private_imports()}
    stale = KNOWN_EXCEPTIONS - left
    assert not stale, f"fixed, remove from KNOWN_EXCEPTIONS: {sorted(stale)}"


def test_only_scikeras_module_imports_scikeras():
    others = sorted(
        f"{rel}: {module}"
        for rel, module, _ in _imports()
        if module.split(".")[0] == "scikeras" and rel != HOMES["scikeras"]
    )
    assert not others, f"scikeras imported outside {HOMES['scikeras']}: {others}"


def test_keras_private_attributes_only_in_their_module():
    from skfashion._keras_privates import KERAS_PRIVATE_ATTRIBUTES

    names = set(KERAS_PRIVATE_ATTRIBUTES)
    found = []
    for rel, tree in _source_files():
        if rel == HOMES["keras"]:
            continue
        for node in ast.walk(tree):
            used = None
            if isinstance(node, ast.Attribute) and node.attr in names:
                used = node.attr
            elif isinstance(node, ast.Constant) and node.value in names:
                used = node.value  # getattr(obj, "_name")
            if used is not None:
                found.append(f"{rel}:{node.lineno}: {used}")
    assert not found, (
        f"Keras/TensorFlow private attributes used outside {HOMES['keras']}: {found}"
    )


# ------------------------------------------------------------- SciKeras
def _parameter_names(func):
    prefix = {
        inspect.Parameter.VAR_POSITIONAL: "*",
        inspect.Parameter.VAR_KEYWORD: "**",
    }
    return tuple(
        prefix.get(p.kind, "") + p.name
        for p in inspect.signature(func).parameters.values()
    )


def _scikeras_entries():
    from skfashion.models._scikeras import PRIVATE_NAMES

    return sorted(PRIVATE_NAMES.items())


@pytest.mark.parametrize(
    ("owner_name", "entry"),
    _scikeras_entries(),
    ids=[f"{o}.{n}" for (o, n), _ in _scikeras_entries()],
)
def test_scikeras_private_names_unchanged(owner_name, entry):
    import scikeras.wrappers

    owner, name = owner_name
    kind, detail, why = entry
    assert why, "each SciKeras private needs its reason"
    cls = getattr(scikeras.wrappers, owner)
    if kind == "method":
        assert callable(getattr(cls, name, None)), f"SciKeras {owner}.{name} is gone"
        assert _parameter_names(getattr(cls, name)) == detail, (
            f"SciKeras changed the parameters of {owner}.{name}: "
            f"{_parameter_names(getattr(cls, name))}, skfashion expects {detail}"
        )
    elif kind == "property":
        assert isinstance(getattr(cls, name, None), property), (
            f"SciKeras {owner}.{name} is no longer a property"
        )
    elif kind == "class attribute":
        assert hasattr(cls, name), f"SciKeras {owner}.{name} is gone"
    else:
        assert kind == "attribute"
        setter, reader = detail
        set_src = inspect.getsource(getattr(cls, setter))
        assert f"self.{name} =" in set_src, (
            f"SciKeras {owner}.{setter} no longer sets self.{name}"
        )
        read_src = inspect.getsource(getattr(cls, reader))
        # self._name, or getattr(self, "_name", default)
        assert f"self.{name}" in read_src or f'"{name}"' in read_src, (
            f"SciKeras {owner}.{reader} no longer reads self.{name}"
        )


#: The calls by which SciKeras reaches the methods skfashion overrides:
#: ``(method, what its source must call)``.
SCIKERAS_CALL_CHAIN = [
    ("fit", "self._fit("),
    ("_fit", "self._initialize("),
    ("_fit", "self._fit_keras_model("),
    ("_initialize", "self._build_keras_model()"),
    ("_initialize", "self._initialize_callbacks()"),
]


@pytest.mark.parametrize(("method", "call"), SCIKERAS_CALL_CHAIN)
def test_scikeras_still_calls_skfashion_overrides(method, call):
    from scikeras.wrappers import BaseWrapper

    assert call in inspect.getsource(getattr(BaseWrapper, method)), (
        f"SciKeras' BaseWrapper.{method} no longer calls {call}...): the "
        "estimators' override would be skipped"
    )


def test_estimators_override_the_scikeras_methods_they_list():
    from skfashion.models._base import _BaseImageClassifier
    from skfashion.models._scikeras import KerasClassifier

    for name in ("_fit_keras_model", "_build_keras_model"):
        mine = getattr(_BaseImageClassifier, name)
        assert mine is not getattr(KerasClassifier, name)
        assert _parameter_names(mine) == _parameter_names(
            getattr(KerasClassifier, name)
        )


# ------------------------------------------------------------ scikit-learn
#: The parameters skfashion passes to each scikit-learn private callable.
SKLEARN_PARAMETERS = {
    "_check_feature_names": ("estimator", "X", "reset"),
    "_check_sample_weight": ("sample_weight", "X", "dtype", "ensure_non_negative"),
    "validate_parameter_constraints": (
        "parameter_constraints",
        "params",
        "caller_name",
    ),
    "validate_params": ("parameter_constraints", "prefer_skip_nested_validation"),
    "Interval": ("type", "left", "right", "closed"),
    "StrOptions": ("options",),
    "HasMethods": ("methods",),
}


@pytest.mark.parametrize("name", sorted(SKLEARN_PARAMETERS))
def test_sklearn_private_callables_accept_what_skfashion_passes(name):
    import skfashion._sklearn_privates as privates

    obj = getattr(privates, name)
    accepted = set(_parameter_names(obj))
    missing = set(SKLEARN_PARAMETERS[name]) - accepted
    assert not missing, f"scikit-learn's {name} no longer takes {sorted(missing)}"


def test_sklearn_private_classes():
    import skfashion._sklearn_privates as privates

    assert issubclass(privates.InvalidParameterError, ValueError)
    assert issubclass(privates.InvalidParameterError, TypeError)
    # HalvingEpochsSearchCV extends these.
    assert isinstance(privates.BaseSearchCV._parameter_constraints, dict)
    assert _parameter_names(privates.BaseSearchCV._run_search)[:2] == (
        "self",
        "evaluate_candidates",
    )
    for name in privates.__all__:
        assert hasattr(privates, name)


def test_sklearn_callback_api_privates():
    # Where scikit-learn has the callback API (feature-detected), skfashion
    # opens a fit's task tree with CallbackSupportMixin._init_callback_context
    # and finds it, deep in the fit, as _callback_fit_ctx.
    import skfashion._sklearn_privates as privates

    if not privates.HAS_SKLEARN_CALLBACKS:
        assert not hasattr(privates.CallbackSupportMixin, "set_callbacks")
        return
    mixin = privates.CallbackSupportMixin
    assert {"self", "task_name", "max_subtasks"} <= set(
        _parameter_names(mixin._init_callback_context)
    )
    source = inspect.getsource(mixin._init_callback_context)
    assert "self._callback_fit_ctx =" in source

    class _Estimator(mixin):
        pass

    est = _Estimator()
    assert privates.fit_callback_context(est) is None
    context = privates.init_callback_context(est, task_name="fit", max_subtasks=2)
    assert privates.fit_callback_context(est) is context
    assert context.task_name == "fit" and context.max_subtasks == 2


# ------------------------------------------------------- TensorFlow/Keras
def test_tensorflow_determinism_switches():
    from skfashion import _keras_privates as privates

    before = privates.op_determinism_enabled()
    assert isinstance(before, bool)
    if not before:  # switching it on for a moment must be undone
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
        assert privates.op_determinism_enabled()
        privates.disable_op_determinism()
        assert not privates.op_determinism_enabled()


def test_keras_private_attributes_exist():
    import keras

    from skfashion import _keras_privates as privates

    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, name="hidden")
    inner = keras.Sequential([keras.layers.Dense(2, name="inner")])
    outputs = inner(hidden(inputs))
    model = keras.Model(inputs, outputs)
    assert len(privates.inbound_nodes(hidden)) == 1
    names = [layer.name for layer in privates.flatten_layers(model)]
    assert "hidden" in names and "inner" in names
    assert privates.keras_history(model.outputs[0]).operation is inner
    global_state = privates.keras_global_state()
    assert callable(global_state.get_global_attribute)
    assert callable(global_state.set_global_attribute)
    optimizer = keras.optimizers.AdamW()
    if keras.backend.backend() == "tensorflow":
        original = privates.all_reduce_sum_gradients(optimizer)
        assert callable(original)
        assert list(inspect.signature(original).parameters) == ["grads_and_vars"]

        def replacement(grads_and_vars):
            return list(grads_and_vars)

        privates.set_all_reduce_sum_gradients(optimizer, replacement)
        assert privates.all_reduce_sum_gradients(optimizer) is replacement


def test_this_file_scans_the_package():
    # The scan must see the modules it guards (a moved tree would pass
    # vacuously).
    files = {rel for rel, _ in _source_files()}
    assert set(HOMES.values()) <= files
    assert "skfashion/models/_base.py" in files
