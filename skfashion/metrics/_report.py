"""Self-contained HTML evaluation report of a fitted classifier."""

import base64
import html
import inspect
import io
import json
import math
import os
import secrets
import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.utils._param_validation import HasMethods, validate_params
from sklearn.utils.validation import check_is_fitted

from ..model_selection import (
    SearchScoresDisplay,
    ranking_score_name,
    search_results_table,
)
from ..utils import to_jsonable
from ._displays import (
    MisclassifiedImagesDisplay,
    TrainingCurvesDisplay,
    _find_attribute,
    _to_images,
)
from ._evaluate import HEADLINE_METRICS, _check_evaluation_input, evaluate
from ._figures import OneVsRestCurvesDisplay

__all__ = ["report_files", "write_report"]

REPORT_FILE = "report.html"
METRICS_FILE = "metrics.json"
FIGURES_DIR = "figures"
#: Hidden folder a report is assembled in, inside an existing run folder.
REPORT_TMP_PREFIX = ".report.tmp-"
_MAX_LIST_ITEMS = 20
_DPI = 100


def _default_of(owner, name):
    try:
        parameter = inspect.signature(type(owner).__init__).parameters[name]
    except (KeyError, TypeError, ValueError):
        return inspect.Parameter.empty
    return parameter.default


def _changed_params(estimator, params):
    """Names of the parameters that differ from their constructor default."""
    changed = []
    for key, value in params.items():
        owner_key, _, name = key.rpartition("__")
        owner = estimator if not owner_key else params.get(owner_key)
        if not hasattr(owner, "get_params"):
            # Routed parameters (e.g. ``optimizer__beta_1``) are set by the user.
            changed.append(key)
            continue
        default = _default_of(owner, name)
        if default is inspect.Parameter.empty:
            if value is not None:
                changed.append(key)
        elif repr(default) != repr(value):
            changed.append(key)
    return changed


# -------------------------------------------------------------------- figures
def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()


def _figure(figsize, nrows=1, ncols=1):
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _make_figures(estimator, X, result, search):
    """All report figures as ``[(file name, caption, PNG bytes)]``."""
    figures = []
    for normalize, stem, caption in (
        (None, "confusion_matrix", "Confusion matrix (counts)."),
        (
            "true",
            "confusion_matrix_normalized",
            "Confusion matrix normalised over true classes (rows sum to 1).",
        ),
    ):
        fig, ax = _figure((7.5, 6.5))
        ax = ax[0, 0]
        ConfusionMatrixDisplay.from_predictions(
            result.y_true,
            result.y_pred,
            labels=result.classes,
            normalize=normalize,
            display_labels=result.target_names,
            ax=ax,
            cmap="Blues",
            values_format="d" if normalize is None else ".2f",
            xticks_rotation=45,
        )
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
        ax.set_title(caption.rstrip("."))
        figures.append((f"{stem}.png", caption, _png(fig)))

    for kind, stem, caption in (
        ("roc", "roc_ovr", "One-vs-rest ROC curves with ROC-AUC."),
        (
            "precision_recall",
            "precision_recall_ovr",
            "One-vs-rest precision-recall curves with average precision (AP).",
        ),
    ):
        fig, ax = _figure((7, 6.5))
        OneVsRestCurvesDisplay.from_predictions(
            result.y_true,
            result.proba,
            classes=result.classes,
            target_names=result.target_names,
            kind=kind,
            ax=ax[0, 0],
        )
        figures.append((f"{stem}.png", caption, _png(fig)))

    history = _find_attribute(estimator, "history_")
    metrics = [m for m in ("loss", "accuracy") if history and m in history]
    if metrics:
        display = TrainingCurvesDisplay(history, metrics=metrics)
        fig, ax = _figure((5 * len(metrics), 3.8), 1, len(metrics))
        display.plot(ax=ax.ravel())
        validated = any(f"val_{m}" in history for m in metrics)
        caption = (
            "Training curves: "
            + " and ".join(metrics)
            + " per epoch, "
            + ("training vs validation." if validated else "on the training data.")
        )
        figures.append(("training_curves.png", caption, _png(fig)))

    image_shape = None
    if np.ndim(X) == 2:
        image_shape = _find_attribute(estimator, "image_shape_")
    try:
        _to_images(X[:1], image_shape)
    except ValueError:
        pass  # not image data: no image grid
    else:
        n_wrong = int(np.sum(result.y_true != result.y_pred))
        n_images = min(16, n_wrong)
        n_cols = max(1, min(8, n_images))
        n_rows = max(1, math.ceil(n_images / n_cols))
        fig, ax = _figure((1.9 * n_cols, 2.2 * n_rows), n_rows, n_cols)
        MisclassifiedImagesDisplay.from_predictions(
            X,
            result.y_true,
            result.y_pred,
            result.proba,
            classes=result.classes,
            target_names=result.target_names,
            n_images=n_images,
            image_shape=image_shape,
            ax=ax,
        )
        figures.append(
            (
                "misclassified.png",
                f"The {n_images} most confident mistakes (of {n_wrong}): true and "
                "predicted class, with the predicted probability.",
                _png(fig),
            )
        )

    params = [] if search is None else _searched_params(search)
    if params:
        n_cols = min(len(params), 3)
        n_rows = math.ceil(len(params) / n_cols)
        fig, ax = _figure((4.2 * n_cols, 3.4 * n_rows), n_rows, n_cols)
        SearchScoresDisplay.from_estimator(search, ax=ax)
        figures.append(
            (
                "search_scores.png",
                "Mean test score of each search candidate against each searched "
                "parameter; the star marks the chosen candidate.",
                _png(fig),
            )
        )
    return figures


