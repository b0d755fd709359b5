"""Guards that teach: three things that go wrong in training, caught and explained.

1. Numbers that are NaN or infinite: the updates diverged. Checked wherever they can appear: the
   loss of every step, the weights after every epoch (a step can leave ``inf`` in them while the
   loss it reported, computed before the update, was still finite), the epoch's mean and test
   losses, and the final evaluation. The run stops with a :class:`~groundup.errors.TrainingError`
   naming the fix, a smaller learning rate (:func:`suggested_lr`). A loss that stays finite but
   ends an epoch far above where it started (a ReLU network can blow up to 1e28 without
   overflowing) gets a note saying the same.
2. An initial loss far from chance. A network that knows nothing outputs roughly uniform
   probabilities, so its cross-entropy starts near ``ln C`` (2.30 for 10 classes, 0.69 for a
   binary head). Starting far above it usually means unscaled inputs (pixels 0..255 instead of
   0..1), labels that do not match the head, or softmax applied twice.
3. A large gap between training and test accuracy: the network memorises rather than generalises.
"""

from __future__ import annotations

import math

import numpy as np

from groundup.errors import TrainingError

__all__ = [
    "DEFAULT_LR",
    "check_finite",
    "check_finite_weights",
    "divergence_note",
    "diverged",
    "initial_loss_note",
    "overfitting_note",
    "suggested_lr",
]

#: An initial loss above ``ln C + max(1, ln C)`` is reported.
INITIAL_LOSS_MARGIN = 1.0
#: A train/test accuracy gap above this (as a fraction) is reported as overfitting.
OVERFIT_GAP = 0.10
#: PyTorch's default learning rates (SGD has none there; 0.01 is the common choice): the start
#: when ``--optimizer`` changes without ``--lr``, and the ceiling of :func:`suggested_lr`.
DEFAULT_LR = {"sgd": 0.01, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-2}


def suggested_lr(optimizer: str, lr: float) -> float:
    """A learning rate to try after ``lr`` diverged: ``min(lr / 10, DEFAULT_LR[optimizer])``.

    A tenth of a sane rate that was slightly too large, but never more than the optimizer's
    default: a tenth of an absurd rate (``1e308 / 10``) diverges just the same.
    """
    return min(lr / 10, DEFAULT_LR.get(optimizer, 0.01))


def diverged(what: str, optimizer) -> TrainingError:
    """The error for a run whose numbers became NaN or infinite; ``what`` says where.

    ``optimizer`` is the run's :class:`~groundup.engines.base.OptimizerSpec`.
    """
    name, lr = optimizer.name, optimizer.lr
    return TrainingError(
        f"{what}: the updates diverged ({name}, learning rate {lr:g}). Train a new run with a "
        f"smaller learning rate, e.g. --lr {suggested_lr(name, lr):g}, and check that the "
        f"inputs are scaled"
    )


def check_finite(value: float, what: str, optimizer) -> None:
    """Raise :func:`diverged` if ``value`` (a loss) is NaN or infinite; ``what`` names it."""
    if not math.isfinite(value):
        raise diverged(f"{what} became {value}", optimizer)


def check_finite_weights(state: dict[str, np.ndarray], when: str, optimizer) -> None:
    """Raise :func:`diverged` if a parameter of ``state`` holds NaN or an infinity."""
    bad = [name for name, w in state.items() if not np.isfinite(w).all()]
    if bad:
        raise diverged(f"the weights became NaN or infinite {when} ({', '.join(bad)})", optimizer)


def divergence_note(
    loss: float, n_classes: int, epoch: int, optimizer, previous: float | None = None
) -> str | None:
    """A note when an epoch's mean training loss is far above the untrained ``ln C`` (by the
    margin of :func:`initial_loss_note`) and the previous epoch's, ``previous``, was not (a
    blow-up is reported once); None otherwise. ``optimizer``: the run's ``OptimizerSpec``."""
    chance = math.log(n_classes)
    limit = chance + max(INITIAL_LOSS_MARGIN, chance)
    if loss <= limit or (previous is not None and previous > limit):
        return None
    name, lr = optimizer.name, optimizer.lr
    return (
        f"the training loss of epoch {epoch} is {loss:.3g}, far above ln({n_classes}) = "
        f"{chance:.3g} where an untrained network starts: the updates are diverging ({name}, "
        f"learning rate {lr:g}) or the inputs are not scaled. Try a smaller learning rate, e.g. "
        f"--lr {suggested_lr(name, lr):g}"
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


def overfitting_note(train_acc: float, test_acc: float | None,
                     baseline: float = 0.0) -> str | None:
    """A note when the final weights' training accuracy exceeds their test accuracy by more
    than :data:`OVERFIT_GAP` and exceeds ``baseline``, the accuracy of always answering the
    training set's most frequent class: at or below it the network has learned nothing yet,
    and the gap is only the two sets' different class balance."""
    if test_acc is None or train_acc - test_acc <= OVERFIT_GAP or train_acc <= baseline:
        return None
    return (
        f"train accuracy {100 * train_acc:.1f}% vs test {100 * test_acc:.1f}%: a gap of "
        f"{100 * (train_acc - test_acc):.1f} points means the network is overfitting "
        f"(memorising the training set); try fewer epochs, a smaller network or more data"
    )
