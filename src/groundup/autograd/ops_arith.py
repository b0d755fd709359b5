"""Arithmetic with broadcasting: + - * / neg, pow, matmul.

Each op computes its output with NumPy and returns the local derivative as a closure. For a
binary op ``out = f(a, b)`` with upstream gradient ``g = dL/d(out)``:

    add:  dL/da = g                      dL/db = g
    sub:  dL/da = g                      dL/db = -g
    mul:  dL/da = g · b                  dL/db = g · a
    div:  dL/da = g / b                  dL/db = -g · a / b²
    pow:  dL/da = g · p · a^(p-1)        dL/dp = g · a^p · log a
    matmul (2-D):  dL/dA = g @ Bᵀ        dL/dB = Aᵀ @ g

and every gradient is summed back to its input's shape with :func:`unbroadcast`. A Python number
or an ndarray on one side is a constant: it gets no gradient and keeps the tensor's float dtype
(a float32 tensor times 0.5 stays float32).
"""

from __future__ import annotations

import numpy as np

from groundup.autograd.function import unbroadcast
from groundup.autograd.tensor import Tensor, result
from groundup.errors import ShapeError


def _const(x, like: np.ndarray):
    """A non-tensor operand as something NumPy combines without changing ``like``'s dtype."""
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "f" and like.dtype.kind == "f" and x.dtype != like.dtype:
            return x.astype(like.dtype)
        return x
    if isinstance(x, (bool, int, float)):
        return x
    return np.asarray(x, dtype=like.dtype if like.dtype.kind == "f" else None)


def _broadcast_error(op: str, a, b) -> ShapeError:
    return ShapeError(
        f"{op}: shapes {np.shape(a)} and {np.shape(b)} cannot be broadcast together. Dimensions "
        "are compared from the right and must be equal or 1; reshape one side (e.g. "
        "b.reshape(-1, 1) or b.unsqueeze(0))"
    )


def _binary(op: str, fn, a: np.ndarray, b):
    try:
        return fn(a, b)
    except ValueError as exc:
        raise _broadcast_error(op, a, b) from exc


def add(a: Tensor, b) -> Tensor:
    if not isinstance(b, Tensor):
        shape = a.data.shape
        out = _binary("add", np.add, a.data, _const(b, a.data))
        return result(out, (a,), lambda g: (unbroadcast(g, shape),), "AddBackward")
    sa, sb = a.data.shape, b.data.shape
    out = _binary("add", np.add, a.data, b.data)

    def backward(g):
        return (unbroadcast(g, sa) if a.requires_grad else None,
                unbroadcast(g, sb) if b.requires_grad else None)

    return result(out, (a, b), backward, "AddBackward")


def sub(a: Tensor, b) -> Tensor:
    if not isinstance(b, Tensor):
        shape = a.data.shape
        out = _binary("sub", np.subtract, a.data, _const(b, a.data))
        return result(out, (a,), lambda g: (unbroadcast(g, shape),), "SubBackward")
    sa, sb = a.data.shape, b.data.shape
    out = _binary("sub", np.subtract, a.data, b.data)

    def backward(g):
        return (unbroadcast(g, sa) if a.requires_grad else None,
                unbroadcast(-g, sb) if b.requires_grad else None)

    return result(out, (a, b), backward, "SubBackward")


def rsub(a: Tensor, c) -> Tensor:
    """``c - a`` for a constant ``c``."""
    shape = a.data.shape
    out = _binary("sub", np.subtract, _const(c, a.data), a.data)
    return result(out, (a,), lambda g: (unbroadcast(-g, shape),), "RsubBackward")


def neg(a: Tensor) -> Tensor:
    return result(-a.data, (a,), lambda g: (-g,), "NegBackward")


def mul(a: Tensor, b) -> Tensor:
    if not isinstance(b, Tensor):
        c = _const(b, a.data)
        shape = a.data.shape
        out = _binary("mul", np.multiply, a.data, c)
        return result(out, (a,), lambda g: (unbroadcast(g * c, shape),), "MulBackward")
    ad, bd = a.data, b.data
    out = _binary("mul", np.multiply, ad, bd)

    def backward(g):
        return (unbroadcast(g * bd, ad.shape) if a.requires_grad else None,
                unbroadcast(g * ad, bd.shape) if b.requires_grad else None)

    return result(out, (a, b), backward, "MulBackward")


def div(a: Tensor, b) -> Tensor:
    if not isinstance(b, Tensor):
        c = _const(b, a.data)
        shape = a.data.shape
        out = _binary("div", np.divide, a.data, c)
        return result(out, (a,), lambda g: (unbroadcast(g / c, shape),), "DivBackward")
    ad, bd = a.data, b.data
    out = _binary("div", np.divide, ad, bd)

    def backward(g):
        return (unbroadcast(g / bd, ad.shape) if a.requires_grad else None,
                unbroadcast(-g * (out / bd), bd.shape) if b.requires_grad else None)

    return result(out, (a, b), backward, "DivBackward")


