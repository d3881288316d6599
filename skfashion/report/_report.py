"""Self-contained HTML evaluation report of a fitted classifier."""

import inspect
import json
import os
import secrets
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

from sklearn.utils.validation import check_is_fitted

from .._sklearn_privates import HasMethods, validate_params
from ..metrics._evaluate import HEADLINE_METRICS, _check_evaluation_input, evaluate
from ..model_selection import (
    ranking_score_name,
    search_results_table,
    tuning_gain,
)
from ..utils import to_jsonable
from ._figures import FIGURE_FILES, make_figures
from ._html import plain_repr, render_html

__all__ = ["report_files", "write_report"]

REPORT_FILE = "report.html"
METRICS_FILE = "metrics.json"
FIGURES_DIR = "figures"
#: The ``format`` field of the metrics.json that write_report writes: only a
#: folder whose metrics.json carries it holds a report of skfashion's, whose
#: files may be replaced.
REPORT_FORMAT = "skfashion-report"
#: Hidden folder a report is assembled in, inside an existing run folder.
REPORT_TMP_PREFIX = ".report.tmp-"


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
    >>> from skfashion.report import report_files
    >>> report_files("no-such-folder")
    ['metrics.json', 'report.html']
    """
    out_dir = Path(out_dir)
    return [METRICS_FILE, REPORT_FILE] + [
        f"{FIGURES_DIR}/{name}" for name in sorted(_previous_figures(out_dir))
    ]


def _own_report(out_dir):
    """The parsed ``metrics.json`` of ``out_dir`` if skfashion wrote it, else None."""
    try:
        data = json.loads((out_dir / METRICS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT:
        return None
    return data


def _previous_figures(out_dir):
    """Figure files listed by the ``metrics.json`` of an earlier report.

    Those are the figures skfashion itself wrote there; a figure the new
    report does not have (e.g. training curves) is removed, but no other
    file in ``figures/``. A ``metrics.json`` that skfashion did not write
    lists nothing.
    """
    data = _own_report(out_dir)
    try:
        listed = [entry["file"] for entry in data["figures"]]
    except (KeyError, TypeError):
        return set()
    names = set()
    for rel in listed:
        if isinstance(rel, str) and rel.startswith(f"{FIGURES_DIR}/"):
            name = rel[len(FIGURES_DIR) + 1 :]
            if name.endswith(".png") and "/" not in name and "\\" not in name:
                names.add(name)
    return names


def _check_replaceable(out_dir):
    """Refuse, before any work, to replace files skfashion did not write.

    In an existing ``out_dir`` the report may replace ``report.html``,
    ``metrics.json`` and its figures only when they belong to an earlier
    report of skfashion's: its ``metrics.json`` carries the report format
    and lists the figures.
    """
    if not out_dir.is_dir():
        return
    own = _own_report(out_dir) is not None
    ours = _previous_figures(out_dir)
    foreign = [
        name
        for name in (METRICS_FILE, REPORT_FILE)
        if not own and os.path.lexists(out_dir / name)
    ]
    foreign += [
        f"{FIGURES_DIR}/{name}"
        for name in FIGURE_FILES
        if name not in ours and os.path.lexists(out_dir / FIGURES_DIR / name)
    ]
    if foreign:
        raise FileExistsError(
            f"out_dir {str(out_dir)!r} holds {', '.join(foreign)}, which "
            "skfashion's write_report did not write (no metrics.json with "
            f'"format": "{REPORT_FORMAT}" lists them), so they are not '
            "replaced. Move them away or choose another out_dir."
        )


def _write_files(out_dir, files):
    """Write ``{relative path: bytes}`` into ``out_dir`` all but atomically.

    The files go to a hidden folder first: inside an existing ``out_dir``
    (``.report.tmp-<hex>``, so that only ``out_dir`` needs to be writable),
    else next to it, and a new ``out_dir`` is then renamed into place in one
    step. An existing one gets our files moved in: each figure into
    ``figures/``, then ``metrics.json`` and last ``report.html``. Figures of
    an earlier report that the new one lacks are removed; anything else, in
    ``figures/`` too, stays.

    This stages a whole set of files, not one: every byte is on disk before
    the first of them replaces an old one, and a new ``out_dir`` appears in
    one rename. :func:`skfashion.utils.atomic_write_path` replaces each file
    as soon as it is written, so a write failing midway (a full disk) would
    leave a report half new, half old; hence this does not use it.
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
    - ``metrics.json``: :meth:`~skfashion.metrics.EvaluationResult.to_dict`
      plus ``model`` (class and parameters), ``data_info``, ``timings`` and
      ``search``; every number in the page is formatted from this same data
      (floats to 4 decimals);
    - ``figures/*.png``: the figures of the page.

    The page shows, in this order, the headline metrics, the confusion
    matrix (counts and normalised), with ``search`` "Did tuning pay?" (the
    defaults against the chosen candidate on the search's own folds, see
    :func:`~skfashion.model_selection.tuning_gain`), the classification
    report, per-class ROC-AUC, the most confused classes, one-vs-rest ROC
    and precision-recall curves, the training curves (when the model has a
    ``history_``), the most confident mistakes (for image data), with
    ``search`` its best candidates and score against each parameter, and
    last the model and its parameters (non-default ones highlighted,
    numbers rounded to 4 significant digits), the data provenance and the
    timings.

    Everything is computed before anything is written, so bad input raises
    without creating ``out_dir``. The files are written to a hidden folder
    next to ``out_dir`` and then moved in. An existing ``out_dir`` keeps its
    other files: the files of an earlier skfashion report (``report.html``,
    ``metrics.json`` and the figures that ``metrics.json`` lists) are
    replaced, or removed when this report lacks them; a file of the same
    name that skfashion did not write is refused before any work starts,
    and any other file stays.

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
        Class names in the order of ``classes_``; see
        :func:`~skfashion.metrics.evaluate`.
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
        For the input errors of :func:`~skfashion.metrics.evaluate`.
    NotADirectoryError
        If ``out_dir`` exists and is not a folder.
    FileExistsError
        If ``out_dir`` holds a ``report.html``, ``metrics.json`` or report
        figure that an earlier skfashion report did not write; nothing is
        written then.

    See Also
    --------
    skfashion.metrics.evaluate : The metrics alone.
    skfashion.model_selection.search_results_table : The search summary alone.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.report import write_report
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
    _check_replaceable(out_dir)
    _check_evaluation_input(estimator, X, y)
    if search is not None:
        check_is_fitted(search, "cv_results_")
        ranking_score_name(search)

    start = time.perf_counter()
    result = evaluate(estimator, X, y, target_names=target_names)
    # The one prediction of the test images; given timings take precedence.
    timings = {"evaluate_seconds": round(time.perf_counter() - start, 2)} | dict(
        timings or {}
    )
    figures = make_figures(estimator, X, result, search)
    params = estimator.get_params(deep=True)
    data = result.to_dict()
    data.update(
        format=REPORT_FORMAT,
        title=title or f"{type(estimator).__name__} evaluation report",
        generated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        skfashion_version=_version(),
        model={
            "class": type(estimator).__name__,
            # The public module: skfashion.models, not skfashion.models._mlp.
            "module": ".".join(
                part
                for part in type(estimator).__module__.split(".")
                if not part.startswith("_")
            ),
            "params": to_jsonable(params),
            "changed_params": _changed_params(estimator, params),
            "repr": plain_repr(repr(estimator)),
        },
        data_info=to_jsonable(data_info),
        timings=to_jsonable(timings),
        search=None if search is None else _search_info(search),
        figures=[
            {"file": f"{FIGURES_DIR}/{name}", "caption": caption}
            for name, caption, _ in figures
        ],
    )
    json_text = json.dumps(data, indent=2, allow_nan=False)
    # The page is rendered from the parsed JSON so that it cannot show a
    # number other than the one in metrics.json.
    page = render_html(
        json.loads(json_text),
        figures,
        headline_metrics=HEADLINE_METRICS,
        metrics_file=METRICS_FILE,
    )

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
        # "Did tuning pay?": on the search's own folds, never the test split.
        "tuning_gain": tuning_gain(search),
    }


def _version():
    from .. import __version__

    return __version__
