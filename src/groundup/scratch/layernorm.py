"""Layer normalisation with its backward pass derived by hand.

The layer caches in ``forward`` what its ``backward`` needs; ``backward(dY)`` takes δ = dE/dY
(Y's shape) and returns ``(dX or None, grads)`` with ``grads`` keyed by PyTorch's parameter
names. The arithmetic runs in the parameters' dtype.

**LayerNorm** over the last axis, width N, for every row x (all leading axes are rows)::

    μ = (1/N) Σ_j x_j        σ² = (1/N) Σ_j (x_j - μ)²        r = (σ² + ε)^(-1/2)
    x̂ = (x - μ) r            y = x̂ ∘ w + b                                  (..., N)

Backward. The gain and the bias are shared by all rows, so their gradients sum over rows::

    dw = Σ_rows δ ∘ x̂        db = Σ_rows δ                                   (N,)

For the input, write ĝ = δ ∘ w = dE/dx̂. Every x̂_i depends on every x_j, through μ and r:

    ∂μ/∂x_j = 1/N            ∂σ²/∂x_j = 2 (x_j - μ)/N          ∂r/∂x_j = -r³ (x_j - μ)/N = -r² x̂_j/N
    ∂x̂_i/∂x_j = r (δ_ij - 1/N) + (x_i - μ) ∂r/∂x_j = r (δ_ij - 1/N - x̂_i x̂_j / N)

and the chain rule sums over i::

    dx_j = Σ_i ĝ_i ∂x̂_i/∂x_j = r (ĝ_j - mean(ĝ) - x̂_j mean(ĝ ∘ x̂))              (..., N)

The two means remove from ĝ what normalisation undoes: a shift of all x (it moves μ) and a
stretch along x̂ (it moves σ). So Σ_j dx_j = 0 in every row, and Σ_j dx_j x̂_j = 0 too when
ε = 0 (with ε it is r Σ ĝ x̂ · ε / (σ² + ε)).
"""

from __future__ import annotations

import numpy as np

from groundup.errors import ShapeError


class LayerNorm:
    """``params = {"weight": w (N,), "bias": b (N,)}`` (no bias when ``bias=False``); w = 1 and
    b = 0 to start, as PyTorch."""

    def __init__(self, normalized_shape: int, eps: float = 1e-5, bias: bool = True,
                 dtype=np.float32):
        self.eps = eps
        self.params = {"weight": np.ones(normalized_shape, dtype)}
        if bias:
            self.params["bias"] = np.zeros(normalized_shape, dtype)

    def forward(self, X: np.ndarray) -> np.ndarray:
        w = self.params["weight"]
        if X.shape[-1:] != w.shape:
            raise ShapeError(f"LayerNorm({w.shape[0]}) got input of shape {X.shape}")
        mu = X.mean(axis=-1, keepdims=True)
        Xc = X - mu
        r = 1.0 / np.sqrt((Xc * Xc).mean(axis=-1, keepdims=True) + self.eps)  # (..., 1)
        Xhat = Xc * r
        self._cache = (Xhat, r)
        Y = Xhat * w
        if "bias" in self.params:
            Y += self.params["bias"]
        return Y

    def backward(self, dY: np.ndarray, need_dx: bool = True):
        """``(dX, {"weight": dw, "bias": db})`` from δ = dY (see the module docstring)."""
        Xhat, r = self._cache
        rows = dY.reshape(-1, dY.shape[-1])
        grads = {"weight": (rows * Xhat.reshape(rows.shape)).sum(axis=0)}
        if "bias" in self.params:
            grads["bias"] = rows.sum(axis=0)
        if not need_dx:
            return None, grads
        ghat = dY * self.params["weight"]
        dX = r * (ghat - ghat.mean(axis=-1, keepdims=True)
                  - Xhat * (ghat * Xhat).mean(axis=-1, keepdims=True))
        return dX, grads

