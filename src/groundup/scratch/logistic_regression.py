"""Logistic regression in the cat lesson's column-stacked convention, vectorised.

Shapes: ``X`` of shape (n_x, m) holds one example per **column** (a 64×64×3 image unrolled to
n_x = 12,288 numbers), ``Y`` of shape (1, m) holds 0/1 labels, ``w`` of shape (n_x, 1), ``b`` a
scalar. Forward and backward for the whole batch at once::

    Z = wᵀX + b                      (1, m)
    A = σ(Z)                         (1, m)
    J = -(1/m) Σ [Y log A + (1 - Y) log(1 - A)]
    dZ = A - Y                       (1, m)   (the sigmoid and the log cancel)
    dw = (1/m) X dZᵀ                 (n_x, 1)
    db = (1/m) Σ dZ

The cost is evaluated from the logits Z (``bce_with_logits``), which equals the formula above
wherever that formula is finite and never takes ``log(0)``. :mod:`groundup.scratch.naive` does the
same with explicit loops over examples and features.
"""

from __future__ import annotations

import numpy as np

from groundup.errors import ShapeError
from groundup.numerics import bce_with_logits, sigmoid


def initialize_with_zeros(dim: int) -> tuple[np.ndarray, float]:
    """``w`` of shape (dim, 1) full of zeros and ``b = 0.0``."""
    return np.zeros((dim, 1)), 0.0


def _check(w: np.ndarray, X: np.ndarray, Y: np.ndarray | None = None) -> None:
    if w.shape != (X.shape[0], 1):
        raise ShapeError(
            f"w has shape {w.shape} but X has {X.shape[0]} features per column; the cat "
            "convention is X of shape (n_x, m) with one example per column, w of shape (n_x, 1)"
        )
    if Y is not None and Y.shape != (1, X.shape[1]):
        raise ShapeError(f"Y has shape {Y.shape}, expected (1, {X.shape[1]}) for X {X.shape}")


def propagate(w: np.ndarray, b: float, X: np.ndarray, Y: np.ndarray) -> tuple[dict, float]:
    """Cost and gradients for one pass over all m columns of ``X``.

    Returns ``({"dw": (n_x, 1), "db": float}, cost)``.
    """
    _check(w, X, Y)
    m = X.shape[1]
    Z = w.T @ X + b  # (1, m)
    A = sigmoid(Z)
    cost = float(np.mean(bce_with_logits(Z, Y)))
    dZ = A - Y  # (1, m)
    dw = X @ dZ.T / m  # (n_x, 1)
    db = float(np.sum(dZ) / m)
    return {"dw": dw, "db": db}, cost


def optimize(
    w: np.ndarray,
    b: float,
    X: np.ndarray,
    Y: np.ndarray,
    num_iterations: int = 2000,
    learning_rate: float = 0.005,
    record_every: int = 100,
) -> tuple[dict, dict, list[float]]:
    """Batch gradient descent ``w ← w - α dw``, ``b ← b - α db`` for ``num_iterations`` steps.

    Returns ``({"w", "b"}, last grads, costs)`` with the cost recorded before the update at
    iterations 0, ``record_every``, 2·``record_every``, ... (so ``costs[19]`` is iteration 1,900).
    """
    w = np.array(w, dtype=float, copy=True)
    costs: list[float] = []
    grads: dict = {}
    for i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        w -= learning_rate * grads["dw"]
        b -= learning_rate * grads["db"]
        if i % record_every == 0:
            costs.append(cost)
    return {"w": w, "b": b}, grads, costs


def predict_proba(w: np.ndarray, b: float, X: np.ndarray) -> np.ndarray:
    """``σ(wᵀX + b)`` of shape (1, m)."""
    _check(w, X)
    return sigmoid(w.T @ X + b)


def predict(w: np.ndarray, b: float, X: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Labels of shape (1, m): 1.0 where ``σ(wᵀX + b) > threshold``, else 0.0."""
    return (predict_proba(w, b, X) > threshold).astype(float)


class LogisticRegression:
    """The cat classifier as an object: zeros initialisation, then :func:`optimize`.

    >>> X = np.array([[0.0, 1.0, 2.0, 3.0]]); Y = np.array([[0, 0, 1, 1]])
    >>> clf = LogisticRegression(num_iterations=500, learning_rate=0.5).fit(X, Y)
    >>> clf.predict(X)
    array([[0., 0., 1., 1.]])
    """

    def __init__(self, num_iterations: int = 2000, learning_rate: float = 0.005):
        self.num_iterations = num_iterations
        self.learning_rate = learning_rate
        self.w: np.ndarray | None = None
        self.b = 0.0
        self.costs: list[float] = []

    def fit(self, X: np.ndarray, Y: np.ndarray) -> LogisticRegression:
        """Train from zeros on ``X`` (n_x, m) and ``Y`` (1, m); costs every 100 iterations."""
        Y = np.asarray(Y, dtype=float).reshape(1, -1)
        w, b = initialize_with_zeros(X.shape[0])
        params, _, self.costs = optimize(w, b, X, Y, self.num_iterations, self.learning_rate)
        self.w, self.b = params["w"], params["b"]
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``σ(wᵀX + b)`` of shape (1, m)."""
        if self.w is None:
            raise RuntimeError("call fit() before predict()")
        return predict_proba(self.w, self.b, X)

    def predict(self, X: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """0/1 labels of shape (1, m)."""
        return (self.predict_proba(X) > threshold).astype(float)

    def accuracy(self, X: np.ndarray, Y: np.ndarray) -> float:
        """Fraction of columns whose predicted label equals ``Y``."""
        return float(np.mean(self.predict(X) == np.asarray(Y).reshape(1, -1)))
