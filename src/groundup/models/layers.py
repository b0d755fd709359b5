"""Layer specs: what a layer is, never how it is computed.

A spec is a small frozen record (``Linear(784, 128)``, ``Activation("relu")``, ``Flatten()``,
``Dropout(0.5)``, ``Conv2d(1, 16, 3, padding=1)``, ``MaxPool2d(2)``, ``AvgPool2d(2)``) that
knows

* its **kind**, the key of a row in every engine's table (scratch: a hand-derived layer,
  autograd: a ``groundup.nn`` module, torch: a ``torch.nn`` module);
* its **parameters' names and shapes**, PyTorch's: ``Linear(n_in, n_out)`` has ``weight`` of
  shape (n_out, n_in) and ``bias`` of shape (n_out,);
* the **shape it outputs** for one example's input shape (a mismatch is a clear error);
* its **initialisation**, PyTorch's default, drawn with a NumPy generator so every engine
  starts from the same numbers.

Shapes here are per example (no batch dimension): ``(784,)`` for a flattened image, ``(C, H, W)``
for an image with its channels. Kernels, strides and paddings are one int (square windows).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from numbers import Integral
from typing import ClassVar

import numpy as np

from groundup import checks
from groundup.errors import GroundupError
from groundup.im2col import output_size
from groundup.numerics import ACTIVATIONS

__all__ = [
    "LAYERS",
    "Activation",
    "AvgPool2d",
    "Conv2d",
    "Dropout",
    "Flatten",
    "Layer",
    "Linear",
    "MaxPool2d",
    "dropout_rng",
    "layer_from_dict",
    "uniform",
]

#: Values drawn per call when filling a parameter: float64 draws for a float32 array are made a
#: chunk at a time, so a model never holds a float64 copy of itself.
_CHUNK = 1 << 20


def uniform(rng: np.random.Generator, bound: float, shape: tuple[int, ...], dtype) -> np.ndarray:
    """``U(-bound, bound)`` of ``shape``, stored in ``dtype``.

    The numbers are those of ``rng.uniform(-bound, bound, size=shape).astype(dtype)`` (PyTorch's
    defaults in float64, rounded once), drawn a chunk at a time straight into the ``dtype`` array.
    """
    out = np.empty(shape, dtype=dtype)
    flat = out.reshape(-1)
    for start in range(0, flat.size, _CHUNK):
        stop = min(start + _CHUNK, flat.size)
        flat[start:stop] = rng.uniform(-bound, bound, size=stop - start)
    return out


def _check_sizes(layer, *sizes) -> None:
    """Refuse a layer whose sizes are not positive integers (a typo would otherwise surface as a
    NumPy error deep inside an engine)."""
    if not all(isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in sizes):
        raise GroundupError(f"layer sizes must be positive integers, got {layer!r}")


class Layer:
    """Base of the layer specs; a layer without parameters keeps the defaults."""

    kind: ClassVar[str] = ""

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """``{name: shape}`` of the layer's parameters, in PyTorch's order."""
        return {}

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of one example's output for an input of ``shape``."""
        return shape

    def init(self, rng: np.random.Generator, dtype) -> dict[str, np.ndarray]:
        """PyTorch's default initial parameters, drawn from ``rng``."""
        return {}

    def to_dict(self) -> dict:
        """``{"kind": ..., **fields}`` (JSON-able; :func:`layer_from_dict` reads it back)."""
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class Linear(Layer):
    """``y = x Wᵀ + b``: W of shape (out_features, in_features), b of shape (out_features,).

    PyTorch's initialisation, ``kaiming_uniform_(W, a=√5)``, reduces to
    ``W, b ~ U(-1/√in, 1/√in)``; W is drawn before b.
    """

    in_features: int
    out_features: int
    kind: ClassVar[str] = "linear"

    def __post_init__(self):
        _check_sizes(self, self.in_features, self.out_features)

    def parameter_shapes(self):
        return {"weight": (self.out_features, self.in_features), "bias": (self.out_features,)}

    def output_shape(self, shape):
        if tuple(shape) != (self.in_features,):
            raise GroundupError(
                f"{self} takes {self.in_features} features per example but receives shape "
                f"{tuple(shape)}; put a Flatten() before it or change in_features"
            )
        return (self.out_features,)

    def init(self, rng, dtype):
        bound = 1.0 / math.sqrt(self.in_features)
        W = uniform(rng, bound, (self.out_features, self.in_features), dtype)
        b = uniform(rng, bound, (self.out_features,), dtype)
        return {"weight": W, "bias": b}

    def __str__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features})"


