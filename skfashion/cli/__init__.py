"""The ``skfashion`` command line: fetch, train, tune, evaluate, predict.

A usage error (the command line or its inputs) prints one line on stderr
and exits with status 2; an error of the system (a full disk, say) prints
one line and exits with status 1, and so does an internal error, whose line
asks for a report; ``--debug`` also prints the traceback. Ctrl-C exits with
status 130. See ``skfashion/cli/_console.py``.

Every file a command writes into its ``--out`` folder is listed in the
folder's manifest, ``.skfashion-manifest.json``; ``--overwrite`` replaces
or removes only the files listed there, never anything else in the folder,
and only once the new run has succeeded: a failed or interrupted run
leaves the previous results as they were (see
``skfashion/cli/_run_folder.py``).

The modules, by job: ``_parser`` (the argument parser), ``_run_folder``
(the ``--out`` folder), ``_data`` (the data of a command), ``_params``
(``--param``), ``_results`` (the files of a fitted model), ``_console``
(progress and errors), and one module per command.
"""

import contextlib
import os
import signal
import sys
import threading

from ._console import EXIT_ERROR as EXIT_ERROR
from ._console import EXIT_INTERRUPTED as EXIT_INTERRUPTED
from ._console import EXIT_USER_ERROR as EXIT_USER_ERROR
from ._console import UserError as UserError
from ._console import _one_line as _one_line
from ._console import _report_error
from ._data import COLOR_MODE_CHOICES as COLOR_MODE_CHOICES
from ._data import _load_data as _load_data
from ._data import _read_user_data as _read_user_data
from ._evaluate import cmd_evaluate as cmd_evaluate
from ._fetch import cmd_fetch as cmd_fetch
from ._params import MODELS as MODELS
from ._params import _parse_params as _parse_params
from ._parser import build_parser as build_parser
from ._predict import cmd_predict as cmd_predict
from ._run_folder import MANIFEST as MANIFEST
from ._run_folder import _is_own_temp as _is_own_temp
from ._run_folder import _prepare_out as _prepare_out
from ._run_folder import _read_manifest as _read_manifest
from ._run_folder import _record_outputs as _record_outputs
from ._run_folder import _remove_cache as _remove_cache
from ._run_folder import _remove_listed as _remove_listed
from ._run_folder import _remove_stale_temps as _remove_stale_temps
from ._run_folder import _staged_run as _staged_run
from ._run_folder import _write_atomic as _write_atomic
from ._run_folder import _write_csv_atomic as _write_csv_atomic
from ._run_folder import _write_manifest as _write_manifest
from ._train import cmd_train as cmd_train
from ._tune import cmd_tune as cmd_tune

__all__ = ["main", "build_parser", "UserError"]


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


def _resume_hint(args):
    """What a Ctrl-C leaves, and how to go on: half of the one-line message."""
    if args.command != "tune":
        return "the previous results in --out, if any, are unchanged"
    return (
        f"the finished fits are kept in {args.out}/cache; run the same command "
        "with --resume to continue the search"
    )


@contextlib.contextmanager
def _interrupts_not_swallowed():
    """Make sure one Ctrl-C stops the command, wherever it lands.

    A KeyboardInterrupt raised while Python runs a finalizer (a ``__del__``
    or a weak-reference callback, such as TensorFlow's caches run during
    training) cannot propagate: Python prints "Exception ignored in ..."
    and carries on. Here such an interrupt is delivered again to the main
    thread, so that it stops the command as soon as that thread runs
    ordinary code.
    """
    previous = sys.unraisablehook

    def hook(unraisable):
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            # From another thread, a moment later: raised here, in the
            # finalizer's context, it would be swallowed again.
            threading.Timer(0.05, signal.raise_signal, (signal.SIGINT,)).start()
            return
        previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


def main(argv=None):
    """Run ``skfashion`` with ``argv`` (default: ``sys.argv[1:]``).

    Returns the exit status; argparse's errors exit with status 2 directly.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not args.debug:
        # Looked up here, in the package, where tests replace it.
        _silence_native_stderr()
    import matplotlib

    matplotlib.use("Agg")
    try:
        with _interrupts_not_swallowed():
            return args.func(args)
    except KeyboardInterrupt:
        print(f"skfashion: interrupted; {_resume_hint(args)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        return _report_error(args.command, exc, debug=args.debug)
