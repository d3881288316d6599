"""Turning image files into Fashion-MNIST-like arrays.

Fashion-MNIST images are 28x28 grayscale with a light object on a dark
background. A photo or drawing is converted the same way: to grayscale, padded
to a square with its background colour (so the object keeps its aspect
ratio), resized with Lanczos filtering, and inverted when its background is
light (``invert="auto"`` looks at the mean of the border pixels).
"""

from pathlib import Path

import numpy as np

from .exceptions import DataFileError, ImageFileError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}

#: Largest image read, in pixels (25 megapixels, 5000 x 5000): far below
#: Pillow's own decompression-bomb limit (about 89 megapixels, then a
#: warning, an error only above twice that), since a classifier of small
#: images has no use for larger ones and each one costs memory to decode.
MAX_IMAGE_PIXELS = 25_000_000


def read_image(path, *, color_mode="grayscale"):
    """Decode one image file into a uint8 array, refusing oversized ones.

    The size in the file's header is checked against
    :data:`MAX_IMAGE_PIXELS` before any pixel is decoded.

    Parameters
    ----------
    path : str or path-like
        A PNG, JPEG, BMP, GIF, TIFF or WebP file.
    color_mode : {"grayscale", "rgb"}, default="grayscale"
        ``"grayscale"`` gives ``(height, width)``, ``"rgb"`` ``(height,
        width, 3)``.

    Returns
    -------
    pixels : ndarray of uint8

    Raises
    ------
    ImageFileError
        If the file is missing, not a readable image, or too large.
    """
    from PIL import Image, UnidentifiedImageError

    if color_mode not in ("grayscale", "rgb"):
        raise ValueError(
            f"color_mode must be 'grayscale' or 'rgb', got {color_mode!r}."
        )
    path = Path(path)
    try:
        with Image.open(path) as img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ImageFileError(
                    f"{path}: {width}x{height} pixels is more than skfashion "
                    f"reads ({MAX_IMAGE_PIXELS:,} pixels); resize it first."
                )
            return np.asarray(img.convert("L" if color_mode == "grayscale" else "RGB"))
    except FileNotFoundError:
        raise ImageFileError(f"{path}: no such file") from None
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as exc:
        raise ImageFileError(f"{path}: not a readable image ({exc})") from None


def _border_mean(a):
    return float(np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]]).mean())


def _should_invert(a, invert):
    if invert == "yes":
        return True
    if invert == "no":
        return False
    return _border_mean(a) > 127.5


def load_image(path, *, shape=(28, 28), invert="auto"):
    """Read an image or ``.npy`` file as a list of ``shape`` pixel arrays.

    Parameters
    ----------
    path : str or path-like
        A PNG/JPEG (any size, colour or grayscale) or a ``.npy`` array of
        shape ``(h, w)``, ``(n, h, w)`` or ``(n, h*w)`` already on the 0-255
        Fashion-MNIST scale.
    shape : tuple of int, default=(28, 28)
        ``(height, width)`` of the model's images.
    invert : {"auto", "yes", "no"}, default="auto"
        Polarity correction for image files; ignored for ``.npy``.

    Returns
    -------
    images : list of ndarray of shape ``shape``
        float32 pixels in [0, 255].

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from skfashion.imaging import load_image
    >>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
    >>> np.save(path, np.zeros((2, 28, 28)))
    >>> [a.shape for a in load_image(path)]
    [(28, 28), (28, 28)]
    """
    path = Path(path)
    if not path.exists():
        raise ImageFileError(f"{path}: no such file")
    h, w = shape
    if path.suffix.lower() == ".npy":
        from .datasets import load_npy

        try:
            # Not np.load: it allocates whatever size the header declares.
            arr = load_npy(path)
        except DataFileError as exc:
            raise ImageFileError(str(exc)) from None
        except OSError as exc:
            raise ImageFileError(f"{path}: not a readable .npy array ({exc})") from None
        arr = np.asarray(arr, dtype=np.float32)
        if arr.ndim == 2 and arr.shape == (h, w):
            arr = arr[None]
        elif arr.ndim == 2 and arr.shape[1] == h * w:
            arr = arr.reshape(-1, h, w)
        elif not (arr.ndim == 3 and arr.shape[1:] == (h, w)):
            raise ImageFileError(
                f"{path}: array of shape {arr.shape}; expected ({h}, {w}), "
                f"(n, {h}, {w}) or (n, {h * w})"
            )
        if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 255:
            raise ImageFileError(f"{path}: pixel values must be finite and in [0, 255]")
        return list(arr)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ImageFileError(
            f"{path}: unsupported file type {path.suffix!r}; give PNG/JPEG or .npy"
        )
    from PIL import Image

    gray = read_image(path).astype(np.float32)
    if _should_invert(gray, invert):
        gray = 255.0 - gray
    # Pad to the target aspect ratio with the (now dark) background.
    gh, gw = gray.shape
    target = h / w
    if gh / gw < target:
        pad = int(round(gw * target)) - gh
        gray = np.pad(gray, ((pad // 2, pad - pad // 2), (0, 0)))
    elif gh / gw > target:
        pad = int(round(gh / target)) - gw
        gray = np.pad(gray, ((0, 0), (pad // 2, pad - pad // 2)))
    resized = Image.fromarray(gray.astype(np.uint8)).resize((w, h), Image.LANCZOS)
    return [np.asarray(resized, dtype=np.float32)]
