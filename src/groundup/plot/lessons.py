"""Figures for the lessons: activations, gradient fields, losses along a line, cosines."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from groundup.errors import ShapeError
from groundup.plot._figure import finish, new_figure

__all__ = ["plot_activations", "plot_cosine_histogram", "plot_loss_along_line", "plot_quiver"]

ACTIVATION_NAMES = ("relu", "leaky_relu", "gelu", "sigmoid", "tanh")


def plot_activations(
    path: str | os.PathLike | None = None,
    names: Sequence[str] = ACTIVATION_NAMES,
    zlim: tuple[float, float] = (-4.0, 4.0),
) -> Figure:
    """Each activation f(z) (top row) and its derivative f'(z) (below), from groundup.numerics.

    ReLU's derivative jumps from 0 to 1 at z = 0; sigmoid's peaks at 1/4 and tanh's at 1, and
    both vanish for large |z| (the vanishing gradient).
    """
    from groundup.numerics import get_activation

    z = np.linspace(*zlim, 801)
    fig, axes = new_figure(2, len(names), size=(2.8 * len(names), 5.2))
    for column, name in enumerate(names):
        act = get_activation(name)
        f_ax, df_ax = axes[0, column], axes[1, column]
        f_ax.plot(z, act.f(z), color="tab:blue")
        df_ax.plot(z, act.df(z), color="tab:orange")
        f_ax.set_title(name)
        df_ax.set_xlabel("z")
        for ax in (f_ax, df_ax):
            ax.axhline(0, color="grey", lw=0.8)
            ax.axvline(0, color="grey", lw=0.8)
            ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("f(z)")
    axes[1, 0].set_ylabel("f'(z)")
    return finish(fig, path)


def plot_quiver(
    f: Callable | None,
    grad_f: Callable,
    path: str | os.PathLike | None = None,
    *,
    xlim: tuple[float, float] = (-3.0, 3.0),
    ylim: tuple[float, float] = (-3.0, 3.0),
    n_arrows: int = 15,
    point: tuple[float, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Arrows of ∇f over a grid, on the contour lines of f.

    The gradient points uphill, across the contour lines (at right angles to them), and is
    longer where f is steeper; gradient descent walks against the arrows.

    Parameters
    ----------
    f : callable ``f(x, y)`` on arrays, or None
        Draws its contour lines when given.
    grad_f : callable ``grad_f(x, y) -> (df/dx, df/dy)`` on arrays
    point : (x, y), optional
        Mark one point and draw its gradient (e.g. (1, 2), where ∇f = [8, 7] for
        f = x² + 3xy + y²).
    """
    fig, axes = new_figure(size=(6.5, 5.5))
    ax = axes[0, 0]
    if f is not None:
        gx, gy = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
        F = np.asarray(f(gx, gy), dtype=np.float64)
        filled = ax.contourf(gx, gy, F, levels=20, cmap="coolwarm", alpha=0.45)
        lines = ax.contour(gx, gy, F, levels=20, colors="dimgrey", linewidths=0.5)
        ax.clabel(lines, fontsize=7, fmt="%.0f")
        fig.colorbar(filled, ax=ax, label="f(x, y)")
    qx, qy = np.meshgrid(np.linspace(*xlim, n_arrows), np.linspace(*ylim, n_arrows))
    U, V = (np.asarray(g, dtype=np.float64) for g in grad_f(qx, qy))
    if U.shape != qx.shape or V.shape != qx.shape:
        raise ShapeError(f"grad_f returned shapes {U.shape}, {V.shape} on a {qx.shape} grid")
    ax.quiver(qx, qy, U, V, color="black", angles="xy", width=0.004)
    if point is not None:
        px, py = point
        gpx, gpy = (float(np.asarray(g)) for g in grad_f(np.array(px), np.array(py)))
        ax.plot([px], [py], "o", color="red")
        ax.annotate(
            f"∇f({px:g}, {py:g}) = [{gpx:g}, {gpy:g}]",
            (px, py),
            color="darkred",
            xytext=(6, 6),
            textcoords="offset points",
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8},
        )
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title or "gradient field ∇f")
    return finish(fig, path)


def plot_loss_along_line(
    t,
    losses: Mapping[str, Sequence],
    path: str | os.PathLike | None = None,
    xlabel: str = "t  (weights w0 + t·d)",
    title: str | None = None,
) -> Figure:
    """Each loss evaluated along a line in weight space, one panel per loss.

    A convex loss stays below every chord: along any line its curve is a single valley. The
    dashed chord between the end points makes a bump (non-convexity) easy to see.
    """
    t = np.asarray(t, dtype=np.float64)
    fig, axes = new_figure(1, len(losses), size=(5 * len(losses), 4))
    for ax, (name, values) in zip(axes[0], losses.items(), strict=True):
        values = np.asarray(values, dtype=np.float64)
        if values.shape != t.shape:
            raise ShapeError(f"loss {name!r} has shape {values.shape}, t has {t.shape}")
        ax.plot(t, values, lw=2)
        ax.plot(t[[0, -1]], values[[0, -1]], "--", color="grey", label="chord")
        ax.set_xlabel(xlabel)
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return finish(fig, path)


def plot_cosine_histogram(
    cosines,
    path: str | os.PathLike | None = None,
    bins: int = 50,
    title: str | None = None,
) -> Figure:
    """Histogram of cosine similarities, e.g. of random vector pairs in 768 dimensions.

    Random directions in d dimensions have cosines of mean 0 and standard deviation about
    1 / sqrt(d) (0.036 for d = 768): nearly orthogonal.
    """
    cosines = np.asarray(cosines, dtype=np.float64).reshape(-1)
    fig, axes = new_figure(size=(6.5, 4))
    ax = axes[0, 0]
    ax.hist(cosines, bins=bins, color="tab:blue", alpha=0.8)
    ax.axvline(0, color="black", lw=1)
    mean, std = float(cosines.mean()), float(cosines.std())
    ax.set_xlabel("cosine similarity")
    ax.set_ylabel("pairs")
    ax.set_title(title or f"cosine similarity: mean {mean:.3f}, std {std:.3f}")
    return finish(fig, path)
