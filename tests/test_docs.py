"""The built documentation renders in a real browser, with its figures.

Opens ``docs/_build/html/index.html`` and a gallery page in headless
Chromium: the DOM must have the page title and ``<img>`` elements whose
files exist, and a screenshot must be a real picture.

Build the site first::

    python -m sphinx -W -b html docs docs/_build/html

Outside CI the tests are skipped when the site is not built or Chromium is
missing (Debian package ``chromium``); in CI (``CI=true``) they fail instead.
"""

import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "docs" / "_build" / "html"
INDEX = HTML / "index.html"
GALLERY_PAGE = HTML / "auto_examples" / "plot_01_quickstart.html"
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def _require(condition, reason):
    """Skip outside CI, fail in CI, when ``condition`` is false."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the docs job must provide it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    path = next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    _require(path is not None, "Chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def built_docs():
    _require(
        INDEX.is_file() and GALLERY_PAGE.is_file(),
        "the documentation is not built (python -m sphinx -W -b html docs "
        "docs/_build/html)",
    )
    return HTML


def _run_chromium(chromium, profile, *args, timeout=120):
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False
    )


class _Page(HTMLParser):
    """Collects the ``<title>`` text and the ``src`` of every ``<img>``."""

    def __init__(self):
        super().__init__()
        self.title = ""
        self.images = []
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self._in_title = True
        elif tag == "img":
            self.images.append(dict(attrs).get("src", ""))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def _dump_dom(chromium, page, profile):
    result = _run_chromium(
        chromium, profile, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<html" in result.stdout, result.stderr[-2000:]
    parsed = _Page()
    parsed.feed(result.stdout)
    return result.stdout, parsed


def _local_image_files(page, sources):
    """Paths of the images of ``page`` that are files next to it."""
    files = []
    for src in sources:
        url = urlparse(src)
        if url.scheme in ("data", "http", "https"):
            continue
        if url.scheme == "file":
            files.append(Path(unquote(url.path)))
        else:
            files.append((page.parent / unquote(url.path)).resolve())
    return files


def _png_size_and_colours(path):
    """Width, height and a rough count of distinct row checksums of a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    chunks, pos = [], 8
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            chunks.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = len(raw) // height
    distinct_rows = len({raw[i * stride + 1 : (i + 1) * stride] for i in range(height)})
    return width, height, distinct_rows


def _screenshot(chromium, page, tmp_path, height):
    """A 1280-pixel-wide screenshot of ``page``: (file, width, height, rows)."""
    shot = tmp_path / "page.png"
    result = _run_chromium(
        chromium,
        tmp_path / "profile",
        "--virtual-time-budget=5000",
        f"--window-size=1280,{height}",
        f"--screenshot={shot}",
        page.as_uri(),
    )
    assert shot.is_file(), result.stderr[-2000:]
    return (shot, *_png_size_and_colours(shot))


def test_index_page_renders(chromium, built_docs, tmp_path):
    dom, page = _dump_dom(chromium, INDEX, tmp_path / "profile")
    assert "skfashion" in page.title
    assert re.search(r"<h1[^>]*>\s*skfashion", dom)
    # Links of the main sections are in the rendered navigation.
    for target in ("install.html", "user_guide/index.html", "api.html"):
        assert target in dom
    # Figures pulled from benchmarks/results/latest.json by the extension.
    assert "bench_defaults.py" in dom


def test_gallery_page_renders_with_figures(chromium, built_docs, tmp_path):
    dom, page = _dump_dom(chromium, GALLERY_PAGE, tmp_path / "profile")
    assert "Quickstart" in page.title
    figures = [src for src in page.images if "sphx_glr_plot_01_quickstart" in src]
    assert figures, f"no example figure among the images: {page.images}"
    files = _local_image_files(GALLERY_PAGE, page.images)
    assert files
    missing = [str(f) for f in files if not f.is_file()]
    assert not missing, f"images referenced but absent: {missing}"
    for file in _local_image_files(GALLERY_PAGE, figures):
        assert file.stat().st_size > 5_000, f"{file} is suspiciously small"
    # The example's printed output was captured into the page.
    assert "test accuracy" in dom


@pytest.mark.parametrize("page", [INDEX, GALLERY_PAGE], ids=["index", "gallery"])
def test_screenshot_is_not_blank(chromium, built_docs, tmp_path, page):
    shot, width, height, distinct_rows = _screenshot(chromium, page, tmp_path, 1600)
    assert (width, height) == (1280, 1600)
    assert shot.stat().st_size > 20_000
    # A blank or error page has a handful of distinct rows; a page with
    # text and figures has hundreds.
    assert distinct_rows > 200, distinct_rows


def test_report_renders_in_a_browser(chromium, fitted_tiny_mlp, sample_split, tmp_path):
    # The HTML report of write_report, opened from disk as a user would: one
    # self-contained page whose figures are all inline and drawn.
    from skfashion.datasets import FASHION_MNIST_CLASSES
    from skfashion.report import write_report

    _, _, X_test, y_test = sample_split
    report = write_report(
        fitted_tiny_mlp,
        X_test,
        y_test,
        tmp_path / "run",
        target_names=FASHION_MNIST_CLASSES,
        title="Browser check",
    )
    dom, page = _dump_dom(chromium, report, tmp_path / "profile")
    assert "Browser check" in page.title
    assert len(page.images) >= 5  # confusion matrices, curves, mistakes
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    assert "Headline metrics" in dom and "Classification report" in dom
    assert "T-shirt/top" in dom  # class names, from target_names
    # Headline figures and the confusion matrix first, the parameters last.
    assert dom.index("Headline metrics") < dom.index("Confusion matrix")
    assert dom.index("Confusion matrix") < dom.index("Classification report")
    assert dom.index("Classification report") < dom.index("<h2>Model</h2>")
    assert "np.float64" not in dom
    _, width, height, distinct_rows = _screenshot(chromium, report, tmp_path, 2400)
    assert (width, height) == (1280, 2400)
    assert distinct_rows > 300, distinct_rows
