"""
==========================
A search on a Dask cluster
==========================

joblib's ``dask`` backend sends the (candidate, fold) fits of a
scikit-learn search to the workers of a Dask cluster. Nothing in the search
changes; only the backend does. Here the cluster is a
:class:`distributed.LocalCluster` of two single-threaded worker processes on
this machine; for a real cluster, replace it by
``Client("tcp://scheduler:8786")``. Every worker needs skfashion installed
(and the data, if the code running there loads it).

This needs the ``dask`` extra (``pip install -e ".[dask]"`` in the source
tree).
"""

import time

import joblib
from distributed import Client, LocalCluster
from sklearn.model_selection import KFold

from skfashion.datasets import load_fashion_mnist_sample
from skfashion.model_selection import make_search, search_results_table
from skfashion.models import KerasMLPClassifier

X, y = load_fashion_mnist_sample(return_X_y=True)
space = {"hidden_layer_sizes": [(32,), (64,)], "learning_rate": [1e-3, 3e-3]}

# %%
# Run the search on the cluster
# -----------------------------
# ``n_jobs=-1`` lets the backend use every worker. The workers are separate
# processes, so a script must start the cluster under
# ``if __name__ == "__main__":`` (the workers import the script's module when
# they start); in the gallery the guard is simply true.


def run():
    search = make_search(
        KerasMLPClassifier(epochs=3, batch_size=32, random_state=0),
        space,
        n_iter=4,
        cv=KFold(2, shuffle=True, random_state=0),
        n_jobs=-1,
        random_state=0,
    )
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        print("workers:", len(client.scheduler_info()["workers"]))
        start = time.perf_counter()
        with joblib.parallel_backend("dask"):
            search.fit(X, y)
        print(f"search on Dask: {time.perf_counter() - start:.1f} s")
    return search


if __name__ == "__main__":
    search = run()
    for row in search_results_table(search):
        print(f"rank {row['rank']}: {row['mean_test_score']:.3f}  {row['params']}")

# %%
# On a real cluster, the same search runs unchanged after connecting a client
# to the scheduler instead of creating a local cluster::
#
#     client = Client("tcp://scheduler:8786")
#     with joblib.parallel_backend("dask"):
#         search.fit(X, y)
