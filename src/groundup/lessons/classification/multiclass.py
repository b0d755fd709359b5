"""Exercises 5 and 7: three penguin species, cross-entropy on integer targets, and the
softmax-applied-twice mistake.

The data: Palmer penguins (bill length and depth, flipper length, body mass), species encoded
as integers 0, 1, 2, a stratified 80/20 split (seed 42), standardised on the training part.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from groundup import metrics
from groundup.lessons._figures import figure_path, release
from groundup.lessons._report import Report


def penguins_data() -> SimpleNamespace:
    from groundup.data import StandardScaler, load

    ds = load("penguins")
    scaler = StandardScaler().fit(ds.X_train)
    return SimpleNamespace(
        X_train=scaler.transform(ds.X_train).astype(np.float32),
        y_train=ds.y_train,
        X_test=scaler.transform(ds.X_test).astype(np.float32),
        y_test=ds.y_test,
        classes=list(ds.classes),
    )


def _model(n_in: int, n_hidden: int, n_classes: int, softmax_at_end: bool, seed: int = 0):
    """``Linear -> ReLU -> Linear`` (logits), or with the mistaken ``Softmax`` appended."""
    from groundup import nn
    from groundup.models.mlp import from_sizes

    layers = [nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_classes)]
    if softmax_at_end:
        layers.append(nn.Softmax(dim=1))
    model = nn.Sequential(*layers)
    model.load_state_dict(from_sizes([n_in, n_hidden, n_classes]).init_state(seed))
    return model


def _train(model, data, epochs: int, lr: float) -> list[float]:
    """Full-batch Adam on ``cross_entropy(model(X), y)``; the loss before each step."""
    from groundup import optim, tensor
    from groundup.nn import functional as F

    X, y = tensor(data.X_train), tensor(data.y_train)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = F.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _predict(model, X) -> np.ndarray:
    from groundup import no_grad, tensor

    with no_grad():
        return model(tensor(X)).numpy().argmax(axis=1)


def exercise_5(report: Report, data, out_dir: Path | None, quick: bool) -> None:
    from groundup import plot

    report.section("exercise 5: three species, logits and integer targets")
    report.equal("classes", len(data.classes), 3)
    report.equal("targets are integer class indices", data.y_train.dtype.kind, "i")
    model = _model(data.X_train.shape[1], 16, 3, softmax_at_end=False)
    losses = _train(model, data, epochs=100 if quick else 200, lr=1e-2)
    report.close("loss before training (ln 3)", losses[0], math.log(3), atol=0.15)
    y_hat = _predict(model, data.X_test)
    report.between("test accuracy", metrics.accuracy(data.y_test, y_hat), 0.95, 1.0)
    cm = metrics.confusion_matrix(data.y_test, y_hat, labels=[0, 1, 2])
    report.equal("confusion matrix total", int(cm.sum()), len(data.y_test))
    release(
        plot.plot_confusion_matrix(
            cm, data.classes, figure_path(out_dir, "ex5_penguins_confusion.png")
        )
    )


def exercise_7(report: Report, data, out_dir: Path | None, quick: bool) -> None:
    from groundup import plot

    report.section("exercise 7: a Softmax left at the end, then cross_entropy")
    epochs = 100 if quick else 200
    right = _train(_model(data.X_train.shape[1], 16, 3, False), data, epochs, 1e-2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        twice = _train(_model(data.X_train.shape[1], 16, 3, True), data, epochs, 1e-2)
    # cross_entropy softmaxes again: inputs p in [0, 1] give at best softmax([1, 0, 0]),
    # so the loss can never go below -log(e / (e + 2))
    floor = -math.log(math.e / (math.e + 2))
    report.show("lowest possible loss with softmax twice", floor, "-log(e / (e + 2))")
    report.between("final loss, softmax applied twice", twice[-1], floor, 1.0)
    report.between("final loss, logits (correct)", right[-1], 0.0, 0.2)
    report.holds(
        "groundup warned",
        len(caught) > 0,
        "cross_entropy saw rows that sum to 1",
        str(caught[0].message)[:80] if caught else None,
    )
    release(
        plot.plot_curves(
            {"logits + cross_entropy": right, "Softmax + cross_entropy (softmax twice)": twice},
            figure_path(out_dir, "ex7_softmax_twice.png"),
            xlabel="epoch",
            ylabel="training loss",
        )
    )
