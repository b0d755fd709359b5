"""Guards that teach: three things that go wrong in training, caught and explained.

1. A loss that is NaN or infinite: the updates diverged. The run stops with a
   :class:`~groundup.errors.TrainingError` that suggests a smaller learning rate. A loss that
   stays finite but ends an epoch far above where it started (a ReLU network can blow up to
   1e28 without overflowing) gets a note saying the same.
2. An initial loss far from chance. A network that knows nothing outputs roughly uniform
   probabilities, so its cross-entropy starts near ``ln C`` (2.30 for 10 classes, 0.69 for a
   binary head). Starting far above it usually means unscaled inputs (pixels 0..255 instead of
   0..1), labels that do not match the head, or softmax applied twice.
3. A large gap between training and test accuracy: the network memorises rather than generalises.
"""

from __future__ import annotations

import math

from groundup.errors import TrainingError

__all__ = ["check_finite", "divergence_note", "initial_loss_note", "overfitting_note"]

#: An initial loss above ``ln C + max(1, ln C)`` is reported.
INITIAL_LOSS_MARGIN = 1.0
#: A train/test accuracy gap above this (as a fraction) is reported as overfitting.
OVERFIT_GAP = 0.10


def check_finite(loss: float, epoch: int, step: int, lr: float) -> None:
    """Raise :class:`TrainingError` if ``loss`` is NaN or infinite."""
    if not math.isfinite(loss):
        raise TrainingError(
            f"the loss became {loss} at epoch {epoch}, step {step}: the updates diverged "
            f"(learning rate {lr:g}). Try a smaller learning rate, e.g. --lr {lr / 10:g}, "
            f"and check that the inputs are scaled"
        )


def divergence_note(
    loss: float, n_classes: int, epoch: int, lr: float, previous: float | None = None
) -> str | None:
    """A note when an epoch's mean training loss is far above the untrained ``ln C`` (by the
    margin of :func:`initial_loss_note`) and the previous epoch's, ``previous``, was not (a
    blow-up is reported once); None otherwise."""
    chance = math.log(n_classes)
    limit = chance + max(INITIAL_LOSS_MARGIN, chance)
    if loss <= limit or (previous is not None and previous > limit):
        return None
    return (
        f"the training loss of epoch {epoch} is {loss:.3g}, far above ln({n_classes}) = "
        f"{chance:.3g} where an untrained network starts: the updates are diverging (learning "
        f"rate {lr:g}) or the inputs are not scaled. Try a smaller learning rate, e.g. "
        f"--lr {lr / 10:g}"
    )


def initial_loss_note(loss: float, n_classes: int) -> str | None:
    """A note when the untrained loss is far above ``ln C``; None when it looks right."""
    chance = math.log(n_classes)
    if math.isfinite(loss) and loss <= chance + max(INITIAL_LOSS_MARGIN, chance):
        return None
    return (
        f"the initial loss {loss:.3g} is far from ln({n_classes}) = {chance:.3g}, the loss of an "
        f"untrained network: probably a data or architecture bug (inputs not scaled, e.g. "
        f"pixels 0..255 instead of 0..1; labels that do not match the output layer; or "
        f"softmax applied before the loss)"
    )


def overfitting_note(train_acc: float, test_acc: float | None) -> str | None:
    """A note when training accuracy exceeds test accuracy by more than :data:`OVERFIT_GAP`."""
    if test_acc is None or train_acc - test_acc <= OVERFIT_GAP:
        return None
    return (
        f"train accuracy {100 * train_acc:.1f}% vs test {100 * test_acc:.1f}%: a gap of "
        f"{100 * (train_acc - test_acc):.1f} points means the network is overfitting "
        f"(memorising the training set); try fewer epochs, a smaller network or more data"
    )
