"""Loss modules (``nn.CrossEntropyLoss()`` and friends) around :mod:`groundup.nn.losses`."""

from __future__ import annotations

from groundup.nn import losses
from groundup.nn.module import Module


class CrossEntropyLoss(Module):
    """Softmax cross-entropy from logits (n, C) and integer class indices (n,)."""

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__()
        self.reduction, self.label_smoothing = reduction, label_smoothing

    def forward(self, input, target):  # noqa: A002 - torch's name
        return losses.cross_entropy(input, target, self.reduction, self.label_smoothing)


class NLLLoss(Module):
    """Negative log-likelihood from log-probabilities."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):  # noqa: A002
        return losses.nll_loss(input, target, self.reduction)


class BCELoss(NLLLoss):
    """Binary cross-entropy from probabilities."""

    def forward(self, input, target):  # noqa: A002
        return losses.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(Module):
    """Binary cross-entropy from logits (stable), optional ``pos_weight``."""

    def __init__(self, reduction: str = "mean", pos_weight=None):
        super().__init__()
        self.reduction, self.pos_weight = reduction, pos_weight

    def forward(self, input, target):  # noqa: A002
        return losses.binary_cross_entropy_with_logits(input, target, self.reduction,
                                                       self.pos_weight)


class MSELoss(NLLLoss):
    """Mean squared error."""

    def forward(self, input, target):  # noqa: A002
        return losses.mse_loss(input, target, self.reduction)
