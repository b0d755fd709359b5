"""Softmax regression: C linear scores per row and a softmax, for integer class labels.

Shapes: X of shape (m, n), W of shape (C, n) (PyTorch's ``nn.Linear`` layout), b of shape (C,),
y of shape (m,) with values in 0..C-1::

    Z = X Wᵀ + b                          (m, C) logits
    P = softmax(Z)                        (m, C)
    E = -(1/m) Σ_i log P[i, y_i]          cross-entropy, averaged once over the batch
    dZ = (P - onehot(y)) / m              (m, C)
    dW = dZᵀ X                            (C, n)
    db = Σ_i dZ[i]                        (C,)

Weights start at zero (the loss is convex, so no symmetry needs breaking).
"""

from __future__ import annotations

import numpy as np

from groundup.errors import DataError, ShapeError
from groundup.numerics import cross_entropy, softmax
from groundup.scratch.training import ArrayOptimizer, fit_loop


class SoftmaxRegression:
    """Multiclass logistic regression trained by gradient descent.

    ``n_classes`` may be left out: ``fit`` then uses ``max(y) + 1``.
    """

    def __init__(self, n_features: int | None = None, n_classes: int | None = None,
                 dtype=np.float64):
        self.dtype = np.dtype(dtype)
        self.n_classes = n_classes
        self.params: dict[str, np.ndarray] = {}
        self.history: list[float] = []
        if n_features is not None and n_classes is not None:
            self._init(n_features, n_classes)

    def _init(self, n_features: int, n_classes: int) -> None:
        self.n_classes = n_classes
        self.params = {
            "weight": np.zeros((n_classes, n_features), dtype=self.dtype),
            "bias": np.zeros(n_classes, dtype=self.dtype),
        }

    def _rows(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2:
            raise ShapeError(f"X must be 2-D of shape (m, n), got shape {X.shape}")
        if not self.params:
            raise RuntimeError("call fit() first, or pass n_features and n_classes")
        if X.shape[1] != self.params["weight"].shape[1]:
            raise ShapeError(
                f"X has {X.shape[1]} features but the model was built for "
                f"{self.params['weight'].shape[1]}"
            )
        return X

    def forward(self, X) -> np.ndarray:
        """Logits ``Z = X Wᵀ + b`` of shape (m, C)."""
        X = self._rows(X)
        return X @ self.params["weight"].T + self.params["bias"]

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``softmax(Z)`` of shape (m, C); rows sum to 1."""
        return softmax(self.forward(X), axis=1)

    def predict(self, X) -> np.ndarray:
        """Most probable class of each row, shape (m,)."""
        return np.argmax(self.forward(X), axis=1)

    def loss_and_grads(self, X, y) -> tuple[float, dict[str, np.ndarray]]:
        """Mean cross-entropy and its gradients ``{"weight": (C, n), "bias": (C,)}``."""
        X = self._rows(X)
        y = np.asarray(y).reshape(-1)  # labels of shape (m,), also when given as a column
        if len(y) != len(X):
            raise ShapeError(f"X has {len(X)} rows but y has {len(y)} labels; they must match")
        Z = self.forward(X)
        dZ = softmax(Z, axis=1)
        dZ[np.arange(len(y)), y] -= 1  # P - onehot(y)
        dZ /= len(y)
        grads = {"weight": dZ.T @ X, "bias": dZ.sum(axis=0)}
        return float(np.mean(cross_entropy(Z, y))), grads

    def fit(self, X, y, lr: float = 0.1, epochs: int = 100, mode: str = "batch",
            batch_size: int = 32, seed: int = 0):
        """Gradient descent on the cross-entropy; appends each epoch's cost to ``history``."""
        y = np.asarray(y)
        if not np.issubdtype(y.dtype, np.integer) or (y.size and y.min() < 0):
            raise DataError("SoftmaxRegression needs integer class labels 0..C-1 "
                            "(encode strings with groundup.data.LabelEncoder)")
        X = np.asarray(X, dtype=self.dtype)
        if not self.params:
            self._init(X.shape[1], self.n_classes or int(y.max()) + 1)
        X = self._rows(X)
        if y.size and y.max() >= self.n_classes:
            raise DataError(f"label {y.max()} is out of range for {self.n_classes} classes")
        opt = ArrayOptimizer("sgd", lr=lr)
        self.history += fit_loop(self, X, y, opt, epochs, mode, batch_size, seed)
        return self
