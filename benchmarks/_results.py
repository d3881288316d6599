"""Recording benchmark figures in ``benchmarks/results/latest.json``.

Each figure is a record ``{"name", "value", "unit", "target", "better",
"command", "machine", "commit", "date"}``. A run replaces the records of the
same name and keeps the others. ``--quick`` runs write to ``quick.json`` instead, so a
smoke run never overwrites a full-data figure.
"""

import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# Figures that pair a test accuracy with the time it took, for README.md's
# headline table and the accuracy-against-time plot:
# (label, kind, accuracy record, seconds record); kind is ours, peer or study.
ACCURACY_TIME = [
    ("skfashion CNN, defaults", "ours", "cnn_default_test_accuracy",
     "cnn_default_train_seconds"),
    ("skfashion MLP, defaults", "ours", "mlp_default_test_accuracy",
     "mlp_default_train_seconds"),
    ("skfashion tune, the main job (search + refit)", "ours",
     "main_job_test_accuracy", "main_job_wall_seconds"),
    ("scikit-learn MLPClassifier (512, 256)", "peer", "sklearn_mlp_test_accuracy",
     "sklearn_mlp_train_seconds"),
    ("S1 space via skfashion (subset)", "ours", "skfashion_s1_test_accuracy",
     "skfashion_s1_wall_seconds"),
    ("S1 space via Keras Tuner (subset)", "peer", "keras_tuner_s1_test_accuracy",
     "keras_tuner_s1_wall_seconds"),
    *[
        (f"S{i} protocol via skfashion", "study", f"s{i}_reproduced_test_accuracy",
         f"s{i}_wall_seconds")
        for i in range(1, 6)
    ],
]  # fmt: skip


def accuracy_time_pairs(records):
    """``(label, kind, accuracy record, seconds record)`` found in ``records``.

    ``records`` maps names to records; pairs with a missing record are left out.
    """
    return [
        (label, kind, records[acc], records[secs])
        for label, kind, acc, secs in ACCURACY_TIME
        if acc in records and secs in records
    ]


def machine():
    """A short description of the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, {platform.system()}"


def source_version():
    """Commit the figures come from, with ``+dirty`` for uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            # Only the code that is measured counts, not docs or the results.
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "skfashion",
                "benchmarks/*.py",
                "pyproject.toml",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None  # not a git checkout (an installed copy, an archive)
    return head + ("+dirty" if dirty else "")


# Taken when the run starts: the code measured is the code at that moment.
SOURCE_VERSION = source_version()


def record(name, value, unit, *, target=None, better=">="):
    """Build one result record for the running command."""
    return {
        "name": name,
        "value": float(value) if not isinstance(value, int) else value,
        "unit": unit,
        "target": target,
        "better": better,
        "command": "python " + " ".join(shlex.quote(a) for a in sys.argv),
        "machine": machine(),
        "commit": SOURCE_VERSION,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }


def meets_target(r):
    """Whether record ``r`` meets its target (call only when it has one)."""
    if r["better"] == ">=":
        return r["value"] >= r["target"]
    if r["better"] == ">":
        return r["value"] > r["target"]
    return r["value"] <= r["target"]


def report(records, *, quick):
    """Print the records and merge them into the results file atomically."""
    for r in records:
        target = ""
        if r["target"] is not None:
            met = "met" if meets_target(r) else "NOT met"
            target = f"  (target {r['better']} {r['target']}: {met})"
        print(f"{r['name']} = {r['value']:.4g} {r['unit']}{target}", flush=True)
    path = RESULTS_DIR / ("quick.json" if quick else "latest.json")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    existing = json.loads(path.read_text()) if path.exists() else []
    names = {r["name"] for r in records}
    merged = [r for r in existing if r["name"] not in names] + list(records)
    merged.sort(key=lambda r: r["name"])
    fd, tmp = tempfile.mkstemp(dir=RESULTS_DIR, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(merged, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
    return path
