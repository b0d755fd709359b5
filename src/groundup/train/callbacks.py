"""Callbacks: small objects the training loop calls at fixed moments.

``on_fit_start(trainer)``, ``on_step_end(trainer)`` (only for callbacks that define it, so the
hot loop pays nothing otherwise), ``on_epoch_end(trainer, row)``, ``on_interrupt(trainer)`` and
``on_fit_end(trainer)``. A callback stops training by setting ``trainer.stop = True``. Callbacks
with state that must survive a resume return it from ``state_json()`` / ``state_arrays()`` and
take it back in ``load_state()``.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np

from groundup.io import finite_or_none
from groundup.train.checkpoint import save_checkpoint

__all__ = ["Callback", "Checkpointer", "EarlyStopping", "Snapshots"]


class Callback:
    """Base class; every hook does nothing. ``order`` sorts callbacks (checkpoints run last)."""

    key = "callback"
    order = 0

    def on_fit_start(self, trainer) -> None:
        """Before the first step (also after a resume: ``trainer.step`` tells which)."""
        pass

    def on_epoch_end(self, trainer, row: dict) -> None:
        """After each epoch, with its history ``row``; set ``trainer.stop`` to end the run."""
        pass

    def on_interrupt(self, trainer) -> None:
        """After Ctrl-C, once the current step has finished."""
        pass

    def on_fit_end(self, trainer) -> None:
        """After the last epoch (not after an interrupt)."""
        pass

    def state_json(self) -> dict:
        """JSON-able state to keep in a checkpoint."""
        return {}

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Array state to keep in a checkpoint (``extra.safetensors``)."""
        return {}

    def load_state(self, state: dict, arrays: dict[str, np.ndarray]) -> None:
        """Take back what :meth:`state_json` and :meth:`state_arrays` returned."""
        pass


class EarlyStopping(Callback):
    """Stop when ``monitor`` (a history column) has not improved by more than ``min_delta`` for
    ``patience`` epochs in a row.

    ``mode`` is ``"min"`` (losses: lower is better) or ``"max"`` (accuracies: higher is better);
    by default ``"max"`` when the column's name ends in ``acc``. A run without a test set has no
    ``test_*`` columns: ``test_loss`` then falls back to the training ``loss`` and ``test_acc``
    to ``train_acc``.
    """

    key = "early_stopping"
    _FALLBACK = {"test_loss": "loss", "test_acc": "train_acc"}

    def __init__(
        self, monitor: str = "test_loss", patience: int = 5, min_delta: float = 0.0,
        mode: str | None = None,
    ):  # fmt: skip
        mode = mode or ("max" if monitor.endswith("acc") else "min")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.min_delta, self.mode = monitor, patience, min_delta, mode
        self.best = math.inf if mode == "min" else -math.inf
        self.wait = 0

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, trainer, row):
        value = row.get(self.monitor)
        if value is None:
            value = row[self._FALLBACK.get(self.monitor, "loss")]
        if self._improved(value):
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            trainer.stop = True
            trainer.note(
                f"early stopping after epoch {row['epoch']}: {self.monitor} has not improved "
                f"for {self.patience} epochs (best {self.best:.4f})"
            )

    def state_json(self):  # before the first epoch ``best`` is +-inf, which JSON has not: null
        return {"best": finite_or_none(self.best), "wait": self.wait}

    def load_state(self, state, arrays):
        unset = math.inf if self.mode == "min" else -math.inf
        self.best = unset if state["best"] is None else float(state["best"])
        self.wait = int(state["wait"])


class Snapshots(Callback):
    """Keep copies of the weights after the given optimizer steps (0 = the initial weights).

    Used for the 2x2 grid of decision boundaries at iterations 0, 100, 500 and 2000.
    ``snapshots`` maps step -> state dict.
    """

    key = "snapshots"

    def __init__(self, steps=(0, 100, 500, 2000)):
        self.steps = frozenset(int(s) for s in steps)
        self.snapshots: dict[int, dict[str, np.ndarray]] = {}

    def on_fit_start(self, trainer):
        if trainer.step == 0 and 0 in self.steps:
            self.snapshots[0] = trainer.engine.state_dict()

    def on_step_end(self, trainer):
        if trainer.step in self.steps:
            self.snapshots[trainer.step] = trainer.engine.state_dict()

    def state_arrays(self):
        return {
            f"step{s}/{name}": arr for s, sd in self.snapshots.items() for name, arr in sd.items()
        }

    def load_state(self, state, arrays):
        for key, arr in arrays.items():
            step, name = key.split("/", 1)
            self.snapshots.setdefault(int(step[4:]), {})[name] = arr


class Checkpointer(Callback):
    """Save a checkpoint at the end of every epoch (and on Ctrl-C), into ``folder``.

    Epochs that end less than ``min_seconds`` after the previous save are skipped, except the last
    one, so a 2,000-epoch full-batch run does not spend its time writing files; a resume then
    repeats at most ``min_seconds`` of work and still ends bit for bit where an uninterrupted run
    would. ``history_path``, if given, is rewritten (atomically) with every checkpoint so the two
    always agree.
    """

    key = "checkpointer"
    order = 100

    def __init__(
        self,
        folder: str | os.PathLike,
        min_seconds: float = 0.5,
        history_path: str | os.PathLike | None = None,
    ):
        self.folder = Path(folder)
        self.min_seconds = min_seconds
        self.history_path = history_path
        self._last = -math.inf
        self.saved_step = -1

    def save(self, trainer, tag: str | None = None):
        """Write a checkpoint of ``trainer`` now; returns its folder."""
        tag = tag or f"epoch-{trainer.epoch:06d}-step-{trainer.step:09d}"
        path = save_checkpoint(self.folder, tag, trainer.checkpoint())
        if self.history_path is not None:
            trainer.history.save(self.history_path)
        self._last = time.perf_counter()
        self.saved_step = trainer.step
        return path

    def on_epoch_end(self, trainer, row):
        last = trainer.epoch >= trainer.epochs or trainer.stop
        if last or time.perf_counter() - self._last >= self.min_seconds:
            self.save(trainer)

    def on_interrupt(self, trainer):
        self.save(trainer)

    def on_fit_end(self, trainer):
        if self.saved_step != trainer.step:
            self.save(trainer)
