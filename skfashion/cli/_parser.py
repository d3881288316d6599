"""The argument parser of ``skfashion``: one function per sub-command."""

import argparse
import copy

from .. import __version__
from ._data import _COLOR_MODE_HELP, COLOR_MODE_CHOICES
from ._evaluate import cmd_evaluate
from ._fetch import cmd_fetch
from ._params import MODELS
from ._predict import cmd_predict
from ._train import cmd_train
from ._tune import cmd_tune


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skfashion",
        description="Train, tune and evaluate Keras image classifiers (Fashion-MNIST).",
    )
    parser.add_argument(
        "--version", action="version", version=f"skfashion {__version__}"
    )
    common = _common_options()
    data = _data_options()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_fetch(sub, common)
    _add_train(sub, common, data)
    _add_tune(sub, common, data)
    _add_evaluate(sub, common)
    _add_predict(sub, common)
    return parser


# -------------------------------------------------------------- option types
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


def _positive_float(text):
    """argparse type: a number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


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


# -------------------------------------------------------------------- help
#: The names of skfashion.model_selection.list_presets(), written out so that
#: --help does not import Keras and TensorFlow (seconds); a test keeps the
#: two lists the same.
PRESET_NAMES = ("s1-cnn", "s2-cnn", "s3-mlp", "s4-mlp", "s5-mlp", "cnn", "mlp")


def _preset_help():
    """Help of --preset, built only when help is shown."""
    return (
        f"search preset, one of {', '.join(PRESET_NAMES)}; by default cnn, "
        "or with --data a search sized for the data (preset_for_data)"
    )


def _examples(*lines):
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Accepts help texts given as functions, evaluated when help is shown."""

    def _format_action(self, action):
        if callable(action.help):
            action = copy.copy(action)
            action.help = action.help()
        return super()._format_action(action)


# ------------------------------------------------------------ shared options
def _common_options():
    """Options of every command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    common.add_argument("--data-home", metavar="DIR", help="folder with the IDX files")
    return common


def _data_options():
    """Options of the commands that train: data, run folder, seed."""
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
    return data


# ---------------------------------------------------------------- commands
def _add_fetch(sub, common):
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


def _add_train(sub, common, data):
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


def _add_tune(sub, common, data):
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
    p.add_argument("--preset", default=None, help=_preset_help)
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
        "--budget",
        type=_positive_float,
        metavar="FITS",
        help="most default fits (trainings of the defaults for their full epochs "
        "on all the images) the halving search and its refit may cost; the plan "
        "is printed before any training",
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


def _add_evaluate(sub, common):
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


def _add_predict(sub, common):
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
