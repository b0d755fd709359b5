"""Numerically stable building blocks: sigmoid, softmax, losses from logits, activations.

Every function takes an array ``z`` of any shape and returns an array of the same shape (reductions
drop ``axis``). Floating inputs keep their dtype (float32 in, float32 out); integer inputs are
promoted to float64. Nothing here overflows: the tests feed ``z = ±1000`` and require finite
results and no warnings.

The two tricks used throughout:

* **two branches for exp**: ``exp(-|z|)`` is always in (0, 1], so
  ``sigmoid(z) = 1 / (1 + exp(-z))`` for z >= 0 and ``exp(z) / (1 + exp(z))`` for z < 0 never
  overflow, and ``log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|))``.
* **subtract the max**: ``softmax(z) = softmax(z - max(z))``, so the largest exponent is exp(0) = 1.

Activation derivatives follow PyTorch's subgradient choices at ties: relu'(0) = 0 and
leaky_relu'(0) = slope (both use the strict test ``z > 0``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from groundup.errors import GroundupError

_SQRT_1_2 = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_GELU_KAPPA = 0.044715


def _float_array(z) -> np.ndarray:
    """View ``z`` as a floating array; integers and bools become float64."""
    z = np.asarray(z)
    if z.dtype.kind != "f":  # np.issubdtype says the same, in ~1 us a call
        z = z.astype(np.float64)
    return z


# --------------------------------------------------------------------------- sigmoid family


def sigmoid(z) -> np.ndarray:
    """Logistic function ``σ(z) = 1 / (1 + e^{-z})`` without overflow.

    With ``e = exp(-|z|)`` in (0, 1]: ``σ(z) = 1 / (1 + e)`` for z >= 0 and ``e / (1 + e)`` for
    z < 0. Derivative: ``σ'(z) = σ(z)(1 - σ(z))``.
    """
    z = _float_array(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1, e) / (1 + e)


def softplus(z) -> np.ndarray:
    """``softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^{-|z|})``; its derivative is σ(z)."""
    z = _float_array(z)
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def log_sigmoid(z) -> np.ndarray:
    """``log σ(z) = -softplus(-z) = min(z, 0) - log1p(e^{-|z|})``; derivative ``1 - σ(z)``."""
    z = _float_array(z)
    return np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))


def bce_with_logits(z, y) -> np.ndarray:
    """Binary cross-entropy of labels ``y`` in [0, 1] under ``p = σ(z)``, elementwise, from logits.

    ``-[y log σ(z) + (1 - y) log(1 - σ(z))] = max(z, 0) - z y + log1p(e^{-|z|})``

    Gradient with respect to the logit: ``dL/dz = σ(z) - y`` (the cancellation the primer derives).
    Average it over the batch yourself; this function does not reduce.
    """
    z = _float_array(z)
    y = np.asarray(y, dtype=z.dtype)
    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))


# --------------------------------------------------------------------------- softmax family


def logsumexp(z, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """``log Σ_j e^{z_j}`` along ``axis``, computed as ``m + log Σ_j e^{z_j - m}`` with m = max z.

    Rows that are entirely ``-inf`` give ``-inf`` (no NaN).
    """
    z = _float_array(z)
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # all -inf row: shift by 0, log(0) = -inf below
    with np.errstate(divide="ignore"):
        out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(z, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    """``softmax(z / T)_i = e^{(z_i - m)/T} / Σ_j e^{(z_j - m)/T}`` along ``axis``, m = max z.

    A temperature T > 1 flattens the distribution, T < 1 sharpens it (T -> 0 approaches argmax).
    Jacobian: ``∂p_i/∂z_j = p_i (δ_ij - p_j) / T``.
    """
    z = _float_array(z)
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if temperature != 1.0:
        z = z / np.asarray(temperature, dtype=z.dtype)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis: int = -1) -> np.ndarray:
    """``log softmax(z)_i = z_i - logsumexp(z)`` along ``axis``; exact where softmax underflows."""
    z = _float_array(z)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def cross_entropy(logits, y, axis: int = -1) -> np.ndarray:
    """Per-example cross-entropy ``-log softmax(z)_{y}`` for integer class labels ``y``.

    ``logits`` of shape (m, C) and ``y`` of shape (m,) give a result of shape (m,). Gradient with
    respect to the logits: ``softmax(z) - onehot(y)``. Not reduced over the batch.
    """
    logp = log_softmax(logits, axis=axis)
    y = np.asarray(y)
    return -np.take_along_axis(logp, np.expand_dims(y, axis), axis=axis).squeeze(axis)


# --------------------------------------------------------------------------- erf (for GELU)


def erf(x) -> np.ndarray:
    """The error function ``erf(x) = 2/√π ∫_0^x e^{-t²} dt``, elementwise.

    NumPy has no erf, and groundup does not need SciPy at run time, so it is built here, in two
    precisions:

    * **float64** (and integers), accurate to a few ulps, from two classical expansions that
      need no tables: for ``|x| < 2.5`` the all-positive series
      ``erf(x) = 2/√π e^{-x²} Σ_{n>=0} 2^n x^{2n+1} / (1·3·5···(2n+1))`` (no cancellation), and
      for ``|x| >= 2.5`` ``erf(x) = sign(x) (1 - erfc(|x|))`` with the continued fraction
      ``erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + ...))))``;
    * **float32** (and float16), within 8 float32 ulps (4e-7), about 100 times faster: one
      rational function ``erf(x) ≈ x P(x²) / Q(x²)`` on ``x`` clipped to [-4, 4] (beyond, erf
      rounds to ±1 in float32), P of degree 6 and Q of degree 4, evaluated by Horner's rule in
      float32. This is the form PyTorch's and Eigen's vectorised float32 kernels use; the
      coefficients were fitted here, by weighted least squares on the relative error of
      erf(x)/x at 8,000 points of [0, 4] (Sanathanan-Koerner iterations with Lawson's
      re-weighting towards the minimax fit); the float64 fit errs by at most 6.6e-8.

    The dtype of a floating input is kept.
    """
    x = _float_array(x)
    if x.dtype.itemsize <= 4:
        return _erf_float32(x).astype(x.dtype, copy=False)
    dtype = x.dtype
    a = np.abs(x.astype(np.float64))
    out = np.empty_like(a)
    small = a < 2.5
    s = a[small]
    if s.size:
        two_x2 = 2.0 * s * s
        term = s.copy()
        total = s.copy()
        for n in range(1, 80):  # at |x| = 2.5 the terms fall below 1e-17 of the sum by n ≈ 70
            term *= two_x2 / (2 * n + 1)
            total += term
        out[small] = _TWO_OVER_SQRT_PI * np.exp(-s * s) * total
    big = ~small
    t = a[big]
    if t.size:
        frac = t.copy()
        for k in range(60, 0, -1):  # evaluate the continued fraction from its tail inwards
            frac = t + (k / 2.0) / frac
        out[big] = 1.0 - np.exp(-t * t) / (math.sqrt(math.pi) * frac)
    return (np.sign(x) * out).astype(dtype, copy=False)


# erf(x) ≈ x P(x²) / Q(x²) on [-4, 4]: coefficients of x^0, x^2, x^4, ... (see erf's docstring)
_ERF_P = np.array([1.1283790945521164, 0.207121507499551, 0.05152447266980389,
                   0.003990386136012715, 0.00014727934402300317, -1.9422411868842693e-06,
                   1.9110270865763113e-08], dtype=np.float32)
_ERF_Q = np.array([1.0, 0.5168879111520812, 0.11796926089552476, 0.014957765169547155,
                   0.0010210571671144648], dtype=np.float32)


def _erf_float32(x: np.ndarray) -> np.ndarray:
    """The float32 rational erf, Horner's rule in place (each step reuses its buffer)."""
    shape = np.shape(x)
    x = np.clip(np.reshape(x, -1), -4.0, 4.0, dtype=np.float32)  # 1-D: in-place ops need arrays
    t = x * x
    p = t * _ERF_P[-1]
    for c in _ERF_P[-2:0:-1]:
        p += c
        p *= t
    p += _ERF_P[0]
    p *= x
    q = t * _ERF_Q[-1]
    for c in _ERF_Q[-2:0:-1]:
        q += c
        q *= t
    q += _ERF_Q[0]
    p /= q
    return np.clip(p, -1.0, 1.0, out=p).reshape(shape)  # the fit reaches 1 + 1 ulp near 4


