"""``groundup.nn.functional`` (import it as ``F``): stateless layers, activations and losses.

The activations come from :mod:`groundup.autograd.ops_activation`, convolution and pooling
(``conv2d``, ``max_pool2d``, ``avg_pool2d``) from :mod:`groundup.autograd.ops_conv`,
``layer_norm`` from :mod:`groundup.autograd.ops_norm`, ``scaled_dot_product_attention`` from
:mod:`groundup.autograd.ops_attention` and the losses from :mod:`groundup.nn.loss_functions`;
here live the ops that carry weights in as arguments: ``linear`` (one fused graph node),
``dropout``, ``embedding``.
"""

from __future__ import annotations

import numpy as np

from groundup.autograd import Tensor
from groundup.autograd.creation import default_generator
from groundup.autograd.function import grad_buffer
from groundup.autograd.ops_activation import (  # noqa: F401 - re-exported
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from groundup.autograd.ops_attention import scaled_dot_product_attention  # noqa: F401
from groundup.autograd.ops_conv import avg_pool2d, conv2d, max_pool2d  # noqa: F401 - re-exported
from groundup.autograd.ops_norm import layer_norm  # noqa: F401 - re-exported
from groundup.autograd.sums import column_sums
from groundup.autograd.tensor import DTypeError, result
from groundup.errors import GroundupError, ShapeError
from groundup.nn.loss_functions import (  # noqa: F401 - re-exported
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_similarity,
    cross_entropy,
    mse_loss,
    nll_loss,
)
from groundup.numerics import times_weight


def _dtype_error(x: np.ndarray, W: np.ndarray) -> DTypeError:
    fix = "x.float() / 255" if x.dtype == np.uint8 else f"x.to(groundup.{W.dtype})"
    return DTypeError(
        f"linear: the input is {x.dtype} but the weight is {W.dtype}; convert the input first "
        f"({fix}, or X.astype(np.{W.dtype}) for an array)"
    )


def _shape_error(x: np.ndarray, W: np.ndarray) -> ShapeError:
    features = x.shape[-1] if x.ndim else 0
    return ShapeError(
        f"linear: input of shape {x.shape} has {features} features but the layer expects "
        f"in_features={W.shape[1]} (weight of shape {W.shape}). Flatten images first "
        f"(x.view(-1, {W.shape[1]})) or build the layer with in_features={features}"
    )


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y = x Wᵀ + b`` as one graph node.

    ``x`` of shape (n, in) (or any (..., in)), ``weight`` (out, in), ``bias`` (out,); ``y`` of
    shape (n, out). With ``g = dL/dy``::

        dL/dx = g W          of shape (n, in)    (skipped when x needs no gradient: the input)
        dL/dW = gᵀ x         of shape (out, in)
        dL/db = Σ_rows g     of shape (out,)     (the product 1ᵀ g, see ``column_sums``)

    The products go through ``np.dot``, the same BLAS GEMM as ``@`` for 2-D arrays, called with
    less dispatch (a third less time at the layer sizes of the playground).
    """
    xd, W = x.data, weight.data
    if xd.dtype is not W.dtype and xd.dtype != W.dtype:  # (dtypes are mostly one object)
        raise _dtype_error(xd, W)
    batched = xd.ndim == 2  # (n, in), the usual case
    if batched:
        x2 = xd
    elif xd.ndim:
        x2 = xd.reshape(-1, xd.shape[-1])  # (..., in): one GEMM for all rows
    else:
        raise _shape_error(xd, W)
    try:
        out = np.dot(x2, W.T)
    except ValueError as exc:
        raise _shape_error(xd, W) from exc
    if bias is not None:
        out += bias.data
    if not batched:
        out = out.reshape(*xd.shape[:-1], W.shape[0])

    def backward(g):
        g2 = g if batched else g.reshape(-1, g.shape[-1])  # (n, out), n = all leading axes
        gx = None
        if x.requires_grad:
            gx = times_weight(g2, W)
            if not batched:
                gx = gx.reshape(xd.shape)
        # the parameters' gradients straight into their homes, if a flat optimizer gave them
        gW = np.dot(g2.T, x2, grad_buffer(weight, g2.dtype)) if weight.requires_grad else None
        if bias is None:
            return gx, gW
        gb = column_sums(g2, out=grad_buffer(bias, g2.dtype)) if bias.requires_grad else None
        return gx, gW, gb

    parents = (x, weight) if bias is None else (x, weight, bias)
    return result(out, parents, backward, "AddmmBackward")


def dropout(x: Tensor, p: float = 0.5, training: bool = True, generator=None) -> Tensor:
    """Zero each value with probability ``p`` and scale the rest by 1/(1-p) (identity in eval)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    rng = generator if generator is not None else default_generator()
    if p == 1.0:
        mask = np.zeros(x.data.shape, dtype=x.data.dtype)
    else:
        keep = rng.random(x.data.shape) >= p
        mask = keep.astype(x.data.dtype) / x.data.dtype.type(1.0 - p)
    return result(x.data * mask, (x,), lambda g: (g * mask,), "DropoutBackward")


def embedding(indices, weight: Tensor) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by integer ``indices`` of any shape.

    Backward adds ``g`` into the picked rows (repeated indices add up).
    """
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        raise GroundupError(f"embedding needs integer indices, got dtype {idx.dtype}; "
                            "convert with .long()")
    W = weight.data
    if idx.size and (idx.min() < 0 or idx.max() >= W.shape[0]):
        raise GroundupError(f"embedding index out of range: indices must lie in "
                            f"[0, {W.shape[0] - 1}], got [{idx.min()}, {idx.max()}]")

    def backward(g):
        grad = np.zeros_like(W)
        np.add.at(grad, idx, g)
        return (grad,)

    return result(W[idx], (weight,), backward, "EmbeddingBackward")


def flatten(x: Tensor, start_dim: int = 1, end_dim: int = -1) -> Tensor:
    """Collapse dims ``start_dim..end_dim`` into one: (n, 1, 28, 28) -> (n, 784)."""
    return x.flatten(start_dim, end_dim)
