"""The defaults on data other than the full Fashion-MNIST, against peers.

Rows: Fashion-MNIST with 500, 2,000 and 10,000 stratified training images
(tested on the 10,000 test images); scikit-learn's digits with a fixed
stratified one-third test split; an RGB set of 32x32 patches cut from
scikit-learn's two sample photos, 4 classes (photo x left or right half),
with a fixed one-third test split. Columns: the CNN and MLP with their
defaults, LogisticRegression and SVC (on pixels divided by the scale's top),
median over seeds, and each fit's seconds; and ``tune``: the search
``skfashion tune --data ... --budget 4`` runs (``preset_for_data`` with a
budget of 4 default fits, halving on epochs, the defaults carried to the
last rung, the winner refit on the row's training images), seed 0, tested
once on the row's test split, with its "Did tuning pay?" comparison on the
search's own holdout. Also the quickstart snippet of docs/quickstart.rst
as written, against LogisticRegression on its split.

Figures in ``results/latest.json``; the table goes to ``results/any_data.json``
and benchmarks/README.md renders it. Usage::

    python benchmarks/bench_any_data.py            # 3 seeds, every row
    python benchmarks/bench_any_data.py --quick    # smoke run
    python benchmarks/bench_any_data.py --only-tune   # the tune column only,
                                   # into the rows of results/any_data.json
"""

import argparse
import json
import time

import numpy as np
from _results import RESULTS_DIR, record, report
from sklearn.datasets import load_digits, load_sample_images
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC
from table import any_data_table

from skfashion.model_selection import make_search, preset_for_data, tuning_gain
from skfashion.models import KerasCNNClassifier, KerasMLPClassifier

TABLE = RESULTS_DIR / "any_data.json"


def fashion_rows(sizes, *, quick):
    from skfashion.datasets import fetch_fashion_mnist, load_fashion_mnist_sample

    if quick:
        X, y = load_fashion_mnist_sample(return_X_y=True)
        X, X_test, y, y_test = train_test_split(
            X, y, test_size=300, stratify=y, random_state=0
        )
    else:
        X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
        X_test, y_test = fetch_fashion_mnist(subset="test", return_X_y=True)
    for n in sizes:
        X_tr, _, y_tr, _ = train_test_split(
            X, y, train_size=n, stratify=y, random_state=0
        )
        yield f"fashion-{n}", X_tr, y_tr, X_test, y_test, 255.0


def digits_row():
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=1 / 3, stratify=y, random_state=0
    )
    yield "digits", X_tr.reshape(-1, 8, 8), y_tr, X_te.reshape(-1, 8, 8), y_te, 16.0


