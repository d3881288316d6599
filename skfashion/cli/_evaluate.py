"""``skfashion evaluate``: score a saved model on data, optionally report."""

import sys

from ._console import UserError
from ._data import _check_eval_data, _load_eval_data
from ._run_folder import _prepare_out, _record_outputs, _report_files, _staged_run


def cmd_evaluate(args):
    import numpy as np

    from ..models import load_model, load_model_card, training_overlap

    model = load_model(args.model)
    card = load_model_card(args.model)
    out = None
    if args.out is not None:
        out = _prepare_out(args.out, overwrite=args.overwrite, resume=None)
    X, y, info = _load_eval_data(args.data, args, model)
    y = np.asarray(y)
    if y.ndim != 1:
        raise UserError(f"--data {args.data}: y must be 1-d, got shape {y.shape}")
    _check_labels(model, y, args.data)
    _check_eval_data(model, X, f"--data {args.data}")
    overlap = training_overlap(card, X)
    if overlap is not None:
        info["images seen in training"] = f"{overlap} of {len(y)}"
    if overlap:
        print(
            f"warning: {overlap} of the {len(y)} images of --data {args.data} "
            f"({overlap / len(y):.1%}) are among the {card.n_train_samples} "
            "images the model was trained on; the accuracy below is not a test "
            "accuracy. Evaluate on images the model has not seen.",
            file=sys.stderr,
            flush=True,
        )
    accuracy = model.score(X, y)
    if out is None:
        print(f"accuracy {accuracy:.4f} on {len(y)} images")
        return 0
    from ..report import write_report

    # The previous run's files are replaced only once the report is written.
    # Only the report's files are replaced: the model evaluated, or any
    # other file of an earlier run in --out, stays.
    with _staged_run(out, keep_others=True) as stage:
        report = write_report(
            model, X, y, stage.path, data_info=info, target_names=card.target_names
        )
        _record_outputs(stage.path, _report_files(stage.path))
    report = out / report.relative_to(stage.path)
    print(f"accuracy {accuracy:.4f} on {len(y)} images; report: {report}")
    return 0


def _check_labels(model, y, spec):
    """Refuse labels the model was not trained on: it can never predict them."""
    import numpy as np

    known = set(np.asarray(model.classes_).tolist())
    unknown = sorted({v for v in np.unique(y).tolist() if v not in known}, key=str)
    if unknown:
        shown = ", ".join(map(repr, unknown[:10]))
        if len(unknown) > 10:
            shown += f" and {len(unknown) - 10} more"
        raise UserError(
            f"--data {spec}: labels {shown} are not among the classes the "
            f"model was trained on ({np.asarray(model.classes_).tolist()}); "
            "evaluate it on data with the same labels"
        )
