"""Reductions: sum, mean, max, min (with ``dim`` and ``keepdim``), argmax, argmin.

    sum:   dL/da = g broadcast back over the reduced axes
    mean:  dL/da = g / n, n = number of reduced elements
    max over dim:  the gradient goes to the position ``indices`` points at (the first maximum,
                   as PyTorch's ``max(dim)``)
    max of all:    the gradient is shared equally by tied maxima (as PyTorch's ``max()``)
"""

from __future__ import annotations

import builtins
from typing import NamedTuple

import numpy as np

from groundup.autograd.tensor import Tensor, result


class MaxResult(NamedTuple):
    """``max(dim)`` / ``min(dim)`` return the values and their positions, as PyTorch does."""

    values: Tensor
    indices: Tensor


def _axes(dim, ndim: int):
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        return tuple(d % ndim for d in dim)
    return dim % ndim if ndim else dim


def _expand(g: np.ndarray, axes, keepdim: bool, shape: tuple) -> np.ndarray:
    """Put the reduced axes back into ``g`` so it broadcasts against the input of ``shape``."""
    if axes is not None and not keepdim:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


def sum(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    axes = _axes(dim, a.data.ndim)
    shape = a.data.shape
    out = np.asarray(a.data.sum(axis=axes, keepdims=keepdim))
    return result(out, (a,), lambda g: (_expand(g, axes, keepdim, shape),), "SumBackward")


def mean(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    axes = _axes(dim, a.data.ndim)
    shape = a.data.shape
    out = np.asarray(a.data.mean(axis=axes, keepdims=keepdim))
    n = a.data.size // builtins.max(out.size, 1) if a.data.size else 1
    return result(out, (a,), lambda g: (_expand(g / n, axes, keepdim, shape),), "MeanBackward")


def _extreme(a: Tensor, dim, keepdim: bool, pick, arg, op: str):
    ad = a.data
    if dim is None:
        out = np.asarray(pick(ad))

        def backward_all(g):
            ties = ad == out
            return (ties * (g / ties.sum()),)

        return result(out, (a,), backward_all, op)
    axis = _axes(dim, ad.ndim)
    idx = np.expand_dims(arg(ad, axis=axis), axis)
    values = np.take_along_axis(ad, idx, axis)

    def backward(g):
        grad = np.zeros_like(ad)
        np.put_along_axis(grad, idx, g if keepdim else np.expand_dims(g, axis), axis)
        return (grad,)

    indices = idx
    if not keepdim:
        values = np.squeeze(values, axis)
        indices = np.squeeze(idx, axis)
    return MaxResult(result(values, (a,), backward, op), Tensor(indices))


def max(a: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """The largest value (a tensor), or with ``dim`` a ``(values, indices)`` pair."""
    return _extreme(a, dim, keepdim, np.max, np.argmax, "MaxBackward")


def min(a: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """The smallest value (a tensor), or with ``dim`` a ``(values, indices)`` pair."""
    return _extreme(a, dim, keepdim, np.min, np.argmin, "MinBackward")


def argmax(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Position of the first maximum (of the flattened tensor when ``dim`` is None)."""
    if dim is None:
        return Tensor(np.asarray(np.argmax(a.data)))
    return Tensor(np.argmax(a.data, axis=dim, keepdims=keepdim))


def argmin(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return Tensor(np.asarray(np.argmin(a.data)))
    return Tensor(np.argmin(a.data, axis=dim, keepdims=keepdim))
