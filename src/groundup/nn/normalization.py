"""``LayerNorm``: standardise each example's features, then scale and shift (PyTorch's names).

``y = (x - μ) / √(σ² + ε) ∘ weight + bias``, with μ and σ² the mean and the biased variance over
the last ``len(normalized_shape)`` dims of each example (see :mod:`groundup.autograd.ops_norm`
for the backward rule).
"""

from __future__ import annotations

import numpy as np

from groundup.autograd import Tensor
from groundup.nn import functional as F
from groundup.nn.module import Module
from groundup.nn.parameter import Parameter


class LayerNorm(Module):
    """Layer normalisation over ``normalized_shape`` (an int or a tuple of the last dims).

    ``weight`` starts at ones and ``bias`` at zeros, as in PyTorch; ``elementwise_affine=False``
    learns neither, ``bias=False`` learns only the gain (nanoGPT's ``bias=False`` blocks).

    >>> ln = LayerNorm(4)
    >>> [name for name, _ in ln.named_parameters()]
    ['weight', 'bias']
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype=np.float32):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype)) \
            if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) \
            if elementwise_affine and bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
