"""``groundup compare RECIPE``: every engine from the same weights and batches, in one table."""

from __future__ import annotations

from groundup.cli.args import existing_dir, value


def register(subparsers) -> None:
    from groundup.recipes import RECIPES
    from groundup.runs_lm import LM_RECIPES

    names = [*RECIPES, *LM_RECIPES]

    p = subparsers.add_parser(
        "compare",
        help="train a recipe on every engine (same initial weights and batch order) and compare",
        description="Train RECIPE on the scratch, autograd and torch engines from the same "
        "initial weights and the same batch order, then print final loss, test accuracy, "
        "seconds per epoch and the largest weight difference between engines.",
    )
    p.add_argument("recipe", choices=names, metavar="RECIPE",
                   help=f"recipe to run: {', '.join(names)}")  # fmt: skip
    p.add_argument("--epochs", type=value("epochs"), help="override the recipe's number of epochs")
    p.add_argument("--iters", type=value("iters"),
                   help="language-model recipes: training iterations to compare (default 200)")
    p.add_argument("--seed", type=value("seed"), default=0,
                   help="seed for weights and batch order")
    p.add_argument("--engines",
                   help="comma-separated engines to compare, at least two (default: all three; "
                   "language-model recipes compare autograd and torch)")  # fmt: skip
    p.add_argument("--data-dir", metavar="DIR", type=existing_dir, help="folder with data files")
    p.set_defaults(func=run)


def run(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from groundup.engines import ENGINES
    from groundup.errors import GroundupError
    from groundup.runs import build_config, load_data, model_spec
    from groundup.runs_lm import LM_RECIPES
    from groundup.train.compare import compare_engines

    if args.recipe in LM_RECIPES:
        given = [flag for flag in ("--epochs", "--engines")
                 if getattr(args, flag[2:]) is not None]  # fmt: skip
        if given:
            raise GroundupError(f"{' and '.join(given)} {'do' if given[1:] else 'does'} not "
                                f"apply to {args.recipe}: it compares autograd and torch for "
                                f"--iters iterations")
        return _compare_lm(args)
    if args.iters is not None:
        raise GroundupError(f"--iters is for the language-model recipes ({', '.join(LM_RECIPES)});"
                            f" {args.recipe} is a classifier, which takes --epochs")
    engines = _engines(args.engines or ",".join(ENGINES), ENGINES)
    config = build_config(recipe=args.recipe, epochs=args.epochs, seed=args.seed,
                          data_dir=args.data_dir)  # fmt: skip
    prep = load_data(config)
    spec = model_spec(config, prep)
    console = Console()
    opt = config.optimizer
    console.print(f"{args.recipe}: {spec.summary()}, {opt.summary()}, "
                  f"{config.epochs} epochs, seed {config.seed}")  # fmt: skip
    results, skipped = compare_engines(
        spec, config.optimizer, prep, epochs=config.epochs, batch_size=config.batch_size,
        seed=config.seed, engines=engines, log=console.print,
    )  # fmt: skip
    table = Table(title=f"compare {args.recipe}")
    cols = ("engine", "final loss", "test accuracy", "s / epoch", "max |Δw| vs others",
            "relative to max |w|")  # fmt: skip
    for col in cols:
        table.add_column(col, justify="left" if col == "engine" else "right")
    for r in results:
        acc = "-" if r.test_acc is None else f"{100 * r.test_acc:.2f}%"
        table.add_row(r.engine, f"{r.final_loss:.6f}", acc, f"{r.seconds_per_epoch:.3g}",
                      f"{r.max_diff:.2e}", f"{r.relative_diff:.1e}")  # fmt: skip
    console.print(table)
    for msg in skipped:
        console.print(f"skipped {msg}", markup=False)
    if len(results) > 1:
        accs = [r.test_acc for r in results if r.test_acc is not None]
        spread = 100 * (max(accs) - min(accs)) if accs else 0.0
        worst = max(r.max_diff for r in results)
        console.print(f"test accuracy spread {spread:.2f} points; largest weight difference "
                      f"{worst:.2e}")  # fmt: skip
    return 0


def _engines(text: str, known) -> list[str]:
    """The engines ``--engines`` names: known ones, no empty entry, at least two different
    (a duplicate counts once)."""
    from groundup.errors import GroundupError

    names = [e.strip() for e in text.split(",")]
    unknown = [e for e in names if e and e not in known]
    engines = list(dict.fromkeys(names))
    fix = f"choose two or more of {', '.join(known)}, e.g. --engines scratch,torch"
    if unknown:
        raise GroundupError(f"unknown engine(s) {', '.join(unknown)}; {fix}")
    if not any(names):
        raise GroundupError(f"no engine given (--engines {text}); {fix}")
    if "" in names:
        raise GroundupError(f"an empty entry in --engines {text}; {fix}")
    if len(engines) < 2:
        raise GroundupError(f"a comparison needs at least two different engines, got only "
                            f"{engines[0]} (--engines {text}); {fix}")
    return engines


def _compare_lm(args) -> int:
    """Per-step training losses of autograd and torch from the same weights and batches."""
    import numpy as np

    from groundup.runs_lm import build_lm_config, load_lm_data
    from groundup.train.compare_lm import compare_lm_engines

    cfg = build_lm_config(args.recipe, seed=args.seed, data_dir=args.data_dir)
    iters = args.iters or 200
    data = load_lm_data(cfg)
    spec = cfg.spec(data.vocab_size)
    print(f"{args.recipe}: {spec.summary()}, {iters} iterations, seed {cfg.seed}, float32")
    losses = compare_lm_engines(spec, cfg.optimizer, data, iters, cfg.batch_size, cfg.seed)
    a, t = losses["autograd"], losses["torch"]
    rel = np.abs(a - t) / np.abs(t)
    for i in sorted({0, 1, iters // 4, iters // 2, iters - 1}):
        print(f"step {i:4d}: autograd {a[i]:.6f}  torch {t[i]:.6f}  relative {rel[i]:.1e}")
    worst = int(np.argmax(rel))
    ok = bool(rel.max() <= 1e-4)
    print(f"largest relative difference {rel.max():.2e} at step {worst} "
          f"({'within' if ok else 'ABOVE'} 1e-4)")
    return 0 if ok else 1
