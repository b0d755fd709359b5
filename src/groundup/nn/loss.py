"""Loss modules (``nn.CrossEntropyLoss()`` and friends) around the functions of
:mod:`groundup.nn.loss_functions` (also ``F.cross_entropy`` and friends)."""

from __future__ import annotations

from groundup.nn import loss_functions as losses
from groundup.nn.module import Module


class _Loss(Module):
    """Shared constructor: every loss module keeps its ``reduction`` ("mean", "sum", "none")."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy from logits (n, C) and integer class indices (n,)."""

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input, target):  # noqa: A002 - torch's name
        return losses.cross_entropy(input, target, self.reduction, self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood from log-probabilities (n, C) and class indices (n,)."""

    def forward(self, input, target):  # noqa: A002
        return losses.nll_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy from probabilities, input and target of one shape."""

    def forward(self, input, target):  # noqa: A002
        return losses.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy from logits (stable), optional ``pos_weight``."""

    def __init__(self, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction)
        self.pos_weight = pos_weight

    def forward(self, input, target):  # noqa: A002
        return losses.binary_cross_entropy_with_logits(input, target, self.reduction,
                                                       self.pos_weight)


class MSELoss(_Loss):
    """Mean squared error, input and target of one shape."""

    def forward(self, input, target):  # noqa: A002
        return losses.mse_loss(input, target, self.reduction)
