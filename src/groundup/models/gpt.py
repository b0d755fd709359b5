"""The GPT language model as a spec: nanoGPT's parameter names, shapes and initial weights.

What a character-level GPT *is* (its widths, its parameter names, how its weights start) lives
here, NumPy only; the engines build it (``groundup.nn.gpt.GPT`` in autograd, a torch module in
the torch engine) and load :meth:`GPTSpec.init_state`, so every engine starts from the same
numbers. Names follow nanoGPT; the tied head is listed once, as ``transformer.wte.weight``::

    transformer.wte.weight (V, C)   transformer.wpe.weight (T, C)
    transformer.h.<l>.ln_1.weight (C,)         .attn.c_attn.weight (3C, C)
    transformer.h.<l>.attn.c_proj.weight (C, C) .ln_2.weight (C,)
    transformer.h.<l>.mlp.c_fc.weight (4C, C)   .mlp.c_proj.weight (C, 4C)
    transformer.ln_f.weight (C,)              (+ a ``.bias`` beside each with ``bias=True``)

Initialisation (nanoGPT): weights of dimension ≥ 2 ~ N(0, 0.02²), except the residual
projections ``*.c_proj.weight`` ~ N(0, (0.02/√(2·n_layer))²); biases 0; LayerNorm gains 1.
Draws happen in parameter order from one ``default_rng(seed)``, as ``GPT(config, generator=seed)``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from groundup.errors import GroundupError

__all__ = ["GPTSpec"]


@dataclass(frozen=True)
class GPTSpec:
    """A decoder-only transformer over ``vocab_size`` tokens with context ``block_size``."""

    vocab_size: int
    block_size: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = False

    def __post_init__(self):
        if self.n_embd % self.n_head:
            raise GroundupError(f"n_embd ({self.n_embd}) must be a multiple of n_head "
                                f"({self.n_head}): each head takes an equal slice")
        if min(self.vocab_size, self.block_size, self.n_layer, self.n_head) < 1:
            raise GroundupError(f"a GPT needs positive sizes, got {self}")

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """``{name: shape}`` in the model's parameter order (the tied head once)."""
        C, b = self.n_embd, self.bias
        shapes = {"transformer.wte.weight": (self.vocab_size, C),
                  "transformer.wpe.weight": (self.block_size, C)}
        for layer in range(self.n_layer):
            h = f"transformer.h.{layer}."
            for name, out, inp in (("ln_1", C, 0), ("attn.c_attn", 3 * C, C),
                                   ("attn.c_proj", C, C), ("ln_2", C, 0),
                                   ("mlp.c_fc", 4 * C, C), ("mlp.c_proj", C, 4 * C)):
                shapes[h + name + ".weight"] = (out, inp) if inp else (out,)
                if b:
                    shapes[h + name + ".bias"] = (out,)
        shapes["transformer.ln_f.weight"] = (C,)
        if b:
            shapes["transformer.ln_f.bias"] = (C,)
        return shapes

    def num_parameters(self) -> int:
        return sum(math.prod(s) for s in self.parameter_shapes().values())

    def init_state(self, seed: int = 0, dtype=np.float32) -> dict[str, np.ndarray]:
        """nanoGPT's initial weights (module docstring), drawn in parameter order."""
        rng = np.random.default_rng(seed)
        residual_std = 0.02 / math.sqrt(2 * self.n_layer)
        state = {}
        for name, shape in self.parameter_shapes().items():
            if name.endswith("c_proj.weight"):
                w = rng.normal(0.0, residual_std, shape)
            elif len(shape) >= 2:
                w = rng.normal(0.0, 0.02, shape)
            else:
                w = np.zeros(shape) if name.endswith(".bias") else np.ones(shape)
            state[name] = w.astype(dtype)
        return state

    def check_state(self, state: dict[str, np.ndarray], what: str = "the weights") -> None:
        """A one-line error unless ``state`` has exactly this model's names and shapes."""
        want = self.parameter_shapes()
        got = {k: tuple(np.shape(v)) for k, v in state.items()}
        if got != want:
            bad = sorted(set(want) ^ set(got)) or [k for k in want if want[k] != got[k]]
            raise GroundupError(f"{what} do not fit this GPT ({self.summary()}): "
                                f"{', '.join(bad[:3])} differ in name or shape")

    def attention_floats(self, batch_size: int) -> int:
        """The attention weights a training step holds at its peak, in values: every layer keeps
        its softmax, (batch_size, n_head, block_size, block_size), for backward (with dropout
        also its mask and the dropped weights), and backward makes two more such arrays. They
        grow with block_size², so they, not the parameters, bound the context length."""
        kept = 3 if self.dropout > 0 else 1
        return (self.n_layer * kept + 2) * batch_size * self.n_head * self.block_size**2

    def summary(self) -> str:
        return (f"GPT {self.n_layer} layers, {self.n_head} heads, d_model {self.n_embd}, "
                f"block {self.block_size}, vocab {self.vocab_size}, "
                f"{self.num_parameters():,} parameters")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> GPTSpec:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})
