"""A progress bar (rich) that costs nothing: it is touched every ``every`` steps only."""

from __future__ import annotations

import sys

__all__ = ["ProgressBar"]


class ProgressBar:
    """Steps done out of ``total``; ``print`` writes a line above the bar.

    Disabled (and printing with plain ``print``) when ``enabled`` is False or stdout is not a
    terminal, so logs and tests see only the epoch lines.
    """

    def __init__(self, total: int, enabled: bool = True, description: str = "training"):
        self.total = total
        self.every = max(1, total // 200)
        self._progress = None
        if enabled and sys.stdout.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeRemainingColumn(), transient=True,
            )
            self._task = self._progress.add_task(description, total=total)
            self._progress.start()

    @property
    def active(self) -> bool:
        return self._progress is not None

    def update(self, completed: int, description: str | None = None) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=completed, description=description)

    def print(self, message: str) -> None:
        if self._progress is not None:
            self._progress.console.print(message, markup=False, highlight=False)
        else:
            print(message, flush=True)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
