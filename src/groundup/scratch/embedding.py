"""The embedding lookup, with its backward pass derived by hand.

``E = W[idx]``: row idx_p of the table W (V, C) for every position p of the integer ids idx
(any shape); E has idx's shape plus C. As a matrix product, E = onehot(idx) W with onehot(idx)
of shape (positions, V), so

    dW = onehot(idx)ᵀ δ                                                        (V, C)

row v of dW adds up δ_p over the positions p whose token is v (a token seen twice gets both
gradients), and the rows of tokens not in the batch stay 0. The ids are not differentiable.
"""

from __future__ import annotations

import numpy as np

from groundup.errors import DataError


class Embedding:
    """``params = {"weight": W (V, C)}``; ``forward(idx)`` picks rows, ``backward`` adds δ back
    into them."""

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype=np.float32):
        self.params = {"weight": np.zeros((num_embeddings, embedding_dim), dtype)}

    def forward(self, idx) -> np.ndarray:
        idx = np.asarray(idx)
        V = self.params["weight"].shape[0]
        if idx.dtype.kind not in "iu" or (idx.size and (idx.min() < 0 or idx.max() >= V)):
            raise DataError(f"Embedding({V}, ...) needs integer ids in [0, {V - 1}]")
        self._idx = idx
        return self.params["weight"][idx]  # (..., C)

    def backward(self, dY: np.ndarray, need_dx: bool = False):
        """``(None, {"weight": onehot(idx)ᵀ δ})``: ids have no gradient."""
        W = self.params["weight"]
        dW = np.zeros_like(W)
        np.add.at(dW, self._idx.reshape(-1), dY.reshape(-1, W.shape[1]))  # repeats add up
        return None, {"weight": dW}