def photo_patches(size=32):
    """32x32 RGB patches of the two sample photos; class = photo x half."""
    images, labels = [], []
    for k, photo in enumerate(load_sample_images().images):
        h, w = (s // size * size for s in photo.shape[:2])
        for top in range(0, h, size):
            for left in range(0, w, size):
                images.append(photo[top : top + size, left : left + size])
                labels.append(2 * k + int(left + size // 2 >= w // 2))
    return np.stack(images).astype(np.uint8), np.array(labels)


def rgb_row():
    X, y = photo_patches()
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=1 / 3, stratify=y, random_state=0
    )
    yield "photos-rgb", X_tr, y_tr, X_te, y_te, 255.0


def fit_score(make, X_tr, y_tr, X_te, y_te):
    start = time.perf_counter()
    clf = make().fit(X_tr, y_tr)
    seconds = time.perf_counter() - start
    return float(clf.score(X_te, y_te)), seconds


def quickstart():
    """docs/quickstart.rst's first snippet as written, and LogisticRegression."""
    from skfashion.datasets import load_fashion_mnist_sample

    X, y = load_fashion_mnist_sample(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    clf = KerasCNNClassifier(
        conv_filters=(16, 32), dense_units=64, epochs=8, random_state=0
    )
    clf.fit(X_train, y_train)
    logreg = LogisticRegression(max_iter=2000).fit(X_train / 255.0, y_train)
    return clf.score(X_test, y_test), logreg.score(X_test / 255.0, y_test)


TUNE_BUDGET = 4.0


def tune_row(row, *, quick, seed=0):
    """``skfashion tune --budget 4``'s search on the row, scored once on its test."""
    name, X_tr, y_tr, X_te, y_te, _ = row
    preset = preset_for_data(len(X_tr), budget=TUNE_BUDGET)
    if quick:
        preset.estimator.set_params(epochs=2, conv_filters=(8, 16), dense_units=32)
    search = make_search(preset, method="halving", random_state=seed)
    start = time.perf_counter()
    search.fit(X_tr, y_tr)
    seconds = time.perf_counter() - start
    gain = tuning_gain(search)
    out = {
        "tune": float(search.best_estimator_.score(X_te, y_te)),
        "tune_seconds": seconds,
        "tune_budget_fits": preset.budget_fits,
        "tune_protocol": type(preset.cv).__name__,
        "tune_winner_is_defaults": bool(gain.get("winner_is_defaults", False)),
        "tune_holdout_gain": gain.get("difference"),
        "tune_holdout_gain_se": gain.get("standard_error"),
        "tune_best_params": {
            k: (v if isinstance(v, (int, str, bool, type(None))) else str(v))
            for k, v in search.best_params_.items()
        },
    }
    print(json.dumps({"data": name, **out}), flush=True)
    return out


def run_row(row, seeds, *, quick):
    name, X_tr, y_tr, X_te, y_te, top = row
    flat_tr = X_tr.reshape(len(X_tr), -1) / top
    flat_te = X_te.reshape(len(X_te), -1) / top
    epochs = {"epochs": 2} if quick else {}
    makers = {
        "cnn": lambda s: lambda: KerasCNNClassifier(random_state=s, **epochs),
        "mlp": lambda s: lambda: KerasMLPClassifier(random_state=s, **epochs),
    }
    out = {"data": name, "n_train": len(X_tr), "n_test": len(X_te)}
    for column, maker in makers.items():
        runs = [fit_score(maker(s), X_tr, y_tr, X_te, y_te) for s in seeds]
        out[column] = float(np.median([a for a, _ in runs]))
        out[f"{column}_seconds"] = float(np.median([t for _, t in runs]))
        out[f"{column}_runs"] = [round(a, 4) for a, _ in runs]
    for column, make in (
        ("logreg", lambda: LogisticRegression(max_iter=2000)),
        ("svc", SVC),
    ):
        acc, seconds = fit_score(make, flat_tr, y_tr, flat_te, y_te)
        out[column], out[f"{column}_seconds"] = acc, seconds
    out.update(tune_row(row, quick=quick))
    print(json.dumps(out), flush=True)
    return out


def records(rows, quick_acc, quick_logreg):
    cnn_minus_logreg = min(r["cnn"] - r["logreg"] for r in rows)
    big = [r for r in rows if r["data"].startswith("fashion-") and r["n_train"] >= 2000]
    out = [
        record(
            "any_data_cnn_minus_logreg_min", cnn_minus_logreg, "fraction", target=0.0
        ),
        record("quickstart_test_accuracy", quick_acc, "fraction"),
        record(
            "quickstart_minus_logreg", quick_acc - quick_logreg, "fraction", target=0.0
        ),
    ]
    out += tune_records(rows)
    if big:
        out.append(
            record(
                "any_data_fashion_cnn_minus_svc_min",
                min(r["cnn"] - r["svc"] for r in big),
                "fraction",
                target=0.0,
            )
        )
    return out


def tune_records(rows):
    """The tune column against the CNN defaults and SVC of the same rows."""
    tuned = [r for r in rows if "tune" in r]
    out = []
    if tuned:
        gains = [r["tune"] - r["cnn"] for r in tuned]
        out += [
            record("tune_minus_default_min", min(gains), "fraction", target=0.0),
            record(
                "tune_minus_default_mean",
                float(np.mean(gains)),
                "fraction",
                target=0.01,
            ),
            # Paired: the search's seed is 0, and its defaults candidate is
            # the CNN defaults with seed 0 (the first of cnn_runs).
            record(
                "tune_minus_same_seed_default_min",
                min(r["tune"] - r["cnn_runs"][0] for r in tuned),
                "fraction",
            ),
            record(
                "tune_minus_svc_min",
                min(r["tune"] - r["svc"] for r in tuned),
                "fraction",
                target=0.0,
            ),
        ]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sample, 2 epochs, 1 seed")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--only-tune",
        action="store_true",
        help="run only the tune column, into the stored rows of the other columns",
    )
    args = parser.parse_args(argv)
    seeds = [0] if args.quick else list(range(args.seeds))
    sizes = [300] if args.quick else [500, 2000, 10_000]
    data = [*fashion_rows(sizes, quick=args.quick), *digits_row(), *rgb_row()]
    if args.only_tune:
        stored = {r["data"]: r for r in json.loads(TABLE.read_text())}
        rows = [{**stored[row[0]], **tune_row(row, quick=False)} for row in data]
        TABLE.write_text(json.dumps(rows, indent=1) + "\n")
        print(any_data_table(rows))
        report(tune_records(rows), quick=False)
        return
    rows = [run_row(row, seeds, quick=args.quick) for row in data]
    quick_acc, quick_logreg = quickstart()
    print(any_data_table(rows))
    print(f"quickstart {quick_acc:.4f}, LogisticRegression {quick_logreg:.4f}")
    if not args.quick:
        TABLE.write_text(json.dumps(rows, indent=1) + "\n")
    report(records(rows, quick_acc, quick_logreg), quick=args.quick)


if __name__ == "__main__":
    main()
