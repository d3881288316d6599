"""A user's own images: one folder per class."""

import os
import stat
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from .._npy import _FILE_KINDS
from ..exceptions import DataFileError, ImageFileError
from ..imaging import (
    IMAGE_SUFFIXES,
    _check_color_mode,
    _gray_to_rgb,
    _read_image_size,
    _resize_image,
    read_image,
)

__all__ = ["load_image_folder"]

#: Default ``max_total_pixels`` of :func:`load_image_folder`: 2**28 pixels
#: (268,435,456), 1 GiB of images at 4 bytes a pixel. 8-bit grayscale
#: images take 1 byte a pixel (256 MiB), 8-bit colour ones 3 (768 MiB),
#: floating-point ones 4 (12 in colour). All of Fashion-MNIST, 70,000
#: images of 28x28, is 55 million pixels; 24 photos of 5000x5000, a few
#: hundred KiB as PNG, would be 600 million.
MAX_TOTAL_PIXELS = 2**28

#: Bit depth of decoded pixels, by dtype.
_DEPTHS = {
    np.dtype(np.uint8): "8-bit",
    np.dtype(np.uint16): "16-bit",
    np.dtype(np.float32): "floating-point",
}


def load_image_folder(
    path,
    *,
    image_size=None,
    color_mode="auto",
    return_X_y=False,
    max_total_pixels=MAX_TOTAL_PIXELS,
):
    """Load images stored as one subfolder per class.

    Like :func:`sklearn.datasets.load_files` for images: every subfolder of
    ``path`` is a class, named after the folder, and holds that class's image
    files (PNG, JPEG, BMP, GIF, TIFF or WebP). Files are read in sorted order;
    hidden files and folders are skipped.

    Pixel values are kept as the files store them (see
    :func:`skfashion.imaging.read_image`): 8-bit images give ``uint8``
    arrays, 16-bit images ``uint16`` arrays (values up to 65535, so the
    estimators' ``pixel_range="auto"`` reads the 0-65535 scale) and
    floating-point images (TIFF mode ``F``) ``float32`` arrays with their
    own values. Values are never rescaled, so a folder must hold images of
    one kind:

    * 8-bit and 16-bit images together are refused (the same value is a
      different brightness at each depth): convert them to one depth first;
    * floating-point images together with 8-bit or 16-bit ones are refused:
      the scale of floating-point values (0-1, 0-255, ...) cannot be told
      from the files, so it cannot be checked against the integer images'
      (a dark 8-bit image whose values are all 0 or 1 would look like a
      0-1 one). Save all the images as one kind first.

    Colour images are 8-bit in Pillow, so a colour image next to 16-bit
    grayscale ones counts as 8-bit and is refused too.

    Memory is bounded before any pixel is decoded: each image's size is
    read from its file header (an image over
    :data:`skfashion.imaging.MAX_IMAGE_PIXELS` is refused), and the folder
    is refused when the images would hold more than ``max_total_pixels``
    pixels in all. Loading takes about twice the memory of the result
    while the images are stacked.

    Parameters
    ----------
    path : str or path-like
        The folder holding one subfolder per class.
    image_size : tuple of int or None, default=None
        ``(height, width)`` every image is resized to (Lanczos filtering,
        without keeping the aspect ratio; 16-bit and floating-point images
        keep their dtype and range). None requires all images to have the
        same size and raises an error naming two that differ.
    color_mode : {"auto", "grayscale", "rgb"}, default="auto"
        ``"grayscale"`` gives ``(height, width)`` images, colour converted
        to luma (ITU-R 601-2); ``"rgb"`` gives ``(height, width, 3)`` images,
        grayscale ones repeated in the three channels. ``"auto"`` gives
        ``(height, width, 3)`` images when any image of the folder is in
        colour, else ``(height, width)`` ones. An image is in colour when
        its Pillow mode is not a grayscale one (``1``, ``L``, ``LA``,
        ``I``, ``I;16``, ``F``) and its red, green and blue channels differ
        somewhere: an RGB or palette file of gray pixels is grayscale. An
        alpha channel is dropped.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of the Bunch.
    max_total_pixels : int or None, default=2**28
        Most pixels the loaded images may hold in all: the sum of width
        times height over the images as their headers declare them, or,
        with ``image_size``, the number of images times ``height * width``.
        A pixel is 1 byte (8-bit grayscale) to 12 bytes (floating-point
        colour); the default, 268,435,456 pixels, is 1 GiB at 4 bytes a
        pixel and holds Fashion-MNIST several times over. Checked before
        any image is decoded. None sets no limit.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_samples, n_pixels) flat images (uint8, uint16 or
        float32, see above), ``images`` the same as (n_samples, height,
        width[, 3]), ``target`` (n_samples,) class indices,
        ``target_names`` the folder names, ``filenames`` the files,
        ``color_mode`` the mode used (``"grayscale"`` or ``"rgb"``),
        ``DESCR`` a description.
    (data, target) : tuple
        With ``return_X_y=True``: the flat images and the class indices.

    Raises
    ------
    DataFileError
        If the folder is missing or has no class folders, a class folder has
        no images, an image cannot be read or is not a regular file (the
        error names the file), the sizes differ without ``image_size``, the
        images hold more than ``max_total_pixels`` pixels (the error gives
        the total and the limit), or the bit depths cannot be mixed (the
        error names a file of each depth).
    ValueError
        If ``color_mode``, ``image_size`` or ``max_total_pixels`` is not one
        of the values above.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from skfashion.datasets import load_image_folder
    >>> root = tempfile.mkdtemp()
    >>> for name in ("cat", "dog"):
    ...     os.mkdir(os.path.join(root, name))
    ...     for i in range(2):
    ...         Image.fromarray(np.full((8, 8), 40 * i, np.uint8)).save(
    ...             os.path.join(root, name, f"{i}.png"))
    >>> bunch = load_image_folder(root)
    >>> bunch.images.shape, bunch.target_names.tolist(), bunch.target.tolist()
    ((4, 8, 8), ['cat', 'dog'], [0, 0, 1, 1])

    One colour image makes the whole folder RGB with ``color_mode="auto"``;
    ``"grayscale"`` converts it instead:

    >>> red = Image.new("RGB", (8, 8), (200, 30, 0))
    >>> red.save(os.path.join(root, "dog", "red.png"))
    >>> load_image_folder(root).images.shape
    (5, 8, 8, 3)
    >>> load_image_folder(root, color_mode="grayscale").images.shape
    (5, 8, 8)
    """
    return _load_image_folder(
        path,
        image_size=image_size,
        color_mode=color_mode,
        return_X_y=return_X_y,
        max_total_pixels=max_total_pixels,
    )


