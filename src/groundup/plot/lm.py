"""Figures of a language-model run: its loss curves and the attention weights of every head.

* :func:`plot_lm_losses` — training and validation loss (each the mean over the evaluation's
  batches) against the iteration, with ln V, the loss of a uniform guess, as a dashed line.
* :func:`plot_attention` — one heat-map per (layer, head): row t is query position t, column s
  key position s, colour the weight softmax(q_t·k_s/√d) (0 above the diagonal: the causal mask).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

import numpy as np

from groundup.plot._figure import finish, marker, new_figure

__all__ = ["plot_attention", "plot_lm_losses"]


def plot_lm_losses(rows: Sequence[Mapping], vocab_size: int | None = None,
                   path: str | os.PathLike | None = None):
    """Loss curves from history rows ``{"iter", "train_loss", "val_loss"}``."""
    fig, ax = new_figure(squeeze=True)
    it = [r["iter"] for r in rows]
    for key, label in (("train_loss", "train"), ("val_loss", "validation")):
        ax.plot(it, [r[key] for r in rows], marker=marker(len(rows)), label=label)
    if vocab_size:
        ax.axhline(math.log(vocab_size), ls="--", c="grey", lw=1,
                   label=f"uniform guess, ln {vocab_size}")
    ax.set(xlabel="iteration", ylabel="cross-entropy (nats per character)",
           title="language-model loss")
    ax.legend()
    return finish(fig, path)


def plot_attention(weights: np.ndarray, tokens: Sequence[str],
                   path: str | os.PathLike | None = None):
    """Heat-maps of ``weights`` (n_layer, n_head, T, T), axes labelled by the ``tokens``."""
    weights = np.asarray(weights)
    n_layer, n_head, T, _ = weights.shape
    labels = [repr(t)[1:-1] or " " for t in tokens]
    fig, axes = new_figure(n_layer, n_head, size=(2.4 * n_head + 1, 2.4 * n_layer))
    for layer in range(n_layer):
        for head in range(n_head):
            ax = axes[layer, head]
            im = ax.imshow(weights[layer, head], vmin=0, vmax=1, cmap="viridis")
            ax.set_title(f"layer {layer} head {head}", fontsize=8)
            step = max(1, T // 16)
            ax.set_xticks(range(0, T, step), labels[::step], fontsize=6)
            ax.set_yticks(range(0, T, step), labels[::step], fontsize=6)
    fig.colorbar(im, ax=axes, shrink=0.6, label="attention weight")
    return finish(fig, path)
