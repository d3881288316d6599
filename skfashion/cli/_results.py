"""What ``train`` and ``tune`` leave in the run folder once the model is fitted.

The model file, the search's results table and the report, each listed in
the folder's manifest as soon as it is written.
"""

import json
from pathlib import Path

from ._run_folder import (
    _CACHE_ENTRY,
    _record_outputs,
    _report_files,
    _write_csv_atomic,
)


def _csv_value(value):
    """A CSV cell: numbers as numbers (so pandas reads numeric columns)."""
    import numpy as np

    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return "" if value is None else value
    return repr(value)


def _cv_results_rows(search):
    res = search.cv_results_
    keys = [k for k in res if not k.startswith("param_") and k != "params"]
    names = sorted({k for p in res["params"] for k in p})
    rows = []
    for i, params in enumerate(res["params"]):
        row = {k: _csv_value(res[k][i]) for k in keys}
        row.update({f"param_{n}": _csv_value(params.get(n)) for n in names})
        rows.append(row)
    return rows, keys + [f"param_{n}" for n in names]


def _finish(
    args,
    estimator,
    X_test,
    y_test,
    out,
    *,
    X_train,
    target_names,
    data_info,
    timings,
    search=None,
):
    from ..models import save_model
    from ..report import write_report

    if search is not None:
        # The search's fit-cache entries are skfashion's files too.
        cache = out / "cache"
        entries = cache.iterdir() if cache.is_dir() else ()
        _record_outputs(
            out,
            [f"cache/{p.name}" for p in entries if _CACHE_ENTRY.fullmatch(p.name)],
        )
    save_model(
        estimator,
        out / "model.skf",
        X_train=X_train,
        data_source=str(data_info.get("source"))[:1000],
        target_names=target_names,
    )
    _record_outputs(out, ["model.skf"])
    if search is not None:
        rows, fields = _cv_results_rows(search)
        _write_csv_atomic(out / "cv_results.csv", rows, fields)
        _record_outputs(out, ["cv_results.csv"])
    report = write_report(
        estimator,
        X_test,
        y_test,
        out,
        search=search,
        data_info=data_info,
        timings=timings,
        target_names=target_names,
    )
    _record_outputs(out, _report_files(out))
    report_path = (
        report if Path(report).suffix == ".html" else Path(report) / "report.html"
    )
    # The report predicted the test images once; its accuracy is this one.
    metrics = json.loads((report_path.parent / "metrics.json").read_text())
    accuracy = metrics["accuracy"]
    print(f"test accuracy {accuracy:.4f}; report: {report_path}", flush=True)
