"""Recording benchmark figures in ``benchmarks/results/latest.json``.

Each figure is a record ``{"name", "value", "unit", "target", "better",
"command", "machine", "date"}``. A run replaces the records of the same name
and keeps the others. ``--quick`` runs write to ``quick.json`` instead, so a
smoke run never overwrites a full-data figure.
"""

import datetime
import json
import os
import platform
import shlex
import sys
import tempfile
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


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
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }


def report(records, *, quick):
    """Print the records and merge them into the results file atomically."""
    for r in records:
        target = ""
        if r["target"] is not None:
            ok = (
                r["value"] >= r["target"]
                if r["better"] == ">="
                else r["value"] <= r["target"]
            )
            target = (
                f"  (target {r['better']} {r['target']}: {'met' if ok else 'NOT met'})"
            )
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
