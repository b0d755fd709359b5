"""Language-model engines side by side: the same initial weights, the same batches, per step.

Every engine starts from one ``GPTSpec.init_state(seed)`` and trains on the same windows (one
generator seeded by ``seed`` draws them once, for all); the result is each engine's training loss
at every step and, against the first engine, the relative difference |a - b| / |b| per step.
"""

from __future__ import annotations

import numpy as np

from groundup.data.text import TextDataset
from groundup.engines.lm import LMOptimizer, make_lm_engine
from groundup.models.gpt import GPTSpec

__all__ = ["compare_lm_engines"]


def compare_lm_engines(spec: GPTSpec, optimizer: LMOptimizer, data: TextDataset, iters: int,
                       batch_size: int, seed: int, engines=("autograd", "torch"),
                       dtype=np.float32) -> dict[str, np.ndarray]:
    """``{engine: losses (iters,)}`` from the same weights and batches."""
    state = spec.init_state(seed, dtype)
    rng = np.random.default_rng(seed)
    batches = [data.get_batch("train", batch_size, spec.block_size, rng) for _ in range(iters)]
    losses = {}
    for name in engines:
        engine = make_lm_engine(name, spec, state, optimizer)
        losses[name] = np.array([engine.train_step(x, y) for x, y in batches])
    return losses
