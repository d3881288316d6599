"""The data of a command: Fashion-MNIST, the bundled sample or the user's own.

``--data`` names a folder with one subfolder of images per class, or a
``.npz`` file with arrays ``X`` and ``y``. What the user gives is checked
here, before any training, and every mistake found is a :class:`UserError`.
"""

import warnings
from pathlib import Path

from ._console import UserError, _one_line

#: Values of --color-mode (skfashion.imaging.COLOR_MODES, without importing it).
COLOR_MODE_CHOICES = ("auto", "grayscale", "rgb")
_COLOR_MODE_HELP = (
    "how a --data folder of images is read: auto (RGB when any image is in "
    "colour, else grayscale; the default), grayscale or rgb"
)

#: The end of the error on a folder of images of different sizes.
_CLI_SIZE_ADVICE = (
    "resize them to one size first (the command line reads images at their "
    "own size; in Python, load_image_folder(..., image_size=(height, width)) "
    "resizes them)"
)


def _load_data(args, *, subset=None):
    """Training and test data as ``(X, y, X_test, y_test, info, names)``.

    ``names`` are the class names of the data set, or None when the labels
    are the names (image folders) or unnamed (a user's .npz).
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

    from ..models import check_saveable_labels

    if getattr(args, "data", None) is not None:
        if args.sample:
            raise UserError("give --sample or --data, not both")
        color_mode = getattr(args, "color_mode", "auto")
        X_all, y_all, info = _read_user_data(args.data, color_mode)
        names = None
        X, X_test, y, y_test = _split_user_data(X_all, y_all, args.data)
        info["test split"] = "a stratified 20% of --data, never trained on"
    else:
        X, y, X_test, y_test, info, names = _load_fashion_mnist(args)
    if subset is not None and subset < len(y):
        n_classes = len(np.unique(y))
        if subset < n_classes:
            raise UserError(
                f"--subset {subset} is smaller than the {n_classes} classes of the "
                f"data; the model must see every class to be evaluated on the "
                f"test images. Use --subset {n_classes} or more."
            )
        X, _, y, _ = train_test_split(
            X, y, train_size=subset, stratify=y, random_state=0
        )
    # Checked now, not when the model is saved after training.
    try:
        check_saveable_labels(y, "the training labels")
    except ValueError as exc:
        raise UserError(str(exc)) from None
    info["train images"] = len(y)
    info["test images"] = len(y_test)
    return np.asarray(X), np.asarray(y), X_test, y_test, info, names


def _load_fashion_mnist(args):
    """``(X, y, X_test, y_test, info, names)`` of Fashion-MNIST or --sample."""
    from sklearn.model_selection import train_test_split

    from ..datasets import fetch_fashion_mnist, load_fashion_mnist_sample

    if args.sample:
        bunch = load_fashion_mnist_sample()
        X, X_test, y, y_test = train_test_split(
            bunch.data,
            bunch.target,
            test_size=0.2,
            stratify=bunch.target,
            random_state=0,
        )
        info = {
            "source": "bundled sample (1,000 images of the Fashion-MNIST test split)",
        }
        return X, y, X_test, y_test, info, bunch.target_names
    train = fetch_fashion_mnist(subset="train", data_home=args.data_home)
    test = fetch_fashion_mnist(subset="test", data_home=args.data_home)
    info = {"source": "Fashion-MNIST"}
    for bunch in (train, test):
        for name, rec in bunch.files.items():
            info[name] = f"{rec['path']} (sha256 {rec['sha256']})"
    return (
        train.data,
        train.target,
        test.data,
        test.target,
        info,
        train.target_names,
    )


def _split_user_data(X, y, spec):
    """``(X, X_test, y, y_test)``: a stratified 20% of --data held out."""
    from sklearn.model_selection import train_test_split

    try:
        return train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    except ValueError as exc:
        # Too few images of a class, or too few images in all.
        raise UserError(
            f"--data {spec}: cannot hold out a stratified 20% of the images as "
            f"the test split ({_one_line(exc)})"
        ) from None


def _load_eval_data(spec, args, model):
    from ..datasets import fetch_fashion_mnist, load_fashion_mnist_sample

    if spec in ("test", "sample") and args.color_mode != "auto":
        raise UserError(
            f"--color-mode {args.color_mode} applies to a --data folder of "
            "images; Fashion-MNIST is grayscale"
        )
    if spec == "test":
        bunch = fetch_fashion_mnist(subset="test", data_home=args.data_home)
        return bunch.data, bunch.target, {"source": "Fashion-MNIST test split"}
    if spec == "sample":
        X, y = load_fashion_mnist_sample(return_X_y=True)
        return X, y, {"source": "bundled sample"}
    return _read_user_data(spec, args.color_mode, model=model)


def _read_user_data(spec, color_mode="auto", *, model=None):
    """``(X, y, info)`` from a folder of class folders or a .npz file.

    A folder is read in ``color_mode``, or for a fitted ``model`` in the
    colour mode the model was trained in (see :func:`_model_color_mode`).
    """
    from ..datasets import load_npz
    from ..exceptions import DataFileError

    path = Path(spec)
    if path.is_dir():
        return _read_image_folder(path, spec, color_mode, model)
    if color_mode != "auto":
        raise UserError(
            f"--color-mode {color_mode} applies to a folder of images; --data "
            f"{spec} is not a folder (a .npz is used as stored)"
        )
    if not path.exists():
        raise UserError(
            f"--data {spec}: no such file or folder (use test, sample, a .npz "
            "path or a folder with one subfolder per class)"
        )
    try:
        # Not np.load: it allocates whatever size an array header declares.
        X, y = load_npz(path, [("X", "data"), ("y", "target")])
    except (DataFileError, OSError) as exc:
        raise UserError(
            f"--data {spec}: expected a .npz with arrays X and y ({exc})"
        ) from None
    _check_arrays(X, y, spec)
    return X, y, {"source": str(path)}


def _read_image_folder(path, spec, color_mode, model):
    from ..datasets._folder import _load_image_folder

    if model is not None:
        color_mode = _model_color_mode(model, color_mode, what=f"--data {spec}")
    bunch = _load_image_folder(
        path,
        image_size=None,
        color_mode=color_mode,
        return_X_y=False,
        size_advice=_CLI_SIZE_ADVICE,
    )
    # Labels are the class names, so that reports and predictions name
    # the classes as the folders do.
    y = bunch.target_names[bunch.target]
    return (
        bunch.images,
        y,
        {
            "source": f"{path} (one folder per class)",
            "images": f"{bunch.color_mode}, {bunch.images.dtype.name} pixels",
        },
    )


def _check_arrays(X, y, spec):
    """Refuse arrays of a .npz that cannot be images and their labels."""
    if y.ndim != 1:
        raise UserError(f"--data {spec}: y must be 1-d, got shape {y.shape}")
    if X.ndim not in (2, 3, 4):
        raise UserError(
            f"--data {spec}: X must be (n_images, n_features), (n_images, "
            f"height, width) or (n_images, height, width, channels); got shape "
            f"{X.shape}"
        )
    if len(X) != len(y):
        raise UserError(f"--data {spec}: X holds {len(X)} images but y {len(y)} labels")


def _check_training_data(estimator, X, y, what):
    """Run the checks of ``X`` and ``y`` that ``fit`` starts with, now.

    The user's data is checked as the estimator checks it (image shape,
    pixel scale, at least two classes), before any training, so that a
    mistake in it is a usage error and not a failure of the training.
    """
    from sklearn.base import clone

    probe = clone(estimator)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # fit gives its warnings itself
            X = probe._prepare_X(X, reset=True)
            probe._check_tta()
            probe._prepare_y(y, X.shape[0])
    except (ValueError, TypeError) as exc:
        raise UserError(f"{what}: {_one_line(exc)}") from None


def _check_eval_data(model, X, what):
    """Run the checks of ``X`` that ``model.predict`` starts with, now."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scoring gives its warnings itself
            model._prepare_X(X, reset=False)
    except (ValueError, TypeError) as exc:
        raise UserError(f"{what}: {_one_line(exc)}") from None


