"""Layer normalisation as one graph node, its backward rule derived once and written out.

Each row x of N values (the last ``len(normalized_shape)`` axes, flattened) is standardised and
then scaled and shifted by the learned gain w and bias b (PyTorch's ``F.layer_norm``)::

    μ = (1/N) Σ_j x_j          σ² = (1/N) Σ_j (x_j - μ)²      (biased: divide by N)
    r = 1 / √(σ² + ε)          x̂ = (x - μ) r                  y = x̂ ∘ w + b

With g = dL/dy, the gain and bias gradients sum over rows: ``dL/dw = Σ_rows g ∘ x̂`` and
``dL/db = Σ_rows g``. For the input, let ĝ = g ∘ w (= dL/dx̂). Each x̂_i depends on every x_j
through μ and r: ∂x̂_i/∂x_j = r (δ_ij - 1/N - x̂_i x̂_j / N), so

    dL/dx = r (ĝ - mean(ĝ) - x̂ ∘ mean(ĝ ∘ x̂))           (means over the row)

three reductions instead of a graph of ten elementwise nodes.
"""

from __future__ import annotations

import numpy as np

from groundup.autograd.tensor import Tensor, result
from groundup.errors import ShapeError


def _row_mean(a: np.ndarray) -> np.ndarray:
    return np.add.reduce(a, axis=-1, keepdims=True) / a.shape[-1]


def layer_norm(x: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last dims ``normalized_shape`` (an int or a tuple), then ``∘ w + b``.

    ``x`` of shape (..., *normalized_shape); ``weight`` and ``bias``, if given, of shape
    ``normalized_shape``. Returns the shape of ``x``.
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    xd = x.data
    k = len(shape)
    if xd.shape[xd.ndim - k:] != shape or xd.ndim < k:
        raise ShapeError(f"layer_norm: input of shape {xd.shape} does not end in "
                         f"normalized_shape {shape}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and p.data.shape != shape:
            raise ShapeError(f"layer_norm: {name} of shape {p.data.shape}, expected {shape}")
    N = int(np.prod(shape, dtype=np.int64))
    x2 = xd.reshape(-1, N)  # (rows, N)
    w = None if weight is None else weight.data.reshape(N)
    b = None if bias is None else bias.data.reshape(N)
    xc = x2 - _row_mean(x2)
    var = _row_mean(xc * xc)
    var += eps
    r = 1.0 / np.sqrt(var)  # (rows, 1)
    xhat = xc
    xhat *= r
    y = xhat * w if w is not None else xhat.copy()
    if b is not None:
        y += b

    def backward(g):
        g2 = g.reshape(-1, N)
        ghat = g2 * w if w is not None else g2
        dx = None
        if x.requires_grad:
            dx = ghat - _row_mean(ghat)
            dx -= xhat * _row_mean(ghat * xhat)
            dx *= r
            dx = dx.reshape(xd.shape)
        grads = [dx]
        if weight is not None:
            grads.append(np.add.reduce(g2 * xhat, axis=0).reshape(shape)
                         if weight.requires_grad else None)
        if bias is not None:
            grads.append(np.add.reduce(g2, axis=0).reshape(shape) if bias.requires_grad else None)
        return tuple(grads)

    parents = tuple(p for p in (x, weight, bias) if p is not None)
    return result(y.reshape(xd.shape), parents, backward, "NativeLayerNormBackward")
