"""How well the early rungs of the main job rank its candidates.

Every candidate of the main job's search (the ``cnn`` preset: the defaults
and the sampled ones, drawn as ``skfashion tune --seed 0`` draws them) is
trained to the last rung's epochs, continuing from one rung's epochs to the
next exactly as :class:`~skfashion.model_selection.HalvingEpochsSearchCV`
continues survivors (same learning-rate schedule, same fit cache), and its
holdout accuracy is recorded at every rung's epochs. Halving drops a
candidate on its early score; this measures what that costs: the rank
correlation between each rung's scores and the last rung's, where the
defaults and the eventual best stand at each rung, and which candidate
halving would have kept::

    python benchmarks/rung_ranking.py                     # 12,000 + 8,000 images
    python benchmarks/rung_ranking.py --train 50000 --holdout 10000   # full scale

The holdout is drawn from the training images; the test split is not read.
Rows go to ``results/rung_ranking.json``; the table in benchmarks/README.md
("Early rungs and the final ranking") is read from them.
"""

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import ParameterSampler, train_test_split  # noqa: E402

from skfashion.datasets import fetch_fashion_mnist  # noqa: E402
from skfashion.model_selection import get_preset  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def candidates(preset, seed):
    """The defaults first, then the sampled candidates, as the search draws them."""
    defaults = preset.estimator.get_params()
    out = [{k: defaults[k] for k in preset.param_distributions}]
    sampled = ParameterSampler(
        preset.param_distributions, preset.n_iter - 1, random_state=seed
    )
    out.extend(dict(p) for p in sampled)
    return out


def plain(params):
    return {
        k: (float(v) if isinstance(v, np.floating) else v) for k, v in params.items()
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=12_000)
    parser.add_argument("--holdout", type=int, default=8_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    args = parser.parse_args(argv)
    preset = get_preset("cnn")
    from skfashion.model_selection import halving_schedule

    max_epochs = preset.epochs
    rungs = halving_schedule(
        preset.n_iter, max_epochs, factor=3, min_epochs=preset.min_epochs
    )
    epochs_at = [e for _, e in rungs]
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True)
    n_train, n_hold = args.train, args.holdout
    if args.quick:
        n_train, n_hold, epochs_at = 600, 400, [1, 2]
    X_tr, X_ho, y_tr, y_ho = train_test_split(
        X, y, train_size=n_train, test_size=n_hold, stratify=y, random_state=0
    )
    cands = candidates(preset, args.seed)
    scores = np.zeros((len(cands), len(epochs_at)))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        for i, params in enumerate(cands):
            est = clone(preset.estimator).set_params(
                **params,
                cache_dir=cache,
                schedule_epochs=epochs_at[-1],
                random_state=args.seed,
            )
            for j, epochs in enumerate(epochs_at):
                est.set_params(epochs=epochs).fit(X_tr, y_tr)
                scores[i, j] = est.score(X_ho, y_ho)
            print(
                f"candidate {i}: "
                + ", ".join(
                    f"{e} ep {s:.4f}" for e, s in zip(epochs_at, scores[i], strict=True)
                )
                + f"  ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    final = scores[:, -1]
    rows = []
    for j, epochs in enumerate(epochs_at):
        rho = float(spearmanr(scores[:, j], final).statistic)
        order = np.argsort(-scores[:, j], kind="stable")
        rank = {int(c): r + 1 for r, c in enumerate(order)}
        rows.append(
            {
                "epochs": int(epochs),
                "spearman_vs_last": rho,
                "defaults_rank": rank[0],
                "final_best_rank": rank[int(np.argmax(final))],
            }
        )
        print(
            f"rung at {epochs} epochs: Spearman vs last {rho:+.2f}, defaults "
            f"rank {rank[0]}, final best's rank {rank[int(np.argmax(final))]}",
            flush=True,
        )
    # What halving keeps: ceil(n / 3) best at each rung (plus the defaults).
    alive = list(range(len(cands)))
    for j, (n_keep, _) in enumerate(rungs[1:]):
        alive = sorted(alive, key=lambda c: -scores[c, j])[:n_keep]
    halving_pick = max(set(alive) | {0}, key=lambda c: final[c])
    record = {
        "train": n_train,
        "holdout": n_hold,
        "seed": args.seed,
        "epochs_at": [int(e) for e in epochs_at],
        "candidates": [plain(c) for c in cands],
        "holdout_accuracy": scores.round(4).tolist(),
        "rungs": rows,
        "best_final": int(np.argmax(final)),
        "halving_pick": int(halving_pick),
        "halving_pick_minus_best": float(final[halving_pick] - final.max()),
        "holdout_standard_error": float(
            np.sqrt(final.max() * (1 - final.max()) / n_hold)
        ),
        "seconds": round(time.perf_counter() - start, 1),
    }
    print(json.dumps({k: record[k] for k in ("rungs", "best_final", "halving_pick")}))
    if not args.quick:
        path = os.path.join(HERE, "results", "rung_ranking.json")
        with open(path, "w") as f:
            json.dump(record, f, indent=1)
        print(f"written to {path}")


if __name__ == "__main__":
    main()
