"""Optimizer update rules on plain NumPy arrays, written once and shared by every engine.

Each rule updates ``param`` **in place** from ``grad`` and the per-parameter ``state`` dict that
the caller keeps (empty on the first step). The arithmetic follows PyTorch's single-tensor
implementations of ``torch.optim.SGD``, ``Adam``/``AdamW`` and ``RMSprop`` operation for operation
(Adam's last line rearranged, see :func:`adam_step`), so a float64 run agrees with PyTorch to
~1e-15 and a float32 run to float32 rounding. Arrays keep their dtype: Python-float
hyper-parameters combine with a float32 array in float32 (NumPy 2 rules).

State keys use PyTorch's names: ``step``, ``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``,
``max_exp_avg_sq``, ``square_avg``, ``grad_avg``.

>>> p = np.array([1.0, 2.0]); state = {}
>>> sgd_step(p, np.array([0.5, -1.0]), state, lr=0.1)
>>> p
array([0.95, 2.1 ])
"""

from __future__ import annotations

import math
import threading

import numpy as np


def _check(name: str, value: float, low: float = 0.0) -> None:
    if not value >= low:  # also refuses NaN
        raise ValueError(f"invalid {name}={value} (must be >= {low})")


def check_sgd(lr: float, momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False,
              weight_decay: float = 0.0) -> None:
    """Refuse what ``torch.optim.SGD`` refuses: lr, momentum, weight_decay < 0; Nesterov without
    momentum or with dampening."""
    _check("lr", lr)
    _check("momentum", momentum)
    _check("weight_decay", weight_decay)
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("Nesterov momentum requires momentum > 0 and dampening = 0")


def check_adam(lr: float, betas: tuple[float, float], eps: float, weight_decay: float) -> None:
    """Refuse what ``torch.optim.Adam`` / ``AdamW`` refuse: lr, eps, weight_decay < 0 and betas
    outside [0, 1) (β = 1 would never forget the first gradient, and 1 - βᵗ = 0 divides by 0)."""
    _check("lr", lr)
    _check("eps", eps)
    _check("weight_decay", weight_decay)
    if len(betas) != 2:
        raise ValueError(f"invalid betas={betas}: give two numbers (beta1, beta2)")
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"invalid betas={tuple(betas)}: beta at index {i} is {beta}, each "
                             "must be in [0, 1) (the defaults are (0.9, 0.999))")


def check_rmsprop(lr: float, alpha: float, eps: float, weight_decay: float,
                  momentum: float) -> None:
    """Refuse what ``torch.optim.RMSprop`` refuses: lr, alpha, eps, weight_decay, momentum < 0."""
    _check("lr", lr)
    _check("eps", eps)
    _check("alpha", alpha)
    _check("momentum", momentum)
    _check("weight_decay", weight_decay)


def _grad_for(param: np.ndarray, grad, weight_decay: float, maximize: bool) -> np.ndarray:
    """``g = ±grad + wd · param`` in ``param``'s dtype (L2 weight decay in the gradient)."""
    g = np.asarray(grad, dtype=param.dtype)
    if g.shape != param.shape:
        raise ValueError(f"grad of shape {g.shape} does not match param of shape {param.shape}")
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * param
    return g


_SCRATCH = threading.local()  # per thread: (shape, dtype, k) -> a work array kept between steps
_SCRATCH_LIMIT = 16


def _scratch(like: np.ndarray, k: int = 0) -> np.ndarray:
    """Work array number ``k`` of ``like``'s shape and dtype, kept between steps: the rules
    write their temporaries into it (``out=``) instead of allocating them. Adam on MNIST's
    784-100-10 network (79,510 float32s) took 145 µs so, 245 µs with fresh temporaries.
    Never part of an optimizer's state; the few most recent sizes are kept, per thread (two
    threads stepping same-shaped parameters must not share one)."""
    arrays = getattr(_SCRATCH, "arrays", None)
    if arrays is None:
        arrays = _SCRATCH.arrays = {}
    key = (like.shape, like.dtype, k)
    buf = arrays.pop(key, None)
    if buf is None:
        buf = np.empty_like(like, order="C")
        while len(arrays) >= _SCRATCH_LIMIT:
            arrays.pop(next(iter(arrays)))
    arrays[key] = buf  # most recent last
    return buf


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start ← start + w (end - start)`` in place, with PyTorch's two-sided lerp formula."""
    diff = np.subtract(end, start, out=_scratch(start))
    if abs(weight) < 0.5:
        np.multiply(diff, weight, out=diff)
        np.add(start, diff, out=start)
    else:
        np.multiply(diff, 1 - weight, out=diff)
        np.subtract(end, diff, out=start)


