"""Keras Tuner's RandomSearch versus skfashion on S1's space and budget.

Both tools search study S1's CNN space (convolutional dropout, dense units,
dense dropout, Adam learning rate) with S1's budget: 3 random candidates, each
scored by 4-fold cross-validation with 10 epochs per fold, so 12 trainings.
The best candidate is then retrained on the whole training set and scored on
the 10,000 test images. Keras Tuner has no cross-validation of its own; like
S1, a ``RandomSearch`` subclass overrides ``run_trial`` to train one model per
fold (the same folds skfashion uses) and report their mean accuracy::

    python benchmarks/bench_tuner.py                  # 5,000 training images
    python benchmarks/bench_tuner.py --n-train 60000  # S1's data (hours on CPU)
    python benchmarks/bench_tuner.py --quick          # smoke run

Records ``keras_tuner_s1_test_accuracy``, ``keras_tuner_s1_wall_seconds``,
``skfashion_s1_test_accuracy``, ``skfashion_s1_wall_seconds`` and
``s1_search_time_ratio`` (skfashion / Keras Tuner wall time, same run).
Needs the ``bench`` extra (``pip install -e .[bench]``).
"""

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _results import record, report  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

from skfashion.datasets import fetch_fashion_mnist  # noqa: E402
from skfashion.model_selection import get_preset, make_search  # noqa: E402

SEED = 0


def s1_model(hp):
    """S1's network with Keras Tuner, as skfashion's ``s1-cnn`` preset builds it.

    Pooling pads to "same" and batch normalisation uses momentum 0.9, the two
    details where the preset departs from S1's notebook, so that both tools
    train the same network and the time ratio compares the tools alone.
    """
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.BatchNormalization(momentum=0.9),
            keras.layers.MaxPooling2D(2, padding="same"),
            keras.layers.Conv2D(128, 3, activation="relu"),
            keras.layers.BatchNormalization(momentum=0.9),
            keras.layers.MaxPooling2D(2, padding="same"),
            keras.layers.Dropout(hp.Choice("conv_dropout", [0.2, 0.3, 0.4, 0.5])),
            keras.layers.Flatten(),
            keras.layers.Dense(
                hp.Choice("dense_units", [256, 320, 384, 448, 512]), activation="relu"
            ),
            keras.layers.BatchNormalization(momentum=0.9),
            keras.layers.Dropout(hp.Choice("dropout", [0.2, 0.3, 0.4, 0.5])),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
    model.compile(
        optimizer=keras.optimizers.Adam(lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def keras_tuner_side(X, y, X_test, y_test, *, cv, epochs, trials):
    import keras_tuner as kt

    class CVRandomSearch(kt.RandomSearch):
        # One model per fold; the trial's score is their mean accuracy.
        def run_trial(self, trial, x, y, *, epochs, batch_size):
            scores = []
            for train, val in cv.split(x):
                model = self.hypermodel.build(trial.hyperparameters)
                model.fit(
                    x[train], y[train], epochs=epochs, batch_size=batch_size, verbose=0
                )
                scores.append(model.evaluate(x[val], y[val], verbose=0)[1])
            return {"val_accuracy": float(np.mean(scores))}

    images = (X.reshape(-1, 28, 28, 1) / 255.0).astype("float32")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        tuner = CVRandomSearch(
            s1_model,
            objective=kt.Objective("val_accuracy", "max"),
            max_trials=trials,
            seed=SEED,
            directory=workdir,
            project_name="s1",
        )
        tuner.search(images, y, epochs=epochs, batch_size=32)
        best_hp = tuner.get_best_hyperparameters(1)[0]
    best = s1_model(best_hp)
    best.fit(images, y, epochs=epochs, batch_size=32, verbose=0)
    seconds = time.perf_counter() - start
    test = (X_test.reshape(-1, 28, 28, 1) / 255.0).astype("float32")
    acc = best.evaluate(test, y_test, verbose=0)[1]
    print(f"Keras Tuner: best {best_hp.values}, test accuracy {acc:.4f}", flush=True)
    return acc, seconds


def skfashion_side(X, y, X_test, y_test, *, cv, epochs, trials):
    preset = get_preset("s1-cnn")
    preset.estimator.set_params(random_state=SEED, epochs=epochs)
    start = time.perf_counter()
    search = make_search(preset, n_iter=trials, cv=cv, random_state=SEED).fit(X, y)
    seconds = time.perf_counter() - start
    acc = search.score(X_test, y_test)
    print(f"skfashion: best {search.best_params_}, test accuracy {acc:.4f}", flush=True)
    return acc, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=5000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
    X_test, y_test = fetch_fashion_mnist(subset="test", return_X_y=True)
    n_train, epochs = args.n_train, 10
    if args.quick:
        n_train, epochs = 400, 1
        X_test, y_test = X_test[:300], y_test[:300]
    # The training file is not ordered by class: its first images are a fair sample.
    X, y = X[:n_train], y[:n_train]
    cv = KFold(4, shuffle=True, random_state=SEED)
    kw = dict(cv=cv, epochs=epochs, trials=3)
    kt_acc, kt_seconds = keras_tuner_side(X, y, X_test, y_test, **kw)
    sk_acc, sk_seconds = skfashion_side(X, y, X_test, y_test, **kw)
    report(
        [
            record("keras_tuner_s1_test_accuracy", kt_acc, "fraction"),
            record("keras_tuner_s1_wall_seconds", kt_seconds, "s", better="<="),
            record("skfashion_s1_test_accuracy", sk_acc, "fraction"),
            record("skfashion_s1_wall_seconds", sk_seconds, "s", better="<="),
            record(
                "s1_search_time_ratio", sk_seconds / kt_seconds, "ratio", better="<="
            ),
        ],
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
