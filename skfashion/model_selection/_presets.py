"""Search presets: the five reference studies and our recommended spaces.

Each preset holds an estimator configured as the study's network, the
study's search space as scikit-learn ``param_distributions`` (scipy.stats
distributions where the study samples a range) and its protocol (folds,
epochs, trials) as defaults of :func:`~skfashion.model_selection.make_search`.
"""

import math
from dataclasses import dataclass
from itertools import product
from numbers import Integral, Real

from scipy.stats import loguniform, randint
from sklearn.base import clone
from sklearn.model_selection import (
    KFold,
    ShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
)

from ..models import KerasCNNClassifier, KerasMLPClassifier
from ._budget import halving_cost, most_candidates_within
from ._halving import halving_schedule

# Settings that make the networks behave like the plain Keras models of the
# studies: constant learning rate, no decoupled weight decay, the plain
# cross-entropy (no label smoothing), no augmentation.
_PLAIN_TRAINING = dict(
    lr_schedule="constant", weight_decay=0.0, optimizer="adam", label_smoothing=0.0
)
# ... and for the CNNs, images as they come: no augmentation in training, one
# view of each image at prediction.
_PLAIN_IMAGES = dict(random_erasing=0.0, horizontal_flip=False, tta=None)


@dataclass
class Preset:
    """A search preset: estimator, parameter space and protocol.

    Attributes
    ----------
    name : str
        Identifier used by :func:`get_preset` and ``skfashion tune --preset``.
    description : str
        One line on what the preset reproduces.
    estimator : estimator
        Unfitted estimator with the preset's fixed settings.
    param_distributions : dict
        Search space for ``RandomizedSearchCV`` / ``HalvingRandomSearchCV``.
    n_iter : int
        Number of sampled candidates (trials) of the protocol.
    cv : int or cross-validation splitter
        Cross-validation of the protocol.
    reported_test_accuracy : float or None
        Test accuracy the study reports, the figure to beat.
    notes : str
        How the preset departs from the study, or what it assumes where the
        study is silent.
    include_defaults : bool
        Whether a halving search makes the estimator's own values its first
        candidate (so the search cannot end below the defaults in CV).
    min_epochs : int or None
        Epochs of a halving search's first rung (None: the last rung's
        epochs divided by ``factor`` once per rung; see
        :func:`halving_schedule`).
    defaults_margin : float or None
        A halving search's ``defaults_margin``: with ``include_defaults``,
        the standard errors by which a challenger must beat the defaults to
        replace them (None: the best score chooses).
    budget_fits : float or None
        Planned cost of the preset's halving search and refit in default
        fits (see :func:`halving_cost`), where the preset knows it (the
        presets of :func:`preset_for_data`).
    """

    name: str
    description: str
    estimator: object
    param_distributions: dict
    n_iter: int
    cv: object
    reported_test_accuracy: float | None = None
    notes: str = ""
    include_defaults: bool = False
    min_epochs: int | None = None
    defaults_margin: float | None = None
    budget_fits: float | None = None

    @property
    def epochs(self):
        """Epochs per training of the protocol."""
        return self.estimator.epochs


def _s1():
    return Preset(
        name="s1-cnn",
        description="S1: 12-layer CNN, Keras Tuner RandomSearch, 4-fold CV, 3 trials",
        estimator=KerasCNNClassifier(
            conv_filters=(64, 128),
            padding="valid",
            batch_norm=True,
            pooling="max",
            dense_units=320,
            batch_size=32,
            epochs=10,
            **_PLAIN_TRAINING,
            **_PLAIN_IMAGES,
        ),
        param_distributions={
            "conv_dropout": [0.2, 0.3, 0.4, 0.5],
            "dense_units": [256, 320, 384, 448, 512],
            "dropout": [0.2, 0.3, 0.4, 0.5],
            "learning_rate": loguniform(1e-4, 1e-2),
        },
        n_iter=3,
        cv=KFold(4, shuffle=True, random_state=0),
        reported_test_accuracy=0.916,
        notes=(
            "Pooling pads to 'same' (a 6x6x128 flatten where S1 has 5x5x128) "
            "and batch normalisation uses momentum 0.9, not Keras' 0.99."
        ),
    )