def _check_color_mode_use(args):
    """Refuse --color-mode where no folder of images is read, before any work."""
    if args.color_mode == "auto" or (
        args.data is not None and Path(args.data).is_dir()
    ):
        return
    what = (
        "Fashion-MNIST is grayscale"
        if args.data is None
        else (f"--data {args.data} is not a folder (a .npz is used as stored)")
    )
    raise UserError(
        f"--color-mode {args.color_mode} applies to a --data folder of images; {what}"
    )


def _model_color_mode(model, requested, *, what):
    """The colour mode to read image files in for ``model``.

    A model trained on ``(height, width, 3)`` images takes RGB, one trained
    on ``(height, width)`` images grayscale; ``requested`` ("auto" or the
    ``--color-mode`` given) must agree. Models of another channel count
    cannot take image files.
    """
    shape = getattr(model, "image_shape_", None)
    if shape is None:
        # Flat features of unknown shape: 28x28 grayscale unless told.
        return "grayscale" if requested == "auto" else requested
    channels = shape[2] if len(shape) == 3 else 1
    if channels not in (1, 3):
        raise UserError(
            f"{what}: the model takes images of {channels} channels "
            f"(image_shape_ {tuple(shape)}), but image files are read as "
            "grayscale or RGB; give the images as a .npz/.npy array instead"
        )
    wanted = "rgb" if channels == 3 else "grayscale"
    if requested not in ("auto", wanted):
        kind = "RGB" if channels == 3 else "grayscale"
        raise UserError(
            f"--color-mode {requested}: the model was trained on {kind} images "
            f"(image_shape_ {tuple(shape)}); leave --color-mode out (auto reads "
            f"images as the model takes them) or pass --color-mode {wanted}"
        )
    return wanted
