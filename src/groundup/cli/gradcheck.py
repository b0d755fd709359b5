"""``groundup gradcheck [MODEL]``: hand-derived and autograd gradients vs central differences.

For each model (logistic, softmax, mlp) a small random problem is built in float64, and every
parameter's gradient from the chosen engine is compared with ``(E(θ+ε) - E(θ-ε)) / 2ε``
(:mod:`groundup.gradcheck`). The exit status is 1 if any error exceeds ``--tol``.
"""

from __future__ import annotations

import numpy as np

from groundup.cli.train import hidden_sizes, non_negative_int, positive_float
from groundup.engines.base import MODELS


def register(subparsers) -> None:
    from groundup.engines.base import ACTIVATIONS

    p = subparsers.add_parser(
        "gradcheck",
        help="check a model's gradients against central differences (float64)",
        description="Compare the analytic gradients of the scratch (hand-derived) or autograd "
        "engine with central differences on a small random problem, in float64.",
    )
    p.add_argument("model", nargs="?", default="all", choices=[*MODELS, "all"],
                   help="which model to check (default: all three)")  # fmt: skip
    p.add_argument("--engine", choices=("scratch", "autograd", "both"), default="both",
                   help="whose gradients to check (default both)")  # fmt: skip
    p.add_argument("--hidden", type=hidden_sizes, default=(7, 5),
                   help="hidden widths of the mlp (default 7,5)")  # fmt: skip
    p.add_argument("--activation", choices=ACTIVATIONS, default="tanh",
                   help="activation of the mlp (default tanh: smooth, no kinks)")  # fmt: skip
    p.add_argument("--eps", type=positive_float, default=1e-6, help="finite-difference step")
    p.add_argument("--tol", type=positive_float, default=1e-6,
                   help="largest acceptable relative error (default 1e-6)")  # fmt: skip
    p.add_argument("--seed", type=non_negative_int, default=0,
                   help="seed for the problem and the weights")
    p.set_defaults(func=run)


def problem(model: str, hidden, activation: str, seed: int):
    """(spec, float64 state, X (m, d), y (m,)) for a small random classification problem."""
    from groundup.engines.base import ModelSpec

    rng = np.random.default_rng(seed)
    n_classes = 2 if model == "logistic" else 3
    spec = ModelSpec.for_model(model, 5, n_classes, hidden if model == "mlp" else (), activation)
    X = rng.normal(size=(16, 5))
    y = rng.integers(0, n_classes, size=16)
    return spec, spec.init_state(seed, dtype=np.float64), X, y


def loss_and_grads_fn(engine: str, spec, state, X, y):
    """``(f, params)``: ``f()`` returns (loss, grads) at the current values of ``params``."""
    if engine == "scratch":
        from groundup.scratch.mlp import MLP

        net = MLP(spec.sizes, activation=spec.activation)
        net.load_state_dict(state)
        return (lambda: net.loss_and_grads(X, y)), net.params
    from groundup.engines.autograd import loss_and_grads

    params = {k: np.array(v, copy=True) for k, v in state.items()}
    return (lambda: loss_and_grads(spec, params, X, y)), params


def run(args) -> int:
    from groundup.gradcheck import gradcheck

    models = MODELS if args.model == "all" else (args.model,)
    engines = ("scratch", "autograd") if args.engine == "both" else (args.engine,)
    worst = 0.0
    for model in models:
        spec, state, X, y = problem(model, args.hidden, args.activation, args.seed)
        for engine in engines:
            f, params = loss_and_grads_fn(engine, spec, state, X, y)
            errors = gradcheck(f, params, eps=args.eps)
            print(f"{model} {spec.sizes} ({engine}):")
            for name, err in errors.items():
                print(f"  {name:<10} worst relative error {err:.2e}  "
                      f"{'ok' if err < args.tol else 'FAIL'}")  # fmt: skip
            worst = max(worst, *errors.values())
    verdict = "all gradients agree" if worst < args.tol else "some gradients are WRONG"
    print(f"{verdict}: worst relative error {worst:.2e} (tolerance {args.tol:g})")
    return 0 if worst < args.tol else 1