@dataclass(frozen=True)
class Activation(Layer):
    """An elementwise non-linearity, one of :data:`groundup.numerics.ACTIVATIONS`."""

    name: str
    kind: ClassVar[str] = "activation"

    def __post_init__(self):
        if self.name not in ACTIVATIONS:
            raise GroundupError(
                f"unknown activation {self.name!r}; choose one of {', '.join(ACTIVATIONS)}"
            )

    def __str__(self) -> str:
        return ACTIVATIONS[self.name].module


@dataclass(frozen=True)
class Flatten(Layer):
    """One example's values in one row: (C, H, W) -> (C·H·W,)."""

    kind: ClassVar[str] = "flatten"

    def output_shape(self, shape):
        return (math.prod(shape),)

    def __str__(self) -> str:
        return "Flatten"


@dataclass(frozen=True)
class Dropout(Layer):
    """While training, zero each value with probability ``p`` and scale the rest by 1/(1-p).

    Every engine takes the masks from :meth:`mask` with the generator of :func:`dropout_rng`,
    so the three engines drop the same values and still agree number for number.
    """

    p: float = 0.5
    kind: ClassVar[str] = "dropout"

    def __post_init__(self):
        checks.check("dropout", self.p)

    def mask(self, shape: tuple[int, ...], rng: np.random.Generator, dtype) -> np.ndarray:
        """``keep / (1 - p)`` with ``keep = U(0, 1) >= p`` of ``shape`` (``groundup.nn``'s
        ``F.dropout`` draws the same)."""
        keep = rng.random(shape) >= self.p
        return keep.astype(dtype) / np.dtype(dtype).type(1.0 - self.p)

    def __str__(self) -> str:
        return f"Dropout({self.p:g})"


def _images(layer, shape) -> tuple[int, int, int]:
    """One example's (C, H, W), or a clear error for flat rows."""
    if len(shape) != 3:
        raise GroundupError(
            f"{layer} takes images of shape (channels, height, width) per example, but "
            f"receives shape {tuple(shape)}; a convolutional model needs image data"
        )
    return shape


def _window(layer, shape, kernel: int, stride: int, padding: int) -> tuple[int, int, int]:
    """(C, H_out, W_out) after sliding a ``kernel`` window over an image of ``shape``."""
    C, H, W = _images(layer, shape)
    H_out, W_out = (output_size(n, kernel, stride, padding) for n in (H, W))
    if H_out < 1 or W_out < 1:
        raise GroundupError(
            f"{layer}: a {kernel}x{kernel} window does not fit in an image of {H}x{W} pixels "
            f"(padding {padding}); use fewer pooling layers, a smaller kernel or more padding"
        )
    return C, H_out, W_out


