"""Plot test accuracy against training time from ``results/latest.json``.

::

    python benchmarks/plot_results.py   # writes results/accuracy_vs_time.png
    python benchmarks/plot_results.py --out other.png

Each point is one recorded (accuracy, seconds) pair: skfashion's default
models, scikit-learn's MLP, the study reproductions (search and refit) and
the Keras Tuner comparison. The accuracy each study reports (from the
presets), which comes without a training time, is drawn as a dashed line.
Only recorded figures are plotted; a pair missing from the file is left out.
"""

import argparse
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from _results import accuracy_time_pairs  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"


def study_claims():
    """Test accuracy each study reports, from the skfashion presets."""
    from skfashion.model_selection import get_preset, list_presets

    return {
        name.split("-")[0].upper(): get_preset(name).reported_test_accuracy
        for name in list_presets()
        if name[0] == "s" and name[1].isdigit()
    }


def plot(records, ax):
    pairs = accuracy_time_pairs(records)
    markers = {"ours": "o", "peer": "s", "study": "^"}
    for label, kind, acc, secs in pairs:
        x, y = secs["value"], acc["value"]
        ax.scatter(x, y, marker=markers[kind], s=50, zorder=3)
        # Peers label below their point and the others above, so that points
        # at nearly the same accuracy and time keep their labels apart.
        offset = (5, -12) if kind == "peer" else (5, 4)
        ax.annotate(label, (x, y), xytext=offset, textcoords="offset points")
    for study, claim in sorted(study_claims().items()):
        ax.axhline(claim, color="grey", linestyle="--", linewidth=0.8)
        ax.annotate(
            f"{study} claims {claim:.3f}",
            (0.0, claim),
            xycoords=("axes fraction", "data"),
            xytext=(3, 2),
            textcoords="offset points",
            ha="left",
            fontsize=8,
            color="grey",
        )
    # Room on the left for the claims' labels, on the right for the points'.
    ax.margins(x=0.5)
    ax.set_xscale("log")
    ax.set_xlabel("training time on the benchmark machine (s, log scale)")
    ax.set_ylabel("test accuracy (10,000 images)")
    ax.set_title("Fashion-MNIST: accuracy against training time")
    ax.grid(True, which="both", alpha=0.3)
    return len(pairs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument(
        "--out", type=Path, default=RESULTS.with_name("accuracy_vs_time.png")
    )
    parser.add_argument("--quick", action="store_true", help="accepted for CI; no-op")
    args = parser.parse_args(argv)
    records = {r["name"]: r for r in json.loads(args.results.read_text())}
    fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
    n = plot(records, ax)
    # Write next to the target and rename, so a failed run leaves the old plot.
    fd, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, args.out)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f"{n} points written to {args.out}")


if __name__ == "__main__":
    main()
