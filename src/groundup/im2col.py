"""The geometry of sliding windows, shared by convolution and pooling: output sizes, padding,
the strided view of the pixels a kernel offset sees, and im2col / col2im.

Images are NCHW: X of shape (N, C, H, W). A window of kH × kW pixels slides over X (padded with
``p`` pixels on each side) in steps of ``s``; along the height it fits

    H_out = ⌊(H + 2 p_h − kH) / s_h⌋ + 1

times (the same for the width). Output pixel (i, j) sees the padded input rows i·s_h .. i·s_h+kH−1
and columns j·s_w .. j·s_w+kW−1. Read the other way round: at kernel offset (p, q) the outputs see
the strided view ``Xp[:, :, p : p + s_h (H_out−1) + 1 : s_h, q : ...]``, one pixel per output, so
every sum over a window is a sum of kH·kW such views (no loop over pixels).

**im2col** unrolls the windows into the columns of one matrix, so a convolution becomes a single
matrix product (one GEMM)::

    cols[(c, p, q), (n, i, j)] = Xp[n, c, i·s_h + p, j·s_w + q]      (C·kH·kW, N·H_out·W_out)

**col2im** is its adjoint: each entry of a column matrix is added back into the pixel it was read
from. Pixels that several windows share collect a term from each, which is why the adjoint is a
sum: kH·kW strided additions, one per kernel offset.

NumPy only; both convolution engines (scratch and autograd) call these.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from groundup.errors import ShapeError


def pair(value, name: str, low: int = 1) -> tuple[int, int]:
    """``value`` as a pair ``(for the height, for the width)``: an int is used for both.

    >>> pair(3, "kernel_size"), pair((1, 2), "stride")
    ((3, 3), (1, 2))
    """
    items = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(items) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                  for v in items):
        raise ShapeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(items) < low:
        raise ShapeError(f"{name} must be >= {low}, got {value!r}")
    return int(items[0]), int(items[1])


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """How many windows fit along one axis: ``⌊(size + 2·padding − kernel) / stride⌋ + 1``.

    >>> output_size(28, 3, 1, 1), output_size(28, 2, 2, 0), output_size(7, 3, 2, 0)
    (28, 14, 3)
    """
    return (size + 2 * padding - kernel) // stride + 1


def output_hw(x_shape: tuple, kernel: tuple, stride: tuple, padding: tuple,
              op: str) -> tuple[int, int]:
    """``(H_out, W_out)`` for an input of shape (N, C, H, W); a clear error if nothing fits."""
    H, W = x_shape[-2:]
    H_out = output_size(H, kernel[0], stride[0], padding[0])
    W_out = output_size(W, kernel[1], stride[1], padding[1])
    if H_out < 1 or W_out < 1:
        raise ShapeError(
            f"{op}: a {kernel[0]}x{kernel[1]} window does not fit in an input of height x width "
            f"{H}x{W} with padding {padding}; use a smaller kernel or more padding"
        )
    return H_out, W_out


def check_images(shape: tuple, op: str) -> None:
    """Refuse anything but a batch of images (N, C, H, W), saying how to get one."""
    if len(shape) != 4:
        raise ShapeError(
            f"{op} expects images of shape (N, C, H, W), got shape {tuple(shape)}; add a batch "
            "dimension to one image with x.unsqueeze(0) (x[None] for an array), and view flat "
            "MNIST rows as x.view(-1, 1, 28, 28)"
        )


def check_conv(x_shape: tuple, w_shape: tuple, op: str) -> None:
    """Images whose channels match a weight of shape (out_channels, in_channels, kH, kW)."""
    check_images(x_shape, op)
    if len(w_shape) != 4:
        raise ShapeError(f"{op}: the weight must have shape (out_channels, in_channels, kH, kW), "
                         f"got {tuple(w_shape)}")
    if x_shape[1] != w_shape[1]:
        raise ShapeError(
            f"{op}: the input has {x_shape[1]} channels (shape {tuple(x_shape)}) but the weight "
            f"of shape {tuple(w_shape)} expects in_channels={w_shape[1]}; build the layer with "
            f"in_channels={x_shape[1]}"
        )


def pool_arguments(kernel_size, stride, padding, op: str) -> tuple[tuple, tuple, tuple]:
    """``(kernel, stride, padding)`` as pairs for a pooling layer; ``stride`` None means the
    kernel size. Padding is at most half the kernel (as PyTorch requires), so every window
    holds a real pixel."""
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else pair(stride, "stride")
    padding = pair(padding, "padding", low=0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ShapeError(f"{op}: padding {padding} must be at most half the kernel size "
                         f"{kernel}, so that every window holds a real pixel")
    return kernel, stride, padding


def pool_geometry(x_shape: tuple, kernel_size, stride, padding, op: str):
    """:func:`pool_arguments` and ``(H_out, W_out)`` for images of shape ``x_shape``."""
    check_images(x_shape, op)
    kernel, stride, padding = pool_arguments(kernel_size, stride, padding, op)
    return kernel, stride, padding, output_hw(x_shape, kernel, stride, padding, op)


def window_count(x_shape: tuple, kernel: tuple, stride: tuple, padding: tuple, out_hw: tuple):
    """How many real (not padded) pixels each window holds, an int array (H_out, W_out)."""
    counts = []
    for size, k, s, p, n_out in zip(x_shape[2:], kernel, stride, padding, out_hw, strict=True):
        start = np.arange(n_out) * s - p  # first row (column) of each window, in input units
        counts.append(np.minimum(start + k, size) - np.maximum(start, 0))
    return np.outer(*counts)


def overlapping(kernel: tuple, stride: tuple) -> bool:
    """Whether neighbouring windows share pixels (stride smaller than the kernel)."""
    return stride[0] < kernel[0] or stride[1] < kernel[1]


def pad(x: np.ndarray, padding: tuple, value: float = 0.0) -> np.ndarray:
    """``x`` (N, C, H, W) with ``padding = (p_h, p_w)`` pixels of ``value`` on every side."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    N, C, H, W = x.shape
    out = np.full((N, C, H + 2 * ph, W + 2 * pw), value, dtype=x.dtype)
    out[:, :, ph:ph + H, pw:pw + W] = x
    return out


