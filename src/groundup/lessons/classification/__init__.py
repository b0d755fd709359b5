"""Lesson: the classification chapter's exercises 1-7 (primer: *Deep Learning 2 — Classification*).

1. the logistic neuron's gradient by hand, factor by factor, until ``dL/dw = (u - y) x``;
2. a logistic neuron from scratch on the breast-cancer set (batch, minibatch and SGD);
3. the same neuron in PyTorch (the torch engine) — same curve, same accuracy;
4. a 30 -> 64 -> 32 -> 1 network against the single neuron;
5. multiclass penguins with cross-entropy on integer targets;
6. ``BCELoss`` after a ``Sigmoid`` against ``BCEWithLogitsLoss``: identical in ordinary
   conditions, but at extreme weights the sigmoid saturates and the gradient underflows to zero;
7. a softmax left at the end of the model, applied twice with ``cross_entropy``: the loss cannot
   go below ``-log(e / (e + 2)) ≈ 0.551`` on three classes.

Exercises 3 and 6 use PyTorch and are skipped (with a note) when it is not installed.
"""

from __future__ import annotations

from pathlib import Path

from groundup.lessons._report import Report
from groundup.lessons.classification import binary, by_hand, losses, multiclass


def run(out_dir: Path | None = None, verbose: bool = True, quick: bool = False) -> dict:
    """Run exercises 1-7 (a few seconds; ``quick`` shortens the training runs)."""
    report = Report("classification exercises", verbose)
    by_hand.exercise_1(report)
    cancer = binary.cancer_data()
    neuron = binary.exercise_2(report, cancer, quick)
    binary.exercise_3(report, cancer, neuron, out_dir, quick)
    binary.exercise_4(report, cancer, neuron, out_dir, quick)
    penguins = multiclass.penguins_data()
    multiclass.exercise_5(report, penguins, out_dir, quick)
    losses.exercise_6(report, cancer, out_dir, quick)
    multiclass.exercise_7(report, penguins, out_dir, quick)
    return report.values
