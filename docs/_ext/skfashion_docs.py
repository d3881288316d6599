"""Sphinx extension of the skfashion documentation.

It keeps the pages that quote facts from elsewhere in the repository in step
with their source, so no figure or help text is ever typed by hand:

``.. benchmark-table::``
    Renders ``benchmarks/results/latest.json`` as tables, one per command
    that produced the figures. Option ``:prefix:`` keeps only the figures
    whose name starts with one of the given space-separated prefixes.

``:bench:`name```
    Inline value of one figure of ``latest.json``, formatted by its unit and
    linked to the results page.

``:bench-cmd:`name```
    The command that measured that figure, as inline code.

``.. preset-table::``
    The search presets of ``skfashion.model_selection``: protocol, the test
    accuracy each study reports and, when ``latest.json`` has it, the one
    ``benchmarks/bench_studies.py`` reproduced.

``.. cli-help:: [command]``
    The ``--help`` text of ``skfashion`` or of one of its sub-commands, as
    ``skfashion.cli.build_parser`` prints it.

At ``builder-inited`` it also checks that every name in the ``__all__`` of
each public module is listed in ``api.rst``, so the API reference cannot
silently miss a new function.
"""

import importlib
import json
import os
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

#: Modules whose ``__all__`` must be covered by ``api.rst``.
API_MODULES = (
    "skfashion.datasets",
    "skfashion.models",
    "skfashion.model_selection",
    "skfashion.metrics",
    "skfashion.exceptions",
    "skfashion.utils",
)

RESULTS_DOC = "results"


# ------------------------------------------------------------------ results
def _results_path(app):
    return Path(app.confdir).parent / "benchmarks" / "results" / "latest.json"


def load_results(app):
    """Records of ``latest.json`` keyed by name (empty when there is none)."""
    path = _results_path(app)
    if not path.exists():
        return {}
    records = json.loads(path.read_text(encoding="utf-8"))
    return {r["name"]: r for r in records}


def format_value(value, unit):
    """A figure as a reader wants to see it, e.g. ``93.51 %`` or ``596 s``."""
    if value is None:
        return "-"
    if unit == "fraction":
        return f"{100 * value:.2f} %"
    if unit == "s":
        return f"{value:,.0f} s" if value >= 100 else f"{value:.2f} s"
    if unit in ("images/s", "MB"):
        return f"{value:,.0f} {unit}"
    if unit == "accuracy":  # a difference of accuracies
        return f"{100 * value:+.2f} points"
    if unit == "ratio":
        return f"{value:.3f}"
    return f"{value:.4g} {unit}"


def _target_text(record):
    target = record.get("target")
    if target is None:
        return "", ""
    better = record.get("better", ">=")
    ok = record["value"] >= target if better == ">=" else record["value"] <= target
    shown = format_value(target, record["unit"])
    if record["unit"] == "accuracy":
        shown = f"{100 * target:.2f} points"
    return f"{better} {shown}", "met" if ok else "not met"


def _anchor(name):
    return "bench-" + name.replace("_", "-")


class BenchmarkTable(SphinxDirective):
    """Tables of the recorded benchmark figures, grouped by command."""

    has_content = False
    option_spec = {"prefix": directives.unchanged}

    def run(self):
        path = _results_path(self.env.app)
        self.env.note_dependency(str(path))
        results = load_results(self.env.app)
        prefixes = (self.options.get("prefix") or "").split()
        records = [
            r
            for name, r in sorted(results.items())
            if not prefixes or name.startswith(tuple(prefixes))
        ]
        if not records:
            para = nodes.paragraph(
                text="No benchmark figures are recorded yet "
                "(benchmarks/results/latest.json is missing or has none)."
            )
            return [para]
        by_command = {}
        for record in records:
            by_command.setdefault(record["command"], []).append(record)
        lines = []
        for command, group in by_command.items():
            machines = sorted({r["machine"] for r in group})
            dates = sorted({r["date"][:10] for r in group})
            commits = sorted({r["commit"] for r in group if r.get("commit")})
            source = f", commit {', '.join(commits)}" if commits else ""
            lines += [
                f"**Command:** ``{command}``",
                "",
                f"Measured on {', '.join(machines)}; {', '.join(dates)}{source}.",
                "",
                ".. list-table::",
                "   :header-rows: 1",
                "   :widths: 40 20 20 20",
                "   :class: skfashion-bench-table",
                "",
                "   * - Figure",
                "     - Value",
                "     - Target",
                "     - Status",
            ]
            for r in group:
                target, status = _target_text(r)
                # Only the full table (results page) carries the link targets
                # of :bench:, so that a filtered copy adds no duplicate label.
                anchor = (
                    [f"   * - .. _{_anchor(r['name'])}:", ""] if not prefixes else []
                )
                lines += [
                    *anchor,
                    f"       ``{r['name']}``" if anchor else f"   * - ``{r['name']}``",
                    f"     - {format_value(r['value'], r['unit'])}",
                    f"     - {target}",
                    f"     - {status}",
                ]
            lines.append("")
        container = nodes.container(classes=["skfashion-bench"])
        self.state.nested_parse(StringList(lines, source=str(path)), 0, container)
        return [container]


def _bench_record(inliner, name):
    env = inliner.document.settings.env
    app = env.app
    env.note_dependency(str(_results_path(app)))
    cache = getattr(app, "_skfashion_results", None)
    if cache is None:
        cache = app._skfashion_results = load_results(app)
    return cache.get(name)


