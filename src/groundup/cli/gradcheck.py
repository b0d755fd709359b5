"""``groundup gradcheck [MODEL]``: every engine's gradients vs central differences.

For each model (logistic, softmax, mlp, cnn) a small random problem is built in float64 (6x6
one-channel images for the cnn), and every
parameter's gradient from the chosen engines (through the engine contract's ``loss_and_grads``)
is compared with ``(E(θ+ε) - E(θ-ε)) / 2ε`` (:mod:`groundup.gradcheck`). The exit status is 1 if
any error exceeds ``--tol``.
"""

from __future__ import annotations

import numpy as np

from groundup.cli.args import value
from groundup.engines import ENGINES
from groundup.models import MODELS
from groundup.numerics import ACTIVATIONS

#: ``--engine`` values besides the engines themselves.
GROUPS = {"both": ("scratch", "autograd"), "all": ENGINES}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "gradcheck",
        help="check a model's gradients against central differences (float64)",
        description="Compare the analytic gradients of an engine (scratch: hand-derived, "
        "autograd, torch) with central differences on a small random problem, in float64.",
    )
    p.add_argument("model", nargs="?", default="all", choices=[*MODELS, "all"],
                   help="which model to check (default: all of them)")  # fmt: skip
    p.add_argument("--engine", choices=[*ENGINES, *GROUPS], default="both",
                   help="whose gradients to check: an engine, both (scratch and autograd, the "
                   "default) or all")  # fmt: skip
    p.add_argument("--hidden", type=value("hidden"), default=(7, 5),
                   help="hidden widths of the mlp (default 7,5)")  # fmt: skip
    p.add_argument("--channels", type=value("channels"), default=(2, 3),
                   help="channels of the cnn's blocks (default 2,3)")  # fmt: skip
    p.add_argument("--kernel-size", type=value("kernel_size"), default=3,
                   help="kernel size of the cnn (default 3)")  # fmt: skip
    p.add_argument("--activation", choices=list(ACTIVATIONS), default="tanh",
                   help="activation of the mlp (default tanh: smooth, no kinks)")  # fmt: skip
    p.add_argument("--eps", type=value("eps"), default=1e-6, help="finite-difference step")
    p.add_argument("--tol", type=value("tol"), default=1e-6,
                   help="largest acceptable relative error (default 1e-6)")  # fmt: skip
    p.add_argument("--seed", type=value("seed"), default=0,
                   help="seed for the problem and the weights")
    p.set_defaults(func=run)


def problem(model: str, hidden, activation: str, seed: int, channels=(2, 3), kernel_size=3):
    """(spec, float64 state, X (m, d), y (m,)) for a small random classification problem."""
    from groundup.models import ModelSpec

    rng = np.random.default_rng(seed)
    n_classes = 2 if model == "logistic" else 3
    shape = (1, 6, 6) if MODELS[model].images else 5
    spec = ModelSpec.for_model(model, shape, n_classes, hidden, activation, channels=channels,
                               kernel_size=kernel_size)  # fmt: skip
    X = rng.normal(size=(16, spec.n_inputs))
    y = rng.integers(0, n_classes, size=16)
    return spec, spec.init_state(seed, dtype=np.float64), X, y


def run(args) -> int:
    from groundup.engines import OptimizerSpec, make_engine
    from groundup.errors import MissingExtraError
    from groundup.gradcheck import check_engine

    models = list(MODELS) if args.model == "all" else [args.model]
    engines = GROUPS.get(args.engine, (args.engine,))
    worst = 0.0
    for model in models:
        spec, state, X, y = problem(model, args.hidden, args.activation, args.seed,
                                    args.channels, args.kernel_size)  # fmt: skip
        for name in engines:
            try:
                engine = make_engine(name, spec, state, OptimizerSpec())
            except MissingExtraError as exc:
                print(f"{model} ({name}): skipped, {exc}")
                continue
            errors = check_engine(engine, X, y, eps=args.eps)
            print(f"{model} [{spec.summary()}] ({name}):")
            for param, err in errors.items():
                print(f"  {param:<10} worst relative error {err:.2e}  "
                      f"{'ok' if err < args.tol else 'FAIL'}")  # fmt: skip
            worst = max(worst, *errors.values())
    verdict = "all gradients agree" if worst < args.tol else "some gradients are WRONG"
    print(f"{verdict}: worst relative error {worst:.2e} (tolerance {args.tol:g})")
    return 0 if worst < args.tol else 1
