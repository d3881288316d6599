"""Render ``results/latest.json`` as the Markdown tables of the READMEs.

::

    python benchmarks/table.py            # print the tables
    python benchmarks/table.py --write    # refresh them in both READMEs

``benchmarks/README.md`` gets every figure; the project's README.md gets the
headline rows (models, peers), so that no figure in either is typed by hand.
"""

import argparse
import json
from pathlib import Path

from _results import accuracy_time_pairs, meets_target

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
HEAD_BEGIN, HEAD_END = "<!-- headline:begin -->", "<!-- headline:end -->"


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
    if not args.write:
        print(f"{headline}\n\n{table}")
        return
    replace_between(HERE / "README.md", BEGIN, END, table)
    replace_between(HERE.parent / "README.md", HEAD_BEGIN, HEAD_END, headline)


if __name__ == "__main__":
    main()
