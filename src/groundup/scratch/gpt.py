"""A whole GPT in the scratch engine: every gradient by the hand-derived layers.

ids (B, T) -> logits (B, T, V), with the output head tied to the token embedding::

    X = wte[ids] + wpe[0..T-1]          (B, T, C)
    X = Block_l(X), l = 1..n_layer      (see :mod:`groundup.scratch.transformer`)
    H = ln_f(X);  Z = H wteᵀ             (B, T, V)
    E = -(1/BT) Σ_{b,t} log softmax(Z_bt)_{y_bt}

Backward, from the fused softmax-cross-entropy rule ``dZ = (softmax(Z) - onehot(y)) / BT``::

    dwte (head) = Σ_rows dZᵀ H           dH = dZ wte
    dX = ln_f.backward(dH), then each block's backward, last block first
    dwte (lookup) = onehot(ids)ᵀ dX      dwpe = Σ_b dX_b          (rows 0..T-1)

The tied table's two gradients add up. Parameter names are nanoGPT's, so ``state_dict()``
moves between the scratch, autograd and torch engines unchanged.
"""

from __future__ import annotations

import numpy as np

from groundup.errors import GroundupError
from groundup.scratch.embedding import Embedding
from groundup.scratch.layernorm import LayerNorm
from groundup.scratch.transformer import Block


class GPT:
    """nanoGPT's GPT with hand-derived backward: ``loss_and_grads(ids, targets)``.

    ``config`` has nanoGPT's fields (``block_size``, ``vocab_size``, ``n_layer``, ``n_head``,
    ``n_embd``, ``dropout``, ``bias``): a :class:`groundup.nn.gpt.GPTConfig`. Parameters start
    at zero (LayerNorm gains at one); load initial weights with :meth:`load_state_dict`.
    """

    def __init__(self, config, dtype=np.float32):
        if config.dropout:
            raise GroundupError("the scratch GPT has no dropout; use dropout=0.0")
        c = self.config = config
        self.wte = Embedding(c.vocab_size, c.n_embd, dtype)
        self.wpe = Embedding(c.block_size, c.n_embd, dtype)
        self.blocks = [Block(c.n_embd, c.n_head, c.bias, dtype) for _ in range(c.n_layer)]
        self.ln_f = LayerNorm(c.n_embd, bias=c.bias, dtype=dtype)

    @property
    def params(self) -> dict[str, np.ndarray]:
        """Every parameter under its nanoGPT name (the arrays themselves, not copies)."""
        out = {"transformer.wte.weight": self.wte.params["weight"],
               "transformer.wpe.weight": self.wpe.params["weight"]}
        for i, block in enumerate(self.blocks):
            out.update({f"transformer.h.{i}.{k}": v for k, v in block.params.items()})
        out.update({f"transformer.ln_f.{k}": v for k, v in self.ln_f.params.items()})
        return out

    def state_dict(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        own = self.params
        if set(state) != set(own):
            raise GroundupError(f"state dict keys differ: missing {sorted(set(own) - set(state))},"
                                f" unexpected {sorted(set(state) - set(own))}")
        for k, v in own.items():
            v[...] = np.asarray(state[k]).astype(v.dtype, copy=False)

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """Logits (B, T, V)."""
        T = ids.shape[1]
        if T > self.config.block_size:
            raise GroundupError(f"{T} tokens exceed block_size {self.config.block_size}")
        X = self.wte.forward(ids) + self.wpe.forward(np.arange(T))  # (B, T, C)
        for block in self.blocks:
            X = block.forward(X)
        self._H = self.ln_f.forward(X)
        return self._H @ self.wte.params["weight"].T  # (B, T, V)

    def loss_and_grads(self, ids, targets) -> tuple[float, dict[str, np.ndarray]]:
        """Mean next-token cross-entropy and the gradient of every parameter."""
        ids, targets = np.asarray(ids), np.asarray(targets)
        Z = self.forward(ids)
        B, T, V = Z.shape
        rows = Z.reshape(-1, V)
        shifted = rows - rows.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        y = targets.reshape(-1)
        loss = -log_p[np.arange(len(y)), y].mean()
        dZ = np.exp(log_p)
        dZ[np.arange(len(y)), y] -= 1
        dZ /= len(y)  # (BT, V)
        W = self.wte.params["weight"]
        H = self._H.reshape(-1, W.shape[1])
        grads = {"transformer.wte.weight": dZ.T @ H}  # the head's share
        dX, g = self.ln_f.backward((dZ @ W).reshape(B, T, -1))
        grads.update({f"transformer.ln_f.{k}": v for k, v in g.items()})
        for i in reversed(range(len(self.blocks))):
            dX, g = self.blocks[i].backward(dX)
            grads.update({f"transformer.h.{i}.{k}": v for k, v in g.items()})
        grads["transformer.wte.weight"] += self.wte.backward(dX)[1]["weight"]  # the lookup's
        grads["transformer.wpe.weight"] = self.wpe.backward(dX.sum(axis=0))[1]["weight"]
        return float(loss), grads
