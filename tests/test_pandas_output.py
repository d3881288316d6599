"""Fitting under ``set_config(transform_output="pandas")`` is quiet.

SciKeras passes X and y through its own encoders (a ``FunctionTransformer``
and an ``OrdinalEncoder`` pipeline), which follow scikit-learn's global
``transform_output``: under "pandas" the first warned on every fit. The
estimators run those encoders with the default output; the user's own
transformers keep the user's setting.
"""

import warnings

import numpy as np
import sklearn
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skfashion.models import KerasMLPClassifier

N = 64


def _tiny_mlp():
    return KerasMLPClassifier(
        hidden_layer_sizes=(4,), epochs=1, batch_size=32, random_state=0
    )


def _set_output_warnings(record):
    return [
        str(w.message)
        for w in record
        if "set_output" in str(w.message) or "FunctionTransformer" in str(w.message)
    ]


def test_fit_and_predict_under_pandas_output_do_not_warn(sample):
    X, y = sample[0][:N], sample[1][:N]
    with sklearn.config_context(transform_output="pandas"):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            estimator = _tiny_mlp().fit(X, y)
            proba = estimator.predict_proba(X[:5])
            predicted = estimator.predict(X[:5])
        assert sklearn.get_config()["transform_output"] == "pandas"
    assert _set_output_warnings(record) == []
    assert isinstance(proba, np.ndarray) and proba.shape == (5, 10)
    assert isinstance(predicted, np.ndarray)
    assert set(predicted) <= set(estimator.classes_)


def test_pipeline_transformers_keep_the_pandas_output(sample):
    X, y = sample[0][:N], sample[1][:N]
    flat = X.reshape(len(X), -1)
    with sklearn.config_context(transform_output="pandas"):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            pipe = make_pipeline(MinMaxScaler(), _tiny_mlp()).fit(flat, y)
            pipe.predict(flat[:5])
    assert _set_output_warnings(record) == []
    # The scaler handed the network a DataFrame: its column names were kept.
    mlp = pipe[-1]
    assert list(mlp.feature_names_in_[:2]) == ["x0", "x1"]
