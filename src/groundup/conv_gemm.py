"""Convolution on arrays, forward and backward, as matrix products over bands of output rows.

Both convolution engines call these two functions (scratch's ``Conv2d`` and autograd's
``conv2d``); the maths is the im2col form of :mod:`groundup.im2col`, with
W₂ = W as (O, C·kH·kW), cols = im2col(Xp) and Δ = dL/dY as (O, pixels)::

    Y = W₂ · cols + b        dW₂ = Δ · colsᵀ        db = Δ · 1        dXp = col2im(W₂ᵀ · Δ)

Two choices make it fast on a CPU whose memory is slower than its multipliers:

* **Layout (C, H, W, N).** The padded images are transposed once so that the batch is the last
  axis. A kernel offset's view of one window row, for every image, is then one contiguous run
  of W_out·N numbers (896 for 14 × 14 maps and a batch of 64, against 14 in NCHW); the im2col
  copy and col2im's additions stream over such runs. A column of ``cols`` is output pixel
  (i, j) of image n, in the order (i, j, n).
* **Bands of output rows.** For a 32-channel 5 × 5 layer on 14 × 14 maps, cols for a batch of 64
  is 40 MB. Made a band of output rows at a time (about ``BAND_BYTES``), each part is built,
  multiplied and dropped while it is still in cache, and backward rebuilds it from the padded
  input (2.6 MB) instead of keeping it: the bands' columns are a partition of cols, so
  ``Δ · colsᵀ`` is the sum of the bands' products and col2im is done band by band.

Arrays keep their dtype (float32 stays float32).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from groundup.im2col import output_hw, same_order

PIXEL_MAJOR_FROM = 64  # rows of cols (C·kH·kW) above which Y is computed as its transpose
BAND_BYTES = 3 << 20  # one band's columns: 3 MB, measured best here (1 and 1.5 MB cost more calls)


def to_chwn(x: np.ndarray, padding: tuple) -> np.ndarray:
    """Images (N, C, H, W) as (C, H + 2p_h, W + 2p_w, N), zero-padded: one copy (and zeros
    written to the border only)."""
    N, C, H, W = x.shape
    ph, pw = padding
    xt = np.empty((C, H + 2 * ph, W + 2 * pw, N), dtype=x.dtype)
    xt[:, :ph] = xt[:, ph + H:] = 0
    xt[:, ph:ph + H, :pw] = xt[:, ph:ph + H, pw + W:] = 0
    xt[:, ph:ph + H, pw:pw + W] = x.transpose(1, 2, 3, 0)
    return xt


def from_chwn(xt: np.ndarray, padding: tuple) -> np.ndarray:
    """The inverse of :func:`to_chwn` as a view: the border dropped, axes (N, C, H, W)."""
    ph, pw = padding
    return xt[:, ph:xt.shape[1] - ph, pw:xt.shape[2] - pw].transpose(3, 0, 1, 2)


class Band(NamedTuple):
    """Output pixels (i, j) with i0 ≤ i < i1 and j0 ≤ j < j1: whole rows, or part of one row."""

    i0: int
    i1: int
    j0: int
    j1: int

    def columns(self, out_w: int, n: int) -> slice:
        """Where the band's columns lie among all of cols' columns, ordered (i, j, n)."""
        return slice((self.i0 * out_w + self.j0) * n, ((self.i1 - 1) * out_w + self.j1) * n)


def bands(out_hw: tuple, pixel_bytes: int, budget: int | None = None) -> list[Band]:
    """The output pixels in bands of about ``budget`` bytes of columns each (``BAND_BYTES`` if
    None; ``pixel_bytes`` is the columns' size for one output pixel of every image): several
    whole rows when a row is smaller, else each row cut into near-equal parts."""
    Ho, Wo = out_hw
    per_band = max(1, (budget or BAND_BYTES) // max(pixel_bytes, 1))  # output pixels per band
    if per_band >= Wo:
        step = per_band // Wo
        return [Band(i, min(i + step, Ho), 0, Wo) for i in range(0, Ho, step)]
    parts = -(-Wo // per_band)  # a row in this many near-equal parts
    cuts = [round(k * Wo / parts) for k in range(parts + 1)]
    return [Band(i, i + 1, cuts[k], cuts[k + 1]) for i in range(Ho) for k in range(parts)]


def band_columns(xt: np.ndarray, kernel: tuple, stride: tuple, band: Band,
                 ones: bool = False) -> np.ndarray:
    """im2col of the band's output pixels: (C·kH·kW, pixels·N), columns (i, j, n); with
    ``ones``, one more row of ones, so that a bias column in W₂ adds the bias inside the GEMM
    (and Δ · colsᵀ's last column is db = Δ · 1) instead of in a pass of its own.

    ``cols[(c, p, q), (i, j, n)] = xt[c, i·s_h + p, j·s_w + q, n]``, from one strided view of the
    padded input pixels the band reads, then one copy.
    """
    (kH, kW), (sh, sw) = kernel, stride
    seen = xt[:, band.i0 * sh:(band.i1 - 1) * sh + kH, band.j0 * sw:(band.j1 - 1) * sw + kW]
    windows = sliding_window_view(seen, (kH, kW), axis=(1, 2))[:, ::sh, ::sw]  # (C,r,w,N,kH,kW)
    C, r, w, N = windows.shape[:4]
    K = C * kH * kW
    cols = np.empty((K + ones, r * w * N), dtype=xt.dtype)
    np.copyto(cols[:K].reshape(C, kH, kW, r, w, N), windows.transpose(0, 4, 5, 1, 2, 3))
    if ones:
        cols[K] = 1
    return cols


def band_col2im(gxt: np.ndarray, gcols: np.ndarray, kernel: tuple, stride: tuple,
                band: Band) -> None:
    """The adjoint of :func:`band_columns`, in place: add each entry of ``gcols``
    (C·kH·kW, pixels·N) into the pixel of ``gxt`` (C, Hp, Wp, N) it was read from, one strided
    addition per kernel offset (p, q)."""
    C, N = gxt.shape[0], gxt.shape[3]
    (kH, kW), (sh, sw) = kernel, stride
    i0, i1, j0, j1 = band
    blocks = gcols.reshape(C, kH, kW, i1 - i0, j1 - j0, N)
    for p in range(kH):
        for q in range(kW):
            gxt[:, i0 * sh + p:(i1 - 1) * sh + p + 1:sh,
                j0 * sw + q:(j1 - 1) * sw + q + 1:sw] += blocks[:, p, q]


def conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: tuple,
                   padding: tuple, budget: int | None = None,
                   op: str = "conv2d") -> tuple[np.ndarray, tuple]:
    """``(Y, saved)``: Y = W₂ · cols + b of shape (N, O, H_out, W_out), and what
    :func:`conv2d_backward` needs. x (N, C, H, W), weight (O, C, kH, kW), bias (O,); ``budget``
    is the bands' size in bytes (:func:`bands`); ``op`` names the caller in the error a window
    that does not fit gets.

    The product is computed one band of columns at a time, written where the next layer reads
    it best. A layer with many rows in cols (C·kH·kW > ``PIXEL_MAJOR_FROM``) computes it as its
    transpose, Yᵀ = colsᵀ · W₂ᵀ (this orientation measured 25% quicker in OpenBLAS on the bands of
    a 32 → 64 channel layer), so Y lies in memory as (H_out, W_out, N, O); a layer with few (a
    first layer, whose GEMM is bound by its output's memory either way) as Y = W₂ · cols, so Y
    lies as (O, H_out, W_out, N): what the next convolution's :func:`to_chwn` copies without
    transposing. Y is returned as an (N, O, H_out, W_out) view of it, not copied to NCHW: NumPy's
    elementwise and window operations after it follow any memory order (PyTorch's
    ``channels_last`` is the same idea)."""
    kernel = weight.shape[2:]
    Ho, Wo = output_hw(x.shape, kernel, stride, padding, op)
    N, O = x.shape[0], weight.shape[0]
    W2 = weight.reshape(O, -1)  # (O, C·kH·kW)
    xt = to_chwn(x, padding)
    if bias is not None:  # the bias as the weight of a constant 1 (band_columns' ones)
        W2 = np.concatenate([W2, bias[:, None]], axis=1)
    pixel_major = W2.shape[1] > PIXEL_MAJOR_FROM
    Y = np.empty((Ho * Wo * N, O) if pixel_major else (O, Ho * Wo * N), dtype=weight.dtype)
    for band in bands((Ho, Wo), W2.shape[1] * N * weight.itemsize, budget):
        cols = band_columns(xt, kernel, stride, band, ones=bias is not None)
        if pixel_major:
            np.matmul(cols.T, W2.T, out=Y[band.columns(Wo, N)])
        else:
            np.matmul(W2, cols, out=Y[:, band.columns(Wo, N)])
    if pixel_major:
        return Y.reshape(Ho, Wo, N, O).transpose(2, 3, 0, 1), (xt, x)
    return Y.reshape(O, Ho, Wo, N).transpose(3, 0, 1, 2), (xt, x)


def conv2d_backward(dY: np.ndarray, saved: tuple, weight: np.ndarray, stride: tuple,
                    padding: tuple, input_grad: bool = True, bias_grad: bool = True,
                    budget: int | None = None):
    """``(dX, dW, db)`` from δ = dL/dY (N, O, H_out, W_out) and the forward's ``saved``:
    dW₂ = Δ · colsᵀ, db = Δ · 1 and dX = col2im(W₂ᵀ · Δ) without its border, in the memory
    order of the forward's input. ``dX`` is None unless ``input_grad``, ``db`` None unless
    ``bias_grad``. Δ is used as Δᵀ (pixels, O), a view when δ lies in either order the forward
    writes Y in, else a copy."""
    xt, x = saved
    kernel = weight.shape[2:]
    N, O, Ho, Wo = dY.shape
    W2 = weight.reshape(O, -1)
    by_channel = dY.transpose(1, 2, 3, 0)  # (O, i, j, n)
    if by_channel.flags.c_contiguous:  # δ lies as (O, Ho, Wo, N): Δᵀ is a transposed view
        delta_t = by_channel.reshape(O, -1).T
    else:  # Δᵀ ((i, j, n), O), a view if δ lies as (Ho, Wo, N, O)
        delta_t = np.ascontiguousarray(dY.transpose(2, 3, 0, 1)).reshape(-1, O)
    gxt = np.zeros_like(xt) if input_grad else None
    K = W2.shape[1]
    dW2t = np.zeros((K + bias_grad, O), dtype=weight.dtype)  # dW₂ᵀ = cols · Δᵀ; then dbᵀ
    for band in bands((Ho, Wo), (K + bias_grad) * N * weight.itemsize, budget):
        cols = band_columns(xt, kernel, stride, band, ones=bias_grad)
        band_t = delta_t[band.columns(Wo, N)]  # this band's share of Δᵀ
        dW2t += cols @ band_t
        if input_grad:
            band_col2im(gxt, W2.T @ band_t.T, kernel, stride, band)
    dX = same_order(from_chwn(gxt, padding), x) if input_grad else None
    db = dW2t[K].copy() if bias_grad else None  # the ones row: Σ over pixels of Δ
    return dX, np.ascontiguousarray(dW2t[:K].T).reshape(weight.shape), db