def _s2():
    filters = (32, 64, 96, 128)
    return Preset(
        name="s2-cnn",
        description="S2: two-conv CNN with L2, Keras Tuner RandomSearch, 90/10 holdout",
        estimator=KerasCNNClassifier(
            conv_filters=(64, 64),
            padding="valid",
            batch_norm=False,
            pooling=None,
            conv_dropout=0.0,
            dense_units=64,
            dropout=0.0,
            l2=1e-4,
            batch_size=32,
            epochs=10,
            **_PLAIN_TRAINING,
            **_PLAIN_IMAGES,
        ),
        param_distributions={
            "conv_filters": list(product(filters, filters)),
            "kernel_size": [3, 5],
            "dense_units": [32, 64, 96, 128],
            "learning_rate": [1e-2, 1e-3],
        },
        n_iter=10,
        cv=ShuffleSplit(n_splits=1, test_size=0.1, random_state=0),
        reported_test_accuracy=0.91,
        notes="Trials and epochs are not reported; 10 trials of 10 epochs assumed.",
    )


def _s3():
    units = [32, 64, 128, 256, 512]
    return Preset(
        name="s3-mlp",
        description="S3: Flatten + 3 Dense MLP, Keras Tuner",
        estimator=KerasMLPClassifier(
            hidden_layer_sizes=(256, 128),
            dropout=0.0,
            batch_norm=False,
            batch_size=32,
            epochs=10,
            **_PLAIN_TRAINING,
        ),
        param_distributions={
            "hidden_layer_sizes": list(product(units, units)),
            "activation": list(product(["relu", "tanh"], ["relu", "tanh"])),
            "optimizer": ["sgd", "adam", "rmsprop", "nadam"],
            "learning_rate": loguniform(1e-4, 1e-2),
        },
        n_iter=10,
        cv=ShuffleSplit(n_splits=1, test_size=0.1, random_state=0),
        reported_test_accuracy=0.8915,
        notes="Trials, epochs and unit ranges are not reported; assumed.",
    )


def _s4():
    sizes = [(n,) * depth for depth in (1, 2, 3, 4) for n in (64, 128, 256, 512)]
    return Preset(
        name="s4-mlp",
        description=(
            "S4: deep MLP, Keras Tuner, early stopping (patience 5), 54k/6k split"
        ),
        estimator=KerasMLPClassifier(
            hidden_layer_sizes=(256, 256),
            dropout=0.2,
            batch_norm=False,
            l2=1e-4,
            early_stopping=True,
            patience=5,
            validation_fraction=0.1,
            batch_size=32,
            epochs=50,
            **_PLAIN_TRAINING,
        ),
        param_distributions={
            "hidden_layer_sizes": sizes,
            "activation": ["relu", "tanh"],
            "optimizer": ["sgd", "adam", "adagrad", "nadam", "adadelta", "rmsprop"],
            "learning_rate": loguniform(1e-4, 1e-2),
        },
        n_iter=10,
        cv=ShuffleSplit(n_splits=1, test_size=0.1, random_state=0),
        reported_test_accuracy=0.895,
    )


def _s5():
    return Preset(
        name="s5-mlp",
        description="S5: Dense(32, sigmoid) MLP; learning rate, optimizer, batch size",
        estimator=KerasMLPClassifier(
            hidden_layer_sizes=(32,),
            activation="sigmoid",
            dropout=0.0,
            batch_norm=False,
            batch_size=128,
            epochs=20,
            **_PLAIN_TRAINING,
        ),
        param_distributions={
            "learning_rate": [0.001, 0.01, 0.1],
            "optimizer": ["sgd", "adam", "nadam", "rmsprop"],
            "batch_size": [128, 256],
        },
        n_iter=24,  # the whole grid
        cv=ShuffleSplit(n_splits=1, test_size=0.1, random_state=0),
        reported_test_accuracy=0.867,
    )


def _cnn():
    return Preset(
        name="cnn",
        description=(
            "skfashion's main job: the default CNN and its neighbours, scored "
            "on a holdout in the final fit's regime"
        ),
        estimator=KerasCNNClassifier(),
        # Changes around the default network that can pay off at the full
        # budget and cost about as much to train (a third convolution block
        # would double the last rung and the final fit); the default itself
        # is the first candidate.
        param_distributions={
            "dense_units": [256, 512],
            "label_smoothing": [0.0, 0.1],
            "random_erasing": [0.2, 0.3, 0.4],
            "conv_dropout": [0.15, 0.25, 0.35],
            "dropout": [0.3, 0.4, 0.5],
            "learning_rate": loguniform(4e-3, 9e-3),
            "weight_decay": loguniform(3e-5, 3e-4),
        },
        n_iter=9,
        # One stratified holdout of 1/6 of the training images: every fit of
        # the search trains on 50,000 of the 60,000 images, as many epochs
        # at the last rung as the final fit, so the search scores candidates
        # in the regime of the final model.
        cv=StratifiedShuffleSplit(n_splits=1, test_size=1 / 6, random_state=0),
        include_defaults=True,
        min_epochs=2,
        # Keep the long-tuned defaults unless a challenger beats them by more
        # than 2 standard errors on the holdout. Measured
        # (benchmarks/results/rung_ranking.json): the 9 candidates fully
        # trained on 12,000 images were within 0.0052 holdout accuracy of
        # each other on 8,000 images, each score with a standard error of
        # 0.0029, so the best score alone picks by noise.
        defaults_margin=2.0,
        notes=(
            "Halving with 9 candidates (the defaults first): 9 x 2, 3 x 6 and "
            "1 x 25 epochs on 50,000 images, survivors continuing (49 epochs "
            "trained in all); then the final fit on all 60,000."
        ),
    )


