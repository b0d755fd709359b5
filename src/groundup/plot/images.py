"""Pictures of image models: first-layer weights and misclassified examples."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from groundup.errors import DataError, ShapeError
from groundup.plot._figure import DPI, finish, new_figure

__all__ = ["plot_feature_maps", "plot_misclassified", "plot_weight_images", "tile"]


def _grid_shape(n: int, max_cols: int) -> tuple[int, int]:
    ncols = min(n, max_cols)
    return math.ceil(n / ncols), ncols


def _to_unit_range(image: np.ndarray) -> np.ndarray:
    """Min-max scale to [0, 1] (a constant image becomes mid-grey)."""
    lo, hi = float(image.min()), float(image.max())
    if hi == lo:
        return np.full_like(image, 0.5, dtype=np.float64)
    return (image - lo) / (hi - lo)


def tile(images: np.ndarray, ncols: int, fill: float = np.nan):
    """Images of shape (k, H, W[, 3]) laid out in one array, ``ncols`` per row, for a single
    ``imshow``; returns ``(mosaic, origins)`` with each image's top-left ``(row, col)``.

    Gaps of ``fill`` (NaN: drawn as the colormap's background) separate the images: W/8 wide
    between columns and H/3 between rows, room for a caption above each image. One image drawn
    once is several times faster to save than a grid of small axes, each with its own ticks,
    spines and layout.
    """
    k, H, W = images.shape[:3]
    nrows = math.ceil(k / ncols)
    gap_x, gap_y = max(1, W // 8), max(2, H // 3)
    shape = (gap_y + nrows * (H + gap_y), ncols * (W + gap_x) - gap_x, *images.shape[3:])
    mosaic = np.full(shape, fill, dtype=np.float64)
    origins = []
    for j, image in enumerate(images):
        r, c = divmod(j, ncols)
        top, left = gap_y + r * (H + gap_y), c * (W + gap_x)
        mosaic[top : top + H, left : left + W] = image
        origins.append((top, left))
    return mosaic, origins


def _captions(ax, origins, width: int, texts, **style) -> None:
    for (top, left), text in zip(origins, texts, strict=False):
        ax.text(left + (width - 1) / 2, top - 1, text, ha="center", va="bottom", **style)


def _mosaic_axes(fig: Figure, rect) -> object:
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    return ax


def plot_weight_images(
    W,
    image_shape: Sequence[int],
    path: str | os.PathLike | None = None,
    max_images: int = 16,
    title: str | None = None,
    label: str = "unit",
) -> Figure:
    """Show each row of a first-layer weight matrix as a picture, captioned ``"{label} j"``.

    Unit ``j`` computes ``z_j = W[j] · x + b_j``, so ``W[j]`` reshaped to the image shape shows
    which pixels push ``z_j`` up (red, positive weights) and which push it down (blue).

    Parameters
    ----------
    W : array-like of shape (k, n_pixels) or (n_pixels,)
        One row per unit (PyTorch layout ``(out, in)``), e.g. (128, 784) for MNIST or the
        single row (1, 12288) of the cat logistic regression.
    image_shape : tuple
        ``(H, W)`` for grey images, ``(H, W, 3)`` for colour; ``prod(image_shape) == n_pixels``.
    max_images : int
        Show only the first ``max_images`` rows (16 make a 4 x 4 grid).

    Notes
    -----
    Grey images use a diverging colormap centred at 0, on one scale shared by all units, laid
    out in one mosaic (:func:`tile`) captioned "unit j". Colour images cannot be coloured by
    sign, so each is min-max scaled to [0, 1] and shown as RGB; a single colour row gets a
    second panel with the channel sum on the diverging scale.
    """
    from matplotlib import colormaps

    W = np.asarray(W, dtype=np.float64)
    W = W.reshape(1, -1) if W.ndim == 1 else W
    shape = tuple(int(s) for s in image_shape)
    if W.ndim != 2 or W.shape[1] != math.prod(shape):
        raise ShapeError(
            f"weights of shape {W.shape} cannot be shown as images of shape {shape}: each row "
            f"needs {math.prod(shape)} values"
        )
    rgb = len(shape) == 3
    images = W[:max_images].reshape(-1, *shape)
    k = len(images)
    if rgb and k == 1:  # the cat: the colour picture and, beside it, the sign of the weights
        fig, axes = new_figure(1, 2, size=(8.5, 4))
        axes[0, 0].imshow(_to_unit_range(images[0]))
        axes[0, 0].set_title("weights as RGB (min-max scaled)")
        signed = images[0].sum(axis=2)
        m = float(np.abs(signed).max()) or 1.0
        im = axes[0, 1].imshow(signed, cmap="RdBu_r", vmin=-m, vmax=m)
        axes[0, 1].set_title("sum over colour channels")
        fig.colorbar(im, ax=axes[0, 1], shrink=0.8)
        for ax in axes.ravel():
            ax.set_xticks([])
            ax.set_yticks([])
        fig.suptitle(title or "First-layer weights")
        return finish(fig, path)
    nrows, ncols = _grid_shape(k, 4 if k <= 16 else 8)
    width, height = 1.8 * ncols + 1.2, 1.9 * nrows + 0.6
    fig = Figure(figsize=(width, height), dpi=DPI)
    ax = _mosaic_axes(fig, (0.02, 0.02, 1 - 1.3 / width, 1 - 0.6 / height))
    if rgb:
        mosaic, origins = tile(np.stack([_to_unit_range(im) for im in images]), ncols, 1.0)
        ax.imshow(mosaic)
    else:
        m = float(np.abs(images).max()) or 1.0
        mosaic, origins = tile(images, ncols)
        cmap = colormaps["RdBu_r"].with_extremes(bad="white")
        im = ax.imshow(mosaic, cmap=cmap, vmin=-m, vmax=m, interpolation="nearest")
        bar = fig.add_axes((1 - 1.05 / width, 0.15, 0.15 / width, 0.6))
        fig.colorbar(im, cax=bar, label="weight")
    _captions(ax, origins, shape[1], [f"{label} {j}" for j in range(k)], fontsize=8)
    fig.suptitle(title or "First-layer weights")
    return finish(fig, path)


def _class_name(classes: Sequence[str] | None, label) -> str:
    if classes is not None and np.issubdtype(type(label), np.integer) and 0 <= label < len(classes):
        return str(classes[label])
    return str(label)


def plot_misclassified(
    images,
    y_true,
    y_pred,
    classes: Sequence[str] | None,
    path: str | os.PathLike | None = None,
    probs=None,
    max_images: int = 10,
    image_shape: Sequence[int] | None = None,
) -> Figure:
    """A grid of example images titled "true / predicted (p)".

    Parameters
    ----------
    images : array-like of shape (k, H, W), (k, H, W, 3), or (k, n_pixels) with ``image_shape``
        uint8 (0-255) or floats (scaled to [0, 1] per image for display).
    y_true, y_pred : array-like of shape (k,)
        Integer classes (names taken from ``classes``) or labels.
    probs : array-like of shape (k,) or (k, C), optional
        The model's probability for its prediction (k,), or all class probabilities (k, C), from
        which the predicted class's column is shown.
    """
    images = np.asarray(images)
    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    if image_shape is not None:
        images = images.reshape(len(images), *image_shape)
    if images.ndim not in (3, 4) or len(images) != len(y_true) or len(y_pred) != len(y_true):
        raise ShapeError(
            f"images {images.shape}, y_true {y_true.shape} and y_pred {y_pred.shape} must have "
            f"the same length k, images of shape (k, H, W) or (k, H, W, 3)"
        )
    if len(images) == 0:
        raise DataError("no images to show (nothing was misclassified?)")
    p_shown = None
    if probs is not None:
        probs = np.asarray(probs, dtype=np.float64)
        p_shown = probs[np.arange(len(probs)), y_pred.astype(int)] if probs.ndim == 2 else probs
    k = min(len(images), max_images)
    nrows, ncols = _grid_shape(k, 5)
    grey = images.ndim == 3
    if grey or images.dtype != np.uint8:  # each grey image on its own range, as imshow would
        shown = np.stack([_to_unit_range(im.astype(np.float64)) for im in images[:k]])
    else:  # 8-bit colour as it is
        shown = images[:k] / 255.0
    width, height = 2.2 * ncols, 2.5 * nrows + 0.6
    fig = Figure(figsize=(width, height), dpi=DPI)
    ax = _mosaic_axes(fig, (0.01, 0.01, 0.98, 1 - 0.6 / height))
    mosaic, origins = tile(shown, ncols, np.nan if grey else 1.0)
    if grey:
        from matplotlib import colormaps

        cmap = colormaps["gray"].with_extremes(bad="white")
        ax.imshow(mosaic, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    else:
        ax.imshow(mosaic, interpolation="nearest")
    labels = []
    for i in range(k):
        label = f"{_class_name(classes, y_true[i])} / {_class_name(classes, y_pred[i])}"
        if p_shown is not None:
            label += f" ({p_shown[i]:.2f})"
        labels.append(label)
    _captions(ax, origins, shown.shape[2], labels, fontsize=9, color="darkred")
    fig.suptitle("true / predicted (probability of the prediction)")
    return finish(fig, path)


def plot_feature_maps(
    image,
    maps,
    path: str | os.PathLike | None = None,
    max_maps: int = 16,
    title: str | None = None,
) -> Figure:
    """One input image (left) and what a convolution layer makes of it (right): one picture per
    output channel, ``maps[c]`` of shape (H', W'), on one shared colour scale.

    Parameters
    ----------
    image : array-like of shape (H, W) or (H, W, 3)
        The input as loaded (uint8 pixels or floats).
    maps : array-like of shape (C, H', W')
        The layer's output for that image (after its activation, typically).
    """
    from matplotlib import colormaps

    maps = np.asarray(maps, dtype=np.float64)
    image = np.asarray(image)
    if maps.ndim != 3 or image.ndim not in (2, 3):
        raise ShapeError(f"feature maps must have shape (C, H, W) and the image (H, W) or "
                         f"(H, W, 3), got {maps.shape} and {image.shape}")  # fmt: skip
    shown = maps[:max_maps]
    k = len(shown)
    nrows, ncols = _grid_shape(k, 4 if k <= 16 else 8)
    width, height = 2.6 + 1.6 * ncols + 1.2, 1.7 * nrows + 0.7
    fig = Figure(figsize=(width, height), dpi=DPI)
    left = _mosaic_axes(fig, (0.02, 0.3, 2.2 / width, 0.45))
    picture = _to_unit_range(image.astype(np.float64))
    left.imshow(picture, cmap="gray" if picture.ndim == 2 else None, interpolation="nearest")
    left.set_title("input", fontsize=9)
    ax = _mosaic_axes(fig, (2.5 / width, 0.02, 1.6 * ncols / width, 1 - 0.7 / height))
    mosaic, origins = tile(shown, ncols)
    lo, hi = float(shown.min()), float(shown.max())
    im = ax.imshow(mosaic, cmap=colormaps["viridis"].with_extremes(bad="white"),
                   vmin=lo, vmax=hi if hi > lo else lo + 1, interpolation="nearest")  # fmt: skip
    _captions(ax, origins, shown.shape[2], [f"channel {c}" for c in range(k)], fontsize=8)
    bar = fig.add_axes((1 - 1.05 / width, 0.15, 0.15 / width, 0.6))
    fig.colorbar(im, cax=bar, label="activation")
    fig.suptitle(title or "Feature maps of the first convolution")
    return finish(fig, path)