def unpad(x: np.ndarray, padding: tuple) -> np.ndarray:
    """The inverse of :func:`pad` (a view): drop ``(p_h, p_w)`` pixels on every side."""
    ph, pw = padding
    return x[:, :, ph:x.shape[2] - ph, pw:x.shape[3] - pw]


def same_order(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``a``, copied into the memory order of ``like`` (same shape) unless already in it: a
    ufunc over operands in different orders strides through one of them, 3-5x slower."""
    if a.strides == like.strides or a.size < 2:
        return a
    out = np.empty_like(like, dtype=a.dtype)
    np.copyto(out, a)
    return out


def window(xp: np.ndarray, p: int, q: int, stride: tuple, out_hw: tuple) -> np.ndarray:
    """The view ``xp[n, c, i·s_h + p, j·s_w + q]`` of shape (N, C, H_out, W_out): the pixel that
    kernel offset (p, q) sees for every output pixel (i, j)."""
    (sh, sw), (Ho, Wo) = stride, out_hw
    return xp[:, :, p:p + sh * (Ho - 1) + 1:sh, q:q + sw * (Wo - 1) + 1:sw]


def im2col(xp: np.ndarray, kernel: tuple, stride: tuple, out_hw: tuple) -> np.ndarray:
    """Columns of the padded input ``xp`` (N, C, Hp, Wp): shape (C·kH·kW, N·H_out·W_out).

    Built from one strided view (no copy) of every window, then a single contiguous copy.
    """
    N, C = xp.shape[:2]
    (kH, kW), (sh, sw), (Ho, Wo) = kernel, stride, out_hw  # (N, C, Ho, Wo, kH, kW) below
    windows = sliding_window_view(xp, (kH, kW), axis=(2, 3))[:, :, ::sh, ::sw]
    cols = np.ascontiguousarray(windows.transpose(1, 4, 5, 0, 2, 3))  # (C, kH, kW, N, Ho, Wo)
    return cols.reshape(C * kH * kW, N * Ho * Wo)


def col2im(cols: np.ndarray, padded_shape: tuple, kernel: tuple, stride: tuple,
           out_hw: tuple) -> np.ndarray:
    """The adjoint of :func:`im2col`: add every entry of ``cols`` (C·kH·kW, N·H_out·W_out) back
    into the padded pixel it came from; returns an array of ``padded_shape`` (N, C, Hp, Wp)."""
    N, C = padded_shape[:2]
    (kH, kW), (Ho, Wo) = kernel, out_hw
    blocks = cols.reshape(C, kH, kW, N, Ho, Wo)
    xp = np.zeros(padded_shape, dtype=cols.dtype)
    by_channel = xp.transpose(1, 0, 2, 3)  # (C, N, Hp, Wp), a view: the adds land in xp
    for p in range(kH):
        for q in range(kW):
            seen = window(by_channel, p, q, stride, out_hw)
            seen += blocks[:, p, q]
    return xp
