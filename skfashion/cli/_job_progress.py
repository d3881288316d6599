"""One ETA for a whole ``skfashion tune`` job: search, refit and report."""

import sys
import time

#: The report, in epochs of the refit: predicting the test images (with
#: test-time augmentation) and drawing the figures.
REPORT_EPOCHS = 1.0


def work_after_search(search, X, y, n_all, epochs):
    """The refit and the report in epochs of one training fold of the search.

    ``fit_search(..., after=...)`` adds it to the search's ETA, so that the
    progress lines estimate the end of the job, not of the search.
    """
    from sklearn.model_selection import check_cv

    try:
        splitter = check_cv(search.cv, y, classifier=True)
        sizes = [len(train) for train, _ in splitter.split(X, y)]
    except (TypeError, ValueError):
        return 0.0
    fold = sum(sizes) / len(sizes)
    return (epochs + REPORT_EPOCHS) * n_all / fold


def refit_progress(epochs, *, stream=None):
    """A Keras callback printing one line per refit epoch, with ETAs.

    Each line gives the epoch, the time so far, the refit's ETA and the
    job's (the refit and then the report, estimated as ``REPORT_EPOCHS``
    more epochs).
    """
    import keras

    stream = sys.stdout if stream is None else stream

    class _RefitProgress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            from ..model_selection._progress import _format_seconds

            done = epoch + 1
            elapsed = time.perf_counter() - self._start
            per_epoch = elapsed / done
            left = per_epoch * (epochs - done)
            job = left + per_epoch * REPORT_EPOCHS
            print(
                f"refit epoch {done}/{epochs}  elapsed {_format_seconds(elapsed)}"
                f"  eta {_format_seconds(left)}  job eta {_format_seconds(job)}",
                file=stream,
                flush=True,
            )

    return _RefitProgress()
