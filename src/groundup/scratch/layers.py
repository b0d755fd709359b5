"""Layers with a hand-written backward: the scratch engine's row for each layer kind.

Each layer caches in ``forward`` what its ``backward`` needs; ``backward(dY)`` takes the gradient
of the loss with respect to its output and returns the one with respect to its input, storing
its parameters' gradients in ``grads`` (the interface of :mod:`groundup.scratch.conv`'s layers,
which fill the convolution rows of the table at the end). Rows are examples (X of shape
(m, ...)); parameters use PyTorch's layout.

``Linear`` (W of shape (n_out, n_in))::

    forward   Z = X Wᵀ + b                       (m, n_out)
    backward  dW = dZᵀ X,  db = Σ_rows dZ,  dX = dZ W

``Activation`` f (elementwise)::

    forward   A = f(Z)
    backward  dZ = dA ⊙ f'(Z)

``Flatten``: a reshape forward, the inverse reshape backward. ``Dropout``: ``Y = X ⊙ M`` with the
mask M of :meth:`groundup.models.Dropout.mask` (``keep / (1 - p)``), and ``dX = dY ⊙ M``.
"""

from __future__ import annotations

import numpy as np

from groundup.numerics import ACTIVATIONS, times_weight
from groundup.scratch import conv

__all__ = ["LAYERS", "Activation", "Dropout", "Flatten", "Linear"]


class Linear:
    """A fully connected layer: ``params = {"weight": W (n_out, n_in), "bias": b (n_out,)}``."""

    random = False  # whether forward needs a generator (only Dropout does)

    def __init__(self, in_features: int, out_features: int, dtype=np.float32):
        self.params = {"weight": np.zeros((out_features, in_features), dtype),
                       "bias": np.zeros(out_features, dtype)}  # fmt: skip
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, X: np.ndarray) -> np.ndarray:
        self._X = X
        Z = X @ self.params["weight"].T  # (m, n_out)
        Z += self.params["bias"]
        return Z

    def backward(self, dZ: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dX (None when ``input_grad`` is False: a first layer's input is the data)."""
        self.grads = {"weight": dZ.T @ self._X, "bias": dZ.sum(axis=0)}  # (n_out, n_in), (n_out,)
        if not input_grad:
            return None
        return times_weight(dZ, self.params["weight"])  # dZ W


class Activation:
    """``A = f(Z)`` elementwise, f one of :data:`groundup.numerics.ACTIVATIONS`."""

    random = False

    def __init__(self, name: str):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        act = ACTIVATIONS[name]
        self.f, self.df, self.chain = act.f, act.df, act.chain

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self._Z = Z
        return self.f(Z)

    def backward(self, dA: np.ndarray) -> np.ndarray:
        if self.chain is not None:
            return self.chain(dA, self._Z)
        return dA * self.df(self._Z)


class Flatten:
    """(m, d1, d2, ...) -> (m, d1·d2·...)."""

    random = False

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, X: np.ndarray) -> np.ndarray:
        self._shape = X.shape
        return X.reshape(len(X), -1)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        return dY.reshape(self._shape)


class Dropout:
    """``Y = X ⊙ M`` while training (``mask(shape, rng, dtype)`` draws M); the identity when
    ``forward`` gets no generator (evaluation)."""

    random = True

    def __init__(self, mask):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.mask = mask
        self._M = None

    def forward(self, X: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        self._M = None if rng is None else self.mask(X.shape, rng, X.dtype)
        return X if self._M is None else X * self._M

    def backward(self, dY: np.ndarray) -> np.ndarray:
        return dY if self._M is None else dY * self._M


#: The scratch engine's table: layer kind -> ``f(layer spec, dtype)`` building its layer.
LAYERS = {
    "linear": lambda spec, dtype: Linear(spec.in_features, spec.out_features, dtype),
    "activation": lambda spec, dtype: Activation(spec.name),
    "flatten": lambda spec, dtype: Flatten(),
    "dropout": lambda spec, dtype: Dropout(spec.mask),
    "conv2d": lambda spec, dtype: conv.Conv2d(spec.in_channels, spec.out_channels,
                                              spec.kernel_size, spec.stride, spec.padding,
                                              dtype=dtype),  # fmt: skip
    "max_pool2d": lambda spec, dtype: conv.MaxPool2d(spec.kernel_size, spec.stride, spec.padding),
    "avg_pool2d": lambda spec, dtype: conv.AvgPool2d(spec.kernel_size, spec.stride, spec.padding),
}