def rdiv(a: Tensor, c) -> Tensor:
    """``c / a`` for a constant ``c``: d/da = -c / a² = -out / a."""
    c = _const(c, a.data)
    ad = a.data
    out = _binary("div", np.divide, c, ad)
    return result(out, (a,), lambda g: (unbroadcast(-g * (out / ad), ad.shape),), "DivBackward")


def pow(a: Tensor, p) -> Tensor:  # noqa: A001 - the math name
    """``a ** p``. For a constant p: d/da = p · a^(p-1) (0 where p = 0, as PyTorch)."""
    ad = a.data
    if not isinstance(p, Tensor):
        p = _const(p, ad)
        out = _binary("pow", np.power, ad, p)

        def backward_const(g):
            if np.ndim(p) == 0:
                if p == 0:
                    return (np.zeros_like(g),)
                return (g * (p * ad ** (p - 1)) if p != 2 else g * (2 * ad),)
            local = np.where(p == 0, 0, p * ad ** (p - 1))
            return (unbroadcast(g * local, ad.shape),)

        return result(out, (a,), backward_const, "PowBackward")
    pd = p.data
    out = _binary("pow", np.power, ad, pd)

    def backward(g):
        ga = gp = None
        if a.requires_grad:
            ga = unbroadcast(g * np.where(pd == 0, 0, pd * ad ** (pd - 1)), ad.shape)
        if p.requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where((ad == 0) & (pd >= 0), 0, np.log(ad))
            gp = unbroadcast(g * out * log_a, pd.shape)
        return ga, gp

    return result(out, (a, p), backward, "PowBackward")


def rpow(a: Tensor, base) -> Tensor:
    """``base ** a`` for a constant base: d/da = base^a · log(base)."""
    base = _const(base, a.data)
    out = _binary("pow", np.power, base, a.data)
    log_base = np.log(base)
    shape = a.data.shape
    return result(out, (a,), lambda g: (unbroadcast(g * out * log_base, shape),), "PowBackward")


def _matmul_error(a: np.ndarray, b: np.ndarray) -> ShapeError:
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    hint = ""
    if a.ndim >= 2 and b.ndim == 2 and a.shape[-1] == b.shape[-1]:
        hint = " Both end in the same size: did you mean a @ b.T (a Linear weight is (out, in))?"
    return ShapeError(
        f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied: the first operand's last "
        f"dimension ({a.shape[-1] if a.ndim else 'scalar'}) must equal the second's "
        f"{'first' if b.ndim == 1 else 'second-to-last'} dimension ({inner_b}).{hint}"
    )


def matmul(a: Tensor, b) -> Tensor:
    """``a @ b`` with NumPy's rules (1-D operands, batch broadcasting).

    For 2-D ``A`` (n, k) and ``B`` (k, m): dL/dA = g @ Bᵀ of shape (n, k), dL/dB = Aᵀ @ g of
    shape (k, m). Batched operands use the same formulas on their last two axes, then sum the
    broadcast batch axes away; a 1-D operand is treated as a row (left) or column (right) vector.
    """
    if not isinstance(b, Tensor):
        b = Tensor(_const(np.asarray(b), a.data))
    ad, bd = a.data, b.data
    if ad.ndim == 0 or bd.ndim == 0:
        raise ShapeError(f"matmul needs tensors with at least one dimension, got {ad.shape} "
                         f"and {bd.shape}; use * to multiply by a scalar")
    try:
        out = ad @ bd
    except ValueError as exc:
        raise _matmul_error(ad, bd) from exc

    def backward(g):
        if ad.ndim == 1 and bd.ndim == 1:  # dot product: a scalar
            return (g * bd if a.requires_grad else None, g * ad if b.requires_grad else None)
        a2 = ad[None, :] if ad.ndim == 1 else ad
        b2 = bd[:, None] if bd.ndim == 1 else bd
        g2 = g
        if ad.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if bd.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        ga = gb = None
        if a.requires_grad:
            ga = g2 @ np.swapaxes(b2, -1, -2)
            ga = unbroadcast(ga, a2.shape).reshape(ad.shape) if ga.shape != ad.shape else ga
        if b.requires_grad:
            gb = np.swapaxes(a2, -1, -2) @ g2
            gb = unbroadcast(gb, b2.shape).reshape(bd.shape) if gb.shape != bd.shape else gb
        return ga, gb

    return result(out, (a, b), backward, "MmBackward")