def _mlp():
    return Preset(
        name="mlp",
        description="skfashion's recommended MLP space (around the default network)",
        estimator=KerasMLPClassifier(epochs=30),
        param_distributions={
            "hidden_layer_sizes": [
                (256, 128),
                (512, 256),
                (1024, 512),
                (512, 256, 128),
            ],
            "dropout": [0.2, 0.3, 0.4],
            "learning_rate": loguniform(7e-4, 5e-3),
            "weight_decay": loguniform(1e-5, 1e-3),
            "batch_size": randint(128, 513),
        },
        n_iter=9,
        cv=KFold(3, shuffle=True, random_state=0),
    )


_PRESETS = {p().name: p for p in (_s1, _s2, _s3, _s4, _s5, _cnn, _mlp)}


#: Below this many search images, ``preset_for_data`` scores by 3-fold CV;
#: from it on, by one stratified holdout of a fifth of them.
DATA_HOLDOUT_FROM = 5000
#: Most candidates of ``preset_for_data``; fewer where a budget asks for it.
DATA_MAX_CANDIDATES = 9
#: Fewest candidates worth a 3-fold search (the defaults and two others);
#: a budget that cannot pay for them falls back to the holdout.
DATA_MIN_KFOLD_CANDIDATES = 3


def _data_protocols(n_samples):
    """``(cv, n_splits, train_fraction)`` to try, the preferred one first."""
    holdout = (
        StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=0),
        1,
        (n_samples - math.ceil(0.2 * n_samples)) / n_samples,
    )
    if n_samples >= DATA_HOLDOUT_FROM:
        return [holdout]
    return [(StratifiedKFold(3, shuffle=True, random_state=0), 3, 2 / 3), holdout]


def _data_plan(n_samples, epochs, budget):
    """``(cv, n_candidates, cost)`` of the data preset within ``budget``."""
    protocols = _data_protocols(n_samples)

    def cost(n, n_splits, fraction):
        rungs = halving_schedule(n, epochs)
        return halving_cost(
            rungs, n_splits=n_splits, train_fraction=fraction, include_defaults=True
        )

    if budget is None:
        cv, n_splits, fraction = protocols[0]
        n = DATA_MAX_CANDIDATES
        return cv, n, cost(n, n_splits, fraction)
    for cv, n_splits, fraction in protocols:
        n, planned = most_candidates_within(
            budget,
            lambda n: cost(n, n_splits, fraction),  # noqa: B023 (called at once)
            most=DATA_MAX_CANDIDATES,
            fewest=DATA_MIN_KFOLD_CANDIDATES if n_splits > 1 else 2,
        )
        if planned <= budget:
            return cv, n, planned
    _, n_splits, fraction = protocols[-1]
    raise ValueError(
        f"budget={budget!r} default fits cannot pay for a search on "
        f"{n_samples:,} images: the smallest plan (2 candidates on a holdout, "
        f"then the refit) costs {cost(2, n_splits, fraction):.2f} default fits. "
        "Give a larger budget, or train the defaults without a search."
    )


