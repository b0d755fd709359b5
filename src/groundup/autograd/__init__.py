"""groundup's reverse-mode automatic differentiation over NumPy arrays.

``Tensor`` (tensor.py) records the operations made on it (ops_*.py, grouped by kind); the engine
(function.py) walks that graph backwards; grad_mode.py switches recording off; creation.py makes
tensors. Everything a user needs is re-exported from ``groundup`` itself.
"""

from groundup.autograd.creation import (
    arange,
    default_generator,
    float32,
    float64,
    int64,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from groundup.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from groundup.autograd.ops_activation import (
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from groundup.autograd.ops_arith import matmul
from groundup.autograd.ops_shape import cat, stack, where
from groundup.autograd.ops_unary import abs, clamp, exp, log, sqrt  # noqa: A004
from groundup.autograd.tensor import Tensor

__all__ = [
    "Tensor", "tensor", "zeros", "ones", "zeros_like", "ones_like", "randn", "rand", "arange",
    "manual_seed", "default_generator", "float32", "float64", "int64",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "cat", "stack", "where", "matmul", "exp", "log", "sqrt", "abs", "clamp",
    "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax",
]
