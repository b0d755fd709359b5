"""Single neurons in the classification chapter's row-stacked convention: X of shape (m, n).

Both neurons compute ``z = X w + b`` with ``w`` of shape (n,) and scalar ``b`` (starting from
zeros) and differ only in the output and the loss:

``LinearNeuron`` (regression, mean squared error)::

    u = z ;  E = (1/m) Σ (u - y)²
    dE/dz = (2/m)(u - y) ;  dE/dw = Xᵀ dE/dz ;  dE/db = Σ dE/dz

``LogisticNeuron`` (binary classification, y in {0, 1}, binary cross-entropy)::

    u = σ(z) ;  E = -(1/m) Σ [y log u + (1 - y) log(1 - u)]
    dE/dz = (1/m)(u - y) ;  dE/dw = Xᵀ (u - y) / m ;  dE/db = mean(u - y)

The loss is computed from z (``bce_with_logits``), so it is finite even when u rounds to 0 or 1.
Training is plain gradient descent in one of three modes (see :mod:`groundup.scratch.training`).
"""

from __future__ import annotations

import numpy as np

from groundup.errors import ShapeError
from groundup.numerics import bce_with_logits, sigmoid
from groundup.scratch.training import ArrayOptimizer, fit_loop


class _Neuron:
    """Shared parameters, shapes and training loop; subclasses define output and loss."""

    def __init__(self, n_features: int | None = None, dtype=np.float64):
        self.dtype = np.dtype(dtype)
        self.params: dict[str, np.ndarray] = {}
        self.history: list[float] = []
        if n_features is not None:
            self._init(n_features)

    def _init(self, n_features: int) -> None:
        self.params = {
            "weight": np.zeros(n_features, dtype=self.dtype),
            "bias": np.zeros((), dtype=self.dtype),
        }

    @property
    def w(self) -> np.ndarray:
        """Weights of shape (n,)."""
        return self.params["weight"]

    @property
    def b(self) -> float:
        """The bias, a scalar."""
        return float(self.params["bias"])

    def _rows(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2:
            raise ShapeError(f"X must be 2-D of shape (m, n), got shape {X.shape}")
        if not self.params:
            self._init(X.shape[1])
        if X.shape[1] != self.w.shape[0]:
            raise ShapeError(
                f"X has {X.shape[1]} features but the neuron was built for {self.w.shape[0]}"
            )
        return X

    def _targets(self, y, m: int) -> np.ndarray:
        """Targets as a vector of shape (m,); a column (m, 1) is flattened, never broadcast."""
        y = np.asarray(y, dtype=self.dtype).reshape(-1)
        if len(y) != m:
            raise ShapeError(f"X has {m} rows but y has {len(y)} targets; they must match")
        return y

    def logits(self, X) -> np.ndarray:
        """Pre-activation ``z = X w + b`` of shape (m,)."""
        X = self._rows(X)
        return X @ self.w + self.params["bias"]

    def fit(
        self,
        X,
        y,
        lr: float = 0.1,
        epochs: int = 100,
        mode: str = "batch",
        batch_size: int = 32,
        seed: int = 0,
    ):
        """Gradient descent ``θ ← θ - lr ∂E/∂θ``; appends each epoch's cost to ``history``."""
        X = self._rows(X)
        y = self._targets(y, len(X))
        opt = ArrayOptimizer("sgd", lr=lr)
        self.history += fit_loop(self, X, y, opt, epochs, mode, batch_size, seed)
        return self


class LinearNeuron(_Neuron):
    """``u = X w + b`` trained on the mean squared error ``(1/m) Σ (u - y)²``."""

    def forward(self, X) -> np.ndarray:
        """Predictions ``u`` of shape (m,)."""
        return self.logits(X)

    predict = forward

    def loss_and_grads(self, X, y) -> tuple[float, dict[str, np.ndarray]]:
        """MSE and its gradients ``{"weight": (n,), "bias": ()}`` on the rows of ``X``."""
        X = self._rows(X)
        r = self.logits(X) - self._targets(y, len(X))  # residuals (m,)
        dz = (2 / len(X)) * r
        grads = {"weight": X.T @ dz, "bias": np.sum(dz)}
        return float(np.mean(r * r)), grads


class LogisticNeuron(_Neuron):
    """``u = σ(X w + b) = P(y = 1 | x)`` trained on the binary cross-entropy.

    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]]); y = np.array([0, 0, 1, 1])
    >>> LogisticNeuron().fit(X, y, lr=1.0, epochs=50).predict(X)
    array([0, 0, 1, 1])
    """

    def forward(self, X) -> np.ndarray:
        """Probabilities ``u = σ(z)`` of shape (m,)."""
        return sigmoid(self.logits(X))

    predict_proba = forward

    def predict(self, X, threshold: float = 0.5) -> np.ndarray:
        """Integer labels: 1 where ``u >= threshold``, else 0."""
        return (self.forward(X) >= threshold).astype(np.int64)

    def loss_and_grads(self, X, y) -> tuple[float, dict[str, np.ndarray]]:
        """Mean BCE and its gradients ``{"weight": (n,), "bias": ()}`` on the rows of ``X``."""
        X = self._rows(X)
        z = self.logits(X)
        y = self._targets(y, len(X))
        dz = (sigmoid(z) - y) / len(X)  # (m,)
        grads = {"weight": X.T @ dz, "bias": np.sum(dz)}
        return float(np.mean(bce_with_logits(z, y))), grads
