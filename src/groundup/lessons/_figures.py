"""Saving a lesson's figures: PNG files written atomically, nothing when no folder is given.

Most pictures come from :mod:`groundup.plot`. A figure that only one lesson draws is built
here on a bare :class:`matplotlib.figure.Figure` (no pyplot, no global state, no screen needed);
matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from groundup.io import atomic_write


def figure_path(out_dir: Path | None, name: str) -> Path | None:
    """``out_dir / name`` (the folder is created), or None when figures are not wanted."""
    if out_dir is None:
        return None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir / name


def new_figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (6.0, 4.0)):
    """A fresh ``(figure, axes)`` pair; ``axes`` is an array when there is more than one."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def save(fig, out_dir: Path | None, name: str) -> Path | None:
    """Write ``fig`` as ``out_dir/name`` (PNG, atomically); return the path, or None."""
    path = figure_path(out_dir, name)
    if path is not None:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        atomic_write(path, buffer.getvalue())
    release(fig)
    return path


def release(fig) -> None:
    """Free a figure, also when :mod:`groundup.plot` made it through pyplot."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
