"""``History``: one row per epoch, the numbers the primer prints and the curves are drawn from.

A row is a plain dict, written as one JSON object per line to ``history.jsonl``::

    {"epoch": 1, "step": 938, "loss": 0.6231, "train_acc": 0.842, "test_loss": 0.31,
     "test_acc": 0.912, "seconds": 1.4}

``loss`` is the mean of the batch losses seen during the epoch (the weights move while it is
accumulated, as in the primer's loop); ``train_acc`` is the share of training examples the
network classified correctly at the moment it saw them; ``test_*`` are measured after the epoch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from groundup.io import atomic_write

__all__ = ["History", "format_row"]


def format_row(row: dict, epochs: int) -> str:
    """The primer's compact line: ``Epoch 1/5: loss=0.2847, train_acc=78.4%, test_acc=87.3%``."""
    line = f"Epoch {row['epoch']}/{epochs}: loss={row['loss']:.4f}"
    line += f", train_acc={100 * row['train_acc']:.1f}%"
    if row.get("test_acc") is not None:
        line += f", test_acc={100 * row['test_acc']:.1f}%"
    return line


class History:
    """The list of epoch rows, with the few questions asked of it."""

    def __init__(self, rows: list[dict] | None = None):
        self.rows: list[dict] = list(rows or [])
        self.notes: list[str] = []  # guard messages (initial loss, overfitting, ...)
        # (loss, accuracy) of the final weights on the training set, once the trainer measured
        # them at the end of fit (the run's metrics read them instead of measuring again)
        self.final_train: tuple[float, float] | None = None

    def append(self, row: dict) -> None:
        """Add one epoch's row (a copy)."""
        self.rows.append(dict(row))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    @property
    def last(self) -> dict | None:
        """The latest row, or None before the first epoch ends."""
        return self.rows[-1] if self.rows else None

    def column(self, key: str) -> list:
        """Values of one column, e.g. ``history.column("loss")``."""
        return [row.get(key) for row in self.rows]

    def to_jsonl(self) -> str:
        """One JSON object per line, as in ``history.jsonl`` (strict JSON: the loop's guards stop
        a run before a NaN or infinite loss reaches a row; ValueError if one does)."""
        return "".join(json.dumps(row, allow_nan=False) + "\n" for row in self.rows)

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``history.jsonl`` atomically (the whole file, so it is never half written)."""
        return atomic_write(path, self.to_jsonl())

    @classmethod
    def load(cls, path: str | os.PathLike) -> History:
        """Read a ``history.jsonl`` written by :meth:`save`."""
        text = Path(path).read_text(encoding="utf-8")
        return cls([json.loads(line) for line in text.splitlines() if line.strip()])
