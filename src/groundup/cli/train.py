"""``groundup train``: train a recipe, a registry data set or a CSV file; write a run folder.

groundup train                          default recipe (penguins-mlp), embedded data, offline
groundup train mnist                    the primer's MNIST run (mnist-sgd) on the autograd engine
groundup train --recipe mnist-adam --engine torch
groundup train data.csv --target label --hidden 32 --epochs 50
groundup train --resume runs/mnist-sgd-autograd-20260101-120000
"""

from __future__ import annotations

import argparse
import math
import os

from groundup.engines.base import ACTIVATIONS, ENGINES, MODELS, OPTIMIZERS


def register(subparsers) -> None:
    from groundup.recipes import DEFAULT_RECIPE, RECIPES
    from groundup.runs import MONITORS

    p = subparsers.add_parser(
        "train",
        help="train a model (a recipe, a data set or a CSV file) and write a run folder",
        description="Train one of the primer's classifiers and write a run folder (config, "
        "history, metrics, weights, checkpoint, plots). With no arguments: the "
        f"'{DEFAULT_RECIPE}' recipe on a data set shipped with groundup, offline. "
        f"Recipes: {', '.join(RECIPES)}.",
    )
    p.add_argument("dataset", nargs="?", metavar="DATASET",
                   help="registry name (mnist, cat, penguins, breast-cancer, blobs, xor, ...; see "
                   "'groundup datasets'), a path to a CSV file, or a recipe name")  # fmt: skip
    p.add_argument("--recipe", choices=list(RECIPES), metavar="R",
                   help=f"named configuration: {', '.join(RECIPES)}")  # fmt: skip
    p.add_argument("--model", choices=MODELS,
                   help="logistic (1 logit), softmax (C logits) or mlp (hidden layers)")
    p.add_argument("--hidden", type=hidden_sizes, metavar="H1,H2",
                   help="hidden layer widths for an mlp, e.g. 64,32 (implies --model mlp)")
    p.add_argument("--activation", choices=ACTIVATIONS, help="non-linearity between layers")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help="update rule (PyTorch's)")
    p.add_argument("--lr", type=positive_float,
                   help="learning rate (default: the recipe's, else PyTorch's for the optimizer)")
    p.add_argument("--momentum", type=fraction, help="momentum for sgd / rmsprop (default 0)")
    p.add_argument("--epochs", type=positive_int,
                   help="passes over the training set (with --resume: extend the run to this many)")
    p.add_argument("--batch-size", type=batch_size, metavar="N|full",
                   help="examples per step, or 'full' for full-batch gradient descent")
    p.add_argument("--engine", choices=ENGINES,
                   help="how gradients are computed (default autograd; torch needs the extra)")
    p.add_argument("--seed", type=non_negative_int,
                   help="seed for the initial weights and the batch order (default 0)")
    p.add_argument("--patience", type=positive_int, metavar="N",
                   help="early stopping: stop when --monitor has not improved for N epochs in a "
                   "row (default: no early stopping)")  # fmt: skip
    p.add_argument("--monitor", choices=MONITORS,
                   help="what early stopping watches: test_loss (lower is better, the default) "
                   "or test_acc (higher is better); the training loss / accuracy without a test "
                   "set")  # fmt: skip
    p.add_argument("--target", metavar="COL", help="label column of a CSV file")
    p.add_argument("--delimiter", type=delimiter, metavar="D",
                   help="field separator of a CSV file: , ; | tab space ... (default: detected "
                   "among , ; tab |)")  # fmt: skip
    p.add_argument("--data-dir", metavar="DIR", type=existing_dir,
                   help="folder with data files (default $GROUNDUP_DATA_DIR, then the cache)")
    p.add_argument("--out", metavar="DIR",
                   help="run folder to create (default runs/<recipe>-<engine>-<time>)")
    p.add_argument("--resume", metavar="RUN",
                   help="continue the run folder RUN from its latest checkpoint")
    p.add_argument("--no-plots", action="store_true", help="skip writing plots/*.png")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--list-recipes", action="store_true",
                   help="list the recipes (what each reproduces and what to expect) and exit")
    p.set_defaults(func=run)