#: How the error on images of different sizes ends in Python.
_SIZE_ADVICE = "pass image_size=(height, width) to resize them all."


def _class_folders(root):
    """The class folders of ``root``, sorted; refused when there are none."""
    if not root.is_dir():
        raise DataFileError(f"{root}: no such folder of class folders.")
    classes = sorted(
        p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    if not classes:
        raise DataFileError(
            f"{root} has no class folders; put each class's images in a "
            "subfolder named after the class."
        )
    return classes


def _checked_image_size(image_size):
    """``image_size`` as a tuple of two positive ints, or None."""
    if image_size is None:
        return None
    if isinstance(image_size, (tuple, list)):
        size = tuple(image_size)
        if len(size) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0
            for v in size
        ):
            return size
    raise ValueError(
        "image_size must be (height, width) of positive ints or None, "
        f"got {image_size!r}."
    )


def _load_image_folder(
    path,
    *,
    image_size,
    color_mode,
    return_X_y,
    size_advice=_SIZE_ADVICE,
    max_total_pixels=MAX_TOTAL_PIXELS,
):
    """:func:`load_image_folder`, with the advice of the size error as given
    (the command line has no ``image_size``)."""
    _check_color_mode(color_mode)
    _check_max_total_pixels(max_total_pixels)
    root = Path(path)
    classes = _class_folders(root)
    if not isinstance(return_X_y, (bool, np.bool_)):
        raise ValueError(f"return_X_y must be True or False, got {return_X_y!r}.")
    image_size = _checked_image_size(image_size)
    listing = [
        (index, file)
        for index, folder in enumerate(classes)
        for file in _image_files(folder)
    ]
    _check_total_pixels(
        root, [f for _, f in listing], image_size, max_total_pixels, size_advice
    )
    # Colour is decided once every image is read ("auto"): each is read as
    # it is, grayscale ones as 2-D arrays, and repeated into 3 channels at
    # the end if needed.
    read_mode = "grayscale" if color_mode == "grayscale" else "auto"
    images, target, filenames = [], [], []
    first = None
    depths = {}  # bit depth -> the first file of that depth
    for index, file in listing:
        try:
            pixels = read_image(file, color_mode=read_mode)
        except ImageFileError as exc:
            raise DataFileError(str(exc)) from None
        if image_size is not None:
            pixels = _resize_image(pixels, image_size)
        elif first is None:
            first = (file, pixels.shape[:2])
        elif pixels.shape[:2] != first[1]:
            raise DataFileError(
                f"Images of different sizes: {first[0]} is "
                f"{first[1][1]}x{first[1][0]}, {file} is "
                f"{pixels.shape[1]}x{pixels.shape[0]}; {size_advice}"
            )
        depths.setdefault(_DEPTHS[pixels.dtype], file)
        images.append(pixels)
        target.append(index)
        filenames.append(str(file))
    dtype = _common_dtype(depths)
    rgb = color_mode == "rgb" or any(p.ndim == 3 for p in images)
    images = np.stack(
        [_gray_to_rgb(p) if rgb and p.ndim == 2 else p for p in images]
    ).astype(dtype, copy=False)
    target = np.asarray(target)
    data = images.reshape(len(images), -1)
    if return_X_y:
        return data, target
    mode = "rgb" if rgb else "grayscale"
    return Bunch(
        data=data,
        images=images,
        target=target,
        target_names=np.asarray([c.name for c in classes]),
        filenames=np.asarray(filenames),
        color_mode=mode,
        DESCR=(
            f"Images from {root}: {len(images)} files in {len(classes)} class "
            f"folders, {mode} ({dtype.name} pixels), {images.shape[2]}x"
            f"{images.shape[1]} pixels."
        ),
    )


