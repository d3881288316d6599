"""
=====================================================
Reproducing study S1: RandomizedSearchCV with KFold
=====================================================

Study S1 tuned a CNN with two convolutional blocks of 64 and 128 filters,
batch normalisation and a dense layer, by random search: 3 trials, each
scored by 4-fold cross-validation after 10 epochs of training. The preset
``"s1-cnn"`` holds that network, its search space and its protocol, so the
study is a plain :class:`~sklearn.model_selection.RandomizedSearchCV` away.

**What is reduced here**: to keep the example short, it searches on 320
images of the bundled sample instead of the 60,000 training images and
trains **2 epochs instead of S1's 10**, with **batches of 8 instead of 32**
so that the network gets enough optimizer steps in so short a training.
Everything else (network, space, 3 trials, 4 shuffled folds) is S1's
protocol; the accuracies are accordingly far below the study's. The User
Guide page on the reference studies shows the full-size run.
"""

import matplotlib.pyplot as plt
from sklearn.model_selection import RandomizedSearchCV, train_test_split

from skfashion.datasets import load_fashion_mnist_sample
from skfashion.model_selection import (
    SearchScoresDisplay,
    count_fits,
    get_preset,
    search_results_table,
)

X, y = load_fashion_mnist_sample(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=320, test_size=200, stratify=y, random_state=0
)

# %%
# The preset
# ----------
# A :class:`~skfashion.model_selection.Preset` bundles the estimator, the
# space and the protocol. Printing the estimator shows the parameters that
# differ from the defaults: S1's architecture and plain Adam training.

s1 = get_preset("s1-cnn")
print(s1.description)
print(s1.estimator)
for name, values in s1.param_distributions.items():
    if hasattr(values, "dist"):  # a scipy.stats distribution
        values = f"{values.dist.name}{values.args}"
    print(f"  {name}: {values}")
print("trials:", s1.n_iter, "- folds:", s1.cv, "- epochs:", s1.epochs)
print("test accuracy reported by the study:", s1.reported_test_accuracy)

# %%
# The search
# ----------
# Only the epochs and the batch size change; the rest is the study's
# protocol, given to scikit-learn's searcher unchanged.

s1.estimator.set_params(epochs=2, batch_size=8, random_state=0)  # S1: 10 and 32
search = RandomizedSearchCV(
    s1.estimator,
    s1.param_distributions,
    n_iter=s1.n_iter,
    cv=s1.cv,  # KFold(4, shuffle=True, random_state=0)
    random_state=0,
)
search.fit(X_train, y_train)

n_fits, epochs = count_fits(search)
print(f"{n_fits} fits, {epochs} epochs trained (plus the refit on all of X_train)")
for row in search_results_table(search):
    print(
        f"rank {row['rank']}: CV accuracy {row['mean_test_score']:.3f} "
        f"+/- {row['std_test_score']:.3f}  {row['params']}"
    )

# %%
# Score the refitted best candidate
# ---------------------------------
# ``refit=True`` (the default) trained the best candidate again on all the
# training images; the held-out images score it.

print("best parameters:", search.best_params_)
print(f"test accuracy on the sample: {search.score(X_test, y_test):.3f}")

# %%
# The cross-validated score of each trial against each searched parameter;
# the star marks the chosen one. Three trials explore the space only
# thinly; a halving search (next example) affords many more candidates for
# the same number of epochs.

SearchScoresDisplay.from_estimator(search)
plt.show()
