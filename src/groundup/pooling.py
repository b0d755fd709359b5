"""Max and average pooling on arrays, forward and backward; both engines' pooling layers call them.

With ``Xp`` the input (N, C, H, W) padded by ``pad`` pixels (−∞ for max, zeros for average) and
window (i, j) of the output seeing ``Xp[n, c, i·s_h + p, j·s_w + q]``, 0 ≤ p < kH, 0 ≤ q < kW
(:func:`groundup.im2col.window` is that strided view for one offset (p, q))::

    max:      Y[n,c,i,j] = max_{p,q} Xp[n,c, i·s_h+p, j·s_w+q]
              dL/dX gets g at the window's first maximum in row-major order (PyTorch's pick
              among ties), nothing elsewhere
    average:  Y[n,c,i,j] = Σ_{p,q} Xp[n,c, i·s_h+p, j·s_w+q] / k,   k = kH·kW (or the window's
              real pixels when the padding is not counted);   dL/dX: g / k to every pixel of
              the window

Every sum or maximum over a window is kH·kW elementwise operations on strided views, so neither
direction loops over pixels (reducing a reshape (N, C, H_out, k, W_out, k) over axes 3 and 5
measured 20-40x slower in NumPy). The max forward records which offset won each window (one
byte per window), so its backward never reads X again: X is the largest array of the pair and,
by the time backward runs, out of cache.
"""

from __future__ import annotations

import numpy as np

from groundup.im2col import overlapping, pad, same_order, unpad, window, window_count


def _offsets(kernel: tuple) -> list[tuple[int, int]]:
    return [(p, q) for p in range(kernel[0]) for q in range(kernel[1])]


def _tiles(x_shape: tuple, kernel: tuple, stride: tuple, padding: tuple, out_hw: tuple) -> bool:
    """Whether the windows cover the unpadded image exactly once (the usual 2 × 2, stride 2)."""
    return (stride == kernel and padding == (0, 0)
            and x_shape[2:] == (out_hw[0] * kernel[0], out_hw[1] * kernel[1]))


def max_pool_forward(x: np.ndarray, kernel: tuple, stride: tuple, padding: tuple,
                     out_hw: tuple) -> tuple[np.ndarray, tuple]:
    """``(Y, saved)``: the window maxima (N, C, H_out, W_out) and what backward needs, among it
    ``larger[k - 1]``, where offset k (row-major, p·kW + q) beat the maximum of offsets 0..k-1
    (strictly: among ties the earlier offset keeps the window). A NaN propagates to Y (as in
    PyTorch); its gradient then goes to the first maximum of the window's other values."""
    xp = pad(x, padding, -np.inf)
    offsets = _offsets(kernel)
    out = window(xp, 0, 0, stride, out_hw).copy(order="K")  # in x's memory order
    larger = []
    for p, q in offsets[1:]:
        seen = window(xp, p, q, stride, out_hw)
        larger.append(np.greater(seen, out))
        np.maximum(out, seen, out=out)
    return out, (x.shape, xp, larger, kernel, stride, padding, out_hw)


def max_pool_backward(g: np.ndarray, saved: tuple) -> np.ndarray:
    """dL/dX (N, C, H, W): each window's g at its first maximum, 0 elsewhere.

    The first maximum is the last offset k that beat all before it (``larger[k - 1]``), or
    offset 0 if none did: offset k wins where ``larger[k - 1]`` and no later one."""
    x_shape, xp, larger, kernel, stride, padding, out_hw = saved
    tiles = _tiles(x_shape, kernel, stride, padding, out_hw)
    gxp = np.empty_like(xp) if tiles else np.zeros_like(xp)  # in the input's memory order
    if larger:
        g = same_order(g, larger[0])
    later = None  # where some offset after k beat the maximum
    for k in range(len(larger), -1, -1):
        if k == 0:
            won = np.ones(g.shape, dtype=bool) if later is None else ~later
        elif later is None:
            won = later = larger[k - 1]
        else:
            won = np.greater(larger[k - 1], later)  # larger[k - 1] and not later, for bools
            later = later | larger[k - 1]
        p, q = divmod(k, kernel[1])
        seen = window(gxp, p, q, stride, out_hw)
        if overlapping(kernel, stride):
            seen += g * won
        else:  # each pixel is in one window at most: assign instead of add
            np.multiply(g, won, out=seen)
    return unpad(gxp, padding)


def avg_pool_forward(x: np.ndarray, kernel: tuple, stride: tuple, padding: tuple,
                     out_hw: tuple, count_include_pad: bool = True) -> tuple[np.ndarray, tuple]:
    """``(Y, saved)``: the window means (N, C, H_out, W_out) and what backward needs."""
    xp = pad(x, padding)
    offsets = _offsets(kernel)
    out = window(xp, 0, 0, stride, out_hw).copy(order="K")  # in x's memory order
    for p, q in offsets[1:]:
        out += window(xp, p, q, stride, out_hw)
    if count_include_pad:
        count = kernel[0] * kernel[1]
    else:  # (H_out, W_out) real pixels per window, broadcast over (N, C)
        count = window_count(x.shape, kernel, stride, padding, out_hw).astype(out.dtype)
    out /= count
    return out, (xp, count, kernel, stride, padding, out_hw)


def avg_pool_backward(g: np.ndarray, saved: tuple) -> np.ndarray:
    """dL/dX (N, C, H, W): every pixel gets g / k from each window that holds it."""
    xp, count, kernel, stride, padding, out_hw = saved
    share = g / count  # what each pixel of a window receives
    gxp = np.zeros_like(xp)
    for p, q in _offsets(kernel):
        seen = window(gxp, p, q, stride, out_hw)
        if overlapping(kernel, stride):
            seen += share
        else:
            seen[...] = share
    return unpad(gxp, padding)
