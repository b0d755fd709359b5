"""Drawing text from a language model: temperature, top-k and a seeded generator (NumPy only).

A model gives logits z (vocabulary-sized) for the next token. Sampling draws it from

    p = softmax(z / T)          over the k largest logits only (the rest get probability 0)

T < 1 sharpens the distribution towards the most likely token (T → 0 is argmax), T > 1 flattens
it; top-k cuts off the long tail of unlikely tokens that, drawn one after another, derail a
text. Each drawn token is appended and the model is asked again, seeing at most ``block_size``
tokens of context. Every draw comes from one ``numpy.random.Generator``, so the same seed and the
same model give the same text.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from groundup import numerics
from groundup.errors import GroundupError


def sample_next(logits, temperature: float = 1.0, top_k: int | None = None,
                rng: np.random.Generator | int = 0) -> np.ndarray:
    """One token per row of ``logits`` (B, V), as int64 of shape (B,).

    Inverse-CDF sampling: with u ~ U[0, 1) the token is the first index whose cumulative
    probability exceeds u.
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2:
        raise GroundupError(f"sample_next needs logits of shape (B, V), got {z.shape}")
    if not temperature > 0:
        raise GroundupError(f"temperature must be > 0, got {temperature} (small values such as "
                            "0.1 pick the likeliest token almost always)")
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    z = z / temperature
    V = z.shape[1]
    if top_k is not None:
        if top_k < 1:
            raise GroundupError(f"top_k must be at least 1, got {top_k}")
        kth = np.partition(z, V - min(top_k, V), axis=1)[:, V - min(top_k, V), None]
        z = np.where(z < kth, -np.inf, z)  # ties with the k-th largest stay, as in nanoGPT
    cdf = np.cumsum(numerics.softmax(z, axis=1), axis=1)
    u = rng.random((z.shape[0], 1)) * cdf[:, -1:]  # scaled by the total, which rounds near 1
    return (cdf <= u).sum(axis=1).astype(np.int64)


def generate(logits_fn: Callable[[np.ndarray], np.ndarray], prompt, max_new_tokens: int,
             block_size: int, temperature: float = 1.0, top_k: int | None = None,
             rng: np.random.Generator | int = 0) -> np.ndarray:
    """Extend ``prompt`` (B, T0) integer ids by ``max_new_tokens`` sampled tokens.

    ``logits_fn(ids)`` maps ids (B, T) to logits (B, T, V); only the last position's logits are
    used, and ``ids`` holds at most the last ``block_size`` tokens. Returns (B, T0 + new).
    """
    ids = np.asarray(prompt, dtype=np.int64)
    if ids.ndim != 2 or ids.shape[1] == 0:
        raise GroundupError(f"generate needs prompt ids of shape (B, T) with T >= 1, got shape "
                            f"{ids.shape}; a single text is ids[None, :]")
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    for _ in range(max_new_tokens):
        logits = np.asarray(logits_fn(ids[:, -block_size:]))
        nxt = sample_next(logits[:, -1, :], temperature, top_k, rng)
        ids = np.concatenate([ids, nxt[:, None]], axis=1)
    return ids
