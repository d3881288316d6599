"""Time loading all 70,000 Fashion-MNIST images with ``fetch_fashion_mnist``.

Prints the median wall time of several runs, e.g.::

    fashion_mnist_load_seconds 0.52 (target <= 2.0)

Run ``python benchmarks/bench_loading.py [--quick] [--repeats N]``. The data
files must be available locally (see ``fetch_fashion_mnist``); nothing is
downloaded.
"""

import argparse
import statistics
import time

from skfashion.datasets import fetch_fashion_mnist

TARGET_SECONDS = 2.0


def measure_load_time(*, repeats=5, data_home=None, verify=True):
    """Return a dict with the median and all timings of loading subset="all"."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        bunch = fetch_fashion_mnist(
            subset="all",
            data_home=data_home,
            download_if_missing=False,
            verify=verify,
        )
        timings.append(time.perf_counter() - start)
    return {
        "name": "fashion_mnist_load_seconds",
        "median_seconds": statistics.median(timings),
        "timings_seconds": timings,
        "repeats": repeats,
        "n_images": len(bunch.target),
        "target_seconds": TARGET_SECONDS,
        "files": bunch.files,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a single run instead of five"
    )
    parser.add_argument("--repeats", type=int, default=None, help="number of runs")
    parser.add_argument("--data-home", default=None, help="folder of the data files")
    parser.add_argument(
        "--no-verify", action="store_true", help="skip SHA-256 verification"
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    result = measure_load_time(
        repeats=repeats, data_home=args.data_home, verify=not args.no_verify
    )
    from _results import record, report

    report(
        [
            record(
                result["name"],
                result["median_seconds"],
                "s",
                target=TARGET_SECONDS,
                better="<=",
            )
        ],
        quick=args.quick,
    )
    print(
        f"  median of {repeats} runs loading {result['n_images']} images: "
        + ", ".join(f"{t:.3f}" for t in result["timings_seconds"])
    )
    return 0 if result["median_seconds"] <= TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