def preset_for_data(n_samples, *, budget=None):
    """A CNN search preset sized for a user's data set of ``n_samples`` images.

    On Fashion-MNIST the defaults are the product of a long tuning; on other
    data they are a guess, so this space spans what matters away from it:
    the batch size, the learning rate, flips on or off, batch normalisation
    and the width of the network, around the defaults (the first candidate,
    carried to the last rung). Small sets are scored by stratified 3-fold
    CV, larger ones (``DATA_HOLDOUT_FROM`` images and more) by one
    stratified holdout of a fifth, as a holdout of a few hundred images
    cannot rank candidates. ``skfashion tune --data`` uses it when no
    ``--preset`` is given.

    With a ``budget`` the plan keeps to it: the preferred protocol with the
    most candidates (at most 9) whose cost, by :func:`halving_cost`, is
    within the budget; a small set whose 3-fold search cannot have 3
    candidates within it falls back to the holdout.

    Parameters
    ----------
    n_samples : int
        Number of images the search runs on.
    budget : float or None, default=None
        Most default fits (trainings of the defaults for their full epochs on
        all ``n_samples`` images) the search and its refit may cost. None:
        9 candidates on the protocol of the data's size.

    Returns
    -------
    preset : Preset
        Named ``"data"``, a halving search whose planned cost in default
        fits is its ``budget_fits``.

    Raises
    ------
    ValueError
        When even 2 candidates on a holdout cost more than ``budget``.

    Examples
    --------
    >>> from skfashion.model_selection import preset_for_data
    >>> small, large = preset_for_data(800), preset_for_data(20000)
    >>> type(small.cv).__name__, type(large.cv).__name__
    ('StratifiedKFold', 'StratifiedShuffleSplit')
    >>> sorted(small.param_distributions["batch_size"], key=str)
    [16, 32, 64, 'auto']
    >>> round(small.budget_fits, 2)
    7.48
    >>> plan = preset_for_data(800, budget=4)
    >>> type(plan.cv).__name__, plan.n_iter, round(plan.budget_fits, 2)
    ('StratifiedShuffleSplit', 9, 3.59)
    """
    if not isinstance(n_samples, Integral) or n_samples < 2:
        raise ValueError(
            f"n_samples must be an integer >= 2 (the images of the search); "
            f"got {n_samples!r}."
        )
    if budget is not None and (
        not isinstance(budget, Real) or isinstance(budget, bool) or not budget > 0
    ):
        raise ValueError(
            f"budget must be a positive number of default fits or None; got "
            f"{budget!r}. For example budget=4 lets the search and its refit "
            "cost four trainings of the defaults."
        )
    estimator = KerasCNNClassifier()
    cv, n_iter, cost = _data_plan(n_samples, estimator.epochs, budget)
    batches = [b for b in (16, 32, 64) if b <= max(16, n_samples // 8)]
    return Preset(
        name="data",
        description=(
            f"a CNN search sized for {n_samples:,} images of your own: batch size, "
            "learning rate, flips, batch norm and width around the defaults"
        ),
        estimator=estimator,
        param_distributions={
            "batch_size": ["auto", *batches],
            "learning_rate": loguniform(2e-3, 1.2e-2),
            "horizontal_flip": [True, False],
            "batch_norm": [True, False],
            "conv_filters": [(16, 32), (32, 64), (64, 128)],
            "dense_units": [128, 256, 512],
        },
        n_iter=n_iter,
        cv=cv,
        include_defaults=True,
        # Here the defaults are a guess, so any challenger that scores
        # higher replaces them; a tie keeps them.
        defaults_margin=0.0,
        budget_fits=cost,
        notes=(
            "For data other than Fashion-MNIST; the defaults candidate reaches "
            "the last rung whatever its early rank, and a challenger must score "
            "higher to replace it (a tie keeps the defaults)."
        ),
    )


def list_presets():
    """Names and one-line descriptions of the available presets.

    Returns
    -------
    presets : dict of str to str
        Preset name to description, in a stable order.

    Examples
    --------
    >>> from skfashion.model_selection import list_presets
    >>> list(list_presets())
    ['s1-cnn', 's2-cnn', 's3-mlp', 's4-mlp', 's5-mlp', 'cnn', 'mlp']
    """
    return {name: factory().description for name, factory in _PRESETS.items()}


def get_preset(name):
    """Return a fresh copy of the preset called ``name``.

    Parameters
    ----------
    name : str
        One of :func:`list_presets`.

    Returns
    -------
    preset : Preset
        Its ``estimator`` is a new unfitted estimator on every call.

    Examples
    --------
    >>> from sklearn.model_selection import RandomizedSearchCV
    >>> from skfashion.model_selection import get_preset
    >>> s1 = get_preset("s1-cnn")
    >>> search = RandomizedSearchCV(s1.estimator, s1.param_distributions,
    ...                             n_iter=s1.n_iter, cv=s1.cv)
    >>> s1.n_iter, s1.cv.get_n_splits(), s1.epochs
    (3, 4, 10)
    """
    if name not in _PRESETS:
        raise ValueError(
            f"Unknown preset {name!r}; choose one of {', '.join(_PRESETS)}."
        )
    preset = _PRESETS[name]()
    preset.estimator = clone(preset.estimator)
    return preset
