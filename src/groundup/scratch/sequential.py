"""A stack of hand-derived layers and the fused head gradient: the scratch engine's network.

Forward runs the layers in order, each caching what its backward needs. Backward starts from the
head's fused gradient with respect to the logits Z (the 1/m of the mean appears exactly once)::

    binary (one logit, y in {0, 1}):  E = mean BCE(σ(Z), y)        dZ = (σ(Z) - y) / m
    C logits (integer y):             E = -mean log softmax(Z)[y]  dZ = (softmax(Z) - onehot(y)) / m

and hands the gradient down the layers, from the last to the first (the first layer with
parameters needs no gradient for its input). Parameters are named as in PyTorch's
``nn.Sequential``: layer i's ``weight`` is ``"{i}.weight"``.
"""

from __future__ import annotations

import numpy as np

from groundup.checks import check_class_indices
from groundup.errors import DataError, ShapeError
from groundup.numerics import bce_with_logits, sigmoid
from groundup.scratch.layers import LAYERS

__all__ = ["Sequential", "loss_and_dlogits"]


def loss_and_dlogits(Z: np.ndarray, y, binary: bool) -> tuple[float, np.ndarray]:
    """Mean loss of logits ``Z`` (m, n_out) and the fused head gradient ``dE/dZ`` (m, n_out),
    in Z's dtype."""
    m = len(Z)
    dtype = Z.dtype
    y = np.asarray(y).reshape(-1)  # a column (m, 1) is flattened: indexing with it would
    if len(y) != m:  # broadcast to (m, m) and sum the wrong entries
        raise ShapeError(f"got {m} rows of X but {len(y)} labels")
    if binary:
        y = y.astype(dtype, copy=False)
        z = Z[:, 0]
        loss = np.mean(bce_with_logits(z, y))
        dZ = ((sigmoid(z) - y) / dtype.type(m)).reshape(m, 1)
        return float(loss), dZ
    if y.dtype.kind not in "iu":  # signed or unsigned integers
        raise DataError("a multiclass model needs integer class labels 0..C-1")
    check_class_indices(y, Z.shape[1], "the softmax cross-entropy loss")
    # with s = Z - max_j Z_j (row-wise) and S = Σ_j e^{s_j}:  E_i = log S - s_y,
    # dZ = e^s / (m S) - onehot(y) / m; one exp for both (log_softmax, then exp, takes two)
    rows = np.arange(m)
    shifted = Z - np.maximum.reduce(Z, axis=1, keepdims=True)  # the ufuncs themselves: NumPy's
    dZ = np.exp(shifted)  # max / sum / mean wrappers cost more than (m, C) arithmetic
    total = np.add.reduce(dZ, axis=1, keepdims=True)
    loss = np.add.reduce(np.log(total[:, 0]) - shifted[rows, y]) / dtype.type(m)  # the mean
    dZ *= dtype.type(1 / m) / total
    dZ[rows, y] -= dtype.type(1 / m)
    return float(loss), dZ


class Sequential:
    """Hand-derived layers applied in order (see :mod:`groundup.scratch.layers`)."""

    def __init__(self, layers):
        self.layers = list(layers)
        with_params = [i for i, layer in enumerate(self.layers) if layer.params]
        self._first = with_params[0] if with_params else len(self.layers)

    @classmethod
    def from_spec(cls, spec, dtype=np.float32) -> Sequential:
        """The layers of a :class:`groundup.models.ModelSpec`, one row of
        :data:`~groundup.scratch.layers.LAYERS` each (parameters zero until loaded)."""
        return cls(LAYERS[layer.kind](layer, dtype) for layer in spec.layers)

    # ------------------------------------------------------------------ parameters
    @property
    def params(self) -> dict[str, np.ndarray]:
        """The parameter arrays themselves (not copies), by their ``nn.Sequential`` names; the
        optimizer updates them in place."""
        return {f"{i}.{name}": p for i, layer in enumerate(self.layers)
                for name, p in layer.params.items()}  # fmt: skip

    @property
    def dtype(self) -> np.dtype:
        """The dtype every computation runs in: that of the (loaded) parameters."""
        return next(iter(self.params.values())).dtype

    @property
    def n_parameters(self) -> int:
        """Total number of weights and biases."""
        return sum(p.size for p in self.params.values())

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters under their ``nn.Sequential`` names."""
        return {name: p.copy() for name, p in self.params.items()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Replace the parameters (copied); their dtype becomes the network's dtype."""
        own = self.params
        if set(state) != set(own):
            raise ShapeError(f"state dict has keys {sorted(state)} but this network needs "
                             f"{sorted(own)}")  # fmt: skip
        dtypes = {np.asarray(v).dtype for v in state.values()}
        if len(dtypes) != 1:
            raise ShapeError(f"all parameters must share one dtype, got {sorted(map(str, dtypes))}")
        (dtype,) = dtypes
        if not np.issubdtype(dtype, np.floating):  # integer weights would truncate every input
            raise ShapeError(f"parameters must be floating point (float32 or float64), got {dtype}")
        for name, p in own.items():
            if np.shape(state[name]) != p.shape:
                raise ShapeError(f"{name} has shape {np.shape(state[name])}, expected {p.shape}")
        # one buffer, the parameters end to end in order: the optimizer updates them as one
        # flat array (groundup.optim.foreach)
        buffer = np.empty(sum(p.size for p in own.values()), dtype)
        at = 0
        for i, layer in enumerate(self.layers):
            for name, p in layer.params.items():
                view = buffer[at : at + p.size].reshape(p.shape)
                view[...] = state[f"{i}.{name}"]
                layer.params[name] = view
                at += p.size

    # ------------------------------------------------------------------ forward / backward
    def forward(self, X: np.ndarray, dropout=None) -> np.ndarray:
        """Logits of shape (m, n_out), caching every layer's input. ``dropout(i)`` gives layer
        i's mask generator while training; None (evaluation) turns dropout off."""
        for i, layer in enumerate(self.layers):
            if getattr(layer, "random", False):
                X = layer.forward(X, None if dropout is None else dropout(i))
            else:
                X = layer.forward(X)
        return X

    def backward(self, dZ: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of every parameter from ``dZ = dE/d(logits)`` and the last forward's cache."""
        grads: dict[str, np.ndarray] = {}
        for i in range(len(self.layers) - 1, self._first - 1, -1):
            layer = self.layers[i]  # the first layer with parameters needs no input gradient
            dZ = layer.backward(dZ) if i > self._first else layer.backward(dZ, input_grad=False)
            for name, g in layer.grads.items():
                grads[f"{i}.{name}"] = g
        return grads
