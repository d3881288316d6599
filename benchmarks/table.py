"""Render ``results/latest.json`` as the Markdown tables of the READMEs.

::

    python benchmarks/table.py            # print the tables
    python benchmarks/table.py --write    # refresh them in both READMEs

``benchmarks/README.md`` gets every figure and the studies table; the
project's README.md gets the headline rows (models, peers) and the studies
table, so that no figure in either is typed by hand. The figures the studies
claim come from the presets of :mod:`skfashion.model_selection`.
"""

import argparse
import json
from pathlib import Path

from _results import accuracy_time_pairs, meets_target

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
HEAD_BEGIN, HEAD_END = "<!-- headline:begin -->", "<!-- headline:end -->"
STUDY_BEGIN, STUDY_END = "<!-- studies:begin -->", "<!-- studies:end -->"
SELECT_BEGIN, SELECT_END = "<!-- selection:begin -->", "<!-- selection:end -->"
ANY_BEGIN, ANY_END = "<!-- any-data:begin -->", "<!-- any-data:end -->"


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def markdown_table(records):
    lines = [
        "| figure | value | unit | target | met | command | commit | date |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        target, met = "", ""
        if r["target"] is not None:
            target = f"{r['better']} {_fmt(r['target'])}"
            met = "yes" if meets_target(r) else "**no**"
        lines.append(
            f"| {r['name']} | {_fmt(r['value'])} | {r['unit']} | {target} | {met} | "
            f"`{r['command']}` | {r.get('commit') or ''} | {r['date'][:10]} |"
        )
    return "\n".join(lines)


def headline_table(records):
    lines = [
        "| | test accuracy | time | command |",
        "|---|---|---|---|",
    ]
    for label, _, acc, secs in accuracy_time_pairs({r["name"]: r for r in records}):
        lines.append(
            f"| {label} | {acc['value']:.4f} | {secs['value']:.0f} s "
            f"| `{acc['command']}` |"
        )
    return "\n".join(lines)


def _versus(record, claim):
    """``0.9334 (+1.7 pt)``: a recorded accuracy and its margin over ``claim``."""
    if record is None:
        return "not measured"
    margin = 100 * (record["value"] - claim)
    return f"{record['value']:.4f} ({margin:+.1f} pt)"


def studies_table(records):
    """Each study's claim beside its protocol run through skfashion and our defaults.

    The last two columns are the default estimator of the study's model family
    and the recommended pipeline (the default CNN), as ``bench_defaults.py``
    recorded them (the median over seeds when it ran several): trained on the
    60,000 training images with no search, scored on the same 10,000 test
    images.
    """
    from skfashion.model_selection import get_preset, list_presets

    by_name = {r["name"]: r for r in records}
    cnn = by_name.get("cnn_default_test_accuracy")
    lines = [
        "| study | claimed | its protocol via skfashion | epochs, time "
        "| skfashion default, same family | skfashion CNN default |",
        "|---|---|---|---|---|---|",
    ]
    for name in list_presets():
        preset = get_preset(name)
        claim = preset.reported_test_accuracy
        if claim is None:
            continue  # skfashion's own spaces: no study, no claim
        key = name.split("-")[0]
        reproduced = by_name.get(f"{key}_reproduced_test_accuracy")
        epochs, seconds = (
            by_name.get(f"{key}_{k}") for k in ("epochs_trained", "wall_seconds")
        )
        compute = (
            f"{epochs['value']} epochs, {seconds['value'] / 60:.0f} min"
            if epochs and seconds
            else ""
        )
        family = by_name.get(f"{name.split('-')[1]}_default_test_accuracy")
        lines.append(
            f"| {preset.description} | {claim:g} | {_versus(reproduced, claim)} "
            f"| {compute} | {_versus(family, claim)} | {_versus(cnn, claim)} |"
        )
    return "\n".join(lines)


def selection_table(selection):
    """The validation comparison of ``select_defaults.py`` (no test figures)."""
    lines = [
        "| model | variant | changes from the defaults | validation accuracy "
        "| train accuracy | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for model, variants in sorted(selection.items()):
        for name, row in variants.items():
            changes = ", ".join(f"{k}={v}" for k, v in row["params"].items())
            lines.append(
                f"| {model} | {name} | {changes or '(none)'} "
                f"| {row['validation_accuracy']:.4f} | {row['train_accuracy']:.4f} "
                f"| {row['seconds']:.0f} |"
            )
    return "\n".join(lines)


def any_data_table(rows):
    """``bench_any_data.py``'s rows: test accuracy (median of seeds) and seconds."""
    columns = ["cnn", "mlp", "logreg", "svc"]
    head = "| data | training images | CNN defaults | MLP defaults "
    head += "| LogisticRegression | SVC |"
    if all("tune" in r for r in rows):
        columns.append("tune")
        head += " tune --budget 4 |"
    lines = [head, "|---|---:|" + "---:|" * len(columns)]
    for r in rows:
        cells = [f"{r[c]:.4f} ({r[c + '_seconds']:.0f} s)" for c in columns]
        lines.append(f"| {r['data']} | {r['n_train']:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def replace_between(path, begin, end, body):
    """Replace the text between two marker lines of ``path``."""
    text = path.read_text()
    if begin not in text or end not in text:
        raise SystemExit(f"{path} lacks the markers {begin} ... {end}")
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    path.write_text(f"{head}{begin}\n{body}\n{end}{tail}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--quick", action="store_true", help="accepted for CI; no-op")
    args = parser.parse_args(argv)
    path = HERE / "results" / "latest.json"
    records = json.loads(path.read_text()) if path.exists() else []
    table, headline = markdown_table(records), headline_table(records)
    studies = studies_table(records)
    if not args.write:
        print(f"{headline}\n\n{studies}\n\n{table}")
        return
    for readme in (HERE / "README.md", HERE.parent / "README.md"):
        replace_between(readme, STUDY_BEGIN, STUDY_END, studies)
    replace_between(HERE / "README.md", BEGIN, END, table)
    selection_path = HERE / "results" / "selection.json"
    if selection_path.exists():
        selection = json.loads(selection_path.read_text())
        replace_between(
            HERE / "README.md", SELECT_BEGIN, SELECT_END, selection_table(selection)
        )
    any_path = HERE / "results" / "any_data.json"
    if any_path.exists():
        rows = json.loads(any_path.read_text())
        table = any_data_table(rows)
        for readme in (HERE / "README.md", HERE.parent / "README.md"):
            replace_between(readme, ANY_BEGIN, ANY_END, table)
    replace_between(HERE.parent / "README.md", HEAD_BEGIN, HEAD_END, headline)


if __name__ == "__main__":
    main()
