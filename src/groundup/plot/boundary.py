"""Decision boundaries of 2-D classifiers, alone or as snapshots during training."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from groundup.errors import ShapeError
from groundup.plot._figure import check_points, class_colors, finish, new_figure

__all__ = ["BOUNDARY_GID", "plot_boundary_snapshots", "plot_decision_boundary"]

BOUNDARY_GID = "decision-boundary"  # the p = 0.5 contour carries this id (tests look it up)

ProbaFn = Callable[[np.ndarray], np.ndarray]


def _grid(X: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """A (resolution x resolution) mesh covering the points with a 10% margin."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.maximum(0.1 * (hi - lo), 0.5)
    x0 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    x1 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    return np.meshgrid(x0, x1)


def _probabilities(predict_proba: ProbaFn, grid: np.ndarray) -> np.ndarray:
    """Call the model on the (k, 2) grid; return P(class 1) (k,) or class probabilities (k, C)."""
    P = np.asarray(predict_proba(grid), dtype=np.float64)
    if P.ndim == 2 and P.shape[1] == 1:
        P = P[:, 0]  # a single sigmoid output (k, 1)
    if P.shape[0] != len(grid) or P.ndim not in (1, 2):
        raise ShapeError(
            f"predict_proba mapped {len(grid)} points to shape {P.shape}; expected "
            f"({len(grid)},) for P(class 1) or ({len(grid)}, n_classes)"
        )
    return P


def plot_decision_boundary(
    predict_proba: ProbaFn,
    X,
    y,
    ax=None,
    path: str | os.PathLike | None = None,
    title: str | None = None,
    resolution: int = 200,
    classes: Sequence[str] | None = None,
) -> Figure:
    """Shade the plane by the model's prediction and draw the points on top.

    Binary models (``predict_proba`` returns P(class 1) of shape (k,) or (k, 1)): the colour
    runs from blue (P = 0) to red (P = 1) and the boundary ``P = 0.5`` is a black line; for a
    logistic regression ``σ(w·x + b) = 0.5`` exactly where ``w·x + b = 0``, a straight line.
    Multiclass models (shape (k, C)): each region takes the colour of ``argmax_c P_c``.

    Parameters
    ----------
    predict_proba : callable
        Maps points of shape (k, 2) to probabilities.
    X : array-like of shape (n, 2)
    y : array-like of shape (n,), integer classes
    ax : matplotlib Axes, optional
        Draw into this axes (e.g. one panel of a grid) instead of a new figure.
    resolution : int
        Grid points per axis (the model is evaluated ``resolution**2`` times, in one call).
    classes : sequence of str, optional
        Legend names (default "class 0", "class 1", ...).
    """
    X, y = check_points(X, y)
    if ax is None:
        fig, axes = new_figure(size=(6, 5))
        ax = axes[0, 0]
    else:
        fig = ax.figure
    xx, yy = _grid(X, resolution)
    P = _probabilities(predict_proba, np.c_[xx.ravel(), yy.ravel()])
    n_classes = max(int(y.max()) + 1 if len(y) else 0, 2 if P.ndim == 1 else P.shape[1])
    colors = class_colors(n_classes)

    if P.ndim == 1 or P.shape[1] == 2:
        p1 = (P if P.ndim == 1 else P[:, 1]).reshape(xx.shape)
        ax.contourf(xx, yy, p1, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
        if p1.min() < 0.5 < p1.max():  # the boundary lies inside the picture
            line = ax.contour(xx, yy, p1, levels=[0.5], colors="black", linewidths=2)
            line.set_gid(BOUNDARY_GID)
        else:  # e.g. zero weights at iteration 0: P = 0.5 everywhere, no line yet
            side = "≥" if p1.min() >= 0.5 else "<"
            ax.text(
                0.02,
                0.02,
                f"no boundary in view: P(class 1) {side} 0.5 everywhere",
                transform=ax.transAxes,
                fontsize=8,
                color="dimgrey",
            )
    else:
        from matplotlib.colors import ListedColormap

        winner = P.argmax(axis=1).reshape(xx.shape)
        levels = np.arange(P.shape[1] + 1) - 0.5
        ax.contourf(
            xx, yy, winner, levels=levels, cmap=ListedColormap(colors[: P.shape[1]]), alpha=0.3
        )

    for c in np.unique(y).astype(int):
        name = classes[c] if classes is not None else f"class {c}"
        mask = y == c
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            s=25,
            color=colors[c],
            edgecolors="black",
            linewidths=0.5,
            label=name,
        )
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return finish(fig, path)


def plot_boundary_snapshots(
    snapshots: Mapping[int, ProbaFn],
    X,
    y,
    path: str | os.PathLike | None = None,
    ncols: int = 2,
    resolution: int = 150,
) -> Figure:
    """A grid of decision boundaries, one per training iteration (e.g. 0, 100, 500, 2000).

    Parameters
    ----------
    snapshots : mapping of int to callable
        ``{iteration: predict_proba}``; each function is frozen at that iteration's weights.
        Panels appear in increasing iteration order, titled "iteration N".
    """
    if not snapshots:
        raise ShapeError("plot_boundary_snapshots needs at least one snapshot")
    steps = sorted(snapshots)
    ncols = min(ncols, len(steps))
    nrows = math.ceil(len(steps) / ncols)
    fig, axes = new_figure(nrows, ncols, size=(5 * ncols, 4.2 * nrows))
    for ax, step in zip(axes.ravel(), steps, strict=False):
        plot_decision_boundary(
            snapshots[step], X, y, ax=ax, title=f"iteration {step}", resolution=resolution
        )
    for ax in axes.ravel()[len(steps) :]:
        ax.set_axis_off()
    return finish(fig, path)
