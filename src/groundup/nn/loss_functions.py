"""Loss functions, each one graph node with a fused, stable backward rule.

With ``n`` the number of averaged elements (``reduction="mean"``) and ``g`` the upstream
gradient (1 for a loss you call ``backward()`` on):

    cross_entropy (logits z (n, C), classes y):
        L = -(1/n) Σ_i log softmax(z_i)_{y_i}          dL/dz = (softmax(z) - onehot(y)) / n
        with label smoothing ε the target is q = (1-ε) onehot(y) + ε/C and dL/dz = (p - q) / n
    nll_loss (log-probabilities):          dL/dlogp_{i,y_i} = -1/n
    binary_cross_entropy (probabilities p, labels y):
        L = -(1/n) Σ y log p + (1-y) log(1-p)       dL/dp = (p - y) / (p (1-p)) / n
    binary_cross_entropy_with_logits (z):
        L = (1/n) Σ (1 - y) z + log(1 + e^{-z})                  dL/dz = (σ(z) - y) / n
    mse_loss: L = (1/n) Σ (a - b)²         dL/da = 2 (a - b) / n
"""

from __future__ import annotations

import warnings

import numpy as np

from groundup.autograd import Tensor
from groundup.autograd.sums import row_sums
from groundup.autograd.tensor import result
from groundup.checks import check_class_indices
from groundup.errors import DataError, ShapeError

_REDUCTIONS = ("mean", "sum", "none")


def _data(x) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


# ops that only move values: a softmax or sigmoid output seen through them is still one
_MOVES = frozenset({"ViewBackward", "PermuteBackward", "TransposeBackward", "IndexBackward",
                    "CloneBackward"})


def _made_by(t: Tensor, op: str) -> bool:
    """Whether ``t`` is the output of ``op``, looking back through reshapes, transposes and
    indexing (``model(x).view(-1)`` after a final Sigmoid still counts).

    Keyed on the recorded graph, never on the values: real logits may lie anywhere.
    """
    while t._op in _MOVES and t._parents:
        t = t._parents[0]
    return t._op == op


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.add.reduce(losses, None) / max(losses.size, 1)
    if reduction == "sum":
        return np.add.reduce(losses, None)
    if reduction == "none":
        return losses
    raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _scale(g: np.ndarray, reduction: str, n: int, ndim: int):
    """Upstream gradient per element: g/n for mean, g for sum (Python floats, which keep a
    float32 array float32), g broadcast for none."""
    if reduction == "mean":
        return g.item() / n
    if reduction == "sum":
        return g.item()
    if g.ndim < ndim:
        return g.reshape(g.shape + (1,) * (ndim - g.ndim))
    return g


def _class_targets(z: np.ndarray, target, fn: str) -> np.ndarray:
    """Check that ``target`` holds one integer class index per row of ``z``."""
    t = _data(target)
    if t.dtype.kind not in "iu":
        if t.shape == z.shape:
            fix = "pass the class indices: target.argmax(dim=1) (or y.argmax(axis=1))"
            what = "one-hot (or probability) rows"
        else:
            fix = "convert them: target.long() (or y.astype(np.int64))"
            what = f"{t.dtype} values"
        raise DataError(f"{fn} needs integer class indices of shape ({z.shape[0]},) as target, "
                        f"got {what} of shape {t.shape}; {fix}")
    if t.ndim == 2 and t.shape == z.shape:
        raise DataError(f"{fn} needs integer class indices of shape ({z.shape[0]},), got a "
                        f"one-hot matrix of shape {t.shape}; pass target.argmax(dim=1)")
    if t.shape != z.shape[:1]:
        raise ShapeError(f"{fn}: logits of shape {z.shape} need targets of shape "
                         f"({z.shape[0]},), one class index per row, got {t.shape}")
    check_class_indices(t, z.shape[1], fn)
    return t


