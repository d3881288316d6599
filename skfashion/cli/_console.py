"""What the command line tells its user: progress, notes and errors.

The exit status says whose mistake an error is:

- 2, a usage error: the command line or its inputs (a :class:`UserError`,
  any error of :mod:`skfashion.exceptions`, or argparse's own);
- 1, an error of the system (:class:`OSError`: a full disk, a folder
  without write permission) or an internal error (anything else: a bug,
  which the message asks to report);
- 130, Ctrl-C.

Each prints one line on stderr; ``--debug`` prints the traceback first.
"""

import re
import sys
import traceback

EXIT_USER_ERROR = 2
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130

#: Where to report an internal error.
REPORT_TO = (
    "please report it to the skfashion maintainers with the command you ran "
    "(see README.md)"
)


class UserError(Exception):
    """A mistake in the command line or its inputs: reported without traceback."""


def _say(args, *lines):
    """Progress lines on stdout, unless ``--quiet``."""
    if not args.quiet:
        for line in lines:
            print(line, flush=True)


def _note(line):
    """A notice on stderr (None prints nothing)."""
    if line is not None:
        print(line, file=sys.stderr, flush=True)


def _keras_verbosity(args):
    if args.quiet:
        return 0
    return 1 if sys.stdout.isatty() else 2


#: The exception line of a traceback: ``Name: message`` or a bare ``Name``.
_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(: .*)?")


def _first_failure(text):
    """The exception line of the first traceback in ``text``, or None.

    scikit-learn's "All the N fits failed." error is followed by the
    tracebacks of the failures, as text.
    """
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
    for line in lines[starts[0] + 1 :] if starts else ():
        if _EXCEPTION_LINE.fullmatch(line):
            return line
    return None


def _one_line(exc):
    """The first line of ``exc``'s message, for the one-line error report.

    scikit-learn's "All the N fits failed." is followed by the tracebacks of
    the failures; the first failure's own message is added, since it is the
    one that says what went wrong. A first line that ends with a colon
    announces the lines below it, so they are joined to it.
    """
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    lines = text.splitlines()
    first = lines[0]
    if "fits failed" in first:
        failure = _first_failure(text)
        return first if failure is None else f"{first} The first failure: {failure}"
    if first.endswith(":") and len(lines) > 1:
        return " ".join(line.strip() for line in lines if line.strip())
    return first


def _is_usage_error(exc):
    """Whether ``exc`` is skfashion's report of a mistake of the user's."""
    from ..exceptions import SkfashionError

    if isinstance(exc, (UserError, SkfashionError)):
        return True
    # A search whose every fit failed: scikit-learn's ValueError carries the
    # failures as text, each named by its module (skfashion.exceptions.X).
    text = str(exc).strip()
    if isinstance(exc, ValueError) and "fits failed" in text.split("\n")[0]:
        failure = _first_failure(text)
        return failure is not None and failure.startswith("skfashion.")
    return False


def _report_error(command, exc, *, debug):
    """Print the one-line report of ``exc`` and return the exit status."""
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__)
    prefix = f"skfashion {command}:"
    if _is_usage_error(exc):
        status, line = EXIT_USER_ERROR, f"{prefix} error: {_one_line(exc)}"
    elif isinstance(exc, OSError):
        status, line = EXIT_ERROR, f"{prefix} error: {_one_line(exc)}"
    else:
        message = str(exc).strip().splitlines()
        what = type(exc).__name__ + (f": {_one_line(exc)}" if message else "")
        hint = "" if debug else ", run with --debug for the traceback"
        status, line = EXIT_ERROR, f"{prefix} internal error: {what}; {REPORT_TO}{hint}"
    print(line, file=sys.stderr, flush=True)
    return status
