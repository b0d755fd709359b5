"""nanoGPT's training loop for a language-model engine: evaluate, checkpoint, step.

Iteration t (from ``start`` to ``max_iters``): every ``eval_interval`` iterations (and at the
last) the mean loss over ``eval_iters`` random batches of each split is logged, then a
checkpoint is written; then one training step on a batch drawn from ``rng``. Evaluation batches
come from a generator seeded by ``(seed, t)``, not from ``rng``, so evaluating never changes the
training batches and a resumed run draws the same ones. A checkpoint holds the weights, AdamW's
buffers and step counts, the schedule's clock (the iteration) and the training sampler's
bit-generator state: resuming from it continues the very same run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from groundup.data.text import TextDataset
from groundup.engines.lm import LMEngine
from groundup.train.checkpoint import Checkpoint

__all__ = ["LMLoop", "estimate_loss"]


def estimate_loss(engine: LMEngine, data: TextDataset, n_batches: int, batch_size: int,
                  rng: np.random.Generator) -> dict[str, float]:
    """Mean loss over ``n_batches`` random batches of each split (nanoGPT's estimate_loss)."""
    T = engine.spec.block_size
    return {split: float(np.mean([engine.loss(*data.get_batch(split, batch_size, T, rng))
                                  for _ in range(n_batches)]))
            for split in ("train", "val")}


@dataclass
class LMLoop:
    """The loop's settings and its state (``iter``, ``history``, the sampler ``rng``)."""

    engine: LMEngine
    data: TextDataset
    max_iters: int
    batch_size: int
    eval_interval: int
    eval_iters: int
    seed: int
    log: Callable[[str], None] = print
    save: Callable[[Checkpoint], None] | None = None
    iter: int = 0
    history: list[dict] = field(default_factory=list)
    rng: np.random.Generator = None
    seconds: float = 0.0
    resumed_at: int | None = None  # the checkpoint's iteration: already evaluated and saved

    def __post_init__(self):
        if self.rng is None:
            self.rng = np.random.default_rng(self.seed)

    def eval_rng(self, t: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, 1, t])

    def run(self) -> list[dict]:
        """Train from ``iter`` to ``max_iters``; returns the history rows."""
        T, losses = self.engine.spec.block_size, []
        start = time.perf_counter() - self.seconds
        while True:
            t = self.iter
            if (t % self.eval_interval == 0 or t == self.max_iters) and t != self.resumed_at:
                est = estimate_loss(self.engine, self.data, self.eval_iters, self.batch_size,
                                    self.eval_rng(t))
                self.seconds = time.perf_counter() - start
                row = {"iter": t, "train_loss": est["train"], "val_loss": est["val"],
                       "lr": self.engine.opt.lr_at(t), "seconds": round(self.seconds, 2),
                       "step_loss": float(np.mean(losses)) if losses else None}
                self.history.append(row)
                losses = []
                self.log(f"iter {t:5d}: train loss {row['train_loss']:.4f}, val loss "
                         f"{row['val_loss']:.4f}, lr {row['lr']:.2e}, {self.seconds:.0f} s")
                if self.save is not None:
                    self.save(self.checkpoint())
            if t >= self.max_iters:
                return self.history
            losses.append(self.engine.train_step(*self.data.get_batch("train", self.batch_size,
                                                                       T, self.rng)))
            self.iter += 1

    def checkpoint(self) -> Checkpoint:
        """Everything :meth:`restore` needs (taken before iteration ``iter``'s step)."""
        arrays, counters = self.engine.optimizer_state()
        loop = {"epoch": 0, "batch": self.iter, "step": self.iter, "loss_sum": 0.0,
                "correct": 0, "seen": 0, "stop": False, "seconds": self.seconds,
                "rng": self.rng.bit_generator.state}
        return Checkpoint(self.engine.state_dict(), arrays, counters,
                          {"loop": loop, "history": list(self.history),
                           "scheduler": {"last_epoch": self.iter}})

    def restore(self, ckpt: Checkpoint) -> None:
        """Continue from ``ckpt``: weights, AdamW, schedule clock, sampler state, history
        (its last row is the evaluation the checkpoint was taken after)."""
        self.engine.load_state_dict(ckpt.model)
        self.engine.load_optimizer_state(ckpt.optimizer, ckpt.counters)
        loop = ckpt.state["loop"]
        self.iter = self.engine.steps = int(loop["step"])
        self.seconds = float(loop.get("seconds", 0.0))
        self.rng.bit_generator.state = loop["rng"]
        self.history = list(ckpt.state["history"])
        self.resumed_at = self.iter