def cross_entropy(input: Tensor, target, reduction: str = "mean",  # noqa: A002 - torch's name
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy from raw logits ``input`` (n, C) and class indices ``target`` (n,).

    Computed as ``log Σ_c e^{z_c - m} - (z_y - m)`` with ``m`` each row's maximum, as PyTorch
    does, so it never overflows. (Shifting by the batch's single largest logit would save a
    reduction, but rows far below it lose digits: the softmax of a row 20 below the top comes
    out ~10x less precise, enough to change a max-pooling winner some epochs later.)
    """
    z = input.data
    if z.ndim != 2:
        raise ShapeError(f"cross_entropy needs logits of shape (n, C), got {z.shape}; "
                         "for a single example use logits.view(1, -1)")
    t = _class_targets(z, target, "cross_entropy")
    n, C = z.shape
    if C > 1 and (_made_by(input, "SoftmaxBackward") or _sums_to_one(z)):
        warnings.warn(
            "cross_entropy received rows that already sum to 1: it looks like softmax was "
            "applied before the loss. cross_entropy applies log-softmax itself; pass the raw "
            "logits (remove the final Softmax layer)", UserWarning, stacklevel=2)
    # ufunc reductions called directly: the same maxima, minus a Python wrapper per call
    shifted = z - np.maximum.reduce(z, 1, keepdims=True)  # <= 0, row by row
    if not shifted.flags.c_contiguous:  # (logits seen through a transpose) for the flat picks
        shifted = np.ascontiguousarray(shifted)
    e = np.exp(shifted)
    s = row_sums(e)  # (n,)
    # z[i, t_i] as entry i C + t_i of the flat (C-ordered) array: the same values as
    # z[np.arange(n), t], a quarter of the time to read and to update on small batches
    picked = _row_starts(n, C) + t
    log_s = np.log(s)
    nll = log_s - shifted.ravel()[picked]  # -log softmax(z)_y = log Σ_c e^{z_c - m} - (z_y - m)
    eps = label_smoothing
    if eps:
        smooth = log_s - shifted.mean(axis=1)  # -(1/C) Σ_c log softmax(z)_c
        nll = (1 - eps) * nll + eps * smooth
    out = _reduce(nll, reduction)

    def backward(g):
        dz = e / s[:, None]  # softmax, from the forward's exponentials
        dz.ravel()[picked] -= 1 - eps
        if eps:
            dz -= eps / C
        dz *= _scale(g, reduction, n, 2)
        return (dz,)

    return result(out, (input,), backward, "CrossEntropyBackward")


_ROW_STARTS: dict = {}  # (n, C) -> [0, C, 2C, ..., (n-1) C], read-only


def _row_starts(n: int, C: int) -> np.ndarray:
    """Where each row of a C-ordered (n, C) array starts in the flat array (made once per shape:
    the batches of a run share it)."""
    starts = _ROW_STARTS.get((n, C))
    if starts is None:
        if len(_ROW_STARTS) > 32:
            _ROW_STARTS.clear()
        starts = np.arange(0, n * C, C)
        starts.flags.writeable = False
        _ROW_STARTS[n, C] = starts
    return starts


def _sums_to_one(z: np.ndarray) -> bool:
    """Whether every row of ``z`` looks like probabilities: no negative value, sums within 1e-3
    of 1."""
    return bool(z.size and np.minimum.reduce(z, None) >= 0
                and np.abs(z.sum(1) - 1).max() < 1e-3)


def nll_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:  # noqa: A002
    """NLL from log-probabilities ``input`` (n, C): ``-(1/n) Σ_i logp_{i,y_i}``."""
    logp = input.data
    t = _class_targets(logp, target, "nll_loss")
    rows = np.arange(logp.shape[0])
    out = _reduce(-logp[rows, t], reduction)

    def backward(g):
        grad = np.zeros_like(logp)
        grad[rows, t] = -1
        return (grad * _scale(g, reduction, logp.shape[0], 2),)

    return result(out, (input,), backward, "NllLossBackward")


def _binary_targets(x: np.ndarray, target, fn: str) -> np.ndarray:
    y = _data(target)
    if y.shape != x.shape:
        fix = ""
        if x.ndim == 2 and x.shape[1] == 1 and y.shape == x.shape[:1]:
            fix = " Reshape the labels: y.view(-1, 1)."
        raise ShapeError(f"{fn}: input of shape {x.shape} and target of shape {y.shape} must "
                         f"have the same shape (one 0/1 label per output).{fix}")
    return y if y.dtype == x.dtype else y.astype(x.dtype)


def _check_unit_interval(a: np.ndarray, fn: str, what: str) -> None:
    """Refuse values outside [0, 1] or NaN in ``input`` (probabilities) or ``target`` (labels),
    as torch does; the message names the likely cause."""
    if not a.size:
        return
    low, high = a.min(), a.max()
    if low >= 0 and high <= 1:  # False for NaN, which min and max propagate
        return
    if np.isnan(low):
        cause = ("the model's output diverged earlier (lower the learning rate)" if what ==
                 "input" else "fill or drop the missing labels")
        raise DataError(f"{fn}: the {what} contains NaN; {cause}")
    if what == "input":
        raise DataError(f"{fn} needs probabilities in [0, 1]; these look like logits: use "
                        "binary_cross_entropy_with_logits (or apply sigmoid)")
    raise DataError(f"{fn} needs targets in [0, 1] (0/1 labels or probabilities), got values "
                    f"in [{low:g}, {high:g}]; map the labels to 0 and 1 first, e.g. "
                    "(y == positive_label).float(), or (y + 1) / 2 for -1/+1 labels")


def binary_cross_entropy(input: Tensor, target, reduction: str = "mean") -> Tensor:  # noqa: A002
    """BCE from probabilities ``input`` in [0, 1]; logs are clipped at -100 as in PyTorch."""
    p = input.data
    y = _binary_targets(p, target, "binary_cross_entropy")
    _check_unit_interval(p, "binary_cross_entropy", "input")
    _check_unit_interval(y, "binary_cross_entropy", "target")
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100)
        log_1mp = np.maximum(np.log1p(-p), -100)
    out = _reduce(-(y * log_p + (1 - y) * log_1mp), reduction)

    def backward(g):
        denom = np.maximum((1 - p) * p, 1e-12)
        return ((p - y) / denom * _scale(g, reduction, p.size, p.ndim),)

    return result(out, (input,), backward, "BinaryCrossEntropyBackward")


def binary_cross_entropy_with_logits(input: Tensor, target, reduction: str = "mean",  # noqa: A002
                                     pos_weight=None) -> Tensor:
    """BCE from logits as PyTorch writes it: ``(1 - y) z + softplus(-z)``, stable for any z.

    ``softplus(-z) = log(1 + e^{-z}) = -log σ(z)`` comes from ``np.logaddexp(0, -z)``, which
    never overflows; backward reads ``σ(z) = e^{-softplus(-z)}`` from it, so
    ``dL/dz = σ(z) - y`` costs two operations more. With ``pos_weight`` w the positive term is
    weighted: ``(1-y) z + (1 + (w-1) y) softplus(-z)``, whose derivative is
    ``(1 + (w-1) y) σ(z) - w y``.
    """
    z = input.data
    y = _binary_targets(z, target, "binary_cross_entropy_with_logits")
    if _made_by(input, "SigmoidBackward"):
        warnings.warn(
            "binary_cross_entropy_with_logits received the output of a sigmoid (values in "
            "[0, 1]), so the sigmoid is applied twice and the loss barely moves. Pass the raw "
            "logits (remove the final Sigmoid), or use binary_cross_entropy on probabilities",
            UserWarning, stacklevel=2)
    softplus_neg = np.logaddexp(0, -z)  # -log σ(z) >= 0
    if pos_weight is None:
        losses = z - z * y + softplus_neg
    else:
        w = _data(pos_weight).astype(z.dtype, copy=False)
        log_weight = (w - 1) * y + 1
        losses = (1 - y) * z + log_weight * softplus_neg
    out = _reduce(losses, reduction)

    def backward(g):
        dz = np.exp(-softplus_neg)  # σ(z)
        if pos_weight is None:
            dz -= y
        else:
            dz = log_weight * dz - w * y
        dz *= _scale(g, reduction, z.size, z.ndim)
        return (dz,)

    return result(out, (input,), backward, "BinaryCrossEntropyWithLogitsBackward")


def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean squared error ``(1/n) Σ (input - target)²``; both may require gradients."""
    a = input.data
    target_t = target if isinstance(target, Tensor) else None
    b = _data(target).astype(a.dtype, copy=False)
    if a.shape != b.shape:
        raise ShapeError(f"mse_loss: input of shape {a.shape} and target of shape {b.shape} "
                         "differ; broadcasting would compare every prediction with every target. "
                         "Reshape one side (e.g. y.view(-1, 1)) so the shapes match")
    diff = a - b
    out = _reduce(diff * diff, reduction)

    def backward(g):
        ga = 2 * diff * _scale(g, reduction, a.size, a.ndim)
        if target_t is None:
            return (ga,)
        return ga, (-ga if target_t.requires_grad else None)

    parents = (input,) if target_t is None else (input, target_t)
    return result(out, parents, backward, "MseLossBackward")


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``Σ (x1 / max(|x1|, eps)) (x2 / max(|x2|, eps))`` along ``dim``, composed from primitives
    (so its gradient comes from theirs)."""
    n1 = (x1 * x1).sum(dim, keepdim=True).sqrt().clamp(min=eps)
    n2 = (x2 * x2).sum(dim, keepdim=True).sqrt().clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)
