"""scikit-learn compatible Keras image classifiers for Fashion-MNIST."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("skfashion")
except PackageNotFoundError:  # running from a source checkout that is not installed
    __version__ = "0.1.0"