@dataclass(frozen=True)
class Conv2d(Layer):
    """2-D convolution: ``Y[o,i,j] = b[o] + Σ_{c,p,q} W[o,c,p,q] · Xp[c, i·s+p, j·s+q]`` (Xp: X
    zero-padded), W of shape (out_channels, in_channels, k, k), b of shape (out_channels,).

    PyTorch's initialisation: ``W, b ~ U(-1/√fan_in, 1/√fan_in)``, fan_in = in_channels·k·k,
    W drawn before b.
    """

    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: int = 0
    kind: ClassVar[str] = "conv2d"

    def __post_init__(self):
        _check_sizes(self, self.in_channels, self.out_channels, self.kernel_size, self.stride)
        if not (isinstance(self.padding, Integral) and self.padding >= 0):
            raise GroundupError(f"padding must be an integer >= 0, got {self!r}")

    def parameter_shapes(self):
        k = self.kernel_size
        return {"weight": (self.out_channels, self.in_channels, k, k),
                "bias": (self.out_channels,)}  # fmt: skip

    def output_shape(self, shape):
        C, H, W = _window(self, shape, self.kernel_size, self.stride, self.padding)
        if C != self.in_channels:
            raise GroundupError(f"{self} takes {self.in_channels} channels but receives {C} "
                                f"(shape {tuple(shape)}); change in_channels")  # fmt: skip
        return (self.out_channels, H, W)

    def init(self, rng, dtype):
        shapes = self.parameter_shapes()
        bound = 1.0 / math.sqrt(self.in_channels * self.kernel_size**2)
        return {name: uniform(rng, bound, shape, dtype) for name, shape in shapes.items()}

    def __str__(self) -> str:
        extra = "".join(f", {k}={v}" for k, v in (("stride", self.stride),
                        ("padding", self.padding)) if v != (1 if k == "stride" else 0))  # fmt: skip
        return f"Conv2d({self.in_channels}, {self.out_channels}, {self.kernel_size}{extra})"


@dataclass(frozen=True)
class _Pool(Layer):
    """Pooling over ``kernel_size`` windows moved by ``stride`` (default: the kernel size)."""

    kernel_size: int = 2
    stride: int | None = None
    padding: int = 0

    def __post_init__(self):
        _check_sizes(self, self.kernel_size, self.kernel_size if self.stride is None
                     else self.stride)  # fmt: skip
        if not (isinstance(self.padding, Integral) and 0 <= self.padding <= self.kernel_size // 2):
            raise GroundupError(f"padding must be an integer from 0 to half the kernel size, "
                                f"got {self!r}")  # fmt: skip

    @property
    def step(self) -> int:
        """The stride actually used."""
        return self.kernel_size if self.stride is None else self.stride

    def output_shape(self, shape):
        return _window(self, shape, self.kernel_size, self.step, self.padding)

    def __str__(self) -> str:
        stride = f", stride={self.stride}" if self.stride not in (None, self.kernel_size) else ""
        padding = f", padding={self.padding}" if self.padding else ""
        return f"{type(self).__name__}({self.kernel_size}{stride}{padding})"


@dataclass(frozen=True)
class MaxPool2d(_Pool):
    """The largest value of each window (padding counts as −∞)."""

    kind: ClassVar[str] = "max_pool2d"


@dataclass(frozen=True)
class AvgPool2d(_Pool):
    """The mean of each window (padded zeros counted, PyTorch's default)."""

    kind: ClassVar[str] = "avg_pool2d"


def dropout_rng(seed: int, step: int, index: int) -> np.random.Generator:
    """The generator of the masks of layer ``index`` at optimizer step ``step`` of a run seeded
    ``seed``: a function of the three numbers only, so a resumed run draws the same masks."""
    return np.random.default_rng([seed, step, index])


#: Every layer kind, by the name engines' tables use.
LAYERS: dict[str, type[Layer]] = {
    cls.kind: cls
    for cls in (Linear, Activation, Flatten, Dropout, Conv2d, MaxPool2d, AvgPool2d)
}


def layer_from_dict(d: dict) -> Layer:
    """The layer spec :meth:`Layer.to_dict` wrote."""
    fields = dict(d)
    kind = fields.pop("kind", None)
    if kind not in LAYERS:
        raise GroundupError(f"unknown layer kind {kind!r}; known kinds: {', '.join(LAYERS)}")
    return LAYERS[kind](**fields)
