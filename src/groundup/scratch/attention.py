"""Causal softmax attention, one head and many, with backward passes derived by hand.

**One head.** A sequence of T positions; each has a query q_i, a key k_i and a value v_i
(rows of Q, K (T, d) and V (T, d_v)). Position i scores position j by the dot product of its
query with j's key, scaled by s = 1/√d, may look only at j <= i, and takes the softmax-weighted
average of the values::

    S_ij = s · q_i · k_j                     (T, T)   similarity of query i and key j
    S_ij = -∞  for j > i                                the causal mask: no peeking ahead
    P_ij = e^{S_ij} / Σ_k e^{S_ik}          (T, T)   row i: how much i attends to each j
    Y    = P V                               (T, d_v)

Backward, from δ = dE/dY. Y = P V is a matrix product, so::

    dV = Pᵀ δ                                (T, d_v)  value j collects from every i that used it
    dP = δ Vᵀ                                (T, T)

The softmax of row i: ∂P_ik/∂S_ij = P_ik (δ_kj - P_ij). Summing over k collapses the Jacobian::

    dS_ij = Σ_k dP_ik P_ik (δ_kj - P_ij) = P_ij (dP_ij - Σ_k dP_ik P_ik)        (T, T)

(the masked entries have P_ij = 0, so they get dS_ij = 0: the mask needs no backward of its
own). Finally S = s Q Kᵀ::

    dQ = s · dS K                            (T, d)
    dK = s · dSᵀ Q                           (T, d)

Every formula works unchanged on stacks (B, h, T, ·) of sequences and heads: the products are
batched over the leading axes.

**Many heads** (:class:`CausalSelfAttention`), width C, h heads of size d = C/h, input X
(B, T, C). One linear map makes all queries, keys and values; each head attends in its own
d-wide slice; the heads' outputs are laid side by side again and mixed by a second map::

    [Q | K | V] = X W_aᵀ + b_a               (B, T, 3C)   ``c_attn``
    Q_h, K_h, V_h = slice h of Q, K, V       (B, h, T, d)
    Y_h = attention(Q_h, K_h, V_h)           (B, h, T, d)
    Z = [Y_1 | ... | Y_h]                    (B, T, C)
    out = Z W_pᵀ + b_p                       (B, T, C)    ``c_proj``

Backward runs the same steps in reverse: the two linear maps (dW = Σ δᵀ input, db = Σ δ,
d(input) = δ W), the heads' slices put back in their places, and the one-head rule per head.
"""

from __future__ import annotations

import math

import numpy as np

from groundup.errors import GroundupError


def attention_forward(Q: np.ndarray, K: np.ndarray, V: np.ndarray, causal: bool = True,
                      scale: float | None = None) -> tuple[np.ndarray, tuple]:
    """``(Y, cache)`` for Q, K (..., T, d) and V (..., T, d_v); see the module docstring."""
    s = 1.0 / math.sqrt(Q.shape[-1]) if scale is None else scale
    S = (Q @ np.swapaxes(K, -1, -2)) * s  # (..., T, T)
    if causal:
        T, Tk = S.shape[-2:]
        S = np.where(np.tri(T, Tk, dtype=bool), S, -np.inf)
    S = S - S.max(axis=-1, keepdims=True)
    P = np.exp(S)
    P /= P.sum(axis=-1, keepdims=True)
    return P @ V, (Q, K, V, P, s)


def attention_backward(dY: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    """``(dQ, dK, dV)`` from δ = dE/dY."""
    Q, K, V, P, s = cache
    dV = np.swapaxes(P, -1, -2) @ dY
    dP = dY @ np.swapaxes(V, -1, -2)
    dS = P * (dP - (dP * P).sum(axis=-1, keepdims=True))
    return s * (dS @ K), s * (np.swapaxes(dS, -1, -2) @ Q), dV


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """``X Wᵀ + b`` for X (..., n_in), W (n_out, n_in)."""
    Y = X @ W.T
    return Y if b is None else Y + b


def linear_backward(dY: np.ndarray, X: np.ndarray, W: np.ndarray, has_bias: bool):
    """``(dX, dW, db)``: δ W, Σ_rows δᵀ X (the leading axes are all rows), Σ_rows δ."""
    rows, X2 = dY.reshape(-1, dY.shape[-1]), X.reshape(-1, X.shape[-1])
    return dY @ W, rows.T @ X2, (rows.sum(axis=0) if has_bias else None)


class CausalSelfAttention:
    """Multi-head causal self-attention with nanoGPT's parameters ``c_attn.weight`` (3C, C),
    ``c_proj.weight`` (C, C) and, with ``bias``, ``c_attn.bias`` (3C,), ``c_proj.bias`` (C,)."""

    def __init__(self, n_embd: int, n_head: int, bias: bool = True, dtype=np.float32):
        if n_embd % n_head:
            raise GroundupError(f"n_embd ({n_embd}) must be a multiple of n_head ({n_head})")
        self.n_embd, self.n_head = n_embd, n_head
        self.params = {"c_attn.weight": np.zeros((3 * n_embd, n_embd), dtype),
                       "c_proj.weight": np.zeros((n_embd, n_embd), dtype)}
        if bias:
            self.params["c_attn.bias"] = np.zeros(3 * n_embd, dtype)
            self.params["c_proj.bias"] = np.zeros(n_embd, dtype)

    def _heads(self, A: np.ndarray) -> np.ndarray:
        """(B, T, C) -> (B, h, T, d)."""
        B, T, C = A.shape
        return A.reshape(B, T, self.n_head, C // self.n_head).transpose(0, 2, 1, 3)

    def forward(self, X: np.ndarray) -> np.ndarray:
        p = self.params
        B, T, C = X.shape
        QKV = linear_forward(X, p["c_attn.weight"], p.get("c_attn.bias"))  # (B, T, 3C)
        Q, K, V = (self._heads(QKV[..., i * C:(i + 1) * C]) for i in range(3))
        Yh, att = attention_forward(Q, K, V)  # (B, h, T, d)
        Z = Yh.transpose(0, 2, 1, 3).reshape(B, T, C)  # heads side by side
        self._cache = (X, att, Z)
        return linear_forward(Z, p["c_proj.weight"], p.get("c_proj.bias"))

    def backward(self, dOut: np.ndarray, need_dx: bool = True):
        """``(dX, grads)`` from δ = dE/d(out) of shape (B, T, C)."""
        p = self.params
        X, att, Z = self._cache
        B, T, C = X.shape
        has_bias = "c_attn.bias" in p
        dZ, grads_p, db_p = linear_backward(dOut, Z, p["c_proj.weight"], has_bias)
        dQ, dK, dV = attention_backward(self._heads(dZ), att)  # (B, h, T, d) each
        dQKV = np.concatenate([d.transpose(0, 2, 1, 3).reshape(B, T, C)
                               for d in (dQ, dK, dV)], axis=-1)  # (B, T, 3C)
        dX, grads_a, db_a = linear_backward(dQKV, X, p["c_attn.weight"], has_bias)
        grads = {"c_attn.weight": grads_a, "c_proj.weight": grads_p}
        if has_bias:
            grads["c_attn.bias"], grads["c_proj.bias"] = db_a, db_p
        return (dX if need_dx else None), grads
