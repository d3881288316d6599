"""A user's own images: one folder per class."""

from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..exceptions import DataFileError, ImageFileError
from ..imaging import IMAGE_SUFFIXES, read_image

__all__ = ["load_image_folder"]


def load_image_folder(
    path,
    *,
    image_size=None,
    color_mode="grayscale",
    return_X_y=False,
):
    """Load images stored as one subfolder per class.

    Like :func:`sklearn.datasets.load_files` for images: every subfolder of
    ``path`` is a class, named after the folder, and holds that class's image
    files (PNG, JPEG, BMP, GIF, TIFF or WebP). Files are read in sorted order;
    hidden files and folders are skipped.

    Parameters
    ----------
    path : str or path-like
        The folder holding one subfolder per class.
    image_size : tuple of int or None, default=None
        ``(height, width)`` every image is resized to (Lanczos filtering,
        without keeping the aspect ratio). None requires all images to have
        the same size and raises an error naming two that differ.
    color_mode : {"grayscale", "rgb"}, default="grayscale"
        Images become ``(height, width)`` or ``(height, width, 3)`` arrays.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of the Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_samples, n_pixels) uint8 flat images, ``images`` the same
        as (n_samples, height, width[, 3]), ``target`` (n_samples,) class
        indices, ``target_names`` the folder names, ``filenames`` the files,
        ``DESCR`` a description.
    (data, target) : tuple
        With ``return_X_y=True``: the flat images and the class indices.

    Raises
    ------
    DataFileError
        If the folder is missing or has no class folders, a class folder has
        no images, an image cannot be read (the error names the file), or the
        sizes differ without ``image_size``.

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
    """
    root = Path(path)
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
    if image_size is not None:
        image_size = tuple(image_size)
        if len(image_size) != 2 or not all(
            isinstance(v, (int, np.integer)) and v > 0 for v in image_size
        ):
            raise ValueError(
                "image_size must be (height, width) of positive ints or None, "
                f"got {image_size!r}."
            )
    images, target, filenames = [], [], []
    first = None
    for index, folder in enumerate(classes):
        files = sorted(
            p
            for p in folder.iterdir()
            if p.is_file()
            and not p.name.startswith(".")
            and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not files:
            raise DataFileError(
                f"Class folder {folder} has no image files "
                f"({', '.join(sorted(IMAGE_SUFFIXES))}); remove it or add images."
            )
        for file in files:
            try:
                pixels = read_image(file, color_mode=color_mode)
            except ImageFileError as exc:
                raise DataFileError(str(exc)) from None
            if image_size is not None:
                pixels = _resize(pixels, image_size)
            elif first is None:
                first = (file, pixels.shape)
            elif pixels.shape != first[1]:
                raise DataFileError(
                    f"Images of different sizes: {first[0]} is "
                    f"{first[1][1]}x{first[1][0]}, {file} is "
                    f"{pixels.shape[1]}x{pixels.shape[0]}; pass "
                    "image_size=(height, width) to resize them all."
                )
            images.append(pixels)
            target.append(index)
            filenames.append(str(file))
    images = np.stack(images)
    target = np.asarray(target)
    data = images.reshape(len(images), -1)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        images=images,
        target=target,
        target_names=np.asarray([c.name for c in classes]),
        filenames=np.asarray(filenames),
        DESCR=(
            f"Images from {root}: {len(images)} files in {len(classes)} class "
            f"folders, {color_mode}, {images.shape[1]}x{images.shape[2]} pixels."
        ),
    )


def _resize(pixels, size):
    from PIL import Image

    h, w = size
    if pixels.shape[:2] == (h, w):
        return pixels
    return np.asarray(Image.fromarray(pixels).resize((w, h), Image.LANCZOS))
