"""The head: what the last layer's outputs mean, the loss they are trained with, the prediction.

Two heads, as in the primer:

* **binary** (one logit ``z`` per example, 2 classes): ``P(y=1) = σ(z)``, loss the mean binary
  cross-entropy from logits ``L = mean(softplus(z) - y z)``, prediction ``z > 0``;
* **C logits** (C >= 2 classes): ``P = softmax(z)``, loss the mean cross-entropy
  ``L = mean(logsumexp(z) - z_y)``, prediction ``argmax z``.

The functions below work on NumPy logits of shape (m, n_outputs) and are the one place the
prediction rule is written: engines count correct predictions with it, reports and ``predict``
use it too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from groundup import numerics
from groundup.errors import GroundupError

__all__ = ["Head", "mean_loss", "predictions", "probabilities"]


@dataclass(frozen=True)
class Head:
    """``n_classes`` classes read from one logit (``binary``) or from C logits."""

    n_classes: int
    binary: bool = False

    def __post_init__(self):
        if not (isinstance(self.n_classes, Integral) and self.n_classes >= 2):
            raise GroundupError(
                f"a classifier needs at least 2 classes, got n_classes={self.n_classes}; check "
                f"the data set's target column"
            )
        if self.binary and self.n_classes != 2:
            raise GroundupError(
                f"a binary (1-logit) model needs 2 classes, the data has {self.n_classes}; "
                f"use --model softmax or --model mlp"
            )

    @property
    def n_outputs(self) -> int:
        """Logits per example: 1 for a binary head, else C."""
        return 1 if self.binary else self.n_classes

    @property
    def chance_loss(self) -> float:
        """Loss of a network that knows nothing (uniform output): ``ln C`` (``ln 2`` if binary)."""
        return math.log(self.n_classes)

    def predictions(self, logits: np.ndarray) -> np.ndarray:
        """Predicted classes of shape (m,)."""
        return predictions(logits, self.binary)

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Class probabilities of shape (m, C)."""
        return probabilities(logits, self.binary)

    def loss(self, logits: np.ndarray, y: np.ndarray) -> float:
        """Mean loss of ``logits`` against class indices ``y``, in float64."""
        return mean_loss(logits, y, self.binary)


def predictions(logits: np.ndarray, binary: bool) -> np.ndarray:
    """Predicted classes (int64, shape (m,)): ``z > 0`` for one logit, ``argmax z`` for C."""
    if binary:  # np.greater: the same test as ``> 0``, half the call overhead on small batches
        return np.greater(logits[:, 0], 0).astype(np.int64)
    return logits.argmax(axis=1)


def probabilities(logits: np.ndarray, binary: bool) -> np.ndarray:
    """Class probabilities of shape (m, C): ``[1 - σ(z), σ(z)]`` or ``softmax(z)``."""
    z = logits.astype(np.float64)
    if binary:
        p1 = numerics.sigmoid(z[:, 0])
        return np.stack([1 - p1, p1], axis=1)
    return numerics.softmax(z, axis=1)


def mean_loss(logits: np.ndarray, y: np.ndarray, binary: bool) -> float:
    """Mean cross-entropy (binary from one logit, or over C logits), computed stably in float64.

    Binary: ``mean(max(z, 0) - z y + log(1 + exp(-|z|)))``; C logits:
    ``mean(logsumexp(z) - z_y)`` with the row maximum subtracted first.
    """
    z = logits.astype(np.float64)
    if binary:
        return float(np.mean(numerics.bce_with_logits(z[:, 0], y)))
    return float(np.mean(numerics.logsumexp(z, axis=1) - z[np.arange(len(y)), y]))
