"""The ``skfashion`` command line."""

import argparse
import sys

from . import __version__


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skfashion",
        description="Train, tune and evaluate Keras image classifiers on Fashion-MNIST.",
    )
    parser.add_argument("--version", action="version", version=f"skfashion {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
