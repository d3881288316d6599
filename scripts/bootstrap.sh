#!/usr/bin/env bash
# Set up skfashion on a fresh Debian/Ubuntu machine and run the main job.
#
#   bash scripts/bootstrap.sh            # install, then tune a CNN on Fashion-MNIST
#   bash scripts/bootstrap.sh --no-run   # install only (what CI does)
#
# Installs the Fashion-MNIST files from the Debian package
# dataset-fashion-mnist (works without internet access to the dataset host),
# creates .venv and installs the package with its test and dask extras.
set -euo pipefail
cd "$(dirname "$0")/.."

run_main=1
[ "${1:-}" = "--no-run" ] && run_main=0

if [ ! -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    if command -v apt-get >/dev/null 2>&1; then
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist
    else
        echo "No apt-get: the data will be downloaded on first use instead." >&2
    fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,dask]"

if [ "$run_main" = 1 ]; then
    .venv/bin/skfashion tune --out runs/main
fi
