"""Choose the default recipes on a validation split of the training images.

The test split plays no part here. Each variant is trained on a stratified
50,000-image part of the 60,000 training images and scored on the other
10,000 (seed 0); the table of (variant, validation accuracy, seconds) goes
to ``benchmarks/results/selection.json`` and is rendered into
``benchmarks/README.md`` by ``table.py``::

    python benchmarks/select_defaults.py --model cnn --variants smooth-dense512 --seed 3
    python benchmarks/select_defaults.py --model cnn --variants NAME --tta shift
    python benchmarks/select_defaults.py --quick      # smoke run

Rows of seeds other than 0 are recorded as ``"<variant> (seed N)"``.

Variants are parameter changes relative to the estimator's defaults at the
time they run, so a name means one network only while the defaults stand
still. Each row records every parameter it trained with (``"resolved"``),
and the script refuses to run a variant whose recorded rows trained with
other parameters, or were recorded before rows kept them: a variant on top
of new defaults gets a new name. ``smooth-dense512`` trains the current
CNN defaults.
"""

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from sklearn.model_selection import train_test_split  # noqa: E402

from skfashion.datasets import fetch_fashion_mnist  # noqa: E402
from skfashion.models import KerasCNNClassifier, KerasMLPClassifier  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "selection.json"

VARIANTS = {
    "cnn": {
        "default": {},
        "ema": {"ema_momentum": 0.99},
        "smooth": {"label_smoothing": 0.1},
        "shift": {"shift": 0.07},
        "flip": {"horizontal_flip": True},
        "3blocks": {"conv_filters": (32, 64, 128)},
        "3blocks-ema-smooth": {
            "conv_filters": (32, 64, 128),
            "ema_momentum": 0.99,
            "label_smoothing": 0.1,
        },
        "wide": {"conv_filters": (48, 96), "dense_units": 384},
        "2convs": {"convs_per_block": 2},
        "bn": {"batch_norm": True},
        "bn-3blocks": {"batch_norm": True, "conv_filters": (32, 64, 128)},
        "bn-lr4e-3": {"batch_norm": True, "learning_rate": 4e-3},
        "bn-lr8e-3": {"batch_norm": True, "learning_rate": 8e-3},
        "bn-lr4e-3-smooth": {
            "batch_norm": True,
            "learning_rate": 4e-3,
            "label_smoothing": 0.1,
        },
        # Relative to the defaults with batch norm on and lr 4e-3:
        "smooth-dense512": {"label_smoothing": 0.1, "dense_units": 512},
        "shift1px": {"shift": 0.04},
        "epochs35": {"epochs": 35},
        "bn-3blocks-lr4e-3": {"conv_filters": (32, 64, 128)},
        "smooth-dense512-shift1px-epochs35": {
            "label_smoothing": 0.1,
            "dense_units": 512,
            "shift": 0.04,
            "epochs": 35,
        },
        # Where each block's batch norm goes; "bn-after-conv" was the
        # defaults' own network in that round (256 dense units, no smoothing).
        "bn-after-pool": {"batch_norm": "after_pool"},
        "bn-after-conv": {"batch_norm": "after_conv"},
        "bn-after-pool-smooth-dense512": {
            "batch_norm": "after_pool",
            "label_smoothing": 0.1,
            "dense_units": 512,
        },
        # Relative to the defaults with label smoothing 0.1 and 512 dense units:
        "wd5e-3": {"weight_decay": 5e-3},
        "wd5e-2": {"weight_decay": 5e-2},
        "erase0.5": {"random_erasing": 0.5},
        "dense512-epochs35": {"epochs": 35},
        # Capacity and flips on top of the same defaults: a third block
        # (128 filters on 7x7 maps, about 1.5x the multiply-adds) and
        # horizontal flips in training only.
        "d512-3blocks": {"conv_filters": (32, 64, 128)},
        "d512-flip": {"horizontal_flip": True},
        "d512-3blocks-flip": {"conv_filters": (32, 64, 128), "horizontal_flip": True},
        # Relative to the flip defaults (batch 128, learning rate 4e-3): 256
        # images per step (about 10% more training images per second), at
        # the same and at a higher rate. The second became the defaults.
        "flip-b256": {"batch_size": 256, "learning_rate": 4e-3},
        "flip-b256-lr6e-3": {"batch_size": 256, "learning_rate": 6e-3},
    },
    "mlp": {
        "default": {},
        "ema": {"ema_momentum": 0.99},
        "smooth": {"label_smoothing": 0.1},
        "ema-smooth": {"ema_momentum": 0.99, "label_smoothing": 0.1},
        "smooth-epochs50": {"label_smoothing": 0.1, "epochs": 50},
        "smooth-epochs45-1024-512": {
            "label_smoothing": 0.1,
            "epochs": 45,
            "hidden_layer_sizes": (1024, 512),
        },
        "1024-512": {"hidden_layer_sizes": (1024, 512)},
        "1024-512-epochs20": {"hidden_layer_sizes": (1024, 512), "epochs": 20},
        "1024-512-d0.4": {"hidden_layer_sizes": (1024, 512), "dropout": 0.4},
        "1024-1024-d0.4": {"hidden_layer_sizes": (1024, 1024), "dropout": 0.4},
        "dropout0.4": {"dropout": 0.4},
        "epochs50": {"epochs": 50},
        "1024-512-d0.4-ema-smooth": {
            "hidden_layer_sizes": (1024, 512),
            "dropout": 0.4,
            "ema_momentum": 0.99,
            "label_smoothing": 0.1,
        },
    },
}


