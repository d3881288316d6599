"""Exceptions and warnings raised by skfashion.

Every exception also inherits the builtin that callers would catch without
knowing about skfashion (``ValueError`` for bad file contents, ``OSError`` for
missing data), so generic handlers keep working.
"""

__all__ = [
    "CacheEntryWarning",
    "ChecksumError",
    "DataFileError",
    "DatasetNotFoundError",
    "ImageFileError",
    "ModelFileError",
    "PixelScaleWarning",
    "SkfashionError",
    "TrainingDivergedError",
]


class SkfashionError(Exception):
    """Base class of all skfashion exceptions.

    Examples
    --------
    >>> from skfashion.exceptions import DataFileError, SkfashionError
    >>> issubclass(DataFileError, SkfashionError)
    True
    """


class DataFileError(SkfashionError, ValueError):
    """A data file is corrupt, truncated or not the file that was expected.

    The message names the file and what is wrong with it.

    Examples
    --------
    >>> from skfashion.exceptions import DataFileError
    >>> issubclass(DataFileError, ValueError)
    True
    """


class ChecksumError(DataFileError):
    """A data file's SHA-256 digest differs from the published one.

    Examples
    --------
    >>> from skfashion.exceptions import ChecksumError, DataFileError
    >>> issubclass(ChecksumError, DataFileError)
    True
    """


class DatasetNotFoundError(SkfashionError, OSError):
    """A data set is neither on disk nor could it be downloaded.

    The message lists the folders searched and how to obtain the data.

    Examples
    --------
    >>> from skfashion.exceptions import DatasetNotFoundError
    >>> issubclass(DatasetNotFoundError, OSError)
    True
    """


class ImageFileError(SkfashionError, ValueError):
    """An image file cannot be read or has an unusable shape.

    The message names the file and what is wrong with it.
    """


class ModelFileError(SkfashionError, ValueError):
    """A saved model file is corrupt, incomplete or of an unknown format.

    Examples
    --------
    >>> from skfashion.exceptions import ModelFileError
    >>> issubclass(ModelFileError, ValueError)
    True
    """


class TrainingDivergedError(SkfashionError, ArithmeticError):
    """Training produced a NaN or infinite loss.

    Raised during ``fit`` at the first batch whose loss is not finite, so that
    a diverged network is never returned as a fitted model. In a search the
    candidate gets ``error_score`` and the warning carries this message.

    Examples
    --------
    >>> from skfashion.exceptions import TrainingDivergedError
    >>> issubclass(TrainingDivergedError, ArithmeticError)
    True
    """


class CacheEntryWarning(UserWarning):
    """A fit-cache entry could not be read, or is not the fit that asked for it.

    An entry is checked against the fit's key and parameters when loaded
    (one renamed, copied, or written by an older skfashion is not used);
    the fit is trained again and overwrites the entry.
    """


class PixelScaleWarning(UserWarning):
    """Pixel values do not look like they are on the expected scale.

    Examples
    --------
    >>> from skfashion.exceptions import PixelScaleWarning
    >>> issubclass(PixelScaleWarning, UserWarning)
    True
    """