def bench_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``:bench:`figure``` -> its formatted value, linked to the results page."""
    record = _bench_record(inliner, text)
    if record is None:
        return [nodes.emphasis(text="(not measured yet)")], []
    env = inliner.document.settings.env
    value = format_value(record["value"], record["unit"])
    ref = nodes.reference("", "", internal=True)
    ref["refuri"] = (
        env.app.builder.get_relative_uri(env.docname, RESULTS_DOC) + "#" + _anchor(text)
    )
    ref["reftitle"] = f"{text}, measured by: {record['command']}"
    ref += nodes.strong(text=value)
    return [ref], []


def bench_cmd_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``:bench-cmd:`figure``` -> the command that measured it."""
    record = _bench_record(inliner, text)
    command = record["command"] if record else "(not measured yet)"
    return [nodes.literal(text=command)], []


# ------------------------------------------------------------------ presets
def _describe_cv(cv):
    name = type(cv).__name__
    if name == "KFold":
        return f"{cv.get_n_splits()}-fold CV"
    if name == "ShuffleSplit" and cv.get_n_splits() == 1:
        return f"{100 - round(100 * cv.test_size)}/{round(100 * cv.test_size)} holdout"
    return repr(cv)


class PresetTable(SphinxDirective):
    """Table of the presets, built from ``list_presets``/``get_preset``."""

    has_content = False

    def run(self):
        from skfashion.model_selection import get_preset, list_presets

        self.env.note_dependency(str(_results_path(self.env.app)))
        results = load_results(self.env.app)
        table = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :class: skfashion-preset-table",
            "",
            "   * - Preset",
            "     - Estimator",
            "     - Trials",
            "     - Validation",
            "     - Epochs",
            "     - Reported",
            "     - Reproduced",
        ]
        details = []
        for name in list_presets():
            preset = get_preset(name)
            reported = preset.reported_test_accuracy
            # bench_studies.py names its figures after the study ("s1_...").
            record = next(
                (
                    results[key]
                    for key in (
                        f"{name.split('-')[0]}_reproduced_test_accuracy",
                        f"{name}_reproduced_test_accuracy",
                    )
                    if re.match(r"s\d", name) and key in results
                ),
                None,
            )
            if not re.match(r"s\d", name):
                reproduced = "n/a"  # skfashion's own spaces: no study to reproduce
            elif record is None:
                reproduced = "not yet"
            else:
                reproduced = f":bench:`{record['name']}`"
            estimator = type(preset.estimator).__name__
            short = "CNN" if "CNN" in estimator else "MLP"
            table += [
                f"   * - ``{name}``",
                f"     - :class:`{short} <skfashion.models.{estimator}>`",
                f"     - {preset.n_iter}",
                f"     - {_describe_cv(preset.cv)}",
                f"     - {preset.epochs}",
                "     - "
                + ("n/a" if reported is None else format_value(reported, "fraction")),
                f"     - {reproduced}",
            ]
            space = ", ".join(f"``{p}``" for p in preset.param_distributions)
            details += [
                f"``{name}``",
                f"   {preset.description}. Searched: {space}."
                + (f" *{preset.notes}*" if preset.notes else ""),
            ]
        lines = [*table, "", *details, ""]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="presets"), 0, container)
        return [container]


# ---------------------------------------------------------------------- CLI
class CliHelp(SphinxDirective):
    """The help text of ``skfashion [command]``."""

    optional_arguments = 1
    has_content = False

    def run(self):
        from skfashion.cli import build_parser

        old = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "88"
        try:
            parser = build_parser()
            command = self.arguments[0] if self.arguments else None
            if command is not None:
                subparsers = next(
                    a for a in parser._actions if a.dest == "command"
                ).choices
                if command not in subparsers:
                    raise self.error(f"skfashion has no command {command!r}")
                parser = subparsers[command]
            text = parser.format_help()
        finally:
            if old is None:
                os.environ.pop("COLUMNS", None)
            else:
                os.environ["COLUMNS"] = old
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


# ---------------------------------------------------------------- API check
def _api_listing(api_rst):
    """``{module: set of names}`` listed in autosummary blocks of api.rst."""
    listed, module, in_summary = {}, None, False
    for line in api_rst.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\.\. currentmodule:: (\S+)", line)
        if match:
            module, in_summary = match.group(1), False
            continue
        if line.startswith(".. autosummary::"):
            in_summary = True
            continue
        if in_summary:
            if line and not line[0].isspace():
                in_summary = False
                continue
            entry = line.strip()
            if entry and not entry.startswith(":") and module:
                listed.setdefault(module, set()).add(entry)
    return listed


def check_api_coverage(app):
    listed = _api_listing(Path(app.srcdir) / "api.rst")
    missing = []
    for name in API_MODULES:
        module = importlib.import_module(name)
        for public in module.__all__:
            if public not in listed.get(name, set()):
                missing.append(f"{name}.{public}")
    if missing:
        raise ExtensionError(
            "api.rst does not list these public names (add them to an "
            "autosummary block): " + ", ".join(missing)
        )


def setup(app):
    app.add_directive("benchmark-table", BenchmarkTable)
    app.add_directive("cli-help", CliHelp)
    app.add_directive("preset-table", PresetTable)
    app.add_role("bench", bench_role)
    app.add_role("bench-cmd", bench_cmd_role)
    app.connect("builder-inited", check_api_coverage)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
