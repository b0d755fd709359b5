"""Convolution and pooling over images (N, C, H, W) as autograd ops: each records its backward
rule, and both directions run the array kernels that scratch's layers run too.

With ``Xp`` the input padded by ``pad`` pixels (zeros for conv and average, −∞ for max), stride
``s`` and output pixel (i, j) seeing the window ``Xp[n, c, i·s + p, j·s + q]``, 0 ≤ p < kH,
0 ≤ q < kW (see :mod:`groundup.im2col`):

    conv2d:      Y[n,o,i,j] = b[o] + Σ_{c,p,q} W[o,c,p,q] · Xp[n,c,i·s+p, j·s+q]
                 as GEMMs: Y = W₂ · cols + b,  W₂ = W as (O, C·kH·kW),  cols = im2col(Xp)
                 with G = dL/dY as (O, N·H_out·W_out):
                 dL/dW = G · colsᵀ     dL/db = Σ_{n,i,j} G     dL/dX = col2im(W₂ᵀ · G), unpadded
                 (:mod:`groundup.conv_gemm`, band by band)
    max_pool2d:  Y[n,c,i,j] = max_{p,q} Xp[n,c,i·s+p, j·s+q]
                 dL/dX gets g at the window's first maximum (row-major order: PyTorch's pick
                 among ties), nothing elsewhere                        (:mod:`groundup.pooling`)
    avg_pool2d:  Y[n,c,i,j] = Σ_{p,q} Xp[n,c,i·s+p, j·s+q] / (kH·kW)     (zeros padded, counted)
                 dL/dX: every pixel gets g / (kH·kW) from each window that contains it

Arrays keep their dtype: float32 stays float32.
"""

from __future__ import annotations

import numpy as np

from groundup.autograd.tensor import Tensor, result
from groundup.conv_gemm import conv2d_backward, conv2d_forward
from groundup.errors import GroundupError, ShapeError
from groundup.im2col import (
    check_conv,
    pair,
    pool_geometry,
)
from groundup.pooling import (
    avg_pool_backward,
    avg_pool_forward,
    max_pool_backward,
    max_pool_forward,
)


def _check_dtypes(xd: np.ndarray, W: np.ndarray, bias) -> None:
    if xd.dtype != W.dtype or (bias is not None and bias.data.dtype != W.dtype):
        fix = "x.float() / 255" if xd.dtype == np.uint8 else f"x.to(groundup.{W.dtype})"
        raise GroundupError(f"conv2d: the input is {xd.dtype} but the weight is {W.dtype}; "
                            f"convert the input first ({fix})")
    if bias is not None and bias.data.shape != (W.shape[0],):
        raise ShapeError(f"conv2d: bias of shape {bias.data.shape} for {W.shape[0]} output "
                         f"channels; it must have shape ({W.shape[0]},)")


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
           padding=0) -> Tensor:
    """2-D cross-correlation (PyTorch's ``F.conv2d``): x (N, C, H, W), weight (O, C, kH, kW),
    bias (O,); returns (N, O, H_out, W_out). ``stride`` and ``padding`` are ints or pairs."""
    xd, Wd = x.data, weight.data
    check_conv(xd.shape, Wd.shape, "conv2d")
    _check_dtypes(xd, Wd, bias)
    stride, padding = pair(stride, "stride"), pair(padding, "padding", low=0)
    out, xt = conv2d_forward(xd, Wd, None if bias is None else bias.data, stride, padding)

    def backward(g):
        gx, gW, gb = conv2d_backward(g, xt, Wd, stride, padding, input_grad=x.requires_grad,
                                     bias_grad=bias is not None and bias.requires_grad)
        gW = gW if weight.requires_grad else None
        return (gx, gW) if bias is None else (gx, gW, gb)

    parents = (x, weight) if bias is None else (x, weight, bias)
    return result(out, parents, backward, "ConvolutionBackward")


def max_pool2d(x: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Largest value of each kH × kW window (``stride`` defaults to the kernel size)."""
    xd = x.data
    kernel, stride, padding, out_hw = pool_geometry(xd.shape, kernel_size, stride, padding,
                                                     "max_pool2d")
    out, saved = max_pool_forward(xd, kernel, stride, padding, out_hw)
    return result(out, (x,), lambda g: (max_pool_backward(g, saved),), "MaxPool2DBackward")


def avg_pool2d(x: Tensor, kernel_size, stride=None, padding=0,
               count_include_pad: bool = True) -> Tensor:
    """Mean of each kH × kW window; zeros of the padding count unless ``count_include_pad`` is
    False (then each window divides by its number of real pixels)."""
    xd = x.data
    kernel, stride, padding, out_hw = pool_geometry(xd.shape, kernel_size, stride, padding,
                                                     "avg_pool2d")
    out, saved = avg_pool_forward(xd, kernel, stride, padding, out_hw, count_include_pad)
    return result(out, (x,), lambda g: (avg_pool_backward(g, saved),), "AvgPool2DBackward")
