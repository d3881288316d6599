"""Turning image files into arrays, and photos into Fashion-MNIST-like ones.

:func:`read_image` decodes one file as it is stored: its colour (or not),
its bit depth (8-bit, 16-bit or floating-point pixels) and its size.

:func:`load_image` prepares a photo or drawing for a model, the way
Fashion-MNIST images look: a light object on a dark background. The image is
padded to the model's aspect ratio with its background colour (so the object
keeps its shape), resized with Lanczos filtering, inverted when its
background is light (``invert="auto"`` looks at the mean of the border
pixels) and brought to the model's pixel scale.
"""

import contextlib
from pathlib import Path

import numpy as np

from ._npy import NotARegularFileError, load_npy, open_regular_file
from .exceptions import DataFileError, ImageFileError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}

#: Largest image read, in pixels (25 megapixels, 5000 x 5000): far below
#: Pillow's own decompression-bomb limit (about 89 megapixels, then a
#: warning, an error only above twice that), since a classifier of small
#: images has no use for larger ones and each one costs memory to decode.
MAX_IMAGE_PIXELS = 25_000_000

#: Values of the ``color_mode`` parameters.
COLOR_MODES = ("auto", "grayscale", "rgb")

#: Pillow modes of single-channel images: 1-bit, 8-bit (with or without
#: alpha), 32-bit integer and 32-bit float; the 16-bit ``I;16*`` modes too.
_GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "F"})

#: Largest pixel value of each pixel range of the estimators.
_RANGE_TOPS = {"0-1": 1.0, "0-16": 16.0, "0-255": 255.0, "0-65535": 65535.0}


def _check_color_mode(color_mode, name="color_mode"):
    """Raise a ValueError naming ``name`` unless ``color_mode`` is allowed."""
    if not (isinstance(color_mode, str) and color_mode in COLOR_MODES):
        allowed = ", ".join(repr(m) for m in COLOR_MODES)
        raise ValueError(f"{name} must be one of {allowed}; got {color_mode!r}.")
    return color_mode


def _is_gray_mode(mode):
    """Whether a Pillow image mode holds one channel (besides alpha)."""
    return mode in _GRAY_MODES or mode.startswith("I;16")


def read_image(path, *, color_mode="auto"):
    """Decode one image file into an array, refusing oversized ones.

    The size in the file's header is checked against
    :data:`MAX_IMAGE_PIXELS` before any pixel is decoded. Pixel values are
    kept as stored: 8-bit images (and 1-bit ones, as 0 and 255) give
    ``uint8``, 16-bit images (and 32-bit integer ones with values up to
    65535) ``uint16``, floating-point images (Pillow mode ``F``) ``float32``.
    Colour images are 8-bit in Pillow. An alpha channel is dropped.

    Parameters
    ----------
    path : str or path-like
        A PNG, JPEG, BMP, GIF, TIFF or WebP file.
    color_mode : {"auto", "grayscale", "rgb"}, default="auto"
        ``"grayscale"`` gives ``(height, width)`` (colour is converted to
        luma, ITU-R 601-2); ``"rgb"`` gives ``(height, width, 3)`` (a
        grayscale image is repeated in the three channels); ``"auto"``
        gives ``(height, width, 3)`` for a colour image and ``(height,
        width)`` for a grayscale one, including an RGB or palette image
        whose three channels are equal everywhere.

    Returns
    -------
    pixels : ndarray of uint8, uint16 or float32
        ``(height, width)`` or ``(height, width, 3)``.

    Raises
    ------
    ImageFileError
        If the file is missing, not a regular file (a named pipe or a
        device is refused before it is read), not a readable image, too
        large, or holds pixels outside what skfashion reads (32-bit
        integers beyond 65535, floating-point values that are not finite).
    ValueError
        If ``color_mode`` is not one of the values above.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from skfashion.imaging import read_image
    >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
    >>> Image.fromarray(np.full((4, 6), 40000, np.uint16)).save(path)
    >>> pixels = read_image(path)
    >>> pixels.shape, pixels.dtype, int(pixels.max())
    ((4, 6), dtype('uint16'), 40000)
    >>> read_image(path, color_mode="rgb").shape
    (4, 6, 3)
    """
    _check_color_mode(color_mode)
    path = Path(path)
    with _open_image(path) as img:
        _checked_size(img, path)
        pixels = _decode(img, path, color_mode)
    if color_mode == "rgb" and pixels.ndim == 2:
        pixels = _gray_to_rgb(pixels)
    return pixels


