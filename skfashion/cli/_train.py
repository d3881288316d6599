"""``skfashion train``: fit one estimator, report on the test split."""

import time

from ._console import UserError, _keras_verbosity, _note, _say
from ._data import _check_color_mode_use, _check_training_data, _load_data
from ._params import _data_defaults_notice, _make_estimator, _parse_params
from ._results import _finish
from ._run_folder import _prepare_out, _staged_run


def cmd_train(args):
    _check_color_mode_use(args)
    params = _parse_params(args.param)
    given = set(params)
    if args.epochs is not None:
        if "epochs" in params:
            raise UserError(
                f"--param epochs={params['epochs']} and --epochs {args.epochs} "
                "disagree; give the epochs once, with --epochs"
            )
        params["epochs"] = args.epochs
    if args.sample and "epochs" not in params:
        params["epochs"] = 5
    params.setdefault("random_state", args.seed)
    estimator = _make_estimator(args.model, params)
    out = _prepare_out(args.out, overwrite=args.overwrite, resume=None)
    X, y, X_test, y_test, info, names = _load_data(args, subset=args.subset)
    if args.data is not None:
        _check_training_data(estimator, X, y, f"--data {args.data}")
        _note(_data_defaults_notice("train", estimator, given))
    estimator.set_params(verbose=_keras_verbosity(args))
    _say(args, f"training {type(estimator).__name__} on {len(y)} images")
    # The previous run's files are replaced only once this one has succeeded.
    with _staged_run(out) as stage:
        start = time.perf_counter()
        estimator.fit(X, y)
        timings = {"fit_seconds": round(time.perf_counter() - start, 2)}
        estimator.set_params(verbose=0)
        with stage.hold_stdout():
            _finish(
                args,
                estimator,
                X_test,
                y_test,
                stage.path,
                X_train=X,
                target_names=names,
                data_info=info,
                timings=timings,
            )
    return 0
