"""Convolution and pooling layers with hand-written backward passes (no autograd).

Images are NCHW: X of shape (N, C, H, W). A layer object works like a single layer of
:class:`groundup.scratch.MLP`: ``forward(X)`` returns Y and caches what backward needs;
``backward(dY)`` takes δ = dE/dY (Y's shape) and returns dE/dX (X's shape), storing the
parameter gradients in ``dW``, ``db`` and ``grads``. Parameters are in ``params`` under PyTorch's
names (``"weight"`` of shape (O, C, kH, kW), ``"bias"`` of shape (O,)), so a state dict moves
between the scratch, autograd and torch engines unchanged.

**Conv2d.** With Xp the input zero-padded by ``pad`` pixels per side and stride s::

    Y[n,o,i,j] = b[o] + Σ_{c,p,q} W[o,c,p,q] · Xp[n,c, i·s+p, j·s+q]      (N, O, H_out, W_out)
    H_out = ⌊(H + 2·pad − kH) / s⌋ + 1

Each parameter and input pixel appears in several terms, and the chain rule adds their δs::

    db[o]         = Σ_{n,i,j} δ[n,o,i,j]                          b[o] is in every pixel of map o
    dW[o,c,p,q]   = Σ_{n,i,j} δ[n,o,i,j] · Xp[n,c, i·s+p, j·s+q]  δ cross-correlated with X:
                                                                  dW = Σ_n δ_n ⋆ X_n
    dXp[n,c,u,v]  = Σ_{o} Σ_{(i,p): i·s+p=u} Σ_{(j,q): j·s+q=v} δ[n,o,i,j] · W[o,c,p,q]

and dX is dXp without its border (the padding is constant). For s = 1 the last line is
``Σ_o Σ_{p,q} δ[n,o,u−p,v−q] W[o,c,p,q]``: the *full* convolution of δ with the kernel flipped
by 180°. In matrices, with im2col's columns (see :mod:`groundup.im2col`)::

    cols = im2col(Xp)       (C·kH·kW, N·H_out·W_out)   one column per output pixel
    W₂   = W as (O, C·kH·kW);   Δ = δ as (O, N·H_out·W_out)

    Y = W₂ cols + b;    dW₂ = Δ colsᵀ;    db = Δ 1;    dXp = col2im(W₂ᵀ Δ)

which are a Linear layer's three formulas, with the windows as the examples; col2im adds each
column's entries back into the pixels they were read from. :mod:`groundup.conv_gemm` computes
these four products (for autograd's ``conv2d`` too) band by band of output rows, in a layout that
keeps NumPy's copies long; :func:`groundup.im2col.im2col` is the one-matrix form.

**MaxPool2d.** ``Y[n,c,i,j] = max_{p,q} Xp[n,c, i·s+p, j·s+q]`` (padding −∞). Only the maximum
moves Y, so ``dX[winner] += δ[n,c,i,j]`` and every other pixel of the window gets 0. With ties
the first maximum in row-major order wins (PyTorch's choice).

**AvgPool2d.** ``Y[n,c,i,j] = Σ_{p,q} Xp[n,c, i·s+p, j·s+q] / k`` with k = kH·kW (the padded
zeros counted; with ``count_include_pad=False``, k is the window's number of real pixels), so
every pixel of the window gets ``δ[n,c,i,j] / k``.

The arithmetic runs in the parameters' dtype (float32 stays float32). A loop version of every
formula, for checking, is in :mod:`groundup.scratch.conv_naive`.
"""

from __future__ import annotations

import math

import numpy as np

from groundup.conv_gemm import conv2d_backward, conv2d_forward
from groundup.errors import DataError, ShapeError
from groundup.im2col import (
    check_conv,
    pair,
    pool_arguments,
    pool_geometry,
)
from groundup.pooling import (
    avg_pool_backward,
    avg_pool_forward,
    max_pool_backward,
    max_pool_forward,
)


