"""Registry of the skfashion estimator classes.

Every public estimator class registers itself here when it is defined (see
``_BaseImageClassifier.__init_subclass__``), so that the model file format
can name and rebuild any of them without importing their modules.
"""

_CLASSES = {}


def register(cls):
    """Record ``cls`` under its class name."""
    _CLASSES[cls.__name__] = cls
    return cls


def estimator_class(name):
    """The registered class called ``name``, or None."""
    return _CLASSES.get(name) if isinstance(name, str) else None


def registered_names():
    """Sorted names of the registered estimator classes."""
    return sorted(_CLASSES)
