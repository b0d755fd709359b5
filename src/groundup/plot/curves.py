"""Training curves, generic line charts and the confusion-matrix heatmap."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from groundup.errors import DataError, ShapeError
from groundup.plot._figure import DPI, MARKED_POINTS, finish, marker, new_figure

__all__ = ["plot_confusion_matrix", "plot_curves", "plot_history"]


def _column(rows: Sequence[Mapping], *keys: str) -> np.ndarray | None:
    """The first of ``keys`` present in the rows, as floats (NaN where a row lacks it)."""
    for key in keys:
        if any(row.get(key) is not None for row in rows):
            return np.array([np.nan if r.get(key) is None else r[key] for r in rows], dtype=float)
    return None


def plot_history(rows: Sequence[Mapping], path: str | os.PathLike | None = None) -> Figure:
    """Loss (left) and accuracy (right) per epoch, train and test, from history rows.

    Parameters
    ----------
    rows : sequence of dict
        One dict per epoch, e.g. ``{"epoch": 1, "loss": 0.62, "train_acc": 0.84,
        "test_loss": 0.31, "test_acc": 0.91}``. The train loss may also be called
        ``train_loss``; missing keys are skipped. ``epoch`` defaults to 1, 2, ...
    path : path-like, optional
        Where to save the PNG.
    """
    rows = list(rows)
    if not rows:
        raise DataError("plot_history needs at least one history row (one per epoch)")
    epochs = _column(rows, "epoch")
    epochs = np.arange(1, len(rows) + 1) if epochs is None else epochs
    fig, axes = new_figure(1, 2, size=(10, 4))
    loss_ax, acc_ax = axes[0]
    panels = [
        (loss_ax, "loss", [("train", ("train_loss", "loss")), ("test", ("test_loss",))]),
        (acc_ax, "accuracy", [("train", ("train_acc",)), ("test", ("test_acc",))]),
    ]
    for ax, name, lines in panels:
        for label, keys in lines:
            values = _column(rows, *keys)
            if values is not None:
                ax.plot(epochs, values, marker=marker(len(epochs)), label=f"{label} {name}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(name.capitalize())
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    if len(epochs) <= MARKED_POINTS:  # whole epochs as ticks
        loss_ax.set_xticks(epochs)
        acc_ax.set_xticks(epochs)
    return finish(fig, path)


def _xy(values, x) -> tuple[np.ndarray, np.ndarray]:
    """A series given as y values (x = 0, 1, ... or ``x``) or as (x, y) pairs of shape (n, 2)."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 2 and values.shape[1] == 2:
        return values[:, 0], values[:, 1]
    if values.ndim != 1:
        raise ShapeError(
            f"a series must be y values (n,) or (x, y) pairs (n, 2), got {values.shape}"
        )
    xs = np.arange(len(values)) if x is None else np.asarray(x, dtype=float)
    if len(xs) != len(values):
        raise ShapeError(f"x has {len(xs)} values but a series has {len(values)}")
    return xs, values


def plot_curves(
    series: Mapping[str, Sequence],
    path: str | os.PathLike | None = None,
    *,
    xlabel: str = "step",
    ylabel: str = "value",
    title: str | None = None,
    logy: bool = False,
    x: Sequence | None = None,
) -> Figure:
    """Line chart of several named series (e.g. SGD against Adam loss per epoch).

    Parameters
    ----------
    series : mapping of str to sequence
        Each value is either y values of shape (n,), drawn at ``x`` (default 0, 1, ..., n-1),
        or (x, y) pairs of shape (n, 2).
    logy : bool
        Logarithmic y axis (losses spanning decades).
    """
    if not series:
        raise DataError("plot_curves needs at least one series")
    fig, axes = new_figure(size=(6.5, 4))
    ax = axes[0, 0]
    for label, values in series.items():
        xs, ys = _xy(values, x)
        ax.plot(xs, ys, label=label, marker=marker(len(xs)))
    if logy:
        ax.set_yscale("log")
    if xlabel in ("epoch", "iteration", "step"):  # counts: no 1.5th epoch on the axis
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return finish(fig, path)


def plot_confusion_matrix(
    cm,
    classes: Sequence[str],
    path: str | os.PathLike | None = None,
    normalize: bool = False,
    title: str | None = None,
) -> Figure:
    """Heatmap of a confusion matrix (rows true, columns predicted) with every cell annotated.

    Parameters
    ----------
    cm : array-like of shape (k, k)
        Counts, e.g. from :func:`groundup.metrics.confusion_matrix`.
    classes : sequence of str, length k
    normalize : bool
        Colour and annotate by share of each true class (row / row sum), counts in brackets.
    """
    cm = np.asarray(cm)
    k = len(classes)
    if cm.ndim != 2 or cm.shape != (k, k):
        raise ShapeError(f"confusion matrix of shape {cm.shape} does not match {k} classes")
    rows = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows != 0)
    shown = share if normalize else cm
    top = 1 if normalize else max(int(cm.max()), 1)
    names = [str(c) for c in classes]
    tilt = k > 4 and max(len(n) for n in names) > 3
    fig, ax, bar = _matrix_axes(names, tilt, len(f"{top}"), side=max(2.5, 0.6 * k + 1.6))
    image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=top)
    fig.colorbar(image, cax=bar, label="share of true class" if normalize else "count")
    threshold = top / 2
    for i in range(k):
        for j in range(k):
            text = f"{share[i, j]:.0%}\n({cm[i, j]})" if normalize else f"{cm[i, j]}"
            color = "white" if shown[i, j] > threshold else "black"
            ax.text(j, i, text, ha="center", va="center", color=color, fontsize=9)
    ax.set_xticks(range(k), names, rotation=45 if tilt else 0, ha="right" if tilt else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or "Confusion matrix")
    return finish(fig, path)


def _text_inches(n_chars: int, fontsize: float = 10.0) -> float:
    """A generous width of ``n_chars`` characters of DejaVu Sans at ``fontsize`` points."""
    return n_chars * 0.65 * fontsize / 72


def _matrix_axes(names: list[str], tilt: bool, bar_digits: int, side: float):
    """``(figure, square axes, colour-bar axes)`` with margins sized from the labels.

    The margins are worked out from the longest class name instead of by constrained layout,
    which would measure every one of the k² cell annotations twice per save (it made the 10-class
    matrix of ``groundup train mnist`` about twice as slow to write).
    """
    label = _text_inches(max(len(n) for n in names))
    left = 0.15 + 0.3 + label + 0.1  # margin, "true", the longest name, tick
    bottom = 0.15 + 0.3 + (0.72 * label + 0.2 if tilt else 0.25)  # "predicted", the names
    top_margin = 0.45  # the title
    right = 0.25 + 0.15 + 0.1 + _text_inches(max(bar_digits, 4)) + 0.35  # the bar, its ticks
    width, height = left + side + right, bottom + side + top_margin
    fig = Figure(figsize=(width, height), dpi=DPI)
    ax = fig.add_axes((left / width, bottom / height, side / width, side / height))
    bar = fig.add_axes(((left + side + 0.25) / width, (bottom + 0.1 * side) / height,
                        0.15 / width, 0.8 * side / height))  # fmt: skip
    return fig, ax, bar
