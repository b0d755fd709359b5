"""Elementwise functions of one tensor, each with its derivative beside it.

    exp:   out = e^a            dL/da = g · out
    log:   out = ln a           dL/da = g / a
    sqrt:  out = √a             dL/da = g / (2 out)
    abs:   out = |a|            dL/da = g · sign(a)          (0 at a = 0, as PyTorch)
    clamp: out = min(max(a, lo), hi)
                                dL/da = g where lo <= a <= hi, else 0 (bounds inclusive, as PyTorch)
"""

from __future__ import annotations

import numpy as np

from groundup.autograd.tensor import Tensor, result


def exp(a: Tensor) -> Tensor:
    out = np.exp(a.data)
    return result(out, (a,), lambda g: (g * out,), "ExpBackward")


def log(a: Tensor) -> Tensor:
    ad = a.data
    return result(np.log(ad), (a,), lambda g: (g / ad,), "LogBackward")


def sqrt(a: Tensor) -> Tensor:
    out = np.sqrt(a.data)
    return result(out, (a,), lambda g: (g / (2 * out),), "SqrtBackward")


def abs(a: Tensor) -> Tensor:  # noqa: A001 - the math name
    ad = a.data
    return result(np.abs(ad), (a,), lambda g: (g * np.sign(ad),), "AbsBackward")


def clamp(a: Tensor, lo=None, hi=None) -> Tensor:
    """Clip to ``[lo, hi]`` (either may be None); gradient passes where ``lo <= a <= hi``."""
    ad = a.data
    if lo is None and hi is None:
        raise ValueError("clamp needs at least one of min and max")
    out = ad
    inside = np.ones(ad.shape, dtype=bool)
    if lo is not None:
        out = np.maximum(out, lo)
        inside &= ad >= lo
    if hi is not None:
        out = np.minimum(out, hi)
        inside &= ad <= hi
    return result(out.astype(ad.dtype, copy=False), (a,), lambda g: (g * inside,),
                  "ClampBackward")


def cast(a: Tensor, dtype) -> Tensor:
    """Convert to ``dtype``; gradients flow back (converted to the input's dtype) between floats."""
    dtype = np.dtype(dtype)
    if a.data.dtype == dtype:
        return a
    in_dtype = a.data.dtype
    out = a.data.astype(dtype)
    if dtype.kind != "f":
        return Tensor(out)
    return result(out, (a,), lambda g: (g.astype(in_dtype),), "ToCopyBackward")
