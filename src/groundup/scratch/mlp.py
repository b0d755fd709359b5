"""A multilayer perceptron with a hand-written backward pass (no autograd).

Layer sizes ``[n_0, n_1, ..., n_L]``: L linear layers in PyTorch's layout, ``W_l`` of shape
(n_l, n_{l-1}) and ``b_l`` of shape (n_l,), with an activation f between them and none after the
last. Parameters are named as in ``nn.Sequential(Linear, f, Linear, f, ..., Linear)``:
``"0.weight"``, ``"0.bias"``, ``"2.weight"``, ... so a state dict moves between the scratch,
autograd and torch engines unchanged. Rows are examples: X of shape (m, n_0).

Forward, caching what backward needs (A_0 = X)::

    Z_l = A_{l-1} W_lᵀ + b_l          (m, n_l)
    A_l = f(Z_l)                      for l < L;  Z_L are the logits

Heads (chosen by the last size):

* n_L = 1, binary: ``E = mean BCE(σ(Z_L), y)``, y in {0, 1};  ``dZ_L = (σ(Z_L) - y) / m``
* n_L = C ≥ 2, multiclass: ``E = -mean log softmax(Z_L)[y]``, integer y;
  ``dZ_L = (softmax(Z_L) - onehot(y)) / m`` (the 1/m appears exactly once)

Backward, layer by layer from the top::

    dW_l = dZ_lᵀ A_{l-1}              (n_l, n_{l-1})
    db_l = Σ_rows dZ_l                (n_l,)
    dZ_{l-1} = (dZ_l W_l) ⊙ f'(Z_{l-1})     i.e. δ_{l-1} = W_lᵀ δ_l ⊙ f'(z_{l-1}) per example

The layers are those of :mod:`groundup.scratch.layers` stacked by
:class:`~groundup.scratch.sequential.Sequential` (the scratch engine's network for any
:class:`groundup.models.ModelSpec`); this class adds the MLP's sizes, its initial weights
(PyTorch's defaults, from :mod:`groundup.models`) and a ``fit`` loop. The arithmetic runs in the
parameters' dtype: float32 weights and inputs stay float32 throughout.
"""

from __future__ import annotations

import numpy as np

from groundup.errors import ShapeError
from groundup.models.mlp import from_sizes
from groundup.numerics import log_softmax, sigmoid
from groundup.scratch.sequential import Sequential, loss_and_dlogits
from groundup.scratch.training import ArrayOptimizer, fit_loop


class MLP(Sequential):
    """Fully connected network with a binary (1 logit) or multiclass (C logits) head.

    >>> net = MLP([784, 128, 10], activation="relu", seed=0)
    >>> net.head, net.n_parameters
    ('multiclass', 101770)
    """

    def __init__(self, sizes: list[int], activation: str = "relu", seed: int = 0,
                 dtype=np.float32):
        if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
            raise ShapeError(f"sizes must list at least an input and an output size, got {sizes}")
        self.sizes = [int(s) for s in sizes]
        self.activation = activation
        spec = from_sizes(self.sizes, activation)
        super().__init__(Sequential.from_spec(spec, dtype).layers)
        self.load_state_dict(spec.init_state(seed, dtype))
        self.history: list[float] = []
        self._ran = False

    @property
    def head(self) -> str:
        """``"binary"`` for one output logit, ``"multiclass"`` for two or more."""
        return "binary" if self.sizes[-1] == 1 else "multiclass"

    # ------------------------------------------------------------------ forward / backward

    def _inputs(self, X) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ShapeError(
                f"X has shape {X.shape}, expected (m, {self.sizes[0]}); flatten images first "
                "with X.reshape(len(X), -1)"
            )
        return X.astype(self.dtype, copy=False)

    def forward(self, X, dropout=None) -> np.ndarray:
        """Logits of shape (m, n_L); caches every layer's input and pre-activation."""
        self._ran = True
        return super().forward(self._inputs(X))

    def loss_and_dlogits(self, Z: np.ndarray, y) -> tuple[float, np.ndarray]:
        """Mean loss of logits ``Z`` (m, n_L) and the fused head gradient ``dE/dZ`` (m, n_L)."""
        return loss_and_dlogits(Z, y, self.head == "binary")

    def backward(self, dZ: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of every parameter from ``dZ = dE/d(logits)`` and the last forward's cache."""
        if not self._ran:
            raise RuntimeError("call forward() before backward()")
        return super().backward(dZ)

    def loss_and_grads(self, X, y) -> tuple[float, dict[str, np.ndarray]]:
        """Mean loss on ``(X, y)`` and the gradient of every parameter (same names)."""
        Z = self.forward(X)
        loss, dZ = self.loss_and_dlogits(Z, y)
        return loss, self.backward(dZ)

    def loss(self, X, y) -> float:
        """Mean loss on ``(X, y)`` without gradients."""
        return self.loss_and_dlogits(self.forward(X), y)[0]

    # ------------------------------------------------------------------ prediction / training

    def predict_proba(self, X) -> np.ndarray:
        """Binary: ``P(y = 1)`` of shape (m,). Multiclass: softmax of shape (m, C)."""
        Z = self.forward(X)
        if self.head == "binary":
            return sigmoid(Z[:, 0])
        return np.exp(log_softmax(Z, axis=1))

    def predict(self, X, threshold: float = 0.5) -> np.ndarray:
        """Integer labels of shape (m,): thresholded (binary) or argmax (multiclass)."""
        if self.head == "binary":
            return (self.predict_proba(X) >= threshold).astype(np.int64)
        return np.argmax(self.forward(X), axis=1)

    def step(self, X, y, optimizer: ArrayOptimizer) -> float:
        """One optimisation step on the batch ``(X, y)``; returns the loss before the step."""
        loss, grads = self.loss_and_grads(X, y)
        optimizer.step(self.params, grads)
        return loss

    def fit(self, X, y, lr: float = 0.01, epochs: int = 10, mode: str = "minibatch",
            batch_size: int = 64, seed: int = 0, optimizer: str = "sgd", **hyper) -> MLP:
        """Train with ``optimizer`` (``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``) and
        keyword hyper-parameters of :mod:`groundup.optim.rules`; appends epoch costs to
        ``history``."""
        X = self._inputs(X)
        y = np.asarray(y)
        opt = ArrayOptimizer(optimizer, lr=lr, **hyper)
        self.history += fit_loop(self, X, y, opt, epochs, mode, batch_size, seed)
        return self

    def __repr__(self) -> str:
        return f"MLP({self.sizes}, activation={self.activation!r}, dtype={self.dtype})"
