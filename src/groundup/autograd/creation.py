"""Making tensors: ``tensor``, ``zeros``, ``ones``, ``randn``, ``rand``, ``arange`` and friends,
and ``manual_seed`` for the generator behind the random ones.

Floating tensors default to float32 (PyTorch's default dtype); pass ``dtype=groundup.float64``
for double precision. Random draws come from one ``numpy.random.Generator``, so
``manual_seed(0)`` makes every later draw (including ``nn.Linear``'s initial weights) repeatable.
"""

from __future__ import annotations

import numpy as np

from groundup.autograd.tensor import Tensor, as_array

float32 = np.float32
float64 = np.float64
int64 = np.int64

_RNG = [np.random.default_rng(0)]


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator used by ``randn``, ``rand``, ``nn.init`` and ``Dropout``."""
    _RNG[0] = np.random.default_rng(seed)
    return _RNG[0]


def default_generator() -> np.random.Generator:
    """The generator ``manual_seed`` controls."""
    return _RNG[0]


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``; floating data becomes float32 unless ``dtype``
    says otherwise (so a float64 NumPy array meets float32 weights without surprises).

    >>> tensor(np.zeros(2)).dtype, tensor(np.zeros(2), dtype=float64).dtype
    (dtype('float32'), dtype('float64'))
    """
    data = data.data if isinstance(data, Tensor) else data
    arr = np.array(as_array(data, dtype), copy=True)
    if dtype is None and arr.dtype.kind == "f" and arr.dtype != float32:
        arr = arr.astype(float32)
    return Tensor(arr, requires_grad=requires_grad)


def zeros(*size, dtype=float32, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(_size(size), dtype=dtype), requires_grad=requires_grad)


def ones(*size, dtype=float32, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(_size(size), dtype=dtype), requires_grad=requires_grad)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros_like(t.data), requires_grad=requires_grad)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones_like(t.data), requires_grad=requires_grad)


def randn(*size, dtype=float32, requires_grad: bool = False, generator=None) -> Tensor:
    """Standard normal draws of the given size."""
    rng = generator if generator is not None else _RNG[0]
    return Tensor(rng.standard_normal(_size(size)).astype(dtype), requires_grad=requires_grad)


def rand(*size, dtype=float32, requires_grad: bool = False, generator=None) -> Tensor:
    """Uniform draws on [0, 1) of the given size."""
    rng = generator if generator is not None else _RNG[0]
    return Tensor(rng.random(_size(size)).astype(dtype), requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """``[start, start + step, ...)`` below ``end``; int64 for integer arguments, else float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else float32
    return Tensor(np.arange(start, end, step, dtype=dtype), requires_grad=requires_grad)
