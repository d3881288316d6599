"""Training on data larger than memory: one epoch on a 600,000-image memmap.

The training images of Fashion-MNIST are tiled ten times, each copy moved by
a different small shift, into a ``uint8`` file of 600,000 x 784 bytes (470
MB), opened with ``np.memmap``. A fresh process then trains the default CNN
on it for one epoch and reads its peak resident memory. Without per-batch
casting, the float32 copy alone would take 1,794 MiB::

    python benchmarks/bench_memmap.py
    python benchmarks/bench_memmap.py --quick     # 60,000 images

Records ``memmap_train_peak_rss_mb`` (target: below the float32 copy of
the images) and ``memmap_train_images_per_second``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

N_TILES = 10
SHIFTS = [
    (0, 0),
    (1, 0),
    (-1, 0),
    (0, 1),
    (0, -1),
    (1, 1),
    (-1, -1),
    (2, 0),
    (0, 2),
    (-2, 0),
]


def build(path, n_tiles):
    """Write the tiled images and labels; return their count."""
    from skfashion.datasets import fetch_fashion_mnist

    images, y = fetch_fashion_mnist(subset="train", return_X_y=True)
    images = images.reshape(-1, 28, 28)
    n = len(y) * n_tiles
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, 784))
    for t in range(n_tiles):
        dy, dx = SHIFTS[t % len(SHIFTS)]
        moved = np.roll(images, (dy, dx), axis=(1, 2)).reshape(len(y), 784)
        out[t * len(y) : (t + 1) * len(y)] = moved
    out.flush()
    del out
    np.save(path + ".y.npy", np.tile(y, n_tiles))
    return n


def child(path):
    """Train one epoch on the memmap; print peak RSS and throughput as JSON."""
    import resource

    from skfashion.models import KerasCNNClassifier

    X = np.load(path, mmap_mode="r")
    y = np.load(path + ".y.npy")
    start = time.perf_counter()
    KerasCNNClassifier(epochs=1, random_state=0).fit(X, y)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_mb": peak, "seconds": seconds, "n": len(y)}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60,000 images")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "images.npy")
        n = build(path, 1 if args.quick else N_TILES)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        run = subprocess.run(
            [sys.executable, __file__, "--child", path],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if run.returncode:
            sys.stderr.write(run.stderr[-3000:])
            raise SystemExit(f"the training process exited with {run.returncode}")
        result = json.loads(run.stdout.strip().splitlines()[-1])
    float32_mb = n * 784 * 4 / 2**20
    print(
        f"{n} images ({n * 784 / 2**20:.0f} MiB as uint8, {float32_mb:.0f} MiB as "
        f"float32): one epoch in {result['seconds']:.0f} s, peak RSS "
        f"{result['peak_mb']:.0f} MB",
        flush=True,
    )
    from _results import record, report

    report(
        [
            record(
                "memmap_train_peak_rss_mb",
                result["peak_mb"],
                "MB",
                target=round(float32_mb, 1),
                better="<=",
            ),
            record(
                "memmap_train_images_per_second",
                n / result["seconds"],
                "images/s",
            ),
        ],
        quick=args.quick,
    )
    return 0


if __name__ == "__main__":
    main()