class Conv2d:
    """2-D convolution (cross-correlation) with ``weight`` (O, C, kH, kW) and ``bias`` (O,).

    Initialised as PyTorch's ``nn.Conv2d``: W, b ~ U(-1/√fan_in, 1/√fan_in) with
    fan_in = C·kH·kW (W drawn first), from ``seed`` (an int or a ``numpy.random.Generator``).

    >>> conv = Conv2d(1, 16, 3, padding=1)
    >>> conv.forward(np.zeros((2, 1, 28, 28), np.float32)).shape
    (2, 16, 28, 28)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 bias: bool = True, seed: int | np.random.Generator = 0, dtype=np.float32):
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding = pair(padding, "padding", low=0)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        bound = 1.0 / math.sqrt(self.in_channels * self.kernel_size[0] * self.kernel_size[1])
        self.params: dict[str, np.ndarray] = {
            "weight": rng.uniform(-bound, bound, size=shape).astype(dtype)}
        if bias:
            self.params["bias"] = rng.uniform(-bound, bound, size=self.out_channels).astype(dtype)
        self.grads: dict[str, np.ndarray] = {}
        self._cache: tuple | None = None

    @property
    def dtype(self) -> np.dtype:
        """The dtype every computation runs in: that of the (loaded) parameters."""
        return self.params["weight"].dtype

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Replace the parameters (copied); their dtype becomes the layer's dtype."""
        if set(state) != set(self.params):
            raise ShapeError(f"state dict has keys {sorted(state)}, expected {sorted(self.params)}")
        for name, value in state.items():
            if np.shape(value) != self.params[name].shape:
                raise ShapeError(f"{name} has shape {np.shape(value)}, expected "
                                 f"{self.params[name].shape}")
        self.params = {name: np.array(state[name], copy=True) for name in self.params}

    def forward(self, X) -> np.ndarray:
        """Y of shape (N, O, H_out, W_out); caches the padded X for backward."""
        X = np.asarray(X)
        W = self.params["weight"]
        check_conv(X.shape, W.shape, "Conv2d")
        X = X.astype(W.dtype, copy=False)
        Y, self._cache = conv2d_forward(X, W, self.params.get("bias"), self.stride, self.padding,
                                        op="Conv2d")
        return Y

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dE/dX (N, C, H, W) from δ = dE/dY; sets ``dW``, ``db`` and ``grads``.

        ``input_grad=False`` skips dX (returns None): a first layer's input is the data.
        """
        if self._cache is None:
            raise RuntimeError("call forward() before backward()")
        dX, self.dW, db = conv2d_backward(dY, self._cache, self.params["weight"], self.stride,
                                          self.padding, input_grad, "bias" in self.params)
        self.grads = {"weight": self.dW}
        if db is not None:
            self.db = self.grads["bias"] = db
        return dX

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size},"
                f" stride={self.stride}, padding={self.padding}, bias={'bias' in self.params})")


class _Pool:
    """What the two pooling layers share: arguments, no parameters, the window geometry."""

    kind = ""

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel_size, self.stride, self.padding = pool_arguments(kernel_size, stride,
                                                                     padding, self.kind)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._cache: tuple | None = None

    def _geometry(self, X: np.ndarray) -> tuple:
        if not np.issubdtype(X.dtype, np.floating):
            raise DataError(f"{self.kind} needs floating-point images, got {X.dtype}; convert "
                            "them first (X.astype(np.float32) / 255 for pixels)")
        return pool_geometry(X.shape, self.kernel_size, self.stride, self.padding, self.kind)[3]

    def _cached(self) -> tuple:
        if self._cache is None:
            raise RuntimeError("call forward() before backward()")
        return self._cache

    def __repr__(self) -> str:
        return (f"{self.kind}(kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding})")


class MaxPool2d(_Pool):
    """Largest value of each window; backward routes δ to the window's first maximum.

    >>> MaxPool2d(2).forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """

    kind = "MaxPool2d"

    def forward(self, X) -> np.ndarray:
        """Y of shape (N, C, H_out, W_out); caches which pixel won each window."""
        X = np.asarray(X)
        out_hw = self._geometry(X)
        Y, self._cache = max_pool_forward(X, self.kernel_size, self.stride, self.padding, out_hw)
        return Y

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """dE/dX: δ at each window's first maximum, 0 elsewhere."""
        return max_pool_backward(dY, self._cached())


class AvgPool2d(_Pool):
    """Mean of each window; backward spreads δ / k evenly over the window.

    >>> AvgPool2d(2).forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """

    kind = "AvgPool2d"

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad: bool = True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = count_include_pad

    def forward(self, X) -> np.ndarray:
        """Y of shape (N, C, H_out, W_out); caches the shapes and the divisor k."""
        X = np.asarray(X)
        out_hw = self._geometry(X)
        Y, self._cache = avg_pool_forward(X, self.kernel_size, self.stride, self.padding, out_hw,
                                          self.count_include_pad)
        return Y

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """dE/dX: every pixel gets δ / k from each window that holds it."""
        return avg_pool_backward(dY, self._cached())
