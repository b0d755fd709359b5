"""``groundup predict RUN INPUT...``: the class and its probability for new inputs.

Image models: each INPUT is an image file (PNG, JPEG, 16-bit, transparent, ...), converted
faithfully to the model's channels (grey or RGB) and size (e.g. 28x28) by
:func:`groundup.data.images.load_image`, then scaled as in training. MNIST digits are light on
dark; pass ``--invert`` for a dark digit drawn on white paper (a dark digit on a transparent
background needs no flag). A multi-frame file (GIF) gives its first frame, and says so.
Tabular models: each INPUT is a CSV file with a header naming the run's feature columns (other
columns are ignored), read by the same reader as ``groundup train``
(:mod:`groundup.data.csv_table`); one prediction per row. Notes (a detected delimiter) go to
stderr, predictions to stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from groundup.cli.args import delimiter, value


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
    p.add_argument("--top", type=value("top"), default=1, metavar="K",
                   help="print the K most likely classes (default 1)")
    p.add_argument("--delimiter", type=delimiter, metavar="D",
                   help="field separator of the CSV files (default: detected among , ; tab |)")
    p.set_defaults(func=run)


def read_rows(path: str, feature_names: list[str] | None, n_inputs: int,
              delimiter: str | None = None) -> tuple[np.ndarray, str | None]:  # fmt: skip
    """(feature rows of shape (m, n_inputs), columns matched by name; a note or None)."""
    from groundup.data.csv_table import open_table, read_columns
    from groundup.data.images import looks_like_image
    from groundup.errors import DataError

    if looks_like_image(path):
        raise DataError(f"{path} is an image; this run's model takes CSV files with a header "
                        f"naming its feature columns")  # fmt: skip
    table = open_table(path, delimiter)
    header = table.header
    if feature_names:
        missing = [n for n in feature_names if n not in header]
        if missing:
            hint = (f" (its header is the single column {header[0]!r}: give --delimiter if "
                    f"its separator is not , ; tab or |)") if len(header) == 1 else ""  # fmt: skip
            raise DataError(f"{path} lacks the model's feature columns {missing}{hint}")
        cols = [header.index(name) for name in feature_names]
    elif len(header) >= n_inputs:
        cols = list(range(n_inputs))
    else:
        raise DataError(f"{path} has {len(header)} columns; the model takes {n_inputs} features")
    X = read_columns(table, cols, fix="the model was trained on numbers in these columns").X
    return X, table.note()


def run(args) -> int:
    from groundup.data.images import load_image
    from groundup.runs import open_run
    from groundup.train.prepare import apply_preprocess

    opened = open_run(args.run, engine="scratch")
    names, raw, notes = [], [], []
    if opened.image_shape is not None:
        for path in args.inputs:
            picture = load_image(path, opened.image_shape, args.invert)
            raw.append(picture.pixels)
            frames = f" (first of {picture.frames} frames)" if picture.frames > 1 else ""
            names.append(f"{path}{frames}")
        X_raw = np.stack(raw)
        top = opened.preprocess.get("max", 255)
        if top != 255:  # files hold 0..255; the training images were 0..top (digits: 16)
            X_raw = X_raw.astype(np.float64) * (top / 255)
    else:
        for path in args.inputs:
            rows, note = read_rows(path, opened.feature_names, opened.spec.n_inputs,
                                   args.delimiter)  # fmt: skip
            raw.append(rows)
            notes += [note] if note else []
            names += [f"{Path(path).name} row {i + 1}" for i in range(len(rows))]
        X_raw = np.concatenate(raw)
    with np.errstate(over="ignore"):
        X = apply_preprocess(X_raw, opened.preprocess)
    if not np.isfinite(X).all():  # a value finite alone, beyond float32 once standardised
        i, j = np.argwhere(~np.isfinite(X))[0]
        from groundup.errors import DataError

        raise DataError(f"{names[i]}, feature {j + 1}: {X_raw[i].flat[j]:g} is so far from "
                        f"the training data that the model's float32 overflows; check "
                        f"it")  # fmt: skip
    P = opened.probabilities(X)  # (m, C); NaN from overflowing logits is refused there
    for note in notes:
        print(note, file=sys.stderr)
    k = max(1, min(args.top, P.shape[1]))
    for name, p in zip(names, P, strict=True):
        best = np.argsort(-p, kind="stable")[:k]
        guesses = ", ".join(f"{opened.classes[c]} ({100 * p[c]:.1f}%)" for c in best)
        print(f"{name}: {guesses}")
    return 0
