"""Reproduce the five reference studies with skfashion presets.

For each study, run its protocol (search space, folds or holdout, trials,
epochs) through :func:`skfashion.model_selection.make_search`, refit the best
candidate on the 60,000 training images and score it on the 10,000 test
images, beside the figure the study claims::

    python benchmarks/bench_studies.py --study s5-mlp      # one study
    python benchmarks/bench_studies.py                     # all five (hours on CPU)
    python benchmarks/bench_studies.py --quick             # smoke run

Records ``<study>_reproduced_test_accuracy`` (target: the claimed figure),
``<study>_epochs_trained`` (the epochs the search's fits and the refit really
ran, early stopping included) and ``<study>_wall_seconds``.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from _results import record, report  # noqa: E402
from sklearn.base import clone  # noqa: E402

from skfashion.datasets import fetch_fashion_mnist  # noqa: E402
from skfashion.model_selection import get_preset, list_presets, make_search  # noqa: E402

# The presets that encode a study are those with a claimed figure to compare.
STUDIES = tuple(
    name for name in list_presets() if get_preset(name).reported_test_accuracy
)


class _EpochCountingScorer:
    """Accuracy scorer that also adds up the epochs each fitted model ran.

    A fit with early stopping runs fewer epochs than it is given, so the
    search's budget would overstate the work done.
    """

    def __init__(self):
        self.epochs = 0

    def __call__(self, estimator, X, y):
        self.epochs += estimator.n_iter_
        return estimator.score(X, y)


def run(name, X, y, X_test, y_test, *, quick):
    preset = get_preset(name)
    preset.estimator.set_params(random_state=0)
    n_iter = preset.n_iter
    if quick:
        preset.estimator.set_params(epochs=1)
        n_iter = min(n_iter, 2)
    # Serial (n_jobs=None), so the scorer's count stays in this process.
    scorer = _EpochCountingScorer()
    search = make_search(
        preset, n_iter=n_iter, random_state=0, refit=False, scoring=scorer
    )
    start = time.perf_counter()
    search.fit(X, y)
    best = clone(search.estimator).set_params(**search.best_params_).fit(X, y)
    seconds = time.perf_counter() - start
    epochs = scorer.epochs + best.n_iter_
    acc = best.score(X_test, y_test)
    print(f"{name}: best {search.best_params_}, test accuracy {acc:.4f}", flush=True)
    key = name.split("-")[0]
    return [
        record(
            f"{key}_reproduced_test_accuracy",
            acc,
            "fraction",
            target=preset.reported_test_accuracy,
        ),
        record(f"{key}_epochs_trained", epochs, "epochs", better="<="),
        record(f"{key}_wall_seconds", seconds, "s", better="<="),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", choices=STUDIES, action="append")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
    X_test, y_test = fetch_fashion_mnist(subset="test", return_X_y=True)
    if args.quick:
        X, y, X_test, y_test = X[:600], y[:600], X_test[:300], y_test[:300]
    studies = args.study or (["s5-mlp"] if args.quick else STUDIES)
    for name in studies:
        report(run(name, X, y, X_test, y_test, quick=args.quick), quick=args.quick)


if __name__ == "__main__":
    main()