_CONFIG_OPTIONS = (
    "dataset", "recipe", "model", "hidden", "activation", "optimizer", "lr", "momentum",
    "batch_size", "engine", "seed", "target", "data_dir", "out", "patience", "monitor",
    "delimiter",
)  # fmt: skip


def run(args) -> int:
    from groundup.errors import GroundupError
    from groundup.recipes import RECIPES
    from groundup.runs import build_config, resume_run, train_run

    if args.list_recipes:
        for r in RECIPES.values():
            print(f"{r.name:<17} {r.summary}\n{'':<17} expect: {r.expect}")
        return 0
    progress = not args.quiet
    plots = not args.no_plots
    if args.resume:
        given = [f"--{k.replace('_', '-')}" for k in _CONFIG_OPTIONS
                 if getattr(args, k) is not None]
        if given:
            raise GroundupError(
                f"--resume continues a run with its own settings; drop {', '.join(given)} "
                f"(only --epochs may extend it)"
            )
        result = resume_run(args.resume, epochs=args.epochs, progress=progress, plots=plots)
    else:
        dataset, recipe = args.dataset, args.recipe
        if dataset in RECIPES and recipe is None:  # `groundup train mnist-adam`
            dataset, recipe = None, dataset
        config = build_config(
            dataset, recipe=recipe, model=args.model, hidden=args.hidden,
            activation=args.activation, optimizer=args.optimizer, lr=args.lr,
            momentum=args.momentum, epochs=args.epochs,
            batch_size=None if args.batch_size == "full" else args.batch_size,
            full_batch=args.batch_size == "full", engine=args.engine, seed=args.seed,
            target=args.target, data_dir=args.data_dir, patience=args.patience,
            monitor=args.monitor, delimiter=args.delimiter,
        )  # fmt: skip
        result = train_run(config, out=args.out, progress=progress, plots=plots)
    if result.interrupted:
        return 130
    m = result.metrics
    print(f"test accuracy {100 * m['accuracy']:.2f}% (loss {m['loss']:.4f}), train accuracy "
          f"{100 * m['train_accuracy']:.2f}%; run folder: {result.folder}")  # fmt: skip
    return 0


# -- argument types, shared with the other training sub-commands ---------------------------
def hidden_sizes(text: str) -> tuple[int, ...]:
    """``"64,32"`` -> ``(64, 32)``."""
    try:
        sizes = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer widths such as 64,32, got {text!r}"
        ) from None
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer widths must be positive integers, got {text!r}")
    return sizes


def _number(text: str, cast, ok, expected: str):
    """``cast(text)`` if it parses and passes ``ok``, else argparse's one-line error."""
    try:
        value = cast(text)
    except ValueError:
        value = None
    if value is None or not ok(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1."""
    return _number(text, int, lambda v: v >= 1, "a positive integer")


def non_negative_int(text: str) -> int:
    """A whole number >= 0 (NumPy's generators take no negative seeds)."""
    return _number(text, int, lambda v: v >= 0, "a whole number >= 0")


def positive_float(text: str) -> float:
    """A finite number > 0 (not nan, not inf)."""
    return _number(text, float, lambda v: 0 < v < math.inf, "a positive number")


def fraction(text: str) -> float:
    """A number in [0, 1) (momentum)."""
    return _number(text, float, lambda v: 0 <= v < 1, "a number in [0, 1)")


def batch_size(text: str) -> int | str:
    """A positive integer, or ``full`` for full-batch gradient descent."""
    return "full" if text.lower() in ("full", "all") else positive_int(text)


def delimiter(text: str) -> str:
    """One character (``;``), or a name: ``tab``, ``space``, ``comma``, ``semicolon``, ``pipe``."""
    from groundup.data.csv_table import parse_delimiter
    from groundup.errors import DataError

    try:
        return parse_delimiter(text)
    except DataError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def existing_dir(text: str) -> str:
    """A folder that exists (a mistyped --data-dir would otherwise fall back silently)."""
    if not os.path.isdir(os.path.expanduser(text)):
        raise argparse.ArgumentTypeError(f"no such folder: {text!r}")
    return text