@contextlib.contextmanager
def _open_image(path):
    """Pillow's lazy image of file ``path``, every failure an ImageFileError.

    Only the header is read on opening: pixels are decoded when used. A
    path that is not a regular file (a named pipe would block, a device
    such as ``/dev/zero`` never ends) is refused before it is read.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with open_regular_file(path) as file, Image.open(file) as img:
            yield img
    except ImageFileError:
        raise
    except FileNotFoundError:
        raise ImageFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImageFileError(f"{path} is a folder, not an image file") from None
    except NotARegularFileError as exc:
        raise ImageFileError(f"{path}: {exc.strerror}") from None
    except UnidentifiedImageError:
        raise ImageFileError(
            f"{path}: not a readable image (cannot identify image file)"
        ) from None
    except (
        Image.DecompressionBombError,
        OSError,
        ValueError,
    ) as exc:
        raise ImageFileError(f"{path}: not a readable image ({exc})") from None


def _checked_size(img, path):
    """``(width, height)`` of an open image, refused above MAX_IMAGE_PIXELS."""
    width, height = img.size
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageFileError(
            f"{path}: {width}x{height} pixels is more than skfashion "
            f"reads ({MAX_IMAGE_PIXELS:,} pixels); resize it first."
        )
    return width, height


def _read_image_size(path):
    """``(width, height)`` of image file ``path``, from its header alone.

    No pixel is decoded; the checks of :func:`read_image` on the file and
    its size apply (an image above :data:`MAX_IMAGE_PIXELS` is refused).

    Raises
    ------
    ImageFileError
        If the file is missing, not a regular file, not a readable image,
        or too large.

    Examples
    --------
    >>> import os, tempfile
    >>> from PIL import Image
    >>> from skfashion.imaging import _read_image_size
    >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
    >>> Image.new("L", (6, 4)).save(path)
    >>> _read_image_size(path)
    (6, 4)
    """
    path = Path(path)
    with _open_image(path) as img:
        return _checked_size(img, path)


def _decode(img, path, color_mode):
    """The pixels of an open Pillow image, before any channel repetition."""
    if _is_gray_mode(img.mode):
        return _gray_pixels(img, path)
    if color_mode == "grayscale":
        return np.asarray(img.convert("L"))
    rgb = np.asarray(img.convert("RGB"))
    if color_mode == "auto" and not _is_color(rgb):
        return np.ascontiguousarray(rgb[..., 0])
    return rgb


def _gray_pixels(img, path):
    mode = img.mode
    if mode in ("1", "L", "LA", "La"):
        return np.asarray(img.convert("L"))
    if mode == "F":
        pixels = np.asarray(img, dtype=np.float32)
        if not np.isfinite(pixels).all():
            raise ImageFileError(
                f"{path}: floating-point pixels that are not finite (NaN or "
                "infinity); replace them before reading the image."
            )
        return pixels
    # 16-bit (I;16, I;16B, ...) and 32-bit integer (I) pixels.
    try:
        pixels = np.asarray(img)
    except (TypeError, ValueError, KeyError):
        pixels = np.asarray(img.convert("I"))
    lo, hi = int(pixels.min()), int(pixels.max())
    if lo < 0 or hi > 65535:
        raise ImageFileError(
            f"{path}: integer pixels from {lo} to {hi}, outside the 16-bit "
            "range 0-65535 that skfashion reads; save the image as 16-bit or "
            "as floating-point (TIFF mode F)."
        )
    return pixels.astype(np.uint16)


def _is_color(pixels):
    """Whether an ``(height, width, channels)`` array has unequal channels."""
    pixels = np.asarray(pixels)
    if pixels.ndim != 3 or pixels.shape[-1] == 1:
        return False
    first = pixels[..., :1]
    return not bool((pixels == first).all())


def _gray_to_rgb(pixels):
    """A ``(..., height, width)`` array repeated into 3 channels."""
    return np.repeat(np.asarray(pixels)[..., None], 3, axis=-1)


def _pixel_top(pixels):
    """The largest value of the scale the pixels of an image file are on.

    255 for ``uint8``, 65535 for ``uint16``; for floating-point pixels 1,
    255 or 65535, whichever is the smallest at least the largest value
    (the largest value itself beyond 65535).
    """
    pixels = np.asarray(pixels)
    if pixels.dtype == np.uint8:
        return 255.0
    if pixels.dtype == np.uint16:
        return 65535.0
    hi = float(pixels.max()) if pixels.size else 0.0
    return next((top for top in (1.0, 255.0, 65535.0) if hi <= top), hi)


def _resize_image(pixels, size):
    """``pixels`` resized to ``size`` = ``(height, width)``, Lanczos filtering.

    8-bit images are resized by Pillow as they are; 16-bit and
    floating-point ones channel by channel in floating point, then clipped
    to the image's own range of values (Lanczos filtering overshoots at
    edges) and cast back to their dtype, so a 16-bit image stays 16-bit.
    """
    from PIL import Image

    h, w = size
    pixels = np.asarray(pixels)
    if pixels.shape[:2] == (h, w):
        return pixels
    if pixels.dtype == np.uint8 and (pixels.ndim == 2 or pixels.shape[-1] == 3):
        return np.asarray(Image.fromarray(pixels).resize((w, h), Image.LANCZOS))
    planes = pixels[..., None] if pixels.ndim == 2 else pixels
    lo, hi = float(pixels.min()), float(pixels.max())
    out = np.stack(
        [
            np.asarray(
                Image.fromarray(
                    np.ascontiguousarray(planes[..., c], dtype=np.float32)
                ).resize((w, h), Image.LANCZOS)
            )
            for c in range(planes.shape[-1])
        ],
        axis=-1,
    )
    out = np.clip(out, lo, hi)
    if pixels.dtype.kind in "iu":
        out = np.rint(out)
    out = out.astype(pixels.dtype)
    return out[..., 0] if pixels.ndim == 2 else out


def _border_mean(a):
    return float(np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]]).mean())


def _should_invert(a, invert, top=255.0):
    if invert == "yes":
        return True
    if invert == "no":
        return False
    return _border_mean(a) > top / 2


def load_image(
    path,
    *,
    shape=(28, 28),
    invert="auto",
    color_mode="auto",
    pixel_range="0-255",
):
    """Read an image or ``.npy`` file as a list of pixel arrays of ``shape``.

    Parameters
    ----------
    path : str or path-like
        An image file (PNG, JPEG, BMP, GIF, TIFF or WebP; any size, colour
        or grayscale, 8-bit, 16-bit or floating-point) or a ``.npy`` array
        of shape ``(h, w)``, ``(n, h, w)`` or ``(n, h*w)`` (in colour:
        ``(h, w, 3)``, ``(n, h, w, 3)`` or ``(n, h*w*3)``) already on the
        ``pixel_range`` scale.
    shape : tuple of int, default=(28, 28)
        ``(height, width)`` of the model's images.
    invert : {"auto", "yes", "no"}, default="auto"
        Polarity correction for image files; ignored for ``.npy``.
    color_mode : {"auto", "grayscale", "rgb"}, default="auto"
        ``"grayscale"`` gives ``(height, width)`` images (colour converted
        to luma), ``"rgb"`` ``(height, width, 3)`` ones (grayscale repeated
        in the three channels); ``"auto"`` reads each file as
        :func:`read_image` does, a colour image in colour and a grayscale
        one in grayscale. Pass the model's own mode: ``"rgb"`` when its
        ``image_shape_`` is ``(height, width, 3)``, else ``"grayscale"``.
    pixel_range : {"0-1", "0-16", "0-255", "0-65535"} or None, \