def row_key(name, seed):
    """The name of a variant's row in selection.json for one seed."""
    return name if seed == 0 else f"{name} (seed {seed})"


def parse_row_key(key):
    """``(variant, tta)`` of a row name: the inverse of :func:`row_key`.

    ``tta`` is the kind of a ``"+tta-KIND"`` row, or ``""``.
    """
    variant, _, tta = key.split(" (seed ")[0].partition("+tta-")
    return variant, tta


def as_json(value):
    """``value`` as it reads back from selection.json (tuples become lists)."""
    return json.loads(json.dumps(value, default=list))


# Not part of what is trained: these never change a row's meaning.
_NOT_RECORDED = ("random_state", "verbose", "callbacks", "cache_dir")


def resolved_params(est):
    """Every parameter a variant trains with, in JSON form (defaults included)."""
    params = {k: v for k, v in est.get_params().items() if k not in _NOT_RECORDED}
    return as_json(params)


def recorded_params(trained, row_params):
    """What a row records as its full parameters.

    ``trained`` is :func:`resolved_params` of the fitted variant; a
    ``"+tta-KIND"`` row was scored with ``tta=KIND``, a plain row with the
    variant's own ``tta`` (the default's, unless the variant sets one).
    """
    return {**trained, "tta": row_params.get("tta", trained["tta"])}


def _refuse_changed_meaning(parser, rows, name, est):
    """Refuse to run ``name`` if its recorded rows trained something else.

    A variant is a change relative to the defaults of its day, so the same
    name trains a different network once a default moves. Its rows (every
    seed) must have recorded the full parameters, and those must be the ones
    the variant resolves to now; otherwise the variant needs a new name.
    """
    now = resolved_params(est)
    for key, row in rows.items():
        base, tta = parse_row_key(key)
        if base != name:
            continue
        if "resolved" not in row:
            parser.error(
                f"variant {name!r}: its row {key!r} was recorded against the "
                "defaults of its day, without its full parameters, so a new "
                "run may not train the same network; add the variant under a "
                "new name in VARIANTS."
            )
        # A "+tta-KIND" row is the same training scored with that TTA.
        wanted = recorded_params(now, {"tta": tta} if tta else {})
        recorded = row["resolved"]
        changed = sorted(
            k for k in set(wanted) | set(recorded) if wanted.get(k) != recorded.get(k)
        )
        if changed:
            parser.error(
                f"variant {name!r} now trains with different {', '.join(changed)} "
                f"than its recorded row {key!r}; give the changed variant a new "
                "name so that the recorded row keeps its meaning."
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["cnn", "mlp"], default="mlp")
    parser.add_argument("--variants", help="comma-separated subset of the variants")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument(
        "--tta",
        choices=["shift", "flip"],
        help="also score each fitted variant with this test-time augmentation "
        "(recorded as '<variant>+tta-<kind>', same training)",
    )
    args = parser.parse_args()
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
    X_fit, X_val, y_fit, y_val = train_test_split(
        X, y, test_size=10_000, stratify=y, random_state=0
    )
    names = list(VARIANTS[args.model])
    if args.variants:
        names = args.variants.split(",")
    if args.quick:
        X_fit, y_fit, X_val, y_val = (
            X_fit[:1000],
            y_fit[:1000],
            X_val[:500],
            y_val[:500],
        )
        names = names[:2]
    cls = KerasCNNClassifier if args.model == "cnn" else KerasMLPClassifier
    store = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for name in names:
        if name not in VARIANTS[args.model]:
            parser.error(
                f"--variants: unknown {args.model} variant {name!r}; "
                f"choose from {', '.join(VARIANTS[args.model])}."
            )
        if not args.quick:
            variant = cls(**VARIANTS[args.model][name])
            _refuse_changed_meaning(parser, store.get(args.model, {}), name, variant)
    for name in names:
        params = dict(VARIANTS[args.model][name], random_state=args.seed)
        if args.quick:
            params["epochs"] = 1
        est = cls(**params)
        start = time.perf_counter()
        est.fit(X_fit, y_fit)
        seconds = time.perf_counter() - start
        acc = float(est.score(X_val, y_val))
        print(f"{args.model} {name}: validation {acc:.4f}, {seconds:.0f} s", flush=True)
        trained = resolved_params(est)  # before --tta changes how it scores
        rows = {name: (params, acc)}
        if args.tta:
            est.set_params(tta=args.tta)
            tta_acc = float(est.score(X_val, y_val))
            print(f"  with tta={args.tta!r}: validation {tta_acc:.4f}", flush=True)
            rows[f"{name}+tta-{args.tta}"] = ({**params, "tta": args.tta}, tta_acc)
        if args.quick:
            continue
        for row_name, (row_params, row_acc) in rows.items():
            store.setdefault(args.model, {})[row_key(row_name, args.seed)] = {
                "params": {k: v for k, v in row_params.items() if k != "random_state"},
                "resolved": recorded_params(trained, row_params),
                "seed": args.seed,
                "validation_accuracy": round(row_acc, 4),
                "seconds": round(seconds, 1),
                "train_accuracy": round(float(est.history_["accuracy"][-1]), 4),
            }
        RESULTS.parent.mkdir(exist_ok=True)
        tmp = RESULTS.with_suffix(".tmp")
        tmp.write_text(json.dumps(store, indent=1, default=list) + "\n")
        os.replace(tmp, RESULTS)


if __name__ == "__main__":
    main()
