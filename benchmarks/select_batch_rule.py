"""Choose the rule of ``batch_size="auto"`` on validation splits.

For each training-set size, the default CNN (and MLP) is trained with fixed
batch sizes and scored on a validation split carved from the *training*
images, never on a test split:

- Fashion-MNIST: 500, 2,000 and 10,000 stratified training images, scored on
  10,000 other training images;
- scikit-learn's digits: the two thirds left by bench_any_data.py's fixed
  test split, cut into 75% training and 25% validation images.

Rows go to ``benchmarks/results/batch_rule.json``; benchmarks/README.md
quotes them. Usage::

    python benchmarks/select_batch_rule.py             # seed 0, every row
    python benchmarks/select_batch_rule.py --quick     # smoke run
"""

import argparse
import json
import time
from pathlib import Path

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skfashion.models import KerasCNNClassifier, KerasMLPClassifier, auto_batch_size

OUT = Path(__file__).resolve().parent / "results" / "batch_rule.json"


def fashion_rows(sizes, *, quick):
    from skfashion.datasets import fetch_fashion_mnist, load_fashion_mnist_sample

    if quick:
        X, y = load_fashion_mnist_sample(return_X_y=True)
        val = 300
    else:
        X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
        val = 10_000
    X_rest, X_val, y_rest, y_val = train_test_split(
        X, y, test_size=val, stratify=y, random_state=0
    )
    for n in sizes:
        X_tr, _, y_tr, _ = train_test_split(
            X_rest, y_rest, train_size=n, stratify=y_rest, random_state=0
        )
        yield f"fashion-{n}", X_tr, y_tr, X_val, y_val


def digits_row():
    X, y = load_digits(return_X_y=True)
    # The same fixed split as bench_any_data.py: its test third is never used.
    X_rest, _, y_rest, _ = train_test_split(
        X, y, test_size=1 / 3, stratify=y, random_state=0
    )
    X_tr, X_val, y_tr, y_val = train_test_split(
        X_rest, y_rest, test_size=0.25, stratify=y_rest, random_state=0
    )
    yield "digits", X_tr.reshape(-1, 8, 8), y_tr, X_val.reshape(-1, 8, 8), y_val


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", choices=["cnn", "mlp"], default="cnn")
    parser.add_argument("--sizes", type=int, nargs="*", default=[500, 2000, 10_000])
    parser.add_argument(
        "--batches", type=int, nargs="*", default=[16, 32, 64, 128, 256]
    )
    parser.add_argument("--no-digits", action="store_true")
    args = parser.parse_args(argv)
    sizes = [300] if args.quick else args.sizes
    batches = [16, 32] if args.quick else args.batches
    rows = json.loads(OUT.read_text()) if OUT.exists() and not args.quick else []
    data = list(fashion_rows(sizes, quick=args.quick))
    if not args.no_digits:
        data += list(digits_row())
    cls = KerasCNNClassifier if args.model == "cnn" else KerasMLPClassifier
    for name, X_tr, y_tr, X_val, y_val in data:
        for batch in batches:
            if batch > len(X_tr) // 4:
                continue
            params = dict(batch_size=batch, random_state=args.seed)
            if args.quick:
                params["epochs"] = 2
            start = time.perf_counter()
            clf = cls(**params).fit(X_tr, y_tr)
            seconds = time.perf_counter() - start
            row = {
                "data": name,
                "model": args.model,
                "n_train": len(X_tr),
                "batch_size": batch,
                "auto": auto_batch_size(len(X_tr)),
                "seed": args.seed,
                "validation_accuracy": round(float(clf.score(X_val, y_val)), 4),
                "fit_seconds": round(seconds, 1),
            }
            print(json.dumps(row), flush=True)
            rows.append(row)
            if not args.quick:
                OUT.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
