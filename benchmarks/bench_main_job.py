"""The main job, ``skfashion tune`` with no options, against the default CNN.

In one run: the default CNN (``KerasCNNClassifier()``) is trained with seeds
0, 1 and 2 on the 60,000 training images and scored on the 10,000 test
images; then the main job runs exactly as README's command does (its
search, its refit, its report) and its model is scored on the same test
images::

    python benchmarks/bench_main_job.py
    python benchmarks/bench_main_job.py --quick    # smoke run on the sample

Records ``main_job_test_accuracy``, ``main_job_minus_best_default`` (the
main job's test accuracy minus the best of the three default seeds, target
>= 0), ``main_job_wall_seconds`` (search, refit and report, target <= 1800)
and the default CNN's median/min/max over the three seeds (the same records
as ``bench_defaults.py --model cnn --repeats 3``), the search and refit
seconds, and ``main_job_wall_over_default_fit``: the main job's wall time
over the median default fit of the same run, which depends far less on
the machine's load than seconds do (as long as the load is steady). The
test split chooses
nothing: the main job picks its candidate on a holdout of the training
images.
"""

import argparse
import csv
import json
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from _results import record, report  # noqa: E402
from bench_defaults import default_runs, records_from_runs  # noqa: E402

# Imported now, with the rest: the code measured is the code at the start.
import skfashion.metrics  # noqa: E402, F401
import skfashion.model_selection  # noqa: E402, F401
import skfashion.report  # noqa: E402, F401
from skfashion.cli import main as skfashion_main  # noqa: E402
from skfashion.datasets import (  # noqa: E402
    fetch_fashion_mnist,
    load_fashion_mnist_sample,
)
from skfashion.models import load_model  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sample data, tiny run")
    parser.add_argument("--seeds", type=int, default=3, help="default CNN seeds")
    args = parser.parse_args(argv)
    runs = default_runs("cnn", quick=args.quick, seed=0, repeats=args.seeds)
    best_default = float(runs[:, 0].max())
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "main")
        command = ["tune", "--out", out, "--quiet"]
        if args.quick:
            command += ["--sample", "--epochs", "2", "--n-iter", "3"]
        start = time.perf_counter()
        rc = skfashion_main(command)
        wall = time.perf_counter() - start
        if rc:
            raise SystemExit(f"skfashion {' '.join(command)} exited with {rc}")
        model = load_model(os.path.join(out, "model.skf"))
        timings, candidates = _breakdown(out)
    if args.quick:
        bunch = load_fashion_mnist_sample()
        X_test, y_test = bunch.data, bunch.target
    else:
        X_test, y_test = fetch_fashion_mnist(subset="test", return_X_y=True)
    accuracy = float(model.score(X_test, y_test))
    for row in candidates:
        print("  " + row, flush=True)
    print(f"main job timings: {timings}", flush=True)
    print(
        f"main job: test accuracy {accuracy:.4f} in {wall:.0f} s; best default "
        f"seed {best_default:.4f}",
        flush=True,
    )
    report(
        records_from_runs("cnn", runs)
        + [
            record("main_job_test_accuracy", accuracy, "fraction"),
            record(
                "main_job_minus_best_default",
                accuracy - best_default,
                "accuracy",
                target=0.0,
            ),
            record("main_job_wall_seconds", wall, "s", target=1800.0, better="<="),
            # The same run's machine speed: the main job costs this many
            # default CNN fits, whatever the machine's load.
            record(
                "main_job_wall_over_default_fit",
                wall / float(np.median(runs[:, 1])),
                "ratio",
                target=4.0,
                better="<=",
            ),
            record("main_job_search_seconds", timings["search_seconds"], "s"),
            record("main_job_refit_seconds", timings["refit_seconds"], "s"),
        ],
        quick=args.quick,
    )


def _breakdown(out):
    """The run's timings (metrics.json) and one line per search fit."""
    with open(os.path.join(out, "metrics.json"), encoding="utf-8") as f:
        timings = json.load(f)["timings"]
    rows = []
    with open(os.path.join(out, "cv_results.csv"), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            params = {
                k[len("param_") :]: v
                for k, v in row.items()
                if k.startswith("param_") and v != ""
            }
            rows.append(
                f"rung {row.get('iter', '?')}, {row.get('n_resources', '?')} "
                f"epochs: fit {float(row['mean_fit_time']):.0f} s, score "
                f"{float(row['mean_test_score']):.4f}, {params}"
            )
    return timings, rows


if __name__ == "__main__":
    main()
