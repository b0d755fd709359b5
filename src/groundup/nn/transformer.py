"""The transformer block, with nanoGPT's structure and parameter names.

A block refines every position's vector x_t (width C = n_embd) twice, each time adding a
correction to the *residual stream* rather than replacing it::

    x ← x + attn(ln_1(x))        positions exchange information (causal self-attention)
    x ← x + mlp(ln_2(x))         each position thinks alone: Linear C→4C, GELU, Linear 4C→C

Pre-norm (LayerNorm before each branch, as GPT-2) keeps the residual stream itself unnormalised,
so the gradient reaches early layers through the additions unchanged.

**Causal self-attention** with h heads of size d = C / h. One Linear ``c_attn`` makes queries,
keys and values for every position at once; each head then attends on its own d-wide slice::

    q, k, v = split(x W_attnᵀ, C)          (B, T, C) each, reshaped to (B, h, T, d)
    y_head  = softmax(q kᵀ / √d + causal mask) v       (B, h, T, d)
    y       = concat(heads) W_projᵀ                    (B, T, C)

The scores q·k are dot products: a query matches the keys pointing its way. Dividing by √d keeps
their variance at about 1 whatever the head size (d independent unit terms sum to variance d), so
the softmax starts neither flat nor one-hot; the mask sets the scores of future positions to -∞,
so position t never sees t+1..T-1 and every position can be trained on its next token at once.
"""

from __future__ import annotations

import numpy as np

from groundup.autograd import Tensor
from groundup.errors import GroundupError
from groundup.nn import functional as F
from groundup.nn.activation import GELU
from groundup.nn.linear import Dropout, Linear
from groundup.nn.module import Module
from groundup.nn.normalization import LayerNorm


class CausalSelfAttention(Module):
    """Multi-head causal self-attention: ``c_attn`` (3C, C) for q, k, v, ``c_proj`` (C, C).

    Dropout (``dropout`` > 0, training only) acts on the attention weights and on the output.
    """

    def __init__(self, n_embd: int, n_head: int, bias: bool = True, dropout: float = 0.0,
                 dtype=np.float32):
        super().__init__()
        if n_embd % n_head:
            raise GroundupError(f"n_embd ({n_embd}) must be a multiple of n_head ({n_head}): "
                                "each head takes an equal slice of the width")
        self.n_embd, self.n_head, self.dropout = n_embd, n_head, dropout
        self.c_attn = Linear(n_embd, 3 * n_embd, bias=bias, dtype=dtype)
        self.c_proj = Linear(n_embd, n_embd, bias=bias, dtype=dtype)
        self.resid_dropout = Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        B, T, C = x.shape
        h = self.n_head
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)  # (B, T, C) each
        q = q.view(B, T, h, C // h).transpose(1, 2)  # (B, h, T, d)
        k = k.view(B, T, h, C // h).transpose(1, 2)
        v = v.view(B, T, h, C // h).transpose(1, 2)
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)  # (B, h, T, d)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
        return self.resid_dropout(self.c_proj(y))

    def extra_repr(self) -> str:
        return f"n_embd={self.n_embd}, n_head={self.n_head}"


class MLP(Module):
    """Position-wise feed-forward: ``c_fc`` C→4C, GELU (exact, erf form), ``c_proj`` 4C→C."""

    def __init__(self, n_embd: int, bias: bool = True, dropout: float = 0.0, dtype=np.float32):
        super().__init__()
        self.c_fc = Linear(n_embd, 4 * n_embd, bias=bias, dtype=dtype)
        self.gelu = GELU()
        self.c_proj = Linear(4 * n_embd, n_embd, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(Module):
    """One pre-norm transformer block: ``x + attn(ln_1(x))``, then ``x + mlp(ln_2(x))``."""

    def __init__(self, n_embd: int, n_head: int, bias: bool = True, dropout: float = 0.0,
                 dtype=np.float32):
        super().__init__()
        self.ln_1 = LayerNorm(n_embd, bias=bias, dtype=dtype)
        self.attn = CausalSelfAttention(n_embd, n_head, bias, dropout, dtype)
        self.ln_2 = LayerNorm(n_embd, bias=bias, dtype=dtype)
        self.mlp = MLP(n_embd, bias, dropout, dtype)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))
