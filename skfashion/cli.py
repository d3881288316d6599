"""The ``skfashion`` command line: fetch, train, tune, evaluate, predict.

User errors print one line on stderr and exit with status 2 (``--debug``
shows the traceback); Ctrl-C exits with status 130.

Every file a command writes into its ``--out`` folder is listed in the
folder's manifest, ``.skfashion-manifest.json``; ``--overwrite`` removes
only the files listed there and never anything else in the folder.
"""

import argparse
import ast
import copy
import csv
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import __version__

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


class UserError(Exception):
    """A mistake in the command line or its inputs: reported without traceback."""


# --------------------------------------------------------------------- helpers
def _say(args, *lines):
    if not args.quiet:
        for line in lines:
            print(line, flush=True)


def _parse_params(pairs):
    """``name=value`` pairs, values read as Python literals when they parse."""
    params = {}
    for pair in pairs or []:
        name, sep, raw = pair.partition("=")
        if not sep or not name.isidentifier():
            raise UserError(f"--param expects name=value, got {pair!r}")
        try:
            params[name] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            params[name] = raw
    return params


def _positive_int(text):
    """argparse type: an integer >= 1."""
    return _int_at_least(1)(text)


def _int_at_least(minimum, why=""):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}{why}, got {text!r}"
            )
        return value

    return parse


def _n_jobs(text):
    """argparse type: a non-zero integer (-1 means all cores)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, or -1 for all cores, got {text!r}"
        )
    return value


# ----------------------------------------------------------- the out folder
MANIFEST = ".skfashion-manifest.json"
_MANIFEST_FORMAT = "skfashion-manifest"
#: Sub-folders of --out that skfashion writes into.
_SUBFOLDERS = ("cache", "figures")
#: Names of fit-cache entries (see ``_CacheEntry`` in skfashion.models).
_CACHE_ENTRY = re.compile(r"[0-9a-f]{40}(-e[0-9]+)?\.skf")
#: Temporary files of skfashion's atomic writes: tempfile.mkstemp with
#: prefix ``.<target name>.`` and suffix ``.tmp`` adds 8 characters.
_TEMP_FILE = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp")
_TEMP_TARGETS = {"model.skf", "cv_results.csv", MANIFEST}


#: Hidden folder write_report assembles a report in (REPORT_TMP_PREFIX).
_REPORT_TEMP = re.compile(r"\.report\.tmp-[0-9a-f]{12}")


def _is_own_temp(path, *, in_cache=False):
    """Whether ``path`` was left by an interrupted write of skfashion.

    In the run folder: a temporary model, results table, manifest or report
    folder; in its ``cache`` folder (``in_cache``): a temporary cache entry.
    """
    if path.is_symlink():
        return False
    if not in_cache and _REPORT_TEMP.fullmatch(path.name):
        return path.is_dir()
    match = _TEMP_FILE.fullmatch(path.name)
    if match is None or not path.is_file():
        return False
    if in_cache:
        return _CACHE_ENTRY.fullmatch(match["target"]) is not None
    return match["target"] in _TEMP_TARGETS


def _remove_stale_temps(out):
    """Remove what a killed save left in ``out`` and ``out/cache``."""
    for folder, in_cache in ((out, False), (out / "cache", True)):
        if folder.is_symlink() or not folder.is_dir():
            continue
        for path in folder.iterdir():
            if not _is_own_temp(path, in_cache=in_cache):
                continue
            if path.is_dir():
                # A report being assembled: only skfashion's files are in it.
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _check_writable(out):
    """Fail now, before any training, if results cannot be written."""
    for folder in (out, *(out / name for name in _SUBFOLDERS)):
        if folder != out and not folder.is_dir():
            continue
        try:
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".skfashion-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise UserError(
                f"--out {out}: cannot write into {folder} ({exc.strerror or exc}); "
                "choose another --out folder or fix its permissions"
            ) from None


def _safe_relative(out, rel):
    """``out / rel`` if ``rel`` names a file inside ``out``, else None."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
        return None
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts) or rel == MANIFEST:
        return None
    path = out.joinpath(*parts)
    # No symbolic link on the way: a listed file is removed only where
    # skfashion wrote it, never through a link to another folder.
    parent = out
    for part in parts[:-1]:
        parent = parent / part
        if parent.is_symlink():
            return None
    return path


def _read_manifest(out):
    """Relative paths of the files skfashion wrote into ``out``.

    A missing or unreadable manifest lists nothing, so nothing is removed.
    """
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return []
    if not isinstance(data, dict) or data.get("format") != _MANIFEST_FORMAT:
        return []
    files = data.get("files")
    if not isinstance(files, list):
        return []
    return [rel for rel in files if _safe_relative(out, rel) is not None]