default="0-255"
        The pixel scale image files are brought to, as a fitted model's
        ``pixel_range_``: the scale of the file (0-255 for 8-bit images,
        0-65535 for 16-bit ones, 0-1, 0-255 or 0-65535 for floating-point
        ones, the smallest that holds their values) is mapped onto it. None
        keeps the values of the file. ``.npy`` arrays are never rescaled;
        their values must lie in the range (when it is not None).

    Returns
    -------
    images : list of ndarray
        float32 pixels on the ``pixel_range`` scale, each of shape
        ``(height, width)`` or ``(height, width, 3)``.

    Raises
    ------
    ImageFileError
        If a file is missing, not a regular file (a named pipe or a device
        is refused before it is read) or unreadable, or a ``.npy`` array has
        another shape or values off the pixel scale.
    ValueError
        If ``color_mode`` or ``pixel_range`` is not one of the values above.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from PIL import Image
    >>> from skfashion.imaging import load_image
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "x.npy")
    >>> np.save(path, np.zeros((2, 28, 28)))
    >>> [a.shape for a in load_image(path)]
    [(28, 28), (28, 28)]
    >>> png = os.path.join(folder, "red.png")
    >>> Image.new("RGB", (40, 30), (200, 0, 0)).save(png)
    >>> [a.shape for a in load_image(png)]
    [(28, 28, 3)]
    >>> [a.shape for a in load_image(png, color_mode="grayscale")]
    [(28, 28)]
    """
    _check_color_mode(color_mode)
    if pixel_range is not None and pixel_range not in _RANGE_TOPS:
        raise ValueError(
            f"pixel_range must be one of {', '.join(map(repr, _RANGE_TOPS))} "
            f"or None; got {pixel_range!r}."
        )
    h, w = shape
    path = Path(path)
    if not path.exists():
        raise ImageFileError(f"{path}: no such file")
    if path.suffix.lower() == ".npy":
        return _load_npy_images(path, (h, w), color_mode, pixel_range)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ImageFileError(
            f"{path}: unsupported file type {path.suffix!r}; give PNG/JPEG "
            "(or another image file) or .npy"
        )
    pixels = read_image(path, color_mode=color_mode)
    top = _pixel_top(pixels)
    image = pixels.astype(np.float32)
    if _should_invert(image, invert, top):
        image = top - image
    # Pad to the target aspect ratio with the (now dark) background.
    gh, gw = image.shape[:2]
    channels = ((0, 0),) * (image.ndim - 2)
    target = h / w
    if gh / gw < target:
        pad = int(round(gw * target)) - gh
        image = np.pad(image, ((pad // 2, pad - pad // 2), (0, 0), *channels))
    elif gh / gw > target:
        pad = int(round(gh / target)) - gw
        image = np.pad(image, ((0, 0), (pad // 2, pad - pad // 2), *channels))
    if pixels.dtype == np.uint8:
        image = image.astype(np.uint8)  # resized by Pillow as 8-bit
    resized = np.asarray(_resize_image(image, (h, w)), dtype=np.float32)
    if pixel_range is not None and _RANGE_TOPS[pixel_range] != top:
        resized *= np.float32(_RANGE_TOPS[pixel_range] / top)
    return [resized]


def _load_npy_images(path, size, color_mode, pixel_range):
    try:
        # Not np.load: it allocates whatever size the header declares.
        arr = load_npy(path)
    except DataFileError as exc:
        raise ImageFileError(str(exc)) from None
    except NotARegularFileError as exc:
        raise ImageFileError(f"{path}: {exc.strerror}") from None
    except IsADirectoryError:
        raise ImageFileError(f"{path} is a folder, not a .npy file") from None
    except OSError as exc:
        raise ImageFileError(f"{path}: not a readable .npy array ({exc})") from None
    arr = np.asarray(arr, dtype=np.float32)
    images = []
    if color_mode != "rgb":
        images.append(size)
    if color_mode != "grayscale":
        images.append((*size, 3))
    for image in images:
        if arr.shape == image:
            arr = arr[None]
            break
        if arr.shape[1:] == image:
            break
        if arr.ndim == 2 and arr.shape[1] == np.prod(image):
            arr = arr.reshape(-1, *image)
            break
    else:
        expected = []
        for image in images:
            dims = ", ".join(map(str, image))
            expected += [f"({dims})", f"(n, {dims})", f"(n, {np.prod(image)})"]
        raise ImageFileError(
            f"{path}: array of shape {arr.shape}; expected "
            f"{', '.join(expected[:-1])} or {expected[-1]}"
        )
    if pixel_range is None:
        if not np.isfinite(arr).all():
            raise ImageFileError(f"{path}: pixel values must be finite")
        return list(arr)
    top = _RANGE_TOPS[pixel_range]
    if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > top:
        raise ImageFileError(f"{path}: pixel values must be finite and in [0, {top:g}]")
    return list(arr)
