"""Check analytic gradients against central differences, in float64.

For each entry θ_i of each parameter::

    numeric_i = (E(θ + ε e_i) - E(θ - ε e_i)) / (2ε)

which is exact up to O(ε²) truncation and O(u |E| / ε) rounding (u ≈ 1.1e-16 in float64). The
error reported for a parameter is its worst entry, relative to the size of that parameter's
gradient::

    err = max_i |analytic_i - numeric_i| / max(max_i |analytic_i|, max_i |numeric_i|)

(0 when both gradients are exactly zero). Scaling by the largest entry rather than entry by entry
keeps gradients that are zero (a dead ReLU unit) or tiny from reporting rounding noise as a large
relative error, while any entry wrong by more than ``err`` of the gradient's scale is caught. With
ε = 1e-6 a correct float64 gradient gives err around 1e-9 or below.

>>> import numpy as np
>>> theta = {"x": np.array([1.0, -2.0])}
>>> f = lambda: (float(np.sum(theta["x"] ** 3)), {"x": 3 * theta["x"] ** 2})
>>> gradcheck(f, theta)["x"] < 1e-8
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from groundup.errors import GroundupError


def gradcheck(
    loss_and_grads: Callable[[], tuple[float, dict[str, np.ndarray]]],
    params: dict[str, np.ndarray],
    eps: float = 1e-6,
    max_entries: int | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Worst relative error of each parameter's analytic gradient (see the module docstring).

    Parameters
    ----------
    loss_and_grads
        Called with no arguments; returns ``(loss, grads)`` for the current values in ``params``
        (e.g. ``lambda: model.loss_and_grads(X, y)``). ``grads`` is keyed like ``params``.
    params
        The float64 arrays the loss reads; each entry is nudged in place and restored.
    eps
        Half the finite-difference step.
    max_entries
        Check at most this many entries per parameter, chosen at random with ``seed``
        (``None`` checks every entry).
    """
    for name, p in params.items():
        if p.dtype != np.float64:
            raise GroundupError(
                f"gradcheck needs float64 parameters, but {name!r} is {p.dtype}; build the model "
                "with dtype=np.float64 (float32 rounding swamps central differences)"
            )
    _, analytic = loss_and_grads()
    analytic = {name: np.array(g, dtype=np.float64, copy=True) for name, g in analytic.items()}
    rng = np.random.default_rng(seed)
    errors: dict[str, float] = {}
    for name, p in params.items():
        if analytic[name].shape != p.shape:
            raise GroundupError(
                f"gradient of {name!r} has shape {analytic[name].shape}, parameter {p.shape}"
            )
        if max_entries is None or max_entries >= p.size:
            indices = np.arange(p.size)
        else:
            indices = rng.choice(p.size, size=max_entries, replace=False)
        a = analytic[name].reshape(-1)[indices]
        numeric = np.empty(len(indices))
        for k, i in enumerate(indices):
            at = np.unravel_index(i, p.shape)  # indexes p itself, whatever its memory layout
            original = p[at]
            p[at] = original + eps
            plus = loss_and_grads()[0]
            p[at] = original - eps
            minus = loss_and_grads()[0]
            p[at] = original
            numeric[k] = (plus - minus) / (2 * eps)
        scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(numeric), initial=0.0))
        errors[name] = 0.0 if scale == 0 else float(np.max(np.abs(a - numeric)) / scale)
    return errors


def check_engine(
    engine, X: np.ndarray, y: np.ndarray, eps: float = 1e-6, max_entries: int | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """:func:`gradcheck` of an engine's ``loss_and_grads(X, y)`` at its current weights.

    Speaks only the engine contract (``state_dict``, ``load_state_dict``, ``loss_and_grads``), so
    every engine is checked the same way; the engine must hold float64 weights (build it from
    ``spec.init_state(seed, dtype=np.float64)``). Its weights are left as they were.
    """
    params = engine.state_dict()
    before = {name: p.copy() for name, p in params.items()}

    def loss_and_grads():
        engine.load_state_dict(params)
        return engine.loss_and_grads(X, y)

    try:
        return gradcheck(loss_and_grads, params, eps=eps, max_entries=max_entries, seed=seed)
    finally:
        engine.load_state_dict(before)


def format_report(errors: dict[str, float], tol: float = 1e-6) -> str:
    """One line per parameter: name, worst relative error, and ok / FAIL against ``tol``."""
    width = max((len(n) for n in errors), default=4)
    lines = [f"{'param':<{width}}  worst rel. error"]
    for name, err in errors.items():
        lines.append(f"{name:<{width}}  {err:.2e}  {'ok' if err < tol else 'FAIL'}")
    return "\n".join(lines)
