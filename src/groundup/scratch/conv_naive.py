"""Convolution and pooling with explicit Python loops: every formula of
:mod:`groundup.scratch.conv` written one term at a time, to check the vectorised layers against.

Images are NCHW, X of shape (N, C, H, W); kernel, stride and padding are pairs (height, width).
A padded pixel is read as 0 (−∞ for max pooling), so instead of padding, a loop skips the window
positions that fall outside the image::

    Y[n,o,i,j]   = b[o] + Σ_{c,p,q} W[o,c,p,q] · X[n,c, i·s+p−pad, j·s+q−pad]
    dW[o,c,p,q] += δ[n,o,i,j] · X[n,c, i·s+p−pad, j·s+q−pad]      for every term of the sum,
    dX[n,c, i·s+p−pad, j·s+q−pad] += δ[n,o,i,j] · W[o,c,p,q]       and db[o] += δ[n,o,i,j]

Slow (seven nested loops for a convolution); for small shapes in tests only.
"""

from __future__ import annotations

import numpy as np


def _out_size(size: int, k: int, s: int, pad: int) -> int:
    return (size + 2 * pad - k) // s + 1


def _window(i: int, j: int, kernel, stride, padding, H: int, W: int):
    """The (p, q, u, v) of window (i, j) whose pixel X[u, v] is inside the image."""
    for p in range(kernel[0]):
        for q in range(kernel[1]):
            u, v = i * stride[0] + p - padding[0], j * stride[1] + q - padding[1]
            if 0 <= u < H and 0 <= v < W:
                yield p, q, u, v


def conv2d_naive(X, W, b, stride, padding) -> np.ndarray:
    """Forward: Y (N, O, H_out, W_out) from X (N, C, H, W), W (O, C, kH, kW), b (O,) or None."""
    N, C, H, Wd = X.shape
    O, kernel = W.shape[0], W.shape[2:]
    Ho, Wo = (_out_size(H, kernel[0], stride[0], padding[0]),
              _out_size(Wd, kernel[1], stride[1], padding[1]))
    Y = np.zeros((N, O, Ho, Wo), dtype=X.dtype)
    for n in range(N):
        for o in range(O):
            for i in range(Ho):
                for j in range(Wo):
                    total = 0.0 if b is None else b[o]
                    for c in range(C):
                        for p, q, u, v in _window(i, j, kernel, stride, padding, H, Wd):
                            total += W[o, c, p, q] * X[n, c, u, v]
                    Y[n, o, i, j] = total
    return Y


def conv2d_backward_naive(dY, X, W, stride, padding) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
    """Backward: ``(dX, dW, db)`` from δ = dY (N, O, H_out, W_out), one term at a time."""
    N, C, H, Wd = X.shape
    O, kernel = W.shape[0], W.shape[2:]
    dX, dW, db = np.zeros_like(X), np.zeros_like(W), np.zeros(O, dtype=W.dtype)
    for n in range(N):
        for o in range(O):
            for i in range(dY.shape[2]):
                for j in range(dY.shape[3]):
                    delta = dY[n, o, i, j]
                    db[o] += delta
                    for c in range(C):
                        for p, q, u, v in _window(i, j, kernel, stride, padding, H, Wd):
                            dW[o, c, p, q] += delta * X[n, c, u, v]
                            dX[n, c, u, v] += delta * W[o, c, p, q]
    return dX, dW, db


def max_pool2d_naive(X, dY, kernel, stride, padding) -> tuple[np.ndarray, np.ndarray]:
    """``(Y, dX)``: each window's maximum, and δ sent to its first maximum in row-major order."""
    N, C, H, W = X.shape
    Ho, Wo = dY.shape[2:]
    Y, dX = np.zeros(dY.shape, dtype=X.dtype), np.zeros_like(X)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    best, at = -np.inf, None
                    for _, _, u, v in _window(i, j, kernel, stride, padding, H, W):
                        if X[n, c, u, v] > best:  # strictly greater: the first maximum stays
                            best, at = X[n, c, u, v], (u, v)
                    Y[n, c, i, j] = best
                    dX[n, c, at[0], at[1]] += dY[n, c, i, j]
    return Y, dX


def avg_pool2d_naive(X, dY, kernel, stride, padding,
                     count_include_pad: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``(Y, dX)``: each window's mean (padded zeros counted unless ``count_include_pad`` is
    False), and δ / k spread over the window's real pixels."""
    N, C, H, W = X.shape
    Ho, Wo = dY.shape[2:]
    Y, dX = np.zeros(dY.shape, dtype=X.dtype), np.zeros_like(X)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    pixels = [(u, v) for _, _, u, v in
                              _window(i, j, kernel, stride, padding, H, W)]
                    k = kernel[0] * kernel[1] if count_include_pad else len(pixels)
                    Y[n, c, i, j] = sum(X[n, c, u, v] for u, v in pixels) / k
                    for u, v in pixels:
                        dX[n, c, u, v] += dY[n, c, i, j] / k
    return Y, dX