def _write_manifest(out, files):
    data = {
        "format": _MANIFEST_FORMAT,
        "version": 1,
        "skfashion_version": __version__,
        "note": "Files written by skfashion; --overwrite removes only these.",
        "files": sorted(set(files)),
    }
    _write_atomic(out / MANIFEST, json.dumps(data, indent=2) + "\n")


def _record_outputs(out, files):
    """Add ``files`` (relative to ``out``) to the manifest of ``out``."""
    listed = [rel for rel in _read_manifest(out) if (out / rel).exists()]
    _write_manifest(out, [*listed, *files])


def _remove_listed(out, *, select=None):
    """Remove the manifest's files that ``select(rel)`` picks (all by default).

    The picked entries leave the manifest; the others stay listed, and no
    file the manifest does not list is touched.
    """
    if not (out / MANIFEST).exists():
        return  # nothing listed, so nothing of skfashion's to remove
    kept = []
    for rel in _read_manifest(out):
        if select is not None and not select(rel):
            kept.append(rel)
            continue
        path = _safe_relative(out, rel)
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
    _write_manifest(out, kept)


def _remove_cache(out):
    """Remove the fit-cache entries skfashion listed in ``out``'s manifest.

    The ``cache`` folder goes too when nothing else is left in it; a file
    skfashion did not write keeps it.
    """
    _remove_listed(out, select=lambda rel: rel.startswith("cache/"))
    try:
        (out / "cache").rmdir()
    except OSError:
        pass  # missing, or holds files that are not skfashion's


