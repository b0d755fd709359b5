"""``Tensor``: an ndarray that remembers how it was made, so gradients can flow back through it.

A tensor holds

* ``data``: the NumPy array (float32 unless asked otherwise);
* ``requires_grad``: whether gradients should be computed for it;
* ``grad``: after ``loss.backward()``, the array dL/d(tensor) of the same shape (leaves only);
* ``_parents`` / ``_backward``: for a tensor made by an operation, its inputs and the local
  derivative rule (see :mod:`groundup.autograd.function`).

The operations themselves live in the ``ops_*`` modules beside this one, grouped by kind; the
methods here only dispatch to them, so ``a + b``, ``a.sum(dim=0)`` and ``x.view(-1, 784)`` read
as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from groundup.autograd.function import run_backward
from groundup.autograd.grad_mode import MODE
from groundup.errors import GroundupError, ShapeError

_new = object.__new__


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Parameters
    ----------
    data : array_like
        Values. Python floats become float32 (PyTorch's default dtype), Python ints int64;
        NumPy arrays keep their dtype and are not copied.
    requires_grad : bool
        Record operations on this tensor so that ``backward()`` fills its ``grad``.
    dtype : numpy dtype, optional
        Convert ``data`` to this dtype.
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "_op", "_spent",
                 "label", "__weakref__")
    __array_ufunc__ = None  # make ``ndarray + Tensor`` call Tensor.__radd__, not NumPy
    # where backward may write this leaf's gradient in place (a Parameter of a flat optimizer,
    # see groundup.optim.flat); a class default, so only Parameter pays a slot for it
    _grad_home = None

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = as_array(data, dtype)
        if requires_grad:
            _check_floating(self.data)
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._parents = ()
        self._backward = None
        self._op = None
        self._spent = False
        self.label = None

    # ------------------------------------------------------------------ basic facts
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by an operation that is being recorded)."""
        return self._backward is None

    def size(self, dim: int | None = None):
        """The shape, or its length along ``dim`` (PyTorch's ``size``)."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        return len(self.data)

    def item(self):
        """The single value as a Python number."""
        if self.data.size != 1:
            raise ShapeError(
                f"item() needs a tensor with one element, this one has shape {self.shape}; "
                "reduce it first (e.g. .sum() or .mean()) or index one element"
            )
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied: changing one changes the other)."""
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        return bool(self.item())

    __hash__ = object.__hash__  # tensors hash by identity (== is elementwise)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", precision=4, prefix="tensor(")
        extras = []
        if self.data.dtype != np.float32 and self.data.dtype != np.int64:
            extras.append(f"dtype={self.data.dtype}")
        if self._op is not None and self.requires_grad:
            extras.append(f"grad_fn=<{self._op}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires a gradient; add it to ``leaf.grad``.

        ``self`` is usually the scalar loss. For a non-scalar tensor pass ``gradient``, the
        array dL/d(self) of the same shape (the "vector" in the vector-Jacobian product).
        As in PyTorch, a graph is backpropagated once: a second ``backward()`` through any part
        of it raises unless the first one was given ``retain_graph=True``.
        """
        if not self.requires_grad:
            raise GroundupError(
                "backward() called on a tensor that does not require grad: nothing it depends on "
                "has requires_grad=True, or it was computed inside no_grad(). Create the inputs "
                "or parameters with requires_grad=True (nn.Parameter does this)."
            )
        if gradient is None:
            if self.data.size != 1:
                raise ShapeError(
                    f"backward() without a gradient needs a scalar (one-element) tensor, but "
                    f"this one has shape {self.shape}. Reduce it to a scalar loss first "
                    "(e.g. loss.mean().backward()), or pass dL/d(output) of the same shape: "
                    "out.backward(gradient=groundup.ones_like(out))"
                )
            seed = _ones_like(self.data)  # dL/dL = 1
        else:
            seed = np.array(getattr(gradient, "data", gradient), dtype=self.data.dtype)
            if seed.shape != self.data.shape:
                raise ShapeError(
                    f"backward(gradient) needs a gradient of the tensor's shape {self.shape}, "
                    f"got {seed.shape}"
                )
        run_backward(self, seed, retain_graph)

    def detach(self) -> Tensor:
        """A new tensor sharing ``data`` but cut from the graph (no gradient flows through it)."""
        return Tensor(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad:
            _check_floating(self.data)
        self.requires_grad = bool(requires_grad)
        return self

    def zero_(self) -> Tensor:
        self.data[...] = 0
        return self

    def clone(self) -> Tensor:
        return _shape.clone(self)

    def contiguous(self) -> Tensor:
        """``self``: NumPy's reshape copies when it must, so no layout bookkeeping is needed
        (kept so PyTorch code such as ``y.transpose(1, 2).contiguous().view(B, T, C)`` runs)."""
        return self

    def to(self, dtype) -> Tensor:
        return _unary.cast(self, dtype)

    def float(self) -> Tensor:
        return _unary.cast(self, np.float32)

    def double(self) -> Tensor:
        return _unary.cast(self, np.float64)

    def long(self) -> Tensor:
        return _unary.cast(self, np.int64)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other):
        return _arith.add(self, other)

    __radd__ = __add__

    def __sub__(self, other):
        return _arith.sub(self, other)

    def __rsub__(self, other):
        return _arith.rsub(self, other)

    def __mul__(self, other):
        return _arith.mul(self, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return _arith.div(self, other)

    def __rtruediv__(self, other):
        return _arith.rdiv(self, other)

    def __neg__(self):
        return _arith.neg(self)

    def __pow__(self, exponent):
        return _arith.pow(self, exponent)

    def __rpow__(self, base):
        return _arith.rpow(self, base)

    def __matmul__(self, other):
        return _arith.matmul(self, other)

    def __rmatmul__(self, other):
        return _arith.matmul(Tensor(as_array(other, self.data.dtype)), self)

    # comparisons give boolean tensors that carry no gradient
    def __lt__(self, other):
        return Tensor(self.data < _value(other))

    def __le__(self, other):
        return Tensor(self.data <= _value(other))

    def __gt__(self, other):
        return Tensor(self.data > _value(other))

    def __ge__(self, other):
        return Tensor(self.data >= _value(other))

    def __eq__(self, other):
        return Tensor(self.data == _value(other))

    def __ne__(self, other):
        return Tensor(self.data != _value(other))

    # integer and boolean arithmetic: no gradient
    def __mod__(self, other):
        return Tensor(self.data % _value(other))

    def __floordiv__(self, other):
        return Tensor(self.data // _value(other))

    def __and__(self, other):
        return Tensor(self.data & _value(other))

    def __or__(self, other):
        return Tensor(self.data | _value(other))

    def __invert__(self):
        return Tensor(~self.data)

    # ------------------------------------------------------------------ elementwise functions
    def exp(self):
        return _unary.exp(self)

    def log(self):
        return _unary.log(self)

    def sqrt(self):
        return _unary.sqrt(self)

    def abs(self):
        return _unary.abs(self)

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        return _unary.clamp(self, min, max)

    def pow(self, exponent):
        return _arith.pow(self, exponent)

    def relu(self):
        return _act.relu(self)

    def sigmoid(self):
        return _act.sigmoid(self)

    def tanh(self):
        return _act.tanh(self)

    def softmax(self, dim: int = -1):
        return _act.softmax(self, dim)

    def log_softmax(self, dim: int = -1):
        return _act.log_softmax(self, dim)

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim: bool = False):
        return _reduce.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim: bool = False):
        return _reduce.mean(self, dim, keepdim)

    def max(self, dim=None, keepdim: bool = False):
        return _reduce.max(self, dim, keepdim)

    def min(self, dim=None, keepdim: bool = False):
        return _reduce.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim: bool = False):
        return _reduce.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim: bool = False):
        return _reduce.argmin(self, dim, keepdim)

    # ------------------------------------------------------------------ shapes
    def reshape(self, *shape):
        return _shape.reshape(self, shape)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        return _shape.flatten(self, start_dim, end_dim)

    def transpose(self, dim0: int, dim1: int):
        return _shape.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return _shape.permute(self, dims)

    @property
    def T(self):  # noqa: N802 - PyTorch's name
        return _shape.permute(self, tuple(range(self.data.ndim - 1, -1, -1)))

    def unsqueeze(self, dim: int):
        return _shape.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return _shape.squeeze(self, dim)

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        return _shape.split(self, split_size_or_sections, dim)

    def masked_fill(self, mask, value: float):
        return _shape.masked_fill(self, mask, value)

    def __getitem__(self, index):
        return _shape.getitem(self, index)


class DTypeError(GroundupError, TypeError):
    """Values that are not numbers, or two dtypes that cannot be combined without a silent
    conversion."""


_NUMBER_KINDS = frozenset("biufc")  # bool, signed and unsigned int, float, complex


def as_array(data, dtype=None) -> np.ndarray:
    """``data`` as an ndarray: float32 for Python floats, int64 for ints, arrays unchanged.

    Refuses what PyTorch refuses: strings, ``None`` and other objects (:class:`DTypeError`, a
    ``TypeError``) and ragged nested lists (:class:`ShapeError`, a ``ValueError``). The kind is
    checked before any ``dtype`` conversion, so ``"1.5"`` or ``None`` never becomes 1.5 or NaN.
    """
    if isinstance(data, np.ndarray):
        _check_numbers(data)
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    try:
        arr = np.asarray(data)
    except ValueError:  # NumPy's "inhomogeneous shape": a ragged nested list
        raise ShapeError(
            "tensor data must be rectangular, but the rows of this nested list differ in "
            "length; pad them to one length, or keep the examples in separate tensors"
        ) from None
    _check_numbers(arr)
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if arr.dtype == np.float64 and not isinstance(data, np.generic):
        arr = arr.astype(np.float32)
    return arr


# what each non-number dtype kind holds, and how to turn it into numbers
_NOT_NUMBERS = {
    "U": ("text (strings)", "numbers written as text with np.asarray(data, dtype=float), "
          "category labels with a LabelEncoder"),
    "S": ("bytes", "decode them, then np.asarray(data, dtype=float)"),
    "O": ("Python objects: None or a mix of numbers and other things",
          "drop or fill the missing values (None) and make every entry a number"),
    "M": ("dates", "use numbers, e.g. (dates - dates.min()) / np.timedelta64(1, 'D')"),
    "m": ("time spans", "use numbers, e.g. spans / np.timedelta64(1, 's')"),
}


def _check_numbers(arr: np.ndarray) -> None:
    if arr.dtype.kind in _NUMBER_KINDS:
        return
    what, fix = _NOT_NUMBERS.get(arr.dtype.kind, ("structured records", "take one numeric "
                                                   "field at a time"))
    raise DTypeError(f"a tensor holds numbers (bool, int, float or complex), but this data is "
                     f"{what} (dtype {arr.dtype}); convert it first: {fix}")


def _check_floating(data: np.ndarray) -> None:
    if data.dtype.kind not in "fc":
        raise GroundupError(
            f"only floating tensors can require gradients, got dtype {data.dtype}; create it "
            "with dtype=groundup.float32 (e.g. groundup.tensor([1, 2], dtype=groundup.float32, "
            "requires_grad=True)) or convert it with .float()"
        )


_ONES: dict = {}  # dtype -> a read-only 0-d array holding 1: the seed of every scalar loss


def _ones_like(data) -> np.ndarray:
    """Ones of ``data``'s shape and dtype; for a 0-d ``data`` (a scalar loss) one shared,
    read-only array (ops never write into a gradient, and ``backward`` copies a read-only
    array before keeping it as a ``.grad``)."""
    if data.shape:
        return np.ones(data.shape, data.dtype)
    one = _ONES.get(data.dtype)
    if one is None:
        one = _ONES[data.dtype] = np.ones((), data.dtype)
        one.flags.writeable = False
    return one


def _value(x):
    return x.data if isinstance(x, Tensor) else x


def result(data: np.ndarray, parents: tuple, backward, op: str) -> Tensor:
    """Wrap an op's output; record ``parents`` and ``backward`` only if a gradient can flow.

    This is the one place a graph node is made, kept tiny because every op calls it.
    """
    out = _new(Tensor)
    out.data = data
    out.grad = None
    out.label = None
    out._op = op
    out._spent = False
    if MODE.enabled:
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out._parents = parents
                out._backward = backward
                return out
    out.requires_grad = False
    out._parents = ()
    out._backward = None
    return out


# The ops import Tensor and result from this module, so they are imported after both exist.
from groundup.autograd import ops_activation as _act  # noqa: E402
from groundup.autograd import ops_arith as _arith  # noqa: E402
from groundup.autograd import ops_reduce as _reduce  # noqa: E402
from groundup.autograd import ops_shape as _shape  # noqa: E402
from groundup.autograd import ops_unary as _unary  # noqa: E402
