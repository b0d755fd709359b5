"""One transformer block, backward written out layer by layer.

**Block** (pre-norm, nanoGPT's): with X (B, T, C)::

    A   = X + attn(ln_1(X))                  the attention branch, added to the stream
    out = A + mlp(ln_2(A))                   mlp(x) = gelu(x W_fcᵀ + b_fc) W_projᵀ + b_proj

A residual connection y = x + f(x) has ∂y/∂x = 1 + ∂f/∂x, so its backward *adds* the branch's
input gradient to the gradient coming down the stream::

    dA = δ + ln_2.backward(mlp.backward(δ))
    dX = dA + ln_1.backward(attn.backward(dA))

In the MLP, with H = X W_fcᵀ + b_fc (B, T, 4C) and G = gelu(H): dG = δ W_proj,
dH = dG ∘ gelu'(H), and each Linear's dW = Σ_rows δᵀ input, db = Σ_rows δ, d(input) = δ W.
"""

from __future__ import annotations

import numpy as np

from groundup import numerics
from groundup.errors import GroundupError
from groundup.scratch.attention import CausalSelfAttention, linear_backward, linear_forward
from groundup.scratch.layernorm import LayerNorm


class MLP:
    """``c_fc`` C→4C, exact GELU, ``c_proj`` 4C→C (params ``c_fc.weight`` (4C, C), ...)."""

    def __init__(self, n_embd: int, bias: bool = True, dtype=np.float32):
        self.params = {"c_fc.weight": np.zeros((4 * n_embd, n_embd), dtype),
                       "c_proj.weight": np.zeros((n_embd, 4 * n_embd), dtype)}
        if bias:
            self.params["c_fc.bias"] = np.zeros(4 * n_embd, dtype)
            self.params["c_proj.bias"] = np.zeros(n_embd, dtype)

    def forward(self, X: np.ndarray) -> np.ndarray:
        p = self.params
        H = linear_forward(X, p["c_fc.weight"], p.get("c_fc.bias"))  # (B, T, 4C)
        G = numerics.gelu(H)
        self._cache = (X, H, G)
        return linear_forward(G, p["c_proj.weight"], p.get("c_proj.bias"))

    def backward(self, dOut: np.ndarray, need_dx: bool = True):
        p = self.params
        X, H, G = self._cache
        has_bias = "c_fc.bias" in p
        dG, dW_proj, db_proj = linear_backward(dOut, G, p["c_proj.weight"], has_bias)
        dH = dG * numerics.gelu_grad(H)
        dX, dW_fc, db_fc = linear_backward(dH, X, p["c_fc.weight"], has_bias)
        grads = {"c_fc.weight": dW_fc, "c_proj.weight": dW_proj}
        if has_bias:
            grads["c_fc.bias"], grads["c_proj.bias"] = db_fc, db_proj
        return dX, grads


class Block:
    """A pre-norm transformer block; ``params`` under nanoGPT's names (``ln_1.weight``,
    ``attn.c_attn.weight``, ..., ``mlp.c_proj.weight``), views of the sub-layers' arrays."""

    def __init__(self, n_embd: int, n_head: int, bias: bool = True, dtype=np.float32):
        self.layers = {"ln_1": LayerNorm(n_embd, bias=bias, dtype=dtype),
                       "attn": CausalSelfAttention(n_embd, n_head, bias, dtype),
                       "ln_2": LayerNorm(n_embd, bias=bias, dtype=dtype),
                       "mlp": MLP(n_embd, bias, dtype)}

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {f"{name}.{k}": v for name, layer in self.layers.items()
                for k, v in layer.params.items()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays in by name; every parameter must be given, with its shape."""
        own = self.params
        if set(state) != set(own):
            raise GroundupError(f"state has keys {sorted(state)}, the block {sorted(own)}")
        for name, layer in self.layers.items():
            for k, v in layer.params.items():
                v[...] = np.asarray(state[f"{name}.{k}"]).astype(v.dtype, copy=False)

    def forward(self, X: np.ndarray) -> np.ndarray:
        L = self.layers
        A = X + L["attn"].forward(L["ln_1"].forward(X))
        return A + L["mlp"].forward(L["ln_2"].forward(A))

    def backward(self, dOut: np.ndarray, need_dx: bool = True):
        """``(dX, grads)``: the stream's gradient plus each branch's (see the module docs)."""
        L = self.layers
        d_mlp, g_mlp = L["mlp"].backward(dOut)
        d_ln2, g_ln2 = L["ln_2"].backward(d_mlp)
        dA = dOut + d_ln2  # A feeds the stream and the MLP branch
        d_attn, g_attn = L["attn"].backward(dA)
        d_ln1, g_ln1 = L["ln_1"].backward(d_attn)
        dX = dA + d_ln1  # X feeds the stream and the attention branch
        grads = {}
        for name, g in (("ln_1", g_ln1), ("attn", g_attn), ("ln_2", g_ln2), ("mlp", g_mlp)):
            grads.update({f"{name}.{k}": v for k, v in g.items()})
        return (dX if need_dx else None), grads
