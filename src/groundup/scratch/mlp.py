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

The arithmetic runs in the parameters' dtype: float32 weights and inputs stay float32 throughout.
"""

from __future__ import annotations

import numpy as np

from groundup.errors import DataError, ShapeError
from groundup.numerics import bce_with_logits, get_activation, log_softmax, sigmoid
from groundup.scratch.training import ArrayOptimizer, fit_loop
from groundup.weights import mlp_init, sequential_names


class MLP:
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
        self._act = get_activation(activation)
        self.names = sequential_names(len(self.sizes) - 1)
        self.params: dict[str, np.ndarray] = mlp_init(self.sizes, seed, dtype)
        self.history: list[float] = []
        self._cache: tuple[list[np.ndarray], list[np.ndarray]] | None = None

    # ------------------------------------------------------------------ parameters

    @property
    def head(self) -> str:
        """``"binary"`` for one output logit, ``"multiclass"`` for two or more."""
        return "binary" if self.sizes[-1] == 1 else "multiclass"

    @property
    def dtype(self) -> np.dtype:
        """The dtype every computation runs in: that of the (loaded) parameters."""
        return self.params[self.names[0][0]].dtype

    @property
    def n_parameters(self) -> int:
        """Total number of weights and biases."""
        return sum(p.size for p in self.params.values())

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters under their ``nn.Sequential`` names."""
        return {name: p.copy() for name, p in self.params.items()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Replace the parameters (copied); their dtype becomes the model's dtype."""
        expected = {name for pair in self.names for name in pair}
        if set(state) != expected:
            raise ShapeError(
                f"state dict has keys {sorted(state)} but this MLP{self.sizes} needs "
                f"{sorted(expected)}"
            )
        dtypes = {np.asarray(v).dtype for v in state.values()}
        if len(dtypes) != 1:
            raise ShapeError(f"all parameters must share one dtype, got {sorted(map(str, dtypes))}")
        (dtype,) = dtypes
        if not np.issubdtype(dtype, np.floating):  # integer weights would truncate every input
            raise ShapeError(f"parameters must be floating point (float32 or float64), got {dtype}")
        for name in expected:
            if np.shape(state[name]) != self.params[name].shape:
                raise ShapeError(
                    f"{name} has shape {np.shape(state[name])}, expected "
                    f"{self.params[name].shape} for sizes {self.sizes}"
                )
        self.params = {name: np.array(state[name], copy=True) for pair in self.names
                       for name in pair}

    # ------------------------------------------------------------------ forward / backward

    def _inputs(self, X) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ShapeError(
                f"X has shape {X.shape}, expected (m, {self.sizes[0]}); flatten images first "
                "with X.reshape(len(X), -1)"
            )
        return X.astype(self.dtype, copy=False)

    def forward(self, X) -> np.ndarray:
        """Logits of shape (m, n_L); caches every layer's input A and pre-activation Z."""
        A = self._inputs(X)
        inputs, pre_acts = [A], []
        last = len(self.names) - 1
        for l, (w_name, b_name) in enumerate(self.names):
            Z = A @ self.params[w_name].T  # (m, n_l)
            Z += self.params[b_name]
            if l < last:  # hidden layer; the last layer's Z are the logits
                pre_acts.append(Z)
                A = self._act.f(Z)
                inputs.append(A)
        self._cache = (inputs, pre_acts)
        return Z

    def loss_and_dlogits(self, Z: np.ndarray, y) -> tuple[float, np.ndarray]:
        """Mean loss of logits ``Z`` (m, n_L) and the fused head gradient ``dE/dZ`` (m, n_L)."""
        m = len(Z)
        y = np.asarray(y).reshape(-1)  # a column (m, 1) is flattened: indexing with it would
        if len(y) != m:  # broadcast to (m, m) and sum the wrong entries
            raise ShapeError(f"got {m} rows of X but {len(y)} labels")
        if self.head == "binary":
            y = y.astype(self.dtype, copy=False)
            z = Z[:, 0]
            loss = np.mean(bce_with_logits(z, y))
            dZ = ((sigmoid(z) - y) / self.dtype.type(m)).reshape(m, 1)
            return float(loss), dZ
        if not np.issubdtype(y.dtype, np.integer):
            raise DataError("a multiclass MLP needs integer class labels 0..C-1")
        rows = np.arange(m)
        logp = log_softmax(Z, axis=1)
        loss = -np.mean(logp[rows, y])
        dZ = np.exp(logp)  # softmax(Z)
        dZ[rows, y] -= 1
        dZ /= self.dtype.type(m)
        return float(loss), dZ

    def backward(self, dZ: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of every parameter from ``dZ = dE/d(logits)`` and the last forward's cache."""
        if self._cache is None:
            raise RuntimeError("call forward() before backward()")
        inputs, pre_acts = self._cache
        grads: dict[str, np.ndarray] = {}
        for l in range(len(self.names) - 1, -1, -1):
            w_name, b_name = self.names[l]
            grads[w_name] = dZ.T @ inputs[l]  # (n_l, n_{l-1})
            grads[b_name] = dZ.sum(axis=0)  # (n_l,)
            if l > 0:
                dA = dZ @ self.params[w_name]  # (m, n_{l-1})
                dZ = dA * self._act.df(pre_acts[l - 1])
        return grads

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