def sgd_step(
    param: np.ndarray,
    grad,
    state: dict,
    *,
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    maximize: bool = False,
) -> None:
    """One step of stochastic gradient descent (``torch.optim.SGD``).

    With ``g = grad + wd · θ``::

        b ← g                              (first step)
        b ← μ b + (1 - dampening) g        (later steps)
        g ← g + μ b   if nesterov,  else  g ← b        (only when μ ≠ 0)
        θ ← θ - lr · g
    """
    check_sgd(lr, momentum, dampening, nesterov, weight_decay)
    g = _grad_for(param, grad, weight_decay, maximize)
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = g.copy()
        else:
            buf *= momentum
            buf += (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    param -= lr * g


def adam_step(
    param: np.ndarray,
    grad,
    state: dict,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    decoupled_weight_decay: bool = False,
    maximize: bool = False,
) -> None:
    """One step of Adam (``torch.optim.Adam``), or AdamW with ``decoupled_weight_decay=True``.

    At step t (from 1), with ``g = grad`` (plus ``wd · θ`` for Adam's L2 decay)::

        θ ← θ (1 - lr · wd)                          (AdamW only, before anything else)
        m ← m + (1 - β1)(g - m)                      first moment
        v ← β2 v + (1 - β2) g²                       second moment
        v̂ ← max(v̂, v) if amsgrad else v
        θ ← θ - (lr / (1 - β1^t)) · m / (√v̂ / √(1 - β2^t) + ε)

    ε is added after the bias correction of √v, as PyTorch does. The last line is computed as
    ``θ ← θ + c · m / (√v̂ + ε √(1 - β2^t))`` with ``c = -lr √(1 - β2^t) / (1 - β1^t)``, the
    same number in exact arithmetic (multiply the fraction through by √(1 - β2^t)): five passes
    over the array instead of six, one of them a division by a scalar, the slowest pass (on
    MNIST's 78,400-weight layer: 168 µs a step instead of 200).
    """
    check_adam(lr, betas, eps, weight_decay)
    beta1, beta2 = betas
    if decoupled_weight_decay:
        if weight_decay != 0:
            param *= 1 - lr * weight_decay
        g = _grad_for(param, grad, 0.0, maximize)
    else:
        g = _grad_for(param, grad, weight_decay, maximize)
    if "step" not in state:
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(param)
        state["exp_avg_sq"] = np.zeros_like(param)
        if amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(param)
    state["step"] += 1
    t = state["step"]
    m, v = state["exp_avg"], state["exp_avg_sq"]

    _lerp_(m, g, 1 - beta1)
    np.multiply(v, beta2, out=v)
    g2 = np.multiply(g, 1 - beta2, out=_scratch(param))  # (1 - β2) g g, in that order
    np.multiply(g2, g, out=g2)
    np.add(v, g2, out=v)

    bias_correction1 = 1 - beta1**t
    sqrt_bias_correction2 = math.sqrt(1 - beta2**t)
    if amsgrad:
        v_hat = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
    else:
        v_hat = v
    update = np.sqrt(v_hat, out=_scratch(param))
    np.add(update, eps * sqrt_bias_correction2, out=update)
    np.divide(m, update, out=update)  # m / (√v̂ + ε √(1 - β2^t))
    np.multiply(update, -lr * sqrt_bias_correction2 / bias_correction1, out=update)
    np.add(param, update, out=param)


def rmsprop_step(
    param: np.ndarray,
    grad,
    state: dict,
    *,
    lr: float = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    maximize: bool = False,
) -> None:
    """One step of RMSprop (``torch.optim.RMSprop``); no bias correction.

    With ``g = grad + wd · θ``::

        s ← α s + (1 - α) g²                         mean square
        ḡ ← ḡ + (1 - α)(g - ḡ)                       (centered only)
        d ← √(s - ḡ²) + ε  if centered, else  √s + ε
        b ← μ b + g / d ;  θ ← θ - lr · b            (momentum μ > 0)
        θ ← θ - lr · g / d                           (otherwise)
    """
    check_rmsprop(lr, alpha, eps, weight_decay, momentum)
    g = _grad_for(param, grad, weight_decay, maximize)
    if "step" not in state:
        state["step"] = 0
        state["square_avg"] = np.zeros_like(param)
        if momentum > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if centered:
            state["grad_avg"] = np.zeros_like(param)
    state["step"] += 1
    s = state["square_avg"]
    s *= alpha
    s += (1 - alpha) * g * g
    if centered:
        g_avg = state["grad_avg"]
        _lerp_(g_avg, g, 1 - alpha)
        avg = np.sqrt(s - g_avg * g_avg)
    else:
        avg = np.sqrt(s)
    avg += eps
    if momentum > 0:
        buf = state["momentum_buffer"]
        buf *= momentum
        buf += g / avg
        param -= lr * buf
    else:
        param += (-lr * g) / avg