# --------------------------------------------------------------------------- activations


def relu(z) -> np.ndarray:
    """``relu(z) = max(z, 0)``."""
    z = _float_array(z)
    return np.maximum(z, 0)


def relu_grad(z) -> np.ndarray:
    """``relu'(z) = 1 if z > 0 else 0`` (0 at z = 0, as PyTorch)."""
    z = _float_array(z)
    return (z > 0).astype(z.dtype)


def relu_chain(g: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``g · relu'(z)``, the chain rule through a ReLU, without making relu' an array of floats:
    g times the mask z > 0 (the same numbers, one pass fewer)."""
    return np.multiply(g, z > 0)


def leaky_relu(z, negative_slope: float = 0.01) -> np.ndarray:
    """``leaky_relu(z) = z if z > 0 else slope · z`` (PyTorch's default slope 0.01)."""
    z = _float_array(z)
    return np.where(z > 0, z, z * np.asarray(negative_slope, dtype=z.dtype))


def leaky_relu_grad(z, negative_slope: float = 0.01) -> np.ndarray:
    """``leaky_relu'(z) = 1 if z > 0 else slope`` (slope at z = 0, as PyTorch)."""
    z = _float_array(z)
    return np.where(z > 0, 1, np.asarray(negative_slope, dtype=z.dtype)).astype(z.dtype)


def tanh(z) -> np.ndarray:
    """``tanh(z) = (e^z - e^{-z}) / (e^z + e^{-z})`` (NumPy's tanh never overflows)."""
    return np.tanh(_float_array(z))


def tanh_grad(z) -> np.ndarray:
    """``tanh'(z) = 1 - tanh(z)²``."""
    t = np.tanh(_float_array(z))
    return 1 - t * t


def sigmoid_grad(z) -> np.ndarray:
    """``σ'(z) = σ(z)(1 - σ(z))``."""
    s = sigmoid(z)
    return s * (1 - s)


def gelu(z, approximate: str = "none") -> np.ndarray:
    """Gaussian error linear unit ``gelu(z) = z Φ(z)``, Φ the standard normal CDF.

    ``approximate="none"``: ``Φ(z) = (1 + erf(z/√2)) / 2`` (exact).
    ``approximate="tanh"``: ``gelu(z) ≈ z/2 · (1 + tanh(√(2/π)(z + 0.044715 z³)))``.
    Both written in the same order of operations as PyTorch's kernels.
    """
    z = _float_array(z)
    if approximate == "none":
        return z * 0.5 * (1 + erf(z * _SQRT_1_2))
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (z + _GELU_KAPPA * (z * z * z))
        return 0.5 * z * (1 + np.tanh(inner))
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")


def gelu_grad(z, approximate: str = "none") -> np.ndarray:
    """Derivative of :func:`gelu`.

    Exact: ``gelu'(z) = Φ(z) + z φ(z)`` with ``φ(z) = e^{-z²/2} / √(2π)``.
    Tanh form, with ``u = √(2/π)(z + κ z³)`` and ``t = tanh(u)``:
    ``(1 + t)/2 + z/2 · (1 - t²) · √(2/π)(1 + 3κ z²)``.
    """
    z = _float_array(z)
    if approximate == "none":
        cdf = 0.5 * (1 + erf(z * _SQRT_1_2))
        pdf = np.exp(-0.5 * z * z) * _INV_SQRT_2PI
        return cdf + z * pdf
    if approximate == "tanh":
        z2 = z * z
        t = np.tanh(_SQRT_2_OVER_PI * (z + _GELU_KAPPA * z2 * z))
        du = _SQRT_2_OVER_PI * (1 + 3 * _GELU_KAPPA * z2)
        return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * du
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")


def times_weight(g: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``g W`` for g (n, out) and a weight W (out, in): a linear layer's input gradient. With one
    output it is an outer product, each entry one rounded product, computed as a broadcast
    (BLAS's GEMM with an inner size of 1 is three times slower; the numbers are the same)."""
    return g * W if W.shape[0] == 1 else np.dot(g, W)


def identity(z) -> np.ndarray:
    """``f(z) = z``: no non-linearity (TensorFlow Playground's "Linear"). A network of such
    layers is one affine map, however deep: ``W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂)``."""
    return _float_array(z)


def identity_grad(z) -> np.ndarray:
    """Derivative of :func:`identity`: 1 everywhere."""
    return np.ones_like(_float_array(z))


class Activation(NamedTuple):
    """An activation ``f`` with its derivative ``df``, both elementwise on the pre-activation z,
    ``module``, the name of PyTorch's (and ``groundup.nn``'s) layer that applies it, and
    ``chain(g, z) = g · df(z)`` where a quicker form than the product exists (None: use it)."""

    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    module: str
    chain: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None


#: The one table of activations: the hand-derived engine uses ``f`` and ``df``, the autograd and
#: torch engines the layer named ``module``; ``--activation`` offers its keys.
ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(relu, relu_grad, "ReLU", relu_chain),
    "leaky_relu": Activation(leaky_relu, leaky_relu_grad, "LeakyReLU"),
    "tanh": Activation(tanh, tanh_grad, "Tanh"),
    "sigmoid": Activation(sigmoid, sigmoid_grad, "Sigmoid"),
    "gelu": Activation(gelu, gelu_grad, "GELU"),
    "linear": Activation(identity, identity_grad, "Identity"),
}


def get_activation(name: str) -> Activation:
    """Look up an activation by name, with an error that lists the valid names."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        valid = ", ".join(sorted(ACTIVATIONS))
        raise GroundupError(f"unknown activation {name!r}; choose one of: {valid}") from None
