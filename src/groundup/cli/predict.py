"""``groundup predict RUN INPUT...``: the class and its probability for new inputs.

Image models: each INPUT is an image file (PNG, JPEG, ...), converted with Pillow to the model's
channels (grey or RGB) and size (e.g. 28x28), then scaled as in training. MNIST digits are light
on dark; pass ``--invert`` for a dark digit drawn on white paper.
Tabular models: each INPUT is a CSV file with a header naming the run's feature columns (other
columns are ignored); one prediction per row.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from groundup.cli.train import positive_int


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "predict",
        help="predict the class (and its probability) of image files or CSV rows",
        description="Run a trained model on new inputs: image files for image models, CSV "
        "files (header with the feature names) for tabular ones.",
    )
    p.add_argument("run", metavar="RUN", help="run folder written by 'groundup train'")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or CSV files")
    p.add_argument("--invert", action="store_true",
                   help="invert grey levels (dark ink on white paper -> MNIST's light on dark)")
    p.add_argument("--top", type=positive_int, default=1, metavar="K",
                   help="print the K most likely classes (default 1)")
    p.set_defaults(func=run)


def load_image(path: str, image_shape: tuple, invert: bool = False) -> np.ndarray:
    """An image file as uint8 of shape ``image_shape`` ((H, W) grey or (H, W, 3) RGB)."""
    from PIL import Image, UnidentifiedImageError

    from groundup.errors import DataError

    try:
        with Image.open(path) as img:
            img = img.convert("RGB" if len(image_shape) == 3 else "L")
            img = img.resize((image_shape[1], image_shape[0]), Image.Resampling.LANCZOS)
            arr = np.asarray(img, dtype=np.uint8)
    except FileNotFoundError:
        raise DataError(f"no such image file: {path}") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"{path} is not an image Pillow can read ({exc}); this run's model "
                        f"takes image files (PNG, JPEG, ...)") from None  # fmt: skip
    return 255 - arr if invert else arr


def read_rows(path: str, feature_names: list[str] | None, n_inputs: int) -> np.ndarray:
    """Feature rows of a CSV file, shape (m, n_inputs), columns matched by name."""
    from groundup.errors import DataError

    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise DataError(f"no such CSV file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path} as CSV ({exc}); this run's model takes CSV files "
                        f"with a header naming its feature columns") from None  # fmt: skip
    if not rows:
        raise DataError(f"{path} is empty")
    header, body = rows[0], [r for r in rows[1:] if r]
    if feature_names and all(name in header for name in feature_names):
        cols = [header.index(name) for name in feature_names]
    elif feature_names:
        missing = [n for n in feature_names if n not in header]
        raise DataError(f"{path} lacks the model's feature columns {missing}")
    else:
        cols = list(range(n_inputs))
    try:
        return np.array([[float(r[c]) for c in cols] for r in body], dtype=np.float64)
    except (ValueError, IndexError) as exc:
        raise DataError(f"{path}: a feature value is missing or not a number ({exc})") from None


def run(args) -> int:
    from groundup.runs import open_run
    from groundup.train.prepare import apply_preprocess

    opened = open_run(args.run, engine="scratch")
    names, raw = [], []
    if opened.image_shape is not None:
        for path in args.inputs:
            raw.append(load_image(path, opened.image_shape, args.invert))
            names.append(path)
        X_raw = np.stack(raw)
        top = opened.preprocess.get("max", 255)
        if top != 255:  # files hold 0..255; the training images were 0..top (digits: 16)
            X_raw = X_raw.astype(np.float64) * (top / 255)
    else:
        for path in args.inputs:
            rows = read_rows(path, opened.feature_names, opened.spec.n_inputs)
            raw.append(rows)
            names += [f"{Path(path).name} row {i + 1}" for i in range(len(rows))]
        X_raw = np.concatenate(raw)
    X = apply_preprocess(X_raw, opened.preprocess)
    P = opened.probabilities(X)  # (m, C); NaN from overflowing logits is refused there
    k = max(1, min(args.top, P.shape[1]))
    for name, p in zip(names, P, strict=True):
        best = np.argsort(-p, kind="stable")[:k]
        guesses = ", ".join(f"{opened.classes[c]} ({100 * p[c]:.1f}%)" for c in best)
        print(f"{name}: {guesses}")
    return 0
