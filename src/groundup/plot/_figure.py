"""Making and saving figures without a screen and without pyplot's global state.

Figures are built on :class:`matplotlib.figure.Figure` directly. ``savefig`` then renders with
the Agg (PNG) canvas, so no window can ever open, nothing is registered with pyplot (no figure
piles up in a long training run, nothing to close), and the backend a notebook has chosen is left
alone: a returned figure still displays inline in Jupyter.
"""

from __future__ import annotations

import io
import os

import numpy as np
from matplotlib.figure import Figure

from groundup.errors import ShapeError
from groundup.io import atomic_write

DPI = 100
MARKED_POINTS = 20  # a series this short gets a marker on every point; longer ones a bare line


def marker(n_points: int) -> str | None:
    """``"o"`` for a short series (each point worth seeing), None for a long one (markers would
    bury the line: 2,000 epochs would be 2,000 dots)."""
    return "o" if n_points <= MARKED_POINTS else None


def new_figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (6.0, 4.0),
               squeeze: bool = False):  # fmt: skip
    """A fresh ``(figure, axes)``; ``axes`` is a 2-D array of shape (nrows, ncols), or with
    ``squeeze`` (matplotlib's meaning) one Axes or a 1-D array when a dimension is 1."""
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=squeeze)
    return fig, axes


def finish(fig: Figure, path: str | os.PathLike | None) -> Figure:
    """Save ``fig`` as a PNG at ``path`` (atomically) when a path is given; return ``fig``.

    The image is rendered into memory first, so a drawing error leaves no file behind and an
    existing file is replaced only by a complete new one.
    """
    if path is not None:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI)
        atomic_write(path, buffer.getvalue())
    return fig


def check_points(X, y) -> tuple[np.ndarray, np.ndarray]:
    """2-D points ``X`` of shape (n, 2) and their labels ``y`` of shape (n,)."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ShapeError(f"decision boundaries need 2-D points X of shape (n, 2), got {X.shape}")
    if len(y) != len(X):
        raise ShapeError(f"X has {len(X)} points but y has {len(y)} labels")
    return X, y


def class_colors(n: int) -> list:
    """``n`` distinct colours; class 0 blue and class 1 red, as in the boundary shading."""
    from matplotlib import colormaps

    if n <= 2:
        return ["tab:blue", "tab:red"][: max(n, 1)]
    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]
