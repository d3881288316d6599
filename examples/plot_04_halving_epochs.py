"""
=============================================
Successive halving on epochs vs random search
=============================================

A random search trains every candidate for the full number of epochs.
Successive halving trains all of them briefly, keeps the best third, trains
those three times longer, and so on: with the number of epochs as its
resource it reaches a good candidate for a fraction of the training.

Both searches below sample the same 9 candidates (same ``random_state``) for
a small MLP on the bundled sample; :func:`~skfashion.model_selection.count_fits`
counts the fits and the epochs each one trained.
"""

import matplotlib.pyplot as plt
from scipy.stats import loguniform
from sklearn.model_selection import ShuffleSplit

from skfashion.datasets import load_fashion_mnist_sample
from skfashion.model_selection import (
    SearchScoresDisplay,
    count_fits,
    halving_schedule,
    make_search,
)
from skfashion.models import KerasMLPClassifier

X, y = load_fashion_mnist_sample(return_X_y=True)

estimator = KerasMLPClassifier(epochs=9, batch_size=32, random_state=0)
space = {
    "hidden_layer_sizes": [(32,), (64,), (128,), (64, 32)],
    "dropout": [0.0, 0.2, 0.4],
    "learning_rate": loguniform(3e-4, 3e-2),
}
# One fixed 70/30 holdout split keeps the example cheap; K folds work the same
# way. The split must be the same at every rung: hence the integer seed.
cv = ShuffleSplit(n_splits=1, test_size=0.3, random_state=0)

# %%
# The plan
# --------
# With 9 candidates, at most 9 epochs and ``factor=3``: 9 candidates for 1
# epoch, the best 3 for 3 epochs, the best one for 9 epochs.

print(halving_schedule(9, 9, factor=3))

# %%
# Run both searches
# -----------------
# :func:`~skfashion.model_selection.make_search` builds the searchers:
# scikit-learn's ``RandomizedSearchCV`` and skfashion's
# :class:`~skfashion.model_selection.HalvingEpochsSearchCV`, whose last rung
# trains the estimator's 9 epochs and whose survivors continue their training
# from one rung to the next.

searches = {}
for method in ("random", "halving"):
    searches[method] = make_search(
        estimator,
        space,
        method=method,
        n_iter=9,
        cv=cv,
        factor=3,
        random_state=0,
        refit=False,  # compare the searches only; no final model needed here
    ).fit(X, y)

for method, search in searches.items():
    n_fits, epochs = count_fits(search)
    print(
        f"{method:>8}: {n_fits:2d} fits, {epochs:3d} epochs trained, "
        f"best CV accuracy {search.best_score_:.3f}, best {search.best_params_}"
    )

halving = searches["halving"]
print("candidates per rung:", list(halving.n_candidates_))
print("epochs per rung:    ", list(halving.n_resources_))

# %%
# Random search trained 9 candidates x 9 epochs = 81 epochs per fold;
# halving trained 9 x 1 + 3 x 2 + 1 x 6 = 21 (a survivor promoted from 1 to 3
# epochs trains 2 more, not 3 again), about a quarter, in 13 fits instead of
# 9. On 700
# images each fit is so short that its fixed cost (building the network)
# dominates, so the wall time hardly shrinks here; on real data sizes the
# time follows the epochs. The scores on this tiny sample are noisy too, so
# the two searches need not agree on the winner: the halving benchmark on
# 10,000 images (``benchmarks/bench_halving.py``, see the Results page)
# measures both where they mean something.
#
# The scores against each parameter show how the rungs narrow the field:
# later rungs (more epochs) score higher, and only good candidates reach
# them.

SearchScoresDisplay.from_estimator(halving)
plt.show()
