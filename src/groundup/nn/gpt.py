"""A GPT: nanoGPT's ``GPT`` with its configuration, parameter names and initialisation.

Tokens (B, T) → embeddings → n_layer transformer blocks → final LayerNorm → logits (B, T, V)::

    x = wte[idx] + wpe[0..T-1]          token and position embeddings       (B, T, C)
    x = Block_l(x), l = 1..n_layer      (see :mod:`groundup.nn.transformer`)
    logits = ln_f(x) wteᵀ               the output head *is* the token embedding (weight tying)

With weight tying ``lm_head.weight`` and ``transformer.wte.weight`` are one Parameter of shape
(V, C): a token's input vector and its output score vector are the same, and its gradient is
the sum of both uses. ``named_parameters()`` and ``state_dict()`` list it once, under
``transformer.wte.weight`` (PyTorch's ``state_dict`` lists it under both names).

Initialisation (nanoGPT, after GPT-2): every Linear and Embedding weight ~ N(0, 0.02²), biases 0,
LayerNorm gains 1; the two projections that write into the residual stream (``attn.c_proj`` and
``mlp.c_proj``) ~ N(0, (0.02/√(2·n_layer))²), so the stream's variance does not grow with depth.

Training is next-token prediction: position t's logits are scored against token t+1 by
cross-entropy, a V-way classification at every position (an untrained model gives ≈ ln V).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from groundup.autograd import Tensor, no_grad
from groundup.errors import GroundupError
from groundup.nn import functional as F
from groundup.nn.container import ModuleDict, ModuleList
from groundup.nn.linear import Dropout, Embedding, Linear
from groundup.nn.module import Module
from groundup.nn.normalization import LayerNorm
from groundup.nn.transformer import Block


@dataclass(frozen=True)
class GPTConfig:
    """nanoGPT's ``GPTConfig`` (its defaults are GPT-2 small's; ``bias`` as in nanoGPT's)."""

    block_size: int = 1024
    vocab_size: int = 50304
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True


class GPT(Module):
    """A decoder-only transformer language model (parameter names as nanoGPT's ``GPT``).

    ``generator`` (a seed or a ``numpy.random.Generator``) draws the initial weights.
    """

    def __init__(self, config: GPTConfig, dtype=np.float32, generator=None):
        super().__init__()
        self.config = config
        c = config
        self.transformer = ModuleDict(dict(
            wte=Embedding(c.vocab_size, c.n_embd, dtype=dtype),
            wpe=Embedding(c.block_size, c.n_embd, dtype=dtype),
            drop=Dropout(c.dropout),
            h=ModuleList(Block(c.n_embd, c.n_head, c.bias, c.dropout, dtype)
                         for _ in range(c.n_layer)),
            ln_f=LayerNorm(c.n_embd, bias=c.bias, dtype=dtype),
        ))
        self.lm_head = Linear(c.n_embd, c.vocab_size, bias=False, dtype=dtype)
        self.lm_head.weight = self.transformer.wte.weight  # weight tying: one Parameter
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """Draw nanoGPT's initial weights (see the module docstring), in parameter order."""
        rng = np.random.default_rng(generator) if not isinstance(
            generator, np.random.Generator) else generator
        residual_std = 0.02 / math.sqrt(2 * self.config.n_layer)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                p.data[...] = rng.normal(0.0, residual_std, p.shape)
            elif p.ndim >= 2:  # Linear and Embedding weights
                p.data[...] = rng.normal(0.0, 0.02, p.shape)
            elif name.endswith(".bias"):
                p.data[...] = 0
            else:  # LayerNorm gains
                p.data[...] = 1

    def forward(self, idx, targets=None) -> tuple[Tensor, Tensor | None]:
        """Logits (B, T, V) for token ids ``idx`` (B, T), and with ``targets`` (B, T) the mean
        next-token cross-entropy (else None), as nanoGPT's ``forward``."""
        idx = np.asarray(idx.data if isinstance(idx, Tensor) else idx)
        if idx.ndim != 2:
            raise GroundupError(f"GPT needs token ids of shape (B, T), got {idx.shape}")
        B, T = idx.shape
        if T > self.config.block_size:
            raise GroundupError(f"a sequence of {T} tokens is longer than the model's "
                                f"block_size {self.config.block_size}; crop it to the last "
                                f"{self.config.block_size}")
        tr = self.transformer
        x = tr.drop(tr.wte(idx) + tr.wpe(np.arange(T)))  # (B, T, C)
        for block in tr.h:
            x = block(x)
        logits = self.lm_head(tr.ln_f(x))  # (B, T, V)
        if targets is None:
            return logits, None
        t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
        loss = F.cross_entropy(logits.view(B * T, -1), t.reshape(-1))
        return logits, loss

    def generate(self, idx, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, generator=None) -> np.ndarray:
        """Extend ids (B, T0) by sampled tokens (see :func:`groundup.sampling.generate`)."""
        from groundup.sampling import generate

        def logits_fn(ids):
            with no_grad():
                return self(ids)[0].data

        was_training = self.training
        self.eval()
        try:
            return generate(logits_fn, idx, max_new_tokens, self.config.block_size,
                            temperature, top_k, 0 if generator is None else generator)
        finally:
            self.train(was_training)

    def num_parameters(self, non_embedding: bool = False) -> int:
        """Parameters counted once (the tied head is the token embedding); ``non_embedding``
        leaves out the position embeddings, as nanoGPT reports."""
        n = super().num_parameters()
        return n - self.transformer.wpe.weight.numel() if non_embedding else n
