"""``groundup evaluate RUN``: a finished run's model on its test set (or on another data set).

groundup evaluate runs/mnist-sgd-autograd-20260101-120000
groundup evaluate runs/penguins-mlp-autograd-... --data more_penguins.csv --target species

The run's own preprocessing (pixel scaling, or the training set's mean and standard deviation)
is applied to the new data; class names are matched by name.
"""

from __future__ import annotations

import numpy as np

from groundup.cli.args import existing_dir
from groundup.engines import ENGINES


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="accuracy, per-class precision / recall / F1 and confusion matrix of a trained run",
        description="Evaluate a run folder's final model on its data set's test split, or on "
        "the whole of another data set / CSV file given with --data.",
    )
    p.add_argument("run", metavar="RUN", help="run folder written by 'groundup train'")
    p.add_argument("--data", metavar="DATASET|CSV",
                   help="evaluate on this registry data set's test split, or on every row of "
                   "this CSV file (default: the run's own test split)")  # fmt: skip
    p.add_argument("--target", metavar="COL",
                   help="label column of the CSV file (default: the run's)")  # fmt: skip
    p.add_argument("--data-dir", metavar="DIR", type=existing_dir, help="folder with data files")
    p.add_argument("--engine", choices=ENGINES, default="scratch",
                   help="engine that computes the logits (default scratch, NumPy only)")
    p.set_defaults(func=run)


def _remap(y: np.ndarray, classes: list[str], run_classes: list[str]) -> np.ndarray:
    from groundup.errors import DataError

    unknown = [c for c in classes if c not in run_classes]
    if unknown:
        raise DataError(f"classes {unknown} were not seen in training (the model knows "
                        f"{run_classes}); check --target")  # fmt: skip
    lookup = np.array([run_classes.index(c) for c in classes], dtype=np.int64)
    return lookup[y]


def load_eval_data(opened, data: str | None, target: str | None, data_dir: str | None):
    """(raw X, y in the run's class indices, description) for ``groundup evaluate``."""
    from groundup import data as gdata
    from groundup.runs import is_csv_path

    config = opened.config
    name = data or config.dataset
    if target and not is_csv_path(name):
        from groundup.errors import DataError

        raise DataError(f"--target names the label column of a CSV file; {name!r} is a built-in "
                        f"data set with its own labels: drop --target")  # fmt: skip
    if is_csv_path(name):
        target = target or config.target
        whole = data is not None  # another CSV: every row; the run's own CSV: its test split
        delimiter = None if whole else config.delimiter  # the run's own CSV: as it was read
        if not target:
            from groundup.data.csv_table import open_table
            from groundup.errors import DataError

            header = open_table(name, delimiter).header  # no such file, a folder, ...: first
            more = f" and {len(header) - 8} more" if len(header) > 8 else ""
            raise DataError(f"which column of {name} ({', '.join(header[:8])}{more}) is the "
                            f"label? Name it with --target COL")  # fmt: skip
        ds = gdata.load_csv(name, target=target, test_size=0 if whole else 0.2,
                            delimiter=delimiter, training=False)  # fmt: skip
        X, y = (ds.X_train, ds.y_train) if whole else (ds.X_test, ds.y_test)
        what = f"{name} ({'all' if whole else 'test'} rows)"
    else:
        ds = gdata.load(name, data_dir=data_dir or config.data_dir)
        X, y, what = ds.X_test, ds.y_test, f"{name} test split"
    return X, _remap(y, list(ds.classes), opened.classes), what


def run(args) -> int:
    from groundup import metrics
    from groundup.runs import open_run
    from groundup.train.guards import check_finite
    from groundup.train.prepare import apply_preprocess
    from groundup.train.report import classification_metrics

    opened = open_run(args.run, engine=args.engine)
    X_raw, y, what = load_eval_data(opened, args.data, args.target, args.data_dir)
    X = apply_preprocess(X_raw, opened.preprocess)
    if X.shape[1] != opened.spec.n_inputs:
        from groundup.errors import DataError

        raise DataError(f"the model takes {opened.spec.n_inputs} inputs, the data has "
                        f"{X.shape[1]}")  # fmt: skip
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # checked just below
        m = classification_metrics(opened.engine, X, y, opened.classes)
        pred = opened.engine.predict(X)
    if m["loss"] is not None:  # finite weights can still overflow the logits
        check_finite(m["loss"], f"the loss on {what}", opened.config.optimizer)
    print(f"{opened.folder}: {opened.config.recipe}, {opened.spec.summary()}, on {what} "
          f"({len(y)} examples)")  # fmt: skip
    print(f"accuracy {100 * m['accuracy']:.2f}%, loss {m['loss']:.4f}")
    # The classes present (true or predicted), as scikit-learn's report: rows of one class are
    # a fair test, and classes absent from both would only pull the macro average to 0.
    present = np.unique(np.concatenate([y, pred])).tolist()
    print(metrics.classification_report(y, pred, labels=present, digits=3,
                                        target_names=[opened.classes[k] for k in present]))
    print("confusion matrix (rows: true, columns: predicted):")
    width = max(len(str(v)) for row in m["confusion_matrix"] for v in row) + 1
    for name, row in zip(opened.classes, m["confusion_matrix"], strict=True):
        print(f"  {name:>12} " + "".join(f"{v:>{width}}" for v in row))
    return 0
