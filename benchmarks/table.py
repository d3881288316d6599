"""Render ``results/latest.json`` as the Markdown table of benchmarks/README.md.

::

    python benchmarks/table.py            # print the table
    python benchmarks/table.py --write    # refresh it in benchmarks/README.md
"""

import argparse
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def markdown_table(records):
    lines = [
        "| figure | value | unit | target | met | command | date |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in records:
        target, met = "", ""
        if r["target"] is not None:
            target = f"{r['better']} {_fmt(r['target'])}"
            ok = (
                (r["value"] >= r["target"])
                if r["better"] == ">="
                else (r["value"] <= r["target"])
            )
            met = "yes" if ok else "**no**"
        lines.append(
            f"| {r['name']} | {_fmt(r['value'])} | {r['unit']} | {target} | {met} | "
            f"`{r['command']}` | {r['date'][:10]} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--quick", action="store_true", help="accepted for CI; no-op")
    args = parser.parse_args(argv)
    path = HERE / "results" / "latest.json"
    records = json.loads(path.read_text()) if path.exists() else []
    table = markdown_table(records)
    if not args.write:
        print(table)
        return
    readme = HERE / "README.md"
    text = readme.read_text()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    readme.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}")


if __name__ == "__main__":
    main()
