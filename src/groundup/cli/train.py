"""``groundup train``: train a recipe, a registry data set or a CSV file; write a run folder.

groundup train                          default recipe (penguins-mlp), embedded data, offline
groundup train mnist                    the primer's MNIST run (mnist-sgd) on the autograd engine
groundup train --recipe mnist-adam --engine torch
groundup train mnist --model cnn --channels 16,32 --kernel-size 3
groundup train data.csv --target label --hidden 32 --epochs 50
groundup train penguins --hidden 64,32 --activation relu,tanh    an activation per hidden layer
groundup train --resume runs/mnist-sgd-autograd-20260101-120000
groundup train shakespeare              a character-level GPT (recipe shakespeare-char)
groundup train notes.txt --iters 500    the same GPT on any UTF-8 text file
groundup train mnist --nproc 2          data-parallel in 2 processes (torch.distributed, gloo)
torchrun --nproc-per-node 2 -m groundup train mnist      the same, launched by torchrun
groundup train mnist --engine torch --device cuda
"""

from __future__ import annotations

from groundup.cli.args import batch_size, delimiter, existing_dir, value
from groundup.engines import ENGINES, OPTIMIZERS
from groundup.models import MODELS
from groundup.numerics import ACTIVATIONS


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
    p.add_argument("--model", choices=list(MODELS),
                   help="; ".join(f"{m.name}: {m.summary}" for m in MODELS.values()))
    p.add_argument("--hidden", type=value("hidden"), metavar="H1,H2",
                   help="hidden layer widths for an mlp, e.g. 64,32 (implies --model mlp)")
    p.add_argument("--channels", type=value("channels"), metavar="C1,C2",
                   help="output channels of a cnn's convolution blocks (each conv, activation, "
                   "2x2 max pooling), e.g. 16,32 (implies --model cnn)")  # fmt: skip
    p.add_argument("--kernel-size", type=value("kernel_size"), metavar="K",
                   help="a cnn's convolution kernel size, odd (default 3; implies --model cnn)")
    p.add_argument("--activation", type=value("activation"), metavar="F|F1,F2",
                   help=f"non-linearity after each hidden layer (a cnn: each convolution): "
                   f"one of {', '.join(ACTIVATIONS)} for all of them, or one per hidden layer, "
                   f"e.g. --hidden 64,32 --activation relu,tanh (default: the recipe's, else "
                   f"relu)")  # fmt: skip
    p.add_argument("--optimizer", choices=OPTIMIZERS, help="update rule (PyTorch's)")
    p.add_argument("--lr", type=value("lr"),
                   help="learning rate (default: the recipe's, else PyTorch's for the optimizer)")
    p.add_argument("--momentum", type=value("momentum"),
                   help="momentum for sgd / rmsprop (default 0)")
    p.add_argument("--lr-decay", type=value("lr_decay"), metavar="GAMMA",
                   help="multiply the learning rate by GAMMA after every epoch, PyTorch's "
                   "StepLR(step_size=1, gamma=GAMMA) (default 1: constant; mnist-cnn: 0.7)")
    p.add_argument("--epochs", type=value("epochs"),
                   help="passes over the training set (with --resume: extend the run to this many)")
    p.add_argument("--batch-size", type=batch_size, metavar="N|full",
                   help="examples per step, or 'full' for full-batch gradient descent")
    p.add_argument("--engine", choices=ENGINES,
                   help="how gradients are computed (default autograd; torch needs the extra)")
    p.add_argument("--seed", type=value("seed"),
                   help="seed for the initial weights and the batch order (default 0)")
    p.add_argument("--patience", type=value("patience"), metavar="N",
                   help="early stopping: stop when --monitor has not improved for N epochs in a "
                   "row (default: no early stopping)")  # fmt: skip
    p.add_argument("--monitor", choices=MONITORS,
                   help="what early stopping watches: test_loss (lower is better, the default) "
                   "or test_acc (higher is better); the training loss / accuracy without a test "
                   "set")  # fmt: skip
    p.add_argument("--iters", type=value("iters"),
                   help="language models: training iterations (default 2000)")
    p.add_argument("--block-size", type=value("block_size"), metavar="T",
                   help="language models: context length in characters (default 64)")
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
    p.add_argument("--device", type=value("device"),
                   help="the torch engine's device: cpu (default), cuda, cuda:K or mps; under "
                   "torchrun, cuda means each process's own GPU (cuda:LOCAL_RANK)")  # fmt: skip
    p.add_argument("--nproc", type=value("nproc"), metavar="N",
                   help="data parallelism: N processes on this machine (torch.distributed.run, "
                   "gloo), each on 1/N of every batch; the batch size must be a multiple of N. "
                   "Several machines: launch with torchrun (see the README)")  # fmt: skip
    p.add_argument("--timeout", type=value("timeout"), metavar="S",
                   help="with several processes: seconds to wait for the others before the run "
                   "ends (a process died or stalled; default 300)")  # fmt: skip
    p.add_argument("--no-plots", action="store_true", help="skip writing plots/*.png")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--list-recipes", action="store_true",
                   help="list the recipes (what each reproduces and what to expect) and exit")
    p.set_defaults(func=run)


