"""Convolution and pooling over images (N, C, H, W), each op with its backward rule beside it.

With ``Xp`` the input padded by ``pad`` pixels (zeros for conv and average, −∞ for max), stride
``s`` and output pixel (i, j) seeing the window ``Xp[n, c, i·s + p, j·s + q]``, 0 ≤ p < kH,
0 ≤ q < kW (see :mod:`groundup.im2col`):

    conv2d:      Y[n,o,i,j] = b[o] + Σ_{c,p,q} W[o,c,p,q] · Xp[n,c,i·s+p, j·s+q]
                 one GEMM: Y = W₂ · cols + b,  W₂ = W as (O, C·kH·kW),  cols = im2col(Xp)
                 with G = dL/dY as (O, N·H_out·W_out):
                 dL/dW = G · colsᵀ     dL/db = Σ_{n,i,j} G     dL/dX = col2im(W₂ᵀ · G), unpadded
    max_pool2d:  Y[n,c,i,j] = max_{p,q} Xp[n,c,i·s+p, j·s+q]
                 dL/dX gets g at the window's first maximum (row-major order: PyTorch's pick
                 among ties), nothing elsewhere
    avg_pool2d:  Y[n,c,i,j] = Σ_{p,q} Xp[n,c,i·s+p, j·s+q] / (kH·kW)     (zeros padded, counted)
                 dL/dX: every pixel gets g / (kH·kW) from each window that contains it

Every sum over a window is a sum of kH·kW strided views, so neither direction loops over pixels.
Pooling uses these views also when the windows tile the image (kernel = stride): reducing a
reshape (N, C, H_out, k, W_out, k) over its axes 3 and 5 measured 20-40x slower in NumPy than
k² elementwise maxima of strided views.
Arrays keep their dtype: float32 stays float32.
"""

from __future__ import annotations

import numpy as np

from groundup.autograd.tensor import Tensor, result
from groundup.errors import GroundupError, ShapeError
from groundup.im2col import (
    check_conv,
    col2im,
    im2col,
    output_hw,
    overlapping,
    pad,
    pair,
    pool_geometry,
    unpad,
    window,
    window_count,
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
    kernel = Wd.shape[2:]
    stride, padding = pair(stride, "stride"), pair(padding, "padding", low=0)
    out_hw = output_hw(xd.shape, kernel, stride, padding, "conv2d")
    N, O = xd.shape[0], Wd.shape[0]
    xp = pad(xd, padding)
    cols = im2col(xp, kernel, stride, out_hw)  # (C·kH·kW, N·Ho·Wo)
    W2 = Wd.reshape(O, -1)  # (O, C·kH·kW)
    Y = (W2 @ cols).reshape(O, N, *out_hw).transpose(1, 0, 2, 3)  # (N, O, Ho, Wo), a view
    out = np.empty(Y.shape, dtype=Y.dtype)
    if bias is None:
        np.copyto(out, Y)
    else:
        np.add(Y, bias.data[:, None, None], out=out)

    def backward(g):
        G = g.transpose(1, 0, 2, 3).reshape(O, -1)  # (O, N·Ho·Wo)
        gx = None
        if x.requires_grad:
            gx = unpad(col2im(W2.T @ G, xp.shape, kernel, stride, out_hw), padding)
        gW = (G @ cols.T).reshape(Wd.shape) if weight.requires_grad else None
        if bias is None:
            return gx, gW
        return gx, gW, (G.sum(axis=1) if bias.requires_grad else None)

    parents = (x, weight) if bias is None else (x, weight, bias)
    return result(out, parents, backward, "ConvolutionBackward")


def max_pool2d(x: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Largest value of each kH × kW window (``stride`` defaults to the kernel size)."""
    xd = x.data
    kernel, stride, padding, out_hw = pool_geometry(xd.shape, kernel_size, stride, padding,
                                                     "max_pool2d")
    xp = pad(xd, padding, -np.inf)
    offsets = [(p, q) for p in range(kernel[0]) for q in range(kernel[1])]
    out = window(xp, 0, 0, stride, out_hw).copy()
    for p, q in offsets[1:]:
        np.maximum(out, window(xp, p, q, stride, out_hw), out=out)

    def backward(g):
        gxp = np.zeros_like(xp)
        unclaimed = np.ones(out.shape, dtype=bool)  # windows whose first maximum is not found yet
        for p, q in offsets:
            first = window(xp, p, q, stride, out_hw) == out
            first &= unclaimed
            unclaimed &= ~first
            seen = window(gxp, p, q, stride, out_hw)
            if overlapping(kernel, stride):
                seen += g * first
            else:
                np.multiply(g, first, out=seen)
        return (unpad(gxp, padding),)

    return result(out, (x,), backward, "MaxPool2DBackward")


def avg_pool2d(x: Tensor, kernel_size, stride=None, padding=0,
               count_include_pad: bool = True) -> Tensor:
    """Mean of each kH × kW window; zeros of the padding count unless ``count_include_pad`` is
    False (then each window divides by its number of real pixels)."""
    xd = x.data
    kernel, stride, padding, out_hw = pool_geometry(xd.shape, kernel_size, stride, padding,
                                                     "avg_pool2d")
    xp = pad(xd, padding)
    offsets = [(p, q) for p in range(kernel[0]) for q in range(kernel[1])]
    out = window(xp, 0, 0, stride, out_hw).copy()
    for p, q in offsets[1:]:
        out += window(xp, p, q, stride, out_hw)
    if count_include_pad:
        count = kernel[0] * kernel[1]
    else:  # (H_out, W_out) real pixels per window, broadcast over (N, C)
        count = window_count(xd.shape, kernel, stride, padding, out_hw).astype(out.dtype)
    out /= count

    def backward(g):
        share = g / count  # what each pixel of a window receives
        gxp = np.zeros_like(xp)
        for p, q in offsets:
            seen = window(gxp, p, q, stride, out_hw)
            if overlapping(kernel, stride):
                seen += share
            else:
                seen[...] = share
        return (unpad(gxp, padding),)

    return result(out, (x,), backward, "AvgPool2DBackward")

