"""Convolution and pooling layers over images (N, C, H, W): ``Conv2d``, ``MaxPool2d``,
``AvgPool2d``, with PyTorch's arguments, parameter shapes, initialisation and ``repr``.

The ops and their backward rules are in :mod:`groundup.autograd.ops_conv`.
"""

from __future__ import annotations

import math

import numpy as np

from groundup.autograd import Tensor
from groundup.im2col import pair, pool_arguments
from groundup.nn import functional as F
from groundup.nn import init
from groundup.nn.module import Module
from groundup.nn.parameter import Parameter


class Conv2d(Module):
    """``Y[n,o,i,j] = b[o] + Σ_{c,p,q} W[o,c,p,q] · Xp[n,c,i·s+p, j·s+q]`` (Xp: X zero-padded).

    ``weight`` of shape (out_channels, in_channels, kH, kW), ``bias`` (out_channels,), as
    PyTorch. Initialised as PyTorch does: ``kaiming_uniform_(W, a=√5)``, which is
    ``U(-1/√fan_in, 1/√fan_in)`` with ``fan_in = in_channels·kH·kW``, then ``b`` from the same
    uniform (W drawn first), from the generator ``groundup.manual_seed`` sets.

    >>> Conv2d(1, 16, 3, padding=1)
    Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 bias: bool = True, dtype=np.float32, generator=None):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding = pair(padding, "padding", low=0)
        shape = (out_channels, in_channels, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        self.bias = Parameter(np.empty(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound, generator)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.bias is None:
            text += ", bias=False"
        return text


class MaxPool2d(Module):
    """Largest value of each ``kernel_size`` window, moving by ``stride`` (default: the kernel
    size, so windows tile the image); padding counts as −∞.

    >>> MaxPool2d(2)
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        pool_arguments(kernel_size, stride, padding, type(self).__name__)

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                "dilation=1, ceil_mode=False")


class AvgPool2d(Module):
    """Mean of each ``kernel_size`` window, moving by ``stride`` (default: the kernel size);
    padded zeros count in the mean unless ``count_include_pad=False``.

    >>> AvgPool2d(2)
    AvgPool2d(kernel_size=2, stride=2, padding=0)
    """

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad: bool = True):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.count_include_pad = count_include_pad
        pool_arguments(kernel_size, stride, padding, type(self).__name__)

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

