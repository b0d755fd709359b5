"""groundup: deep learning from first principles, three ways that agree number for number.

The autograd engine reads like PyTorch::

    import groundup
    from groundup import nn, optim
    import groundup.nn.functional as F

    x = groundup.randn(64, 784)
    h = groundup.relu(x @ groundup.randn(784, 3))  # torch.relu, torch.exp, ...: same names
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    loss = F.cross_entropy(model(x), groundup.arange(64) % 10)
    loss.backward()

Importing ``groundup`` loads NumPy and the autograd core only (no matplotlib, no torch).
"""

__version__ = "0.1.0"

from groundup.autograd import (  # noqa: E402
    Tensor,
    abs,  # noqa: A004 - torch.abs
    arange,
    cat,
    clamp,
    enable_grad,
    exp,
    float32,
    float64,
    int64,
    is_grad_enabled,
    log,
    log_softmax,
    manual_seed,
    matmul,
    no_grad,
    ones,
    ones_like,
    rand,
    randn,
    relu,
    set_grad_enabled,
    sigmoid,
    softmax,
    sqrt,
    stack,
    tanh,
    tensor,
    where,
    zeros,
    zeros_like,
)
from groundup.nn.serialization import load, save  # noqa: E402

__all__ = [
    "__version__", "Tensor", "tensor", "zeros", "ones", "zeros_like", "ones_like", "randn",
    "rand", "arange", "manual_seed", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "cat", "stack", "where", "float32", "float64", "int64", "save", "load",
    # the functions PyTorch also offers at the top level (torch.relu, torch.exp, ...)
    "matmul", "exp", "log", "sqrt", "abs", "clamp", "relu", "sigmoid", "tanh", "softmax",
    "log_softmax",
]
