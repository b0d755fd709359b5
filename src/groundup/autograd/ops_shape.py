"""Operations that move values without changing them: reshape / view, transpose, indexing,
split, cat / stack, where, masked_fill, clone.

Their gradients move ``g`` back the same way: reshape it to the input's shape, transpose it back,
scatter it into zeros at the indexed positions (adding where an index repeats), split it among
the concatenated inputs, or route it to the side ``where`` / ``masked_fill`` picked.
"""

from __future__ import annotations

import numpy as np

from groundup.autograd.function import unbroadcast
from groundup.autograd.tensor import Tensor, as_array, result
from groundup.errors import ShapeError


def reshape(a: Tensor, shape: tuple) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    in_shape = a.data.shape
    try:
        out = a.data.reshape(shape)
    except ValueError as exc:
        raise ShapeError(
            f"cannot view a tensor of shape {in_shape} ({a.data.size} values) as {shape}: the "
            "sizes must multiply to the same count (use -1 for the one size to infer)"
        ) from exc
    return result(out, (a,), lambda g: (g.reshape(in_shape),), "ViewBackward")


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    shape = a.data.shape
    if not shape:
        return reshape(a, (1,))
    start, end = start_dim % len(shape), end_dim % len(shape)
    return reshape(a, (*shape[:start], -1, *shape[end + 1:]))


def permute(a: Tensor, dims: tuple) -> Tensor:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    inverse = tuple(np.argsort(dims))
    out = a.data.transpose(dims)
    return result(out, (a,), lambda g: (g.transpose(inverse),), "PermuteBackward")


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    out = np.swapaxes(a.data, dim0, dim1)
    return result(out, (a,), lambda g: (np.swapaxes(g, dim0, dim1),), "TransposeBackward")


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    return reshape(a, np.expand_dims(a.data, dim).shape)


def squeeze(a: Tensor, dim=None) -> Tensor:
    if dim is not None and a.data.shape[dim] != 1:
        return a
    return reshape(a, np.squeeze(a.data, dim).shape)


def clone(a: Tensor) -> Tensor:
    return result(a.data.copy(), (a,), lambda g: (g,), "CloneBackward")


def _is_basic(index) -> bool:
    """True for slices / ints / None / Ellipsis, which select each element at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(i, (slice, int, type(None), type(Ellipsis))) and not isinstance(i, bool)
        for i in items
    )


def getitem(a: Tensor, index) -> Tensor:
    """``a[index]``: slices, integers, integer arrays (gathers) and boolean masks.

    Backward scatters ``g`` into zeros of ``a``'s shape; with integer arrays an index may repeat,
    so the scatter adds (``np.add.at``) instead of assigning.
    """
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, list):
        index = np.asarray(index)
    ad = a.data
    out = ad[index]
    basic = _is_basic(index)

    def backward(g):
        grad = np.zeros_like(ad)
        if basic:
            grad[index] = g
        else:
            np.add.at(grad, index, g)
        return (grad,)

    return result(out, (a,), backward, "IndexBackward")


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension; the gradient is split back at the seams."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat needs at least one tensor")
    arrays = [t.data for t in tensors]
    try:
        out = np.concatenate(arrays, axis=dim)
    except ValueError as exc:
        shapes = [x.shape for x in arrays]
        raise ShapeError(f"cat along dim {dim}: shapes {shapes} must agree in every other "
                         "dimension") from exc
    seams = np.cumsum([x.shape[dim] for x in arrays])[:-1]

    def backward(g):
        return tuple(np.split(g, seams, axis=dim))

    return result(out, tuple(tensors), backward, "CatBackward")


def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shape tensors along a new dimension ``dim``."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    arrays = [t.data for t in tensors]
    try:
        out = np.stack(arrays, axis=dim)
    except ValueError as exc:
        raise ShapeError(f"stack needs tensors of one shape, got {[x.shape for x in arrays]}"
                         ) from exc
    axis = dim % out.ndim

    def backward(g):
        return tuple(np.take(g, i, axis=axis) for i in range(len(arrays)))

    return result(out, tuple(tensors), backward, "StackBackward")


def where(condition, a, b) -> Tensor:
    """Pick ``a`` where ``condition`` holds, else ``b`` (broadcasting all three)."""
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition, dtype=bool)
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else None
    dtype = like.data.dtype if like is not None else None
    a = a if isinstance(a, Tensor) else Tensor(as_array(a, dtype))
    b = b if isinstance(b, Tensor) else Tensor(as_array(b, dtype))
    ad, bd = a.data, b.data
    out = np.where(cond, ad, bd)

    def backward(g):
        zero = np.zeros((), dtype=g.dtype)
        return (unbroadcast(np.where(cond, g, zero), ad.shape) if a.requires_grad else None,
                unbroadcast(np.where(cond, zero, g), bd.shape) if b.requires_grad else None)

    return result(out, (a, b), backward, "WhereBackward")


def split(a: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Cut ``a`` along ``dim`` into pieces of ``split_size`` (the last may be shorter) or of the
    listed sizes, as ``torch.split``; each piece is a slice, so its gradient lands in its part."""
    n = a.data.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split size must be positive, got {size}")
        sections = [min(size, n - i) for i in range(0, n, size)] or [0]
    else:
        sections = list(split_size_or_sections)
        if sum(sections) != n:
            raise ShapeError(f"split: sections {sections} add up to {sum(sections)}, but "
                             f"dimension {dim} has size {n}")
    axis = dim % a.data.ndim
    lead = (slice(None),) * axis
    starts = np.cumsum([0, *sections[:-1]])
    return tuple(getitem(a, (*lead, slice(int(i), int(i) + m)))
                 for i, m in zip(starts, sections, strict=True))


def masked_fill(a: Tensor, mask, value: float) -> Tensor:
    """``a`` with ``value`` wherever the boolean ``mask`` (broadcasting to ``a``) is True; the
    gradient passes only where it is False (filled positions no longer depend on ``a``)."""
    m = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if m.dtype != bool:
        raise ShapeError(f"masked_fill needs a boolean mask, got dtype {m.dtype}; compare first "
                         "(e.g. mask == 0)")
    ad = a.data
    try:
        out = np.where(m, ad.dtype.type(value), ad)
    except ValueError as exc:
        raise ShapeError(f"masked_fill: mask of shape {m.shape} does not broadcast to the "
                         f"tensor's {ad.shape}") from exc
    if out.shape != ad.shape:
        raise ShapeError(f"masked_fill: mask of shape {m.shape} would enlarge the tensor's "
                         f"shape {ad.shape} to {out.shape}")
    zero = ad.dtype.type(0)
    return result(out, (a,), lambda g: (np.where(m, zero, g),), "MaskedFillBackward")
