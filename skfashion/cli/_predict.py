"""``skfashion predict``: classify image files with a saved model."""

import json

from ._data import _model_color_mode


def cmd_predict(args):
    import numpy as np

    from ..imaging import load_image
    from ..models import load_model, load_model_card

    model = load_model(args.model)
    # Class names as the model file records them, else the labels.
    class_names = load_model_card(args.model).target_names
    # Images are read as the model was trained: its colour mode, its size
    # and its pixel scale.
    color_mode = _model_color_mode(model, args.color_mode, what="predict")
    shape = (model.image_shape_ or (28, 28))[:2]
    pixel_range = getattr(model, "pixel_range_", "0-255")
    images, names = [], []
    for file in args.images:
        arrays = load_image(
            file,
            shape=shape,
            invert=args.invert,
            color_mode=color_mode,
            pixel_range=pixel_range,
        )
        for i, arr in enumerate(arrays):
            images.append(arr.reshape(-1))
            names.append(file if len(arrays) == 1 else f"{file}[{i}]")
    proba = model.predict_proba(np.stack(images).astype(np.float32))
    classes = model.classes_
    results = []
    for name, row in zip(names, proba, strict=True):
        k = int(np.argmax(row))
        label = classes[k].item() if hasattr(classes[k], "item") else classes[k]
        results.append(
            {
                "file": name,
                "label": label,
                "name": class_names[k] if class_names is not None else str(label),
                "probability": round(float(row[k]), 6),
            }
        )
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(f"{r['file']}: {r['name']} ({r['probability']:.3f})")
    return 0