def _searched_params(search):
    return [k for k in search.cv_results_ if k.startswith("param_")]


# ----------------------------------------------------------------------- HTML
_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 2em auto; max-width: 1100px; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #345; padding-bottom: .3em; }
h2 { margin-top: 2em; color: #345; }
table { border-collapse: collapse; margin: .6em 0; font-size: .92em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left;
         vertical-align: top; }
th { background: #eef2f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.changed td { background: #fff6d6; font-weight: 600; }
tr.best td { background: #e4f4e4; }
code, pre { font-family: Menlo, Consolas, monospace; font-size: .9em; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #555; font-size: .9em; }
.muted { color: #777; }
"""


def _esc(value):
    return html.escape(str(value), quote=True)


def _fmt(value):
    """The one formatting of numbers in the report: floats to 4 decimals."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _num_cell(value, *, count=False, **attrs):
    extra = "".join(f' {k.replace("_", "-")}="{_esc(v)}"' for k, v in attrs.items())
    if value is not None and not isinstance(value, str):
        extra += f' data-value="{_esc(json.dumps(value))}"'
    text = _fmt(round(value) if count and isinstance(value, float) else value)
    return f'<td class="num"{extra}>{_esc(text)}</td>'


def _row_class(name, condition):
    return f' class="{name}"' if condition else ""


def _param_text(value):
    return value if isinstance(value, str) else json.dumps(value)


def _render_value(value):
    """Any JSON-safe value as HTML: dicts become nested tables."""
    if isinstance(value, dict):
        if not value:
            return '<span class="muted">(empty)</span>'
        rows = "".join(
            f"<tr><th>{_esc(k)}</th><td>{_render_value(v)}</td></tr>"
            for k, v in value.items()
        )
        return f"<table>{rows}</table>"
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return "".join(_render_value(v) for v in value)
        shown = ", ".join(_esc(_fmt(v)) for v in value[:_MAX_LIST_ITEMS])
        if len(value) > _MAX_LIST_ITEMS:
            shown += f' <span class="muted">&hellip; ({len(value)} items)</span>'
        return f"[{shown}]"
    return _esc(_fmt(value))


def _section(section_id, title, body):
    return f'<section id="{section_id}">\n<h2>{_esc(title)}</h2>\n{body}\n</section>'


def _table(header, rows):
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    return f"<table>\n<tr>{head}</tr>\n" + "\n".join(rows) + "\n</table>"


def _summary_html(data):
    rows = [
        f"<tr><th>{_esc(name.replace('_', ' '))}</th>"
        f"{_num_cell(data[name], data_metric=name)}</tr>"
        for name in HEADLINE_METRICS
    ]
    body = _table(["metric", "value"], rows)
    findings = []
    worst = data["worst_f1_class"]
    findings.append(
        f"<li>Lowest F1: <strong>{_esc(worst['name'])}</strong> "
        f'(<span data-metric="worst_f1_class.f1">{_esc(_fmt(worst["f1"]))}</span>)'
        "</li>"
    )
    lowest = data["lowest_auc_class"]
    if lowest is not None:
        findings.append(
            f"<li>Lowest ROC-AUC: <strong>{_esc(lowest['name'])}</strong> "
            f'(<span data-metric="lowest_auc_class.roc_auc">'
            f"{_esc(_fmt(lowest['roc_auc']))}</span>)</li>"
        )
    if data["most_confused"]:
        top = data["most_confused"][0]
        findings.append(
            f"<li>Most frequent mistake: <strong>{_esc(top['true_name'])}</strong> "
            f"predicted as <strong>{_esc(top['predicted_name'])}</strong> "
            f"({_esc(_fmt(top['count']))} times)</li>"
        )
    body += f"\n<p>Evaluated on {_esc(_fmt(data['n_samples']))} samples.</p>"
    body += "\n<ul>" + "".join(findings) + "</ul>"
    return _section("summary", "Headline metrics", body)


def _model_html(data):
    model = data["model"]
    changed = set(model["changed_params"])
    rows = [
        f"<tr{_row_class('changed', k in changed)}><th>{_esc(k)}</th>"
        f"<td><code>{_esc(_param_text(v))}</code></td></tr>"
        for k, v in model["params"].items()
    ]
    body = (
        f"<p>Class <code>{_esc(model['module'])}.{_esc(model['class'])}</code>; "
        "parameters that differ from the default are highlighted.</p>\n"
        + _table(["parameter", "value"], rows)
        + f"\n<pre>{_esc(model['repr'])}</pre>"
    )
    return _section("model", "Model", body)


def _data_html(data):
    if data["data_info"] is None:
        body = '<p class="muted">No data provenance was given.</p>'
    else:
        body = _render_value(data["data_info"])
    return _section("data", "Data", body)


def _timing_label(key):
    """``"search_seconds"`` -> ``"search (s)"``; other keys with spaces."""
    key = str(key)
    if key.endswith("_seconds"):
        return key[: -len("_seconds")].replace("_", " ") + " (s)"
    return key.replace("_", " ")


def _timings_html(data):
    timings = data["timings"]
    if not timings:
        body = '<p class="muted">No timings were given.</p>'
    else:
        rows = [
            f"<tr><th>{_esc(_timing_label(k))}</th>"
            + (
                _num_cell(v, data_timing=k)
                if not isinstance(v, (dict, list))
                else f"<td>{_render_value(v)}</td>"
            )
            + "</tr>"
            for k, v in timings.items()
        ]
        body = _table(["what", "value"], rows)
    return _section("timings", "Timings", body)


def _report_table_html(data):
    report = data["classification_report"]
    rows = []
    for key, entry in report.items():
        if not isinstance(entry, dict):
            # The accuracy row is a bare number in scikit-learn's dict.
            rows.append(
                f"<tr><th>{_esc(key)}</th><td></td><td></td>"
                f"{_num_cell(entry, data_report=key, data_field='f1-score')}"
                f"{_num_cell(data['n_samples'])}</tr>"
            )
            continue
        cells = "".join(
            _num_cell(entry[f], data_report=key, data_field=f)
            for f in ("precision", "recall", "f1-score")
        )
        # scikit-learn stores supports as floats; they are counts.
        cells += _num_cell(
            entry["support"], data_report=key, data_field="support", count=True
        )
        rows.append(f"<tr><th>{_esc(key)}</th>{cells}</tr>")
    body = _table(["class", "precision", "recall", "F1", "support"], rows)
    return _section("classification-report", "Classification report", body)


def _auc_html(data):
    lowest = data["lowest_auc_class"]
    rows = []
    for entry in data["per_class"]:
        is_lowest = lowest is not None and entry["name"] == lowest["name"]
        rows.append(
            f"<tr{_row_class('changed', is_lowest)}><th>{_esc(entry['name'])}"
            f"</th>{_num_cell(entry['roc_auc'], data_class=entry['name'])}"
            f"{_num_cell(entry['support'])}</tr>"
        )
    for name in ("roc_auc_macro", "roc_auc_weighted"):
        label = name.replace("roc_auc_", "") + " average"
        rows.append(
            f"<tr><th>{_esc(label)}</th>{_num_cell(data[name], data_metric=name)}"
            "<td></td></tr>"
        )
    body = (
        "<p>One-vs-rest ROC-AUC of each class; the lowest is highlighted.</p>\n"
        + _table(["class", "ROC-AUC", "support"], rows)
    )
    return _section("roc-auc", "Per-class ROC-AUC", body)


def _confusions_html(data):
    pairs = data["most_confused"]
    if not pairs:
        return _section(
            "confusions", "Most confused classes", '<p class="muted">No mistakes.</p>'
        )
    rows = [
        f"<tr><td>{_esc(p['true_name'])}</td><td>{_esc(p['predicted_name'])}</td>"
        f"{_num_cell(p['count'])}</tr>"
        for p in pairs
    ]
    body = _table(["true class", "predicted as", "count"], rows)
    return _section("confusions", "Most confused classes", body)


def _figure_html(name, caption, png):
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return (
        f'<figure id="fig-{_esc(Path(name).stem)}"><img src="{uri}" '
        f'alt="{_esc(caption)}">\n<figcaption>{_esc(caption)}</figcaption></figure>'
    )


def _search_html(data, search_figure):
    search = data["search"]
    extra = [k for k in ("iter", "n_resources") if k in (search["top"] or [{}])[0]]
    header = [
        "rank",
        "mean test score",
        "std test score",
        "mean fit time (s)",
        *extra,
        "parameters",
    ]
    rows = []
    for row in search["top"]:
        cells = "".join(
            _num_cell(row[k], data_field=k)
            for k in (
                "rank",
                "mean_test_score",
                "std_test_score",
                "mean_fit_time",
                *extra,
            )
        )
        params = ", ".join(f"{k}={_param_text(v)}" for k, v in row["params"].items())
        best = row["params"] == search["best_params"]
        rows.append(
            f"<tr{_row_class('best', best)}>{cells}"
            f"<td><code>{_esc(params)}</code></td></tr>"
        )
    body = (
        f"<p><code>{_esc(search['class'])}</code> over "
        f"{_esc(_fmt(search['n_candidates']))} candidates; best mean test score "
        f'<span data-metric="search.best_score">{_esc(_fmt(search["best_score"]))}'
        "</span>. Top candidates:</p>\n" + _table(header, rows)
    )
    if search_figure is not None:
        body += "\n" + _figure_html(*search_figure)
    return _section("search", "Hyper-parameter search", body)


def _render_html(data, figures):
    title = data["title"]
    main_figures = [f for f in figures if f[0] != "search_scores.png"]
    search_figure = next((f for f in figures if f[0] == "search_scores.png"), None)
    parts = [
        _summary_html(data),
        _model_html(data),
        _data_html(data),
        _timings_html(data),
        _report_table_html(data),
        _auc_html(data),
        _confusions_html(data),
        _section(
            "figures", "Figures", "\n".join(_figure_html(*f) for f in main_figures)
        ),
    ]
    if data["search"] is not None:
        parts.append(_search_html(data, search_figure))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{_esc(title)}</h1>\n"
        f'<p class="muted">Generated {_esc(data["generated"])} by skfashion '
        f"{_esc(data['skfashion_version'])}; metrics are also in "
        f"<code>{METRICS_FILE}</code>.</p>\n"
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )


# ---------------------------------------------------------------------- write
def report_files(out_dir):
    """The files that :func:`write_report` last wrote into ``out_dir``.

    Read from the report's ``metrics.json``, which lists its figures; a
    folder without a readable report lists only the two fixed names.

    Parameters
    ----------
    out_dir : str or path-like
        The run folder given to :func:`write_report`.

    Returns
    -------
    files : list of str
        Paths relative to ``out_dir``, with ``/`` separators:
        ``metrics.json``, ``report.html`` and ``figures/*.png``.

    Examples
    --------
    >>> from skfashion.metrics import report_files
    >>> report_files("no-such-folder")
    ['metrics.json', 'report.html']
    """
    out_dir = Path(out_dir)
    return [METRICS_FILE, REPORT_FILE] + [
        f"{FIGURES_DIR}/{name}" for name in sorted(_previous_figures(out_dir))
    ]


def _previous_figures(out_dir):
    """Figure files listed by the ``metrics.json`` of an earlier report.

    Those are the figures skfashion itself wrote there; a figure the new
    report does not have (e.g. training curves) is removed, but no other
    file in ``figures/``.
    """
    try:
        data = json.loads((out_dir / METRICS_FILE).read_text(encoding="utf-8"))
        listed = [entry["file"] for entry in data["figures"]]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return set()
    names = set()
    for rel in listed:
        if isinstance(rel, str) and rel.startswith(f"{FIGURES_DIR}/"):
            name = rel[len(FIGURES_DIR) + 1 :]
            if name.endswith(".png") and "/" not in name and "\\" not in name:
                names.add(name)
    return names


def _write_files(out_dir, files):
    """Write ``{relative path: bytes}`` into ``out_dir`` all but atomically.

    The files go to a hidden folder first: inside an existing ``out_dir``
    (``.report.tmp-<hex>``, so that only ``out_dir`` needs to be writable),
    else next to it, and a new ``out_dir`` is then renamed into place in one
    step. An existing one gets our files moved in: each figure into
    ``figures/``, then ``metrics.json`` and last ``report.html``. Figures of
    an earlier report that the new one lacks are removed; anything else, in
    ``figures/`` too, stays.
    """
    token = secrets.token_hex(6)
    if out_dir.is_dir():
        tmp = out_dir / f"{REPORT_TMP_PREFIX}{token}"
    else:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_dir.parent / f".{out_dir.name}.tmp-{token}"
    tmp.mkdir()
    try:
        for rel, content in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        if not out_dir.exists():
            try:
                os.rename(tmp, out_dir)
                return
            except OSError:
                pass  # created meanwhile: merge into it below
        figures_dir = out_dir / FIGURES_DIR
        if figures_dir.is_symlink() or (
            figures_dir.exists() and not figures_dir.is_dir()
        ):
            raise NotADirectoryError(
                f"{figures_dir} exists and is not a folder (or is a symbolic "
                "link); move it away so that the report's figures can be "
                "written there."
            )
        figures_dir.mkdir(exist_ok=True)
        new_figures = {Path(rel).name for rel in files if rel.startswith(FIGURES_DIR)}
        for name in _previous_figures(out_dir) - new_figures:
            old = figures_dir / name
            if old.is_file() and not old.is_symlink():
                old.unlink(missing_ok=True)
        for name in sorted(new_figures):
            os.replace(tmp / FIGURES_DIR / name, figures_dir / name)
        os.replace(tmp / METRICS_FILE, out_dir / METRICS_FILE)
        os.replace(tmp / REPORT_FILE, out_dir / REPORT_FILE)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


@validate_params(
    {
        "estimator": "no_validation",
        "X": ["array-like"],
        "y": ["array-like"],
        "out_dir": [str, os.PathLike],
        "search": [HasMethods(["fit"]), None],
        "data_info": [dict, None],
        "timings": [dict, None],
        "target_names": ["array-like", None],
        "title": [str, None],
    },
    prefer_skip_nested_validation=True,
)
def write_report(
    estimator,
    X,
    y,
    out_dir,
    *,
    search=None,
    data_info=None,
    timings=None,
    target_names=None,
    title=None,
):
    """Evaluate a fitted classifier and write an HTML report with figures.

    Writes into the run folder ``out_dir``:

    - ``report.html``: one self-contained page (inline CSS, figures as PNG
      data URIs, no scripts or external links) that opens from disk;
    - ``metrics.json``: :meth:`EvaluationResult.to_dict` plus ``model``
      (class and parameters), ``data_info``, ``timings`` and ``search``; every
      number in the page is formatted from this same data (floats to 4
      decimals);
    - ``figures/*.png``: the figures of the page.

    The page shows the headline metrics, the model and its parameters
    (non-default ones highlighted), the data provenance, timings, the
    classification report, per-class ROC-AUC, the most confused classes, the
    confusion matrix (counts and normalised), one-vs-rest ROC and
    precision-recall curves, the training curves (when the model has a
    ``history_``), the most confident mistakes (for image data) and, with
    ``search``, its best candidates and score against each parameter.

    Everything is computed before anything is written, so bad input raises
    without creating ``out_dir``. The files are written to a hidden folder
    next to ``out_dir`` and then moved in. An existing ``out_dir`` keeps its
    other files: ``report.html``, ``metrics.json`` and the report's figures
    are replaced, figures of an earlier report (those its ``metrics.json``
    lists) that this one lacks are removed, and any other file in
    ``figures/`` stays.

    Parameters
    ----------
    estimator : fitted classifier
        Classifier with ``predict``, ``predict_proba`` and ``classes_``, e.g.
        ``search.best_estimator_`` (or the fitted search itself).
    X : array-like
        Evaluation samples (images, flat or 2-D, for the image grid).
    y : array-like of shape (n_samples,)
        True labels.
    out_dir : str or path-like
        Run folder; created with its parents if needed.
    search : fitted BaseSearchCV, default=None
        Hyper-parameter search to summarise, including halving searches.
    data_info : dict, default=None
        Data provenance, rendered as given, e.g. ``{"files": bunch.files,
        "n_train": 60000, "n_test": 10000}``.
    timings : dict, default=None
        Durations or other timing facts, e.g. ``{"fit_seconds": 83.2}``.
    target_names : array-like of str, default=None
        Class names in the order of ``classes_``; see :func:`evaluate`.
    title : str, default=None
        Page title; "<estimator class> evaluation report" by default.

    Returns
    -------
    path : pathlib.Path
        Path of the written ``report.html``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator or the search is not fitted.
    ValueError
        For the input errors of :func:`evaluate`.
    NotADirectoryError
        If ``out_dir`` exists and is not a folder.

    See Also
    --------
    evaluate : The metrics alone.
    skfashion.model_selection.search_results_table : The search summary alone.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.metrics import write_report
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> clf = GaussianNB().fit(X[:600], y[:600])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_report(clf, X[600:], y[600:], pathlib.Path(tmp) / "run")
    ...     print(path.name, sorted(p.name for p in path.parent.iterdir()))
    report.html ['figures', 'metrics.json', 'report.html']
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(
            f"out_dir {str(out_dir)!r} exists and is not a folder."
        )
    _check_evaluation_input(estimator, X, y)
    if search is not None:
        check_is_fitted(search, "cv_results_")
        ranking_score_name(search)

    result = evaluate(estimator, X, y, target_names=target_names)
    figures = _make_figures(estimator, X, result, search)
    params = estimator.get_params(deep=True)
    data = result.to_dict()
    data.update(
        title=title or f"{type(estimator).__name__} evaluation report",
        generated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        skfashion_version=_version(),
        model={
            "class": type(estimator).__name__,
            "module": type(estimator).__module__,
            "params": to_jsonable(params),
            "changed_params": _changed_params(estimator, params),
            "repr": repr(estimator),
        },
        data_info=to_jsonable(data_info),
        timings=to_jsonable(timings or {}),
        search=None if search is None else _search_info(search),
        figures=[
            {"file": f"{FIGURES_DIR}/{name}", "caption": caption}
            for name, caption, _ in figures
        ],
    )
    json_text = json.dumps(data, indent=2, allow_nan=False)
    # The page is rendered from the parsed JSON so that it cannot show a
    # number other than the one in metrics.json.
    page = _render_html(json.loads(json_text), figures)

    files = {f"{FIGURES_DIR}/{name}": png for name, _, png in figures}
    files[METRICS_FILE] = (json_text + "\n").encode("utf-8")
    files[REPORT_FILE] = page.encode("utf-8")
    _write_files(out_dir, files)
    return out_dir / REPORT_FILE


def _search_info(search):
    results = search.cv_results_
    suffix = ranking_score_name(search)
    return {
        "class": type(search).__name__,
        "scoring": suffix,
        "n_candidates": len(results["params"]),
        "best_score": to_jsonable(getattr(search, "best_score_", None)),
        "best_params": to_jsonable(getattr(search, "best_params_", None)),
        "searched_params": [
            k[len("param_") :] for k in results if k.startswith("param_")
        ],
        "top": search_results_table(search, top=10),
    }


def _version():
    from .. import __version__

    return __version__