_CONFIG_OPTIONS = (
    "dataset", "recipe", "model", "hidden", "activation", "optimizer", "lr", "momentum",
    "lr_decay", "batch_size", "engine", "seed", "target", "data_dir", "out", "patience",
    "monitor", "delimiter", "channels", "kernel_size",
)  # fmt: skip


def _without_nproc(argv: list[str]) -> list[str]:
    """The command line minus ``--nproc N`` / ``--nproc=N`` (what each process runs)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            out.append(a)
    return out


def run(args) -> int:
    import os

    from groundup.recipes import RECIPES
    from groundup.train import distributed

    if args.list_recipes:
        for r in RECIPES.values():
            print(f"{r.name:<17} {r.summary}\n{'':<17} expect: {r.expect}")
        return 0
    if args.nproc and args.nproc > 1 and "WORLD_SIZE" not in os.environ:
        return distributed.launch(_without_nproc(args.argv), args.nproc)
    backend = "nccl" if (args.device or "").startswith("cuda") else "gloo"
    group = distributed.from_env(backend, args.timeout or distributed.DEFAULT_TIMEOUT)
    try:
        return _run(args, group)
    finally:
        distributed.shutdown()


def _run(args, group) -> int:
    from groundup.errors import GroundupError
    from groundup.recipes import RECIPES
    from groundup.runs import build_config, resume_run, train_run
    from groundup.runs_lm import is_lm_dataset, is_lm_run

    progress = not args.quiet
    plots = not args.no_plots
    # A .txt file is a text corpus for a language model, unless --target names a column in it
    # (then it is a delimited table, as groundup.data.csv_table reads it).
    if (args.resume and is_lm_run(args.resume)) or (
        not args.resume and args.target is None and is_lm_dataset(args.dataset)
    ):
        if group is not None or args.device is not None:
            raise GroundupError("--nproc and --device are for the classifiers' runs; a language "
                                "model trains in one process on the CPU")
        return _run_lm(args, plots)
    if args.iters is not None or args.block_size is not None:
        raise GroundupError("--iters and --block-size are for language models (groundup train "
                            "shakespeare, or a .txt file); classifiers take --epochs")
    if args.resume:
        given = [f"--{k.replace('_', '-')}" for k in _CONFIG_OPTIONS
                 if getattr(args, k) is not None]
        if given:
            raise GroundupError(
                f"--resume continues a run with its own settings; drop {', '.join(given)} "
                f"(only --epochs may extend it)"
            )
        result = resume_run(args.resume, epochs=args.epochs, progress=progress, plots=plots,
                            group=group, device=args.device)  # fmt: skip
    else:
        dataset, recipe = args.dataset, args.recipe
        if dataset in RECIPES and recipe is None:  # `groundup train mnist-adam`
            dataset, recipe = None, dataset
        config = build_config(
            dataset, recipe=recipe, model=args.model, hidden=args.hidden,
            activation=args.activation, optimizer=args.optimizer, lr=args.lr,
            momentum=args.momentum, lr_decay=args.lr_decay, epochs=args.epochs,
            batch_size=None if args.batch_size == "full" else args.batch_size,
            full_batch=args.batch_size == "full", engine=args.engine, seed=args.seed,
            target=args.target, data_dir=args.data_dir, patience=args.patience,
            monitor=args.monitor, delimiter=args.delimiter, channels=args.channels,
            kernel_size=args.kernel_size, device=args.device,
        )  # fmt: skip
        result = train_run(config, out=args.out, progress=progress, plots=plots, group=group)
    if result.interrupted:
        return 130
    if result.already_finished or (group is not None and not group.is_main):
        return 0  # resume_run said that there was nothing to resume
    m = result.metrics
    print(f"test accuracy {100 * m['accuracy']:.2f}% (loss {m['loss']:.4f}), train accuracy "
          f"{100 * m['train_accuracy']:.2f}%; run folder: {result.folder}")  # fmt: skip
    return 0


def _run_lm(args, plots: bool) -> int:
    """``groundup train shakespeare`` / ``FILE.txt`` / ``--resume`` of a language-model run."""
    from groundup.errors import GroundupError
    from groundup.runs_lm import build_lm_config, resume_lm_run, train_lm_run

    if args.resume:  # its iterations fix its learning-rate schedule: nothing may change them
        given = [f"--{k.replace('_', '-')}" for k in (*_CONFIG_OPTIONS, "iters", "block_size",
                 "epochs") if getattr(args, k) is not None]  # fmt: skip
        if given:
            raise GroundupError(f"--resume continues a language-model run with its own "
                                f"settings; drop {', '.join(given)} (to train longer, start a "
                                f"new run with more --iters)")
        resume_lm_run(args.resume, plots=plots)
        return 0
    unused = [f"--{k.replace('_', '-')}" for k in ("recipe", "model", "hidden", "channels",
              "kernel_size", "activation", "optimizer", "momentum", "lr_decay", "epochs",
              "batch_size", "patience", "monitor", "target", "delimiter", "lr")
              if getattr(args, k) is not None]
    if unused:
        raise GroundupError(f"{', '.join(unused)} do not apply to a language model; it takes "
                            "--iters, --block-size, --engine, --seed, --out")
    cfg = build_lm_config(args.dataset, engine=args.engine, seed=args.seed,
                          max_iters=args.iters, block_size=args.block_size,
                          data_dir=args.data_dir)
    train_lm_run(cfg, out=args.out, plots=plots)
    return 0
