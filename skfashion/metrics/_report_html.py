"""The report's HTML, rendered from one Jinja2 template with autoescaping."""

import base64
import json
from functools import lru_cache
from pathlib import Path

_TEMPLATES = Path(__file__).parent / "templates"
_MAX_LIST_ITEMS = 20


def fmt(value):
    """The one formatting of numbers in the report: floats to 4 decimals."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def timing_label(key):
    """``"search_seconds"`` -> ``"search (s)"``; other keys with spaces."""
    key = str(key)
    if key.endswith("_seconds"):
        return key[: -len("_seconds")].replace("_", " ") + " (s)"
    return key.replace("_", " ")


def _param_text(value):
    return value if isinstance(value, str) else json.dumps(value)


@lru_cache(maxsize=1)
def _template():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters.update(fmt=fmt, json=json.dumps, param_text=_param_text)
    env.filters["timing_label"] = timing_label
    return env.get_template("report.html")


def _figure(name, caption, png):
    return {
        "stem": Path(name).stem,
        "caption": caption,
        "uri": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
    }


def render_html(data, figures, *, headline_metrics, metrics_file):
    """The report page for ``data`` (the metrics.json content) and figures.

    ``figures`` are ``(file name, caption, PNG bytes)``; the search figure
    (``search_scores.png``) goes to the search section, the others to the
    figures section.
    """
    search = data["search"]
    extra = []
    if search is not None:
        first = (search["top"] or [{}])[0]
        extra = [k for k in ("iter", "n_resources") if k in first]
    main = [_figure(*f) for f in figures if f[0] != "search_scores.png"]
    search_figure = next(
        (_figure(*f) for f in figures if f[0] == "search_scores.png"), None
    )
    return _template().render(
        data=data,
        title=data["title"],
        generated=data["generated"],
        skfashion_version=data["skfashion_version"],
        metrics_file=metrics_file,
        headline_metrics=headline_metrics,
        figures=main,
        search_figure=search_figure,
        search_extra=extra,
        max_list_items=_MAX_LIST_ITEMS,
    )
