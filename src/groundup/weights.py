"""Initial weights drawn as plain arrays, with PyTorch's default distributions.

Every engine starts from weights drawn here, so that scratch, autograd and torch can be compared
number for number. PyTorch's ``nn.Linear(n_in, n_out)`` initialises

    W ~ U(-1/sqrt(n_in), 1/sqrt(n_in))   of shape (n_out, n_in)
    b ~ U(-1/sqrt(n_in), 1/sqrt(n_in))   of shape (n_out,)

(``kaiming_uniform_(a=sqrt(5))`` for W reduces to that bound).
"""

from __future__ import annotations

import math

import numpy as np


def linear_init(
    n_in: int, n_out: int, rng: np.random.Generator, dtype=np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``(W, b)`` for one linear layer as PyTorch's ``nn.Linear`` does.

    Returns W of shape (n_out, n_in) and b of shape (n_out,). W is drawn before b.
    """
    bound = 1.0 / math.sqrt(n_in)
    W = rng.uniform(-bound, bound, size=(n_out, n_in)).astype(dtype)
    b = rng.uniform(-bound, bound, size=(n_out,)).astype(dtype)
    return W, b


def sequential_names(n_linear: int) -> list[tuple[str, str]]:
    """Parameter names of ``nn.Sequential(Linear, act, Linear, act, ..., Linear)``.

    Linear layer k sits at index 2k, so its tensors are named ``"{2k}.weight"`` and ``"{2k}.bias"``.
    """
    return [(f"{2 * k}.weight", f"{2 * k}.bias") for k in range(n_linear)]


def mlp_init(
    sizes: list[int], seed: int | np.random.Generator, dtype=np.float32
) -> dict[str, np.ndarray]:
    """State dict (PyTorch ``nn.Sequential`` names) for layer sizes ``[n_in, h1, ..., n_out]``.

    >>> sd = mlp_init([784, 128, 10], seed=0)
    >>> {k: v.shape for k, v in sd.items()}
    {'0.weight': (128, 784), '0.bias': (128,), '2.weight': (10, 128), '2.bias': (10,)}
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    state: dict[str, np.ndarray] = {}
    names = sequential_names(len(sizes) - 1)
    for (w_name, b_name), n_in, n_out in zip(names, sizes[:-1], sizes[1:], strict=True):
        state[w_name], state[b_name] = linear_init(n_in, n_out, rng, dtype)
    return state
