"""The report's HTML, rendered from one Jinja2 template with autoescaping."""

import base64
import json
import re
from functools import lru_cache
from pathlib import Path

_TEMPLATES = Path(__file__).parent / "templates"
_MAX_LIST_ITEMS = 20
#: Figures shown right after the headline metrics.
_FIRST_FIGURES = ("confusion_matrix.png", "confusion_matrix_normalized.png")
# ``np.float64(0.0043)``-style reprs of NumPy scalars, and long decimals.
_NUMPY_SCALAR = re.compile(r"np\.(?:float|int|uint)\d*\(([^()]*)\)")
_LONG_DECIMAL = re.compile(r"(?<![\w.])-?\d+\.\d{5,}(?:e[-+]?\d+)?(?![\w.])")


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


def _rounded(value):
    """``value`` with its floats to 4 significant digits (lists, dicts too)."""
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _param_text(value):
    """A parameter's value for people: plain JSON, floats rounded."""
    return value if isinstance(value, str) else json.dumps(_rounded(value))


def plain_repr(text):
    """An estimator's repr with plain, rounded numbers.

    ``np.float64(0.004358712)`` becomes ``0.004359`` and any decimal of
    more than four places is rounded to four significant digits, so the
    repr reads like the parameters a person would type.

    Examples
    --------
    >>> from skfashion.report._html import plain_repr
    >>> plain_repr("CNN(learning_rate=np.float64(0.004358712), epochs=np.int64(3))")
    'CNN(learning_rate=0.004359, epochs=3)'
    """

    def number(match):
        raw = match.group(1) if match.re is _NUMPY_SCALAR else match.group(0)
        try:
            value = float(raw)
        except ValueError:
            return match.group(0)
        if value.is_integer() and "." not in raw and "e" not in raw.lower():
            return raw
        return f"{value:.4g}"

    return _LONG_DECIMAL.sub(number, _NUMPY_SCALAR.sub(number, text))


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
    first = [_figure(*f) for f in figures if f[0] in _FIRST_FIGURES]
    main = [
        _figure(*f)
        for f in figures
        if f[0] != "search_scores.png" and f[0] not in _FIRST_FIGURES
    ]
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
        first_figures=first,
        figures=main,
        search_figure=search_figure,
        search_extra=extra,
        max_list_items=_MAX_LIST_ITEMS,
    )
