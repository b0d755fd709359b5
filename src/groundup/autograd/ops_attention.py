"""Scaled dot-product attention as one graph node (PyTorch's ``F.scaled_dot_product_attention``).

For queries Q (..., L, E), keys K (..., S, E) and values V (..., S, Ev), every query scores every
key by a dot product, the scores become weights by a softmax over the keys, and the output is the
weighted sum of the values::

    A = Q Kᵀ · s                 (..., L, S)    s = 1/√E unless given: the scores' temperature
    A_ij = -∞ where j may not be seen (causal: j > i; or where a boolean mask is False)
    P = softmax(A) over j         (..., L, S)    each row sums to 1; masked entries get 0
                                                 (a row with every key masked: all 0, as PyTorch)
    P̃ = P ∘ M / (1 - p)          dropout on the weights while training (M ~ Bernoulli(1 - p))
    Y = P̃ V                       (..., L, Ev)

Backward, with G = dL/dY, is the chain rule through the same four steps; the softmax's Jacobian
∂P_ij/∂A_ik = P_ij (δ_jk - P_ik) collapses, per row, into one line::

    dL/dV = P̃ᵀ G                 dL/dP̃ = G Vᵀ                 dL/dP = dL/dP̃ ∘ M / (1 - p)
    dL/dA = P ∘ (dL/dP - Σ_k (dL/dP)_k P_k)      (0 where masked: P is 0 there)
    dL/dQ = dL/dA K · s          dL/dK = (dL/dA)ᵀ Q · s

Leading dimensions (batch, heads) broadcast as in ``matmul``. Arrays keep their dtype.
"""

from __future__ import annotations

import math

import numpy as np

from groundup.autograd.creation import default_generator
from groundup.autograd.function import unbroadcast
from groundup.autograd.tensor import Tensor, result
from groundup.errors import GroundupError, ShapeError


def causal_mask(L: int, S: int | None = None) -> np.ndarray:
    """Boolean (L, S): True where query i may see key j, i.e. j <= i (PyTorch's ``is_causal``,
    the lower triangle aligned to the top left)."""
    return np.tri(L, L if S is None else S, dtype=bool)


def _add_mask(A: np.ndarray, mask) -> None:
    """Add ``mask`` to the scores A in place: a boolean mask as 0 where allowed and -∞ where
    not, a float mask as it is (PyTorch's float ``attn_mask`` is added to the scores)."""
    m = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    add = np.where(m, A.dtype.type(0), A.dtype.type(-np.inf)) if m.dtype == bool \
        else m.astype(A.dtype, copy=False)
    try:
        A += add
    except ValueError as exc:
        raise ShapeError(f"scaled_dot_product_attention: attn_mask of shape {m.shape} does not "
                         f"broadcast to the scores' shape {A.shape}") from exc


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, generator=None) -> Tensor:
    """softmax(Q Kᵀ · scale + mask) V over the last two dims (see the module docstring).

    ``attn_mask``: boolean (True = may attend) or float (added to the scores), broadcasting to
    (..., L, S). ``is_causal``: query i sees keys 0..i only. ``dropout_p``: dropout on the
    attention weights, drawn from ``generator`` (groundup's default one if None).
    """
    q, k, v = query.data, key.data, value.data
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ShapeError("scaled_dot_product_attention needs query, key and value of shape "
                         f"(..., L, E), (..., S, E), (..., S, Ev); got {q.shape}, {k.shape}, "
                         f"{v.shape}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ShapeError(f"scaled_dot_product_attention: query {q.shape}, key {k.shape} and "
                         f"value {v.shape} disagree: query and key must share the last size E, "
                         "key and value the length S")
    if is_causal and attn_mask is not None:
        raise GroundupError("scaled_dot_product_attention: give either attn_mask or "
                            "is_causal=True, not both (the causal mask is built from is_causal)")
    if not 0.0 <= dropout_p < 1.0:
        raise GroundupError(f"dropout_p must be in [0, 1), got {dropout_p}")
    L, S = q.shape[-2], k.shape[-2]
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    A = q @ np.swapaxes(k, -1, -2)  # (..., L, S)
    A *= s
    if is_causal:
        np.copyto(A, A.dtype.type(-np.inf), where=~causal_mask(L, S))  # broadcast over (..., )
    elif attn_mask is not None:
        _add_mask(A, attn_mask)
    P = A  # softmax in place: the scores are not needed again
    top = np.maximum.reduce(P, axis=-1, keepdims=True)
    empty = None
    if attn_mask is not None:  # a query that may see no key gets weights 0, as in PyTorch
        empty = top == -np.inf
        top[empty] = 0
    P -= top
    np.exp(P, out=P)
    total = np.add.reduce(P, axis=-1, keepdims=True)
    if empty is not None:
        total[empty] = 1
    P /= total
    keep = None
    Pd = P
    if dropout_p > 0.0:
        rng = generator if generator is not None else default_generator()
        keep = (rng.random(P.shape) >= dropout_p).astype(P.dtype) / P.dtype.type(1 - dropout_p)
        Pd = P * keep
    out = Pd @ v

    def backward(g):
        dq = dk = dv = None
        if value.requires_grad:
            dv = unbroadcast(np.swapaxes(Pd, -1, -2) @ g, v.shape)
        if query.requires_grad or key.requires_grad:
            dA = g @ np.swapaxes(v, -1, -2)  # dL/dP̃, (..., L, S)
            if keep is not None:
                dA *= keep
            dA -= np.add.reduce(dA * P, axis=-1, keepdims=True)
            dA *= P
            dA *= s  # dL/d(Q Kᵀ)
            if query.requires_grad:
                dq = unbroadcast(dA @ k, q.shape)
            if key.requires_grad:
                dk = unbroadcast(np.swapaxes(dA, -1, -2) @ q, k.shape)
        return dq, dk, dv

    return result(out, (query, key, value), backward, "ScaledDotProductAttentionBackward")