def _check_max_total_pixels(value):
    if value is not None and not (
        isinstance(value, (int, np.integer))
        and not isinstance(value, bool)
        and value > 0
    ):
        raise ValueError(
            f"max_total_pixels must be a positive int or None, got {value!r}."
        )


def _image_files(folder):
    """The image files of class folder ``folder``, sorted.

    Hidden entries, folders and files of other types are skipped; an entry
    named like an image that is not a regular file (a named pipe, a device,
    a broken symbolic link) is refused rather than skipped or read.
    """
    files = []
    for entry in folder.iterdir():
        if entry.name.startswith(".") or entry.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        try:
            mode = os.stat(entry).st_mode
        except OSError as exc:  # a broken symbolic link, ...
            raise DataFileError(
                f"{entry}: cannot be read ({exc.strerror or exc})."
            ) from None
        if stat.S_ISDIR(mode):
            continue
        if not stat.S_ISREG(mode):
            kind = _FILE_KINDS.get(stat.S_IFMT(mode), "not a regular file")
            raise DataFileError(
                f"{entry} is {kind}, not a regular image file; remove it from "
                "the class folder."
            )
        files.append(entry)
    if not files:
        raise DataFileError(
            f"Class folder {folder} has no image files "
            f"({', '.join(sorted(IMAGE_SUFFIXES))}); remove it or add images."
        )
    return sorted(files)


def _check_total_pixels(root, files, image_size, limit, size_advice):
    """Refuse ``files`` whose pixels would exceed ``limit``, decoding none.

    Without ``image_size`` the sizes come from the file headers, which
    must also all be equal.
    """
    if image_size is not None:
        total = len(files) * image_size[0] * image_size[1]
        if limit is not None and total > limit:
            raise DataFileError(
                f"{root}: {len(files):,} images of {image_size[1]}x"
                f"{image_size[0]} (image_size={image_size}) hold {total:,} "
                f"pixels in all, more than max_total_pixels={limit:,}; pass a "
                "smaller image_size, load fewer images, or a larger "
                "max_total_pixels if the memory is there."
            )
        return
    total = 0
    first = None
    for file in files:
        try:
            size = _read_image_size(file)
        except ImageFileError as exc:
            raise DataFileError(str(exc)) from None
        if first is None:
            first = (file, size)
        elif size != first[1]:
            raise DataFileError(
                f"Images of different sizes: {first[0]} is "
                f"{first[1][0]}x{first[1][1]}, {file} is {size[0]}x{size[1]}; "
                f"{size_advice}"
            )
        total += size[0] * size[1]
    if limit is not None and total > limit:
        width, height = first[1]
        raise DataFileError(
            f"{root}: {len(files):,} images of {width}x{height} hold {total:,} "
            f"pixels in all, more than max_total_pixels={limit:,}; they were "
            "not decoded. Pass image_size=(height, width) to shrink each image "
            "as it is read, load fewer images, or a larger max_total_pixels "
            "if the memory is there."
        )


def _common_dtype(depths):
    """The dtype of a folder of images of the given bit depths, or an error."""
    if "8-bit" in depths and "16-bit" in depths:
        eight, sixteen = depths["8-bit"], depths["16-bit"]
        raise DataFileError(
            f"Images of different bit depths: {eight} is 8-bit, {sixteen} is "
            "16-bit (colour images are read as 8-bit). skfashion does not "
            "rescale pixel values, and the same value is a different "
            "brightness at each depth; convert the images to one bit depth "
            "(for example save the 8-bit ones as 16-bit with their values "
            "multiplied by 257), or split the folder."
        )
    if "floating-point" in depths:
        floats = depths["floating-point"]
        integers = [(d, depths[d]) for d in ("8-bit", "16-bit") if d in depths]
        if integers:
            depth, file = integers[0]
            raise DataFileError(
                f"Images of different kinds: {floats} is floating-point, "
                f"{file} is {depth} (colour images are read as 8-bit). skfashion "
                "does not rescale pixel values and cannot tell which scale "
                "floating-point values are on, so it cannot put both on one; "
                "save all the images as one kind (for example the "
                f"floating-point ones as {depth} images on the {depth} scale), "
                "or split the folder."
            )
        return np.dtype(np.float32)
    if "16-bit" in depths:
        return np.dtype(np.uint16)
    return np.dtype(np.uint8)
