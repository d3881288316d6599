"""The run folder ``--out``: its manifest, and every file written into it.

Every file a command writes into its ``--out`` folder is listed in the
folder's manifest, ``.skfashion-manifest.json``; ``--overwrite`` replaces
or removes only the files listed there and never anything else in the
folder. A run writes its results into a hidden staging folder inside
``--out`` (:func:`_staged_run`); only once it has succeeded do they replace
the previous run's files, so a failed or interrupted run leaves those as
they were. Files are written atomically, through
:func:`skfashion.utils.atomic_write_path`, and the temporary files and
staging folders of a killed run are removed by the next run.
"""

import contextlib
import csv
import io
import json
import os
import re
import secrets
import shutil
import sys
from pathlib import Path

from .. import __version__
from ._console import UserError

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
#: Hidden folder a run writes its results into before they replace the
#: previous run's (see _staged_run).
_STAGE_PREFIX = ".run.tmp-"
_STAGE_TEMP = re.compile(r"\.run\.tmp-[0-9a-f]{12}")


def _is_own_temp(path, *, in_cache=False):
    """Whether ``path`` was left by an interrupted write of skfashion.

    In the run folder: a temporary model, results table, manifest or report
    folder; in its ``cache`` folder (``in_cache``): a temporary cache entry.
    """
    if path.is_symlink():
        return False
    if not in_cache and (
        _REPORT_TEMP.fullmatch(path.name) or _STAGE_TEMP.fullmatch(path.name)
    ):
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
                # A report or run being staged: only skfashion's files are in it.
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _check_writable(out):
    """Fail now, before any training, if results cannot be written."""
    from ..utils import probe_writable

    for folder in (out, *(out / name for name in _SUBFOLDERS)):
        if folder != out and not folder.is_dir():
            continue
        try:
            probe_writable(folder)
        except OSError as exc:
            raise UserError(
                f"--out {out}: cannot write into {folder} ({exc.strerror or exc}); "
                "choose another --out folder or fix its permissions"
            ) from None


def _check_subfolders(out):
    """Refuse ``cache`` or ``figures`` in ``out`` that are not plain folders."""
    for name in _SUBFOLDERS:
        path = out / name
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            raise UserError(
                f"--out {out}: {path} exists and is not a folder (or is a "
                "symbolic link), so skfashion cannot write its files there; "
                "move it away or choose another --out folder"
            )


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
    Temporary files left by an interrupted save are removed. A folder that
    holds files of the names skfashion writes, which its manifest does not
    list, is refused. Nothing of the previous run is removed here: with
    ``overwrite``, its files are replaced only once the new run has
    succeeded (:func:`_staged_run`).
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
    _check_subfolders(out)
    _check_writable(out)
    _remove_stale_temps(out)
    _refuse_foreign_outputs(out)
    return out


class _Stage:
    """The staging folder of a run (``path``), and what it prints at the end."""

    def __init__(self, out):
        self.out = out
        self.path = out / f"{_STAGE_PREFIX}{secrets.token_hex(6)}"
        self._held = io.StringIO()

    @contextlib.contextmanager
    def hold_stdout(self):
        """Keep what the block prints until the results are in place.

        The staging folder's path in it then reads as ``out``'s.
        """
        with contextlib.redirect_stdout(self._held):
            yield

    def show_held(self):
        text = self._held.getvalue()
        sys.stdout.write(text.replace(str(self.path), str(self.out)))
        sys.stdout.flush()


@contextlib.contextmanager
def _staged_run(out, *, keep_cache=False, keep_others=False):
    """Stage a run's results in a hidden folder; replace the old ones on success.

    Yields a :class:`_Stage` whose empty folder ``path``, inside ``out``,
    the run writes its results into, listing them in that folder's own
    manifest (as :func:`_record_outputs` does). When the block succeeds,
    its files replace the previous run's: the files of ``out``'s manifest
    that the new run does not write are removed, except the fit cache when
    ``keep_cache``; with ``keep_others`` (``evaluate``, which writes only a
    report), nothing is removed: the files the new run does not write, the
    evaluated model among them, stay listed. When it fails or is
    interrupted, the previous run's files stay as they were and the staged
    results are dropped, except fit-cache entries, which join ``out/cache``
    so that ``--resume`` continues from them.
    """
    stage = _Stage(out)
    stage.path.mkdir()
    try:
        yield stage
        _record_cache_entries(out)
        _commit_stage(out, stage.path, keep_cache=keep_cache, keep_others=keep_others)
    except BaseException:
        _keep_cache_entries(out, stage.path)
        raise
    finally:
        shutil.rmtree(stage.path, ignore_errors=True)
    stage.show_held()


