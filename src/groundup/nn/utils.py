"""``groundup.nn.utils``: gradient clipping (PyTorch's ``torch.nn.utils.clip_grad_norm_``)."""

from __future__ import annotations

import math

import numpy as np

from groundup.autograd import Tensor
from groundup.errors import GroundupError


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale every gradient by one factor so that their joint norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if concatenated into one vector::

        n = ‖(‖g_1‖, ‖g_2‖, ...)‖           (p-norms of p-norms: the p-norm of everything)
        c = min(max_norm / (n + 1e-6), 1)
        g_i ← c · g_i                        for every gradient, in place

    so the direction of the step is kept and only its length is capped. Parameters without a
    gradient are skipped. Returns ``n``, the norm *before* clipping, as a 0-d tensor (for
    logging spikes). ``norm_type`` may be ``math.inf`` (the largest absolute entry).
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return Tensor(np.zeros((), dtype=np.float32))
    norm_type = float(norm_type)
    if norm_type == math.inf:
        norms = np.stack([np.abs(g).max() for g in grads])
        total = norms.max()
    else:
        norms = np.stack([_norm(g, norm_type) for g in grads])
        total = _norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise GroundupError(f"the total norm of the gradients is {float(total)}, so "
                            "clip_grad_norm_ cannot scale them: the loss or a gradient is not "
                            "finite (lower the learning rate, or pass error_if_nonfinite=False)")
    coef = float(max_norm) / (total + total.dtype.type(1e-6))  # in the gradients' dtype
    if not coef >= 1:  # NaN too: a NaN norm spreads to every gradient, as in PyTorch
        for g in grads:
            g *= coef
    return Tensor(np.asarray(total))


def _norm(a: np.ndarray, p: float) -> np.ndarray:
    """The p-norm of all entries, in ``a``'s dtype (2: √(Σ a²) through a dot product)."""
    flat = a.reshape(-1)
    if p == 2.0:
        return np.sqrt(np.dot(flat, flat))
    return np.sum(np.abs(flat) ** p) ** (1.0 / p)