def _prepare_out(out, *, overwrite, resume=False):
    """Check and create the run folder ``out``, before any work is done.

    It must be writable (as must its ``cache`` and ``figures`` folders).
    Temporary files left by an interrupted save are removed. With
    ``overwrite``, the files of the previous run listed in the manifest are
    removed (the fit cache is kept when ``resume``); anything else in the
    folder is left alone.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a folder")
    if out.is_dir():
        busy = [p for p in out.iterdir() if not _is_own_temp(p)]
        if busy and not (overwrite or resume):
            raise UserError(
                f"--out {out} is not empty; pass --overwrite to replace its results"
                + (" or --resume to continue a search" if resume is not None else "")
            )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"--out {out}: cannot create the folder ({exc.strerror or exc}); "
            "choose another --out folder"
        ) from None
    _check_writable(out)
    _remove_stale_temps(out)
    if overwrite:
        # --resume keeps the fit cache, so the search continues from it.
        keep_cache = bool(resume)
        _remove_listed(
            out, select=lambda rel: not (keep_cache and rel.startswith("cache/"))
        )
    _refuse_foreign_outputs(out)
    return out


def _output_names():
    """Relative paths of the files a command may write into ``--out``."""
    from .metrics._report import METRICS_FILE, REPORT_FILE
    from .metrics._report_figures import FIGURE_FILES

    return [
        "model.skf",
        "cv_results.csv",
        METRICS_FILE,
        REPORT_FILE,
        *(f"figures/{name}" for name in FIGURE_FILES),
    ]


def _refuse_foreign_outputs(out):
    """Refuse ``out`` if a file skfashion would write there is not its own.

    Only files listed in the manifest are skfashion's: a file of the same
    name that it does not list (the user's own ``report.html``, say) is
    never replaced, with or without --overwrite.
    """
    listed = set(_read_manifest(out))
    foreign = [
        rel
        for rel in _output_names()
        if rel not in listed and os.path.lexists(out / rel)
    ]
    if foreign:
        raise UserError(
            f"--out {out} holds {', '.join(foreign)}, which skfashion did not "
            f"write (its manifest {MANIFEST} does not list them), so they are "
            "never replaced, even with --overwrite; move them away or choose "
            "another --out folder"
        )


def _keras_verbosity(args):
    if args.quiet:
        return 0
    return 1 if sys.stdout.isatty() else 2


def _load_data(args, *, subset=None):
    """Training and test data as ``(X, y, X_test, y_test, info, names)``.

    ``names`` are the class names of the data set, or None when the labels
    are the names (image folders) or unnamed (a user's .npz).
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

    from .datasets import fetch_fashion_mnist, load_fashion_mnist_sample
    from .models import check_saveable_labels

    color_mode = getattr(args, "color_mode", "auto")
    if getattr(args, "data", None) is not None:
        if args.sample:
            raise UserError("give --sample or --data, not both")
        X_all, y_all, info = _read_user_data(args.data, color_mode)
        names = None
        X, X_test, y, y_test = train_test_split(
            X_all, y_all, test_size=0.2, stratify=y_all, random_state=0
        )
        info["test split"] = "a stratified 20% of --data, never trained on"
    elif args.sample:
        bunch = load_fashion_mnist_sample()
        X, X_test, y, y_test = train_test_split(
            bunch.data,
            bunch.target,
            test_size=0.2,
            stratify=bunch.target,
            random_state=0,
        )
        info = {
            "source": "bundled sample (1,000 images of the Fashion-MNIST test split)",
        }
        names = bunch.target_names
    else:
        train = fetch_fashion_mnist(subset="train", data_home=args.data_home)
        test = fetch_fashion_mnist(subset="test", data_home=args.data_home)
        X, y, X_test, y_test = train.data, train.target, test.data, test.target
        info = {"source": "Fashion-MNIST"}
        names = train.target_names
        for bunch in (train, test):
            for name, rec in bunch.files.items():
                info[name] = f"{rec['path']} (sha256 {rec['sha256']})"
    if subset is not None and subset < len(y):
        n_classes = len(np.unique(y))
        if subset < n_classes:
            raise UserError(
                f"--subset {subset} is smaller than the {n_classes} classes of the "
                f"data; the model must see every class to be evaluated on the "
                f"test images. Use --subset {n_classes} or more."
            )
        X, _, y, _ = train_test_split(
            X, y, train_size=subset, stratify=y, random_state=0
        )
    # Checked now, not when the model is saved after training.
    try:
        check_saveable_labels(y, "the training labels")
    except ValueError as exc:
        raise UserError(str(exc)) from None
    info["train images"] = len(y)
    info["test images"] = len(y_test)
    return np.asarray(X), np.asarray(y), X_test, y_test, info, names


def _write_atomic(path, write):
    """Write ``path`` through a temporary file moved into place when complete.

    ``write`` is a str, or a function called with the open text file. The
    temporary file is named ``.<name>.XXXXXXXX.tmp``: one left behind by a
    killed process is removed by the next run on the folder.
    """
    from .utils import atomic_write_path

    with (
        atomic_write_path(path) as tmp,
        open(tmp, "w", newline="", encoding="utf-8") as f,
    ):
        if isinstance(write, str):
            f.write(write)
        else:
            write(f)


def _write_csv_atomic(path, rows, fieldnames):
    def write(f):
        writer = csv.DictWriter(f, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)

    _write_atomic(path, write)


def _report_files(out):
    """The files the last write_report put into ``out``, as manifest entries."""
    from .metrics import report_files

    return [f for f in report_files(out) if _safe_relative(out, f) is not None]


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
    from .metrics import write_report
    from .models import save_model

    start = time.perf_counter()
    accuracy = estimator.score(X_test, y_test)
    timings["evaluate_seconds"] = round(time.perf_counter() - start, 2)
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
    print(f"test accuracy {accuracy:.4f}; report: {report_path}", flush=True)


# -------------------------------------------------------------------- commands
def cmd_fetch(args):
    from .datasets import locate_fashion_mnist

    files = locate_fashion_mnist(data_home=args.data_home)
    for name, rec in files.items():
        print(f"{name}  {rec['path']}  sha256 {rec['sha256']}")
    return 0


MODELS = {"cnn": "KerasCNNClassifier", "mlp": "KerasMLPClassifier"}

#: Values of --color-mode (skfashion.imaging.COLOR_MODES, without importing it).
COLOR_MODE_CHOICES = ("auto", "grayscale", "rgb")
_COLOR_MODE_HELP = (
    "how a --data folder of images is read: auto (RGB when any image is in "
    "colour, else grayscale; the default), grayscale or rgb"
)


def _make_estimator(kind, params):
    from . import models

    cls = getattr(models, MODELS[kind])
    valid = cls().get_params()
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise UserError(
            f"unknown --param {', '.join(unknown)} for --model {kind}; valid: "
            f"{', '.join(sorted(valid))}"
        )
    return cls(**params)


def _data_defaults_notice(command, estimator, given):
    """One line on the Fashion-MNIST-minded defaults that apply to ``--data``.

    The CNN mirrors training images (``horizontal_flip=True``) and, with
    ``tta="auto"``, averages each prediction with the mirror image: right
    for clothes, wrong for digits or text. None when the estimator has no
    such default in force or ``given`` (the parameters the user set, or
    the search space) includes it.
    """
    params = estimator.get_params()
    if not params.get("horizontal_flip") or "horizontal_flip" in given:
        return None
    applied = ["horizontal_flip=True (training images mirrored at random)"]
    if params.get("tta") == "auto" and "tta" not in given:
        applied.append("tta='auto' (predictions averaged with mirror images)")
    return (
        f"skfashion {command}: note: {type(estimator).__name__} keeps its "
        f"Fashion-MNIST defaults {' and '.join(applied)} on --data; if "
        "left-right orientation tells your classes apart (digits, text), "
        "pass --param horizontal_flip=False"
    )


def _check_color_mode_use(args):
    """Refuse --color-mode where no folder of images is read, before any work."""
    if args.color_mode == "auto" or (
        args.data is not None and Path(args.data).is_dir()
    ):
        return
    what = (
        "Fashion-MNIST is grayscale"
        if args.data is None
        else (f"--data {args.data} is not a folder (a .npz is used as stored)")
    )
    raise UserError(
        f"--color-mode {args.color_mode} applies to a --data folder of images; {what}"
    )


def _note(line):
    if line is not None:
        print(line, file=sys.stderr, flush=True)


def cmd_train(args):
    _check_color_mode_use(args)
    params = _parse_params(args.param)
    given = set(params)
    if args.epochs is not None:
        params["epochs"] = args.epochs
    if args.sample and "epochs" not in params:
        params["epochs"] = 5
    params.setdefault("random_state", args.seed)
    estimator = _make_estimator(args.model, params)
    out = _prepare_out(args.out, overwrite=args.overwrite, resume=None)
    X, y, X_test, y_test, info, names = _load_data(args, subset=args.subset)
    if args.data is not None:
        _note(_data_defaults_notice("train", estimator, given))
    estimator.set_params(verbose=_keras_verbosity(args))
    _say(args, f"training {type(estimator).__name__} on {len(y)} images")
    start = time.perf_counter()
    estimator.fit(X, y)
    timings = {"fit_seconds": round(time.perf_counter() - start, 2)}
    estimator.set_params(verbose=0)
    _finish(
        args,
        estimator,
        X_test,
        y_test,
        out,
        X_train=X,
        target_names=names,
        data_info=info,
        timings=timings,
    )
    return 0


def cmd_tune(args):
    from sklearn.base import clone
    from sklearn.model_selection import KFold

    from .model_selection import count_fits, fit_search, get_preset, make_search

    _check_color_mode_use(args)
    preset = get_preset(args.preset)
    params = _preset_params(preset, _parse_params(args.param))
    # The preset's protocol (candidates, epochs, folds or holdout, all the
    # training images) unless an option overrides it; --sample shrinks it.
    n_iter = args.n_iter if args.n_iter is not None else preset.n_iter
    epochs = args.epochs if args.epochs is not None else preset.epochs
    if args.sample:
        n_iter = min(n_iter, 4) if args.n_iter is None else n_iter
        epochs = min(epochs, 4) if args.epochs is None else epochs
    cv = preset.cv if args.cv is None else KFold(args.cv, shuffle=True, random_state=0)
    subset = args.subset
    resume = args.resume
    out = _prepare_out(args.out, overwrite=args.overwrite, resume=resume)
    X_all, y_all, X_test, y_test, info, names = _load_data(args)
    X, y = X_all, y_all
    if subset is not None and subset < len(y_all):
        from sklearn.model_selection import train_test_split

        X, _, y, _ = train_test_split(
            X_all, y_all, train_size=subset, stratify=y_all, random_state=0
        )
    info["search images"] = len(y)
    preset.estimator.set_params(**params, epochs=epochs, random_state=args.seed)
    if args.data is not None:
        given = set(params) | _searched_names(preset)
        _note(_data_defaults_notice("tune", preset.estimator, given))
    search = make_search(
        preset,
        method=args.method,
        n_iter=n_iter,
        cv=cv,
        n_jobs=args.n_jobs,
        random_state=args.seed,
        cache_dir=out / "cache",
        refit=False,
    )
    plan = _describe_protocol(search, cv, X, y, epochs)
    info["search protocol"] = plan
    _say(args, f"{args.method} search of preset {preset.name}: {plan}")
    start = time.perf_counter()
    fit_search(search, X, y, verbose=0 if args.quiet else 1)
    timings = {"search_seconds": round(time.perf_counter() - start, 2)}
    n_fits, trained = count_fits(search)
    info["search fits"] = f"{n_fits} fits, {trained} epochs trained in all"
    # best_params_ include the epochs of the last rung (= epochs); the final
    # model trains for the full budget on all the training images.
    best = clone(search.estimator).set_params(
        **{
            **search.best_params_,
            "epochs": epochs,
            "cache_dir": None,
            "verbose": _keras_verbosity(args),
        }
    )
    _say(
        args,
        f"best mean CV accuracy {search.best_score_:.4f} with "
        f"{_format_params(search.best_params_)}",
        f"refitting the best candidate on {len(y_all)} images for {epochs} epochs",
    )
    start = time.perf_counter()
    best.fit(X_all, y_all)
    best.set_params(verbose=0)
    timings["refit_seconds"] = round(time.perf_counter() - start, 2)
    _finish(
        args,
        best,
        X_test,
        y_test,
        out,
        X_train=X_all,
        target_names=names,
        data_info=info,
        timings=timings,
        search=search,
    )
    if not args.keep_cache:
        # The search is complete: its fit cache is needed only to resume.
        _remove_cache(out)
    return 0


def _searched_names(preset):
    spaces = preset.param_distributions
    return {
        name
        for space in (spaces if isinstance(spaces, list) else [spaces])
        for name in space
    }


def _preset_params(preset, params):
    """Check the ``--param`` values of ``tune`` against ``preset``."""
    valid = preset.estimator.get_params()
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise UserError(
            f"unknown --param {', '.join(unknown)} for preset {preset.name}; "
            f"valid: {', '.join(sorted(valid))}"
        )
    options = {"epochs": "--epochs", "random_state": "--seed"}
    for name in sorted(set(params) & set(options)):
        raise UserError(f"--param {name}: set it with {options[name]}")
    searched = sorted(set(params) & _searched_names(preset))
    if searched:
        raise UserError(
            f"--param {', '.join(searched)}: searched by preset {preset.name}, "
            "so it cannot be fixed; choose another preset or leave it out"
        )
    return params


def _preset_help():
    """Help of --preset, built only when help is shown (it imports Keras)."""
    from .model_selection import list_presets

    return f"search preset, one of {', '.join(list_presets())} (default cnn)"


def _examples(*lines):
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Accepts help texts given as functions, evaluated when help is shown."""

    def _format_action(self, action):
        if callable(action.help):
            action = copy.copy(action)
            action.help = action.help()
        return super()._format_action(action)


def _describe_protocol(search, cv, X, y, epochs):
    """One line on how a search scores candidates, for the log and report."""
    from sklearn.model_selection import check_cv

    splitter = check_cv(cv, y, classifier=True)
    train, test = next(iter(splitter.split(X, y)))
    n_splits = splitter.get_n_splits(X, y)
    how = (
        f"holdout of {len(test)} images, training on {len(train)}"
        if n_splits == 1
        else f"{n_splits}-fold CV ({len(train)} training images per fit)"
    )
    if hasattr(search, "planned_rungs"):
        rungs = ", ".join(f"{n} x {e}" for n, e in search.planned_rungs())
        return f"{how}; rungs (candidates x epochs) {rungs}, survivors continue"
    n = getattr(search, "n_iter", "?")
    return f"{how}; {n} candidates x {epochs} epochs"


def _format_params(params):
    """Parameters for people: numbers with 4 significant digits."""
    import numpy as np

    def fmt(v):
        if isinstance(v, (float, np.floating)):
            return f"{float(v):.4g}"
        if isinstance(v, np.integer):
            return str(int(v))
        if isinstance(v, tuple):
            return (
                "(" + ", ".join(fmt(x) for x in v) + ("," if len(v) == 1 else "") + ")"
            )
        return repr(v)

    return "{" + ", ".join(f"{k}={fmt(v)}" for k, v in sorted(params.items())) + "}"


def _load_eval_data(spec, args, model):
    from .datasets import fetch_fashion_mnist, load_fashion_mnist_sample

    if spec in ("test", "sample") and args.color_mode != "auto":
        raise UserError(
            f"--color-mode {args.color_mode} applies to a --data folder of "
            "images; Fashion-MNIST is grayscale"
        )
    if spec == "test":
        bunch = fetch_fashion_mnist(subset="test", data_home=args.data_home)
        return bunch.data, bunch.target, {"source": "Fashion-MNIST test split"}
    if spec == "sample":
        X, y = load_fashion_mnist_sample(return_X_y=True)
        return X, y, {"source": "bundled sample"}
    return _read_user_data(spec, args.color_mode, model=model)


#: The end of the error on a folder of images of different sizes.
_CLI_SIZE_ADVICE = (
    "resize them to one size first (the command line reads images at their "
    "own size; in Python, load_image_folder(..., image_size=(height, width)) "
    "resizes them)"
)


def _read_user_data(spec, color_mode="auto", *, model=None):
    """``(X, y, info)`` from a folder of class folders or a .npz file.

    A folder is read in ``color_mode``, or for a fitted ``model`` in the
    colour mode the model was trained in (see :func:`_model_color_mode`).
    """
    from .datasets import load_npz
    from .datasets._folder import _load_image_folder
    from .exceptions import DataFileError

    path = Path(spec)
    if path.is_dir():
        if model is not None:
            color_mode = _model_color_mode(model, color_mode, what=f"--data {spec}")
        bunch = _load_image_folder(
            path,
            image_size=None,
            color_mode=color_mode,
            return_X_y=False,
            size_advice=_CLI_SIZE_ADVICE,
        )
        # Labels are the class names, so that reports and predictions name
        # the classes as the folders do.
        y = bunch.target_names[bunch.target]
        return (
            bunch.images,
            y,
            {
                "source": f"{path} (one folder per class)",
                "images": f"{bunch.color_mode}, {bunch.images.dtype.name} pixels",
            },
        )
    if color_mode != "auto":
        raise UserError(
            f"--color-mode {color_mode} applies to a folder of images; --data "
            f"{spec} is not a folder (a .npz is used as stored)"
        )
    if not path.exists():
        raise UserError(
            f"--data {spec}: no such file or folder (use test, sample, a .npz "
            "path or a folder with one subfolder per class)"
        )
    try:
        # Not np.load: it allocates whatever size an array header declares.
        X, y = load_npz(path, [("X", "data"), ("y", "target")])
    except (DataFileError, OSError) as exc:
        raise UserError(
            f"--data {spec}: expected a .npz with arrays X and y ({exc})"
        ) from None
    return X, y, {"source": str(path)}


def _model_color_mode(model, requested, *, what):
    """The colour mode to read image files in for ``model``.

    A model trained on ``(height, width, 3)`` images takes RGB, one trained
    on ``(height, width)`` images grayscale; ``requested`` ("auto" or the
    ``--color-mode`` given) must agree. Models of another channel count
    cannot take image files.
    """
    shape = getattr(model, "image_shape_", None)
    if shape is None:
        # Flat features of unknown shape: 28x28 grayscale unless told.
        return "grayscale" if requested == "auto" else requested
    channels = shape[2] if len(shape) == 3 else 1
    if channels not in (1, 3):
        raise UserError(
            f"{what}: the model takes images of {channels} channels "
            f"(image_shape_ {tuple(shape)}), but image files are read as "
            "grayscale or RGB; give the images as a .npz/.npy array instead"
        )
    wanted = "rgb" if channels == 3 else "grayscale"
    if requested not in ("auto", wanted):
        kind = "RGB" if channels == 3 else "grayscale"
        raise UserError(
            f"--color-mode {requested}: the model was trained on {kind} images "
            f"(image_shape_ {tuple(shape)}); leave --color-mode out (auto reads "
            f"images as the model takes them) or pass --color-mode {wanted}"
        )
    return wanted


def cmd_evaluate(args):
    import numpy as np

    from .models import load_model, load_model_card, training_overlap

    model = load_model(args.model)
    card = load_model_card(args.model)
    out = None
    if args.out is not None:
        out = _prepare_out(args.out, overwrite=args.overwrite, resume=None)
    X, y, info = _load_eval_data(args.data, args, model)
    y = np.asarray(y)
    if y.ndim != 1:
        raise UserError(f"--data {args.data}: y must be 1-d, got shape {y.shape}")
    known = set(np.asarray(model.classes_).tolist())
    unknown = sorted({v for v in np.unique(y).tolist() if v not in known}, key=str)
    if unknown:
        shown = ", ".join(map(repr, unknown[:10]))
        if len(unknown) > 10:
            shown += f" and {len(unknown) - 10} more"
        raise UserError(
            f"--data {args.data}: labels {shown} are not among the classes the "
            f"model was trained on ({np.asarray(model.classes_).tolist()}); "
            "evaluate it on data with the same labels"
        )
    overlap = training_overlap(card, X)
    if overlap is not None:
        info["images seen in training"] = f"{overlap} of {len(y)}"
    if overlap:
        print(
            f"warning: {overlap} of the {len(y)} images of --data {args.data} "
            f"({overlap / len(y):.1%}) are among the {card.n_train_samples} "
            "images the model was trained on; the accuracy below is not a test "
            "accuracy. Evaluate on images the model has not seen.",
            file=sys.stderr,
            flush=True,
        )
    accuracy = model.score(X, y)
    if out is None:
        print(f"accuracy {accuracy:.4f} on {len(y)} images")
        return 0
    from .metrics import write_report

    report = write_report(
        model, X, y, out, data_info=info, target_names=card.target_names
    )
    _record_outputs(out, _report_files(out))
    print(f"accuracy {accuracy:.4f} on {len(y)} images; report: {report}")
    return 0


def cmd_predict(args):
    import numpy as np

    from .imaging import load_image
    from .models import load_model, load_model_card

    model = load_model(args.model)
    # Class names as the model file records them, else the labels.
    class_names = load_model_card(args.model).target_names
    # Images are read as the model was trained: its colour mode, its size
    # and its pixel scale.
    color_mode = _model_color_mode(model, args.color_mode, what="predict")
    shape = (model.image_shape_ or (28, 28))[:2]
    pixel_range = getattr(model, "pixel_range_", "0-255")
    images, names = [], []
    for file in args.images:
        arrays = load_image(
            file,
            shape=shape,
            invert=args.invert,
            color_mode=color_mode,
            pixel_range=pixel_range,
        )
        for i, arr in enumerate(arrays):
            images.append(arr.reshape(-1))
            names.append(file if len(arrays) == 1 else f"{file}[{i}]")
    proba = model.predict_proba(np.stack(images).astype(np.float32))
    classes = model.classes_
    results = []
    for name, row in zip(names, proba, strict=True):
        k = int(np.argmax(row))
        label = classes[k].item() if hasattr(classes[k], "item") else classes[k]
        results.append(
            {
                "file": name,
                "label": label,
                "name": class_names[k] if class_names is not None else str(label),
                "probability": round(float(row[k]), 6),
            }
        )
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(f"{r['file']}: {r['name']} ({r['probability']:.3f})")
    return 0


# ---------------------------------------------------------------------- parser
def build_parser():
    parser = argparse.ArgumentParser(
        prog="skfashion",
        description="Train, tune and evaluate Keras image classifiers (Fashion-MNIST).",
    )
    parser.add_argument(
        "--version", action="version", version=f"skfashion {__version__}"
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    common.add_argument("--data-home", metavar="DIR", help="folder with the IDX files")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "fetch",
        parents=[common],
        formatter_class=_HelpFormatter,
        help="find or download the dataset",
        epilog=_examples(
            "skfashion fetch",
            "skfashion fetch --data-home ~/data/fashion-mnist",
        ),
    )
    p.set_defaults(func=cmd_fetch)

    data = argparse.ArgumentParser(add_help=False)
    data.add_argument(
        "--sample",
        action="store_true",
        help="use the bundled 1,000-image sample (no dataset needed)",
    )
    data.add_argument(
        "--data",
        metavar="DIR|FILE.npz",
        help="your own data instead of Fashion-MNIST: a folder with one "
        "subfolder of images per class, or a .npz with arrays X and y; a "
        "stratified 20%% is held out as the test split",
    )
    data.add_argument(
        "--color-mode",
        choices=COLOR_MODE_CHOICES,
        default="auto",
        help=_COLOR_MODE_HELP,
    )
    data.add_argument("--out", required=True, metavar="DIR", help="run folder")
    data.add_argument(
        "--overwrite", action="store_true", help="replace results in a non-empty --out"
    )
    data.add_argument("--seed", type=int, default=0, help="random seed (default 0)")

    p = sub.add_parser(
        "train",
        parents=[common, data],
        formatter_class=_HelpFormatter,
        help="train on the training split, report on the test split",
        epilog=_examples(
            "skfashion train --out runs/cnn",
            "skfashion train --model mlp --param dropout=0.4 --out runs/mlp",
            "skfashion train --sample --epochs 2 --out runs/try",
        ),
    )
    p.add_argument(
        "--model",
        choices=sorted(MODELS),
        default="cnn",
        help="network: %(choices)s (default %(default)s)",
    )
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="estimator parameter, repeatable (e.g. dropout=0.3)",
    )
    p.add_argument(
        "--subset", type=_positive_int, metavar="N", help="train on N images"
    )
    p.add_argument(
        "--epochs",
        type=_positive_int,
        metavar="E",
        help="epochs (default: the estimator's)",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "tune",
        formatter_class=_HelpFormatter,
        epilog=_examples(
            "skfashion tune --out runs/main          # the main job",
            "skfashion tune --preset s1-cnn --out runs/s1",
            "skfashion tune --sample --out runs/try  # a minute, bundled sample",
        ),
        parents=[common, data],
        help="search a preset with K-fold CV, refit, report",
    )
    p.add_argument(
        "--preset",
        default="cnn",
        help=_preset_help,
    )
    p.add_argument(
        "--method",
        choices=["halving", "random"],
        default="halving",
        help="halving: successive halving on epochs, survivors continue "
        "training (default); random: every candidate trains all epochs",
    )
    p.add_argument(
        "--n-iter",
        type=_positive_int,
        metavar="N",
        help="candidates (default: the preset's)",
    )
    p.add_argument(
        "--cv",
        type=_int_at_least(2, " (K-fold cross-validation needs 2 folds or more)"),
        metavar="K",
        help="K-fold CV instead of the preset's protocol (folds or holdout)",
    )
    p.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        metavar="J",
        help="fits in parallel worker processes (-1: one per core)",
    )
    p.add_argument(
        "--subset",
        type=_positive_int,
        metavar="N",
        help="images used by the search (default: all training images)",
    )
    p.add_argument(
        "--epochs",
        type=_positive_int,
        metavar="E",
        help="epochs of the final model and of the last rung (default: the preset's)",
    )
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="fixed estimator parameter of the preset, repeatable (e.g. "
        "horizontal_flip=False); not one the preset searches",
    )
    p.add_argument(
        "--resume", action="store_true", help="continue an interrupted search in --out"
    )
    p.add_argument(
        "--keep-cache",
        action="store_true",
        help="keep the search's fit cache (--out/cache) after a successful run; "
        "by default it is removed then (an interrupted run always keeps it)",
    )
    p.set_defaults(func=cmd_tune)

    p = sub.add_parser(
        "evaluate",
        parents=[common],
        formatter_class=_HelpFormatter,
        help="report a saved model on data",
        epilog=_examples(
            "skfashion evaluate runs/main/model.skf",
            "skfashion evaluate runs/main/model.skf --data my_images.npz",
            "skfashion evaluate runs/main/model.skf --out runs/main-eval",
        ),
    )
    p.add_argument("model", metavar="MODEL", help="model file (.skf)")
    p.add_argument(
        "--data",
        default="test",
        help="test, sample, a .npz with X and y, or a folder of class folders",
    )
    p.add_argument(
        "--color-mode",
        choices=COLOR_MODE_CHOICES,
        default="auto",
        help="how a --data folder is read: auto (as the model was trained: "
        "RGB or grayscale), or grayscale or rgb, which must agree with the model",
    )
    p.add_argument("--out", metavar="DIR", help="write a report folder there")
    p.add_argument(
        "--overwrite", action="store_true", help="replace results in a non-empty --out"
    )
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "predict",
        parents=[common],
        formatter_class=_HelpFormatter,
        help="classify image files",
        epilog=_examples(
            "skfashion predict runs/main/model.skf shoe.png shirt.jpg",
            "skfashion predict runs/main/model.skf images.npy --json",
        ),
    )
    p.add_argument("model", metavar="MODEL", help="model file (.skf)")
    p.add_argument(
        "images",
        metavar="IMAGE",
        nargs="+",
        help="image files (PNG, JPEG, ...; 8-bit, 16-bit or float) or .npy files",
    )
    p.add_argument(
        "--color-mode",
        choices=COLOR_MODE_CHOICES,
        default="auto",
        help="auto: read images as the model was trained, converting colour "
        "to grayscale or grayscale to RGB; grayscale or rgb must agree with "
        "the model",
    )
    p.add_argument(
        "--invert",
        choices=["auto", "yes", "no"],
        default="auto",
        help="invert polarity (auto: when the background is light)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_predict)
    return parser


def _silence_native_stderr():
    """Send TensorFlow's C++ log lines to /dev/null, keep Python's stderr.

    TensorFlow prints start-up and graph notices from C++ straight to file
    descriptor 2, whatever ``TF_CPP_MIN_LOG_LEVEL`` says for some of them.
    Python's ``sys.stderr`` (errors, progress bars) moves to a duplicate of
    the original descriptor, so only the native noise is dropped.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):
        return
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = os.fdopen(saved, "w", buffering=1)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not args.debug:
        _silence_native_stderr()
    import matplotlib

    matplotlib.use("Agg")
    from .exceptions import SkfashionError

    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(
            "skfashion: interrupted; finished fits are kept (rerun with --resume)",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except (UserError, SkfashionError, ValueError, TypeError, OSError) as exc:
        if args.debug:
            raise
        print(f"skfashion {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR


#: The exception line of a traceback: ``Name: message`` or a bare ``Name``.
_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(: .*)?")


def _one_line(exc):
    """The first line of ``exc``'s message, for the one-line error report.

    scikit-learn's "All the N fits failed." is followed by the tracebacks of
    the failures; the first failure's own message is added, since it is the
    one that says what went wrong.
    """
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    lines = text.splitlines()
    first = lines[0]
    if "fits failed" not in first:
        return first
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
    for line in lines[starts[0] + 1 :] if starts else ():
        if _EXCEPTION_LINE.fullmatch(line):
            return f"{first} The first failure: {line}"
    return first


if __name__ == "__main__":
    sys.exit(main())