def _commit_stage(out, stage, *, keep_cache, keep_others=False):
    """Move the staged results into ``out``; remove what they supersede."""
    new = _read_manifest(stage)
    old = _read_manifest(out)
    kept = [
        rel
        for rel in old
        if (keep_others and rel not in new) or (keep_cache and rel.startswith("cache/"))
    ]
    targets = {}
    for rel in new:
        target = _safe_relative(out, rel)
        if target is None or (target.exists() and not target.is_file()):
            raise UserError(
                f"--out {out}: cannot put {rel} in place, a folder or link is "
                "in the way; move it away and run again"
            )
        if os.path.lexists(target) and rel not in old:
            # Put there during the run: not skfashion's, so never replaced.
            _refuse_foreign_outputs(out, [rel])
        targets[rel] = target
    # Everything in the folder stays listed while files move, so that a
    # crash midway leaves nothing a later --overwrite would refuse.
    _write_manifest(out, [*old, *new])
    for rel, target in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / rel, target)
    for rel in set(old) - set(new) - set(kept):
        path = _safe_relative(out, rel)
        if path is not None and (path.is_symlink() or path.is_file()):
            path.unlink(missing_ok=True)
    _write_manifest(out, [*kept, *new])


def _cache_entry_names(folder):
    """Names of the fit-cache entries in ``folder`` (none if it is missing)."""
    try:
        return [
            p.name
            for p in folder.iterdir()
            if _CACHE_ENTRY.fullmatch(p.name) and p.is_file() and not p.is_symlink()
        ]
    except OSError:
        return []


def _record_cache_entries(out):
    """List in the manifest the fit-cache entries a search wrote in ``out``."""
    names = [] if (out / "cache").is_symlink() else _cache_entry_names(out / "cache")
    if names:
        _record_outputs(out, [f"cache/{name}" for name in names])


def _keep_cache_entries(out, stage):
    """Move the fit-cache entries of a failed staged run into ``out/cache``.

    Entries are found by their key, so they sit beside the previous run's
    without harm; a file of the same name that skfashion did not list is
    never replaced.
    """
    try:
        names = _cache_entry_names(stage / "cache")
        listed = set(_read_manifest(out))
        if names:
            (out / "cache").mkdir(exist_ok=True)
        for name in names:
            rel = f"cache/{name}"
            if not os.path.lexists(out / rel) or rel in listed:
                os.replace(stage / rel, out / rel)
        _record_cache_entries(out)
    except OSError:
        pass  # the search trains them again; the old results are intact


def _output_names():
    """Relative paths of the files a command may write into ``--out``."""
    from ..report._figures import FIGURE_FILES
    from ..report._report import METRICS_FILE, REPORT_FILE

    return [
        "model.skf",
        "cv_results.csv",
        METRICS_FILE,
        REPORT_FILE,
        *(f"figures/{name}" for name in FIGURE_FILES),
    ]


def _refuse_foreign_outputs(out, names=None):
    """Refuse ``out`` if a file skfashion would write there is not its own.

    Only files listed in the manifest are skfashion's: a file of the same
    name that it does not list (the user's own ``report.html``, say) is
    never replaced, with or without --overwrite. ``names`` are the files
    to check (by default, every name a command may write).
    """
    listed = set(_read_manifest(out))
    foreign = [
        rel
        for rel in (_output_names() if names is None else names)
        if rel not in listed and os.path.lexists(out / rel)
    ]
    if foreign:
        raise UserError(
            f"--out {out} holds {', '.join(foreign)}, which skfashion did not "
            f"write (its manifest {MANIFEST} does not list them), so they are "
            "never replaced, even with --overwrite; move them away or choose "
            "another --out folder"
        )


def _write_atomic(path, write):
    """Write ``path`` through a temporary file moved into place when complete.

    ``write`` is a str, or a function called with the open text file. The
    temporary file is named ``.<name>.XXXXXXXX.tmp``: one left behind by a
    killed process is removed by the next run on the folder.
    """
    from ..utils import atomic_write_path

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
    from ..report import report_files

    return [f for f in report_files(out) if _safe_relative(out, f) is not None]
