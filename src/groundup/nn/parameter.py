"""``Parameter``: a tensor a Module learns. Assigning one to a module attribute registers it."""

from __future__ import annotations

import numpy as np

from groundup.autograd import Tensor
from groundup.autograd.tensor import as_array


class Parameter(Tensor):
    """A leaf tensor with ``requires_grad=True`` that ``Module.parameters()`` will find.

    Parameters
    ----------
    data : array_like or Tensor
        Initial values (float32 unless an array of another float dtype is given).
    requires_grad : bool
        Default True.
    """

    __slots__ = ("_grad_home",)  # set by groundup.optim.flat: see Tensor._grad_home

    def __init__(self, data, requires_grad: bool = True):
        if isinstance(data, Tensor):
            data = data.data
        arr = as_array(data)  # Python floats -> float32, as torch.nn.Parameter
        if arr.dtype.kind != "f":
            arr = arr.astype(np.float32)
        super().__init__(arr, requires_grad=requires_grad)
        self._grad_home = None

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
