"""Figures for runs and lessons (matplotlib, PNG, no screen needed).

Every function returns the :class:`matplotlib.figure.Figure` it drew, and when ``path=`` is given
also writes it as a PNG file, atomically (:func:`groundup.io.atomic_write`). Import this module
lazily (inside the function that draws) so that the core never needs matplotlib::

    from groundup import plot
    plot.plot_history(history.rows, path="run/curves.png")
"""

from groundup.plot.boundary import plot_boundary_snapshots, plot_decision_boundary
from groundup.plot.curves import plot_confusion_matrix, plot_curves, plot_history
from groundup.plot.images import plot_feature_maps, plot_misclassified, plot_weight_images
from groundup.plot.lessons import (
    plot_activations,
    plot_cosine_histogram,
    plot_loss_along_line,
    plot_quiver,
)

__all__ = [
    "plot_activations",
    "plot_boundary_snapshots",
    "plot_confusion_matrix",
    "plot_cosine_histogram",
    "plot_curves",
    "plot_decision_boundary",
    "plot_feature_maps",
    "plot_history",
    "plot_loss_along_line",
    "plot_misclassified",
    "plot_quiver",
    "plot_weight_images",
]
