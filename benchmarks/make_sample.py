"""Regenerate the bundled Fashion-MNIST sample and its licence note.

Reads the real test split (by default from the Debian package folder
``/usr/share/datasets/fashion-mnist``; the files are checked against their
published SHA-256 digests) and writes ``fashion_mnist_sample.npz`` and
``LICENSE-fashion-mnist.txt`` into ``skfashion/datasets/data/``::

    python benchmarks/make_sample.py [--source DIR] [--out DIR]

The selection is deterministic, so rerunning it reproduces the same files.
"""

import argparse
import textwrap
from pathlib import Path

import numpy as np

from skfashion.datasets import fetch_fashion_mnist
from skfashion.datasets._fashion_mnist import DEBIAN_DIR
from skfashion.datasets._sample import (
    SAMPLE_FILE,
    SAMPLE_LICENSE_FILE,
    SAMPLE_PER_CLASS,
    SAMPLE_SEED,
    _select_sample_indices,
)

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "skfashion" / "datasets" / "data"

MIT_LICENSE = """\
The MIT License (MIT)

Copyright (c) 2017 Zalando SE

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def license_text(indices):
    """Return the licence note, listing the t10k indices of the sample."""
    index_list = textwrap.fill(" ".join(str(i) for i in indices), width=79)
    return f"""\
Fashion-MNIST sample bundled with skfashion
===========================================

{SAMPLE_FILE} contains {len(indices)} images and their labels taken
unmodified from the Fashion-MNIST test split (t10k-images-idx3-ubyte and
t10k-labels-idx1-ubyte): {SAMPLE_PER_CLASS} images per class, drawn without
replacement with numpy.random.default_rng({SAMPLE_SEED}) by
benchmarks/make_sample.py. Fashion-MNIST is by Zalando Research,
https://github.com/zalandoresearch/fashion-mnist, and is distributed under
the MIT licence below.

The images are, by 0-based index into the t10k split (also stored as the
array "indices" in {SAMPLE_FILE}):

{index_list}


{MIT_LICENSE}"""


def make_sample(source=DEBIAN_DIR, out=DEFAULT_OUT):
    """Write the sample and licence note into ``out``; return the indices."""
    test = fetch_fashion_mnist(
        subset="test", data_home=source, download_if_missing=False
    )
    indices = _select_sample_indices(test.target)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out / SAMPLE_FILE,
        images=test.images[indices],
        target=test.target[indices].astype(np.uint8),
        indices=indices,
    )
    (out / SAMPLE_LICENSE_FILE).write_text(license_text(indices), encoding="utf-8")
    return indices


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=DEBIAN_DIR, help="folder of the t10k files")
    parser.add_argument("--out", default=DEFAULT_OUT, type=Path, help="output folder")
    args = parser.parse_args(argv)
    indices = make_sample(args.source, args.out)
    size = (args.out / SAMPLE_FILE).stat().st_size
    print(f"wrote {len(indices)} images to {args.out / SAMPLE_FILE} ({size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
