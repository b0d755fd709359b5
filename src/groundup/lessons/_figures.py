"""Saving a lesson's figures: PNG files written atomically, nothing when no folder is given.

Most pictures come from :mod:`groundup.plot`. A figure that only one lesson draws is built in the
lesson on :func:`groundup.plot._figure.new_figure` (a bare :class:`matplotlib.figure.Figure`: no
pyplot, no global state, no screen needed), imported only when the figure is drawn.
"""

from __future__ import annotations

import sys
from pathlib import Path


def figure_path(out_dir: Path | None, name: str) -> Path | None:
    """``out_dir / name`` (the folder is created), or None when figures are not wanted."""
    if out_dir is None:
        return None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir / name


def save(fig, out_dir: Path | None, name: str) -> Path | None:
    """Write ``fig`` as ``out_dir/name`` (PNG, atomically); return the path, or None."""
    path = figure_path(out_dir, name)
    if path is not None:
        from groundup.plot._figure import finish

        finish(fig, path)
    release(fig)
    return path


def release(fig) -> None:
    """Free a figure, also when :mod:`groundup.plot` made it through pyplot."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
