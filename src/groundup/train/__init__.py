"""Training: the loop, its history, callbacks, checkpoints and guards.

>>> from groundup.train import Trainer                                      # doctest: +SKIP
>>> history = Trainer(engine, X_train, y_train, X_test, y_test, epochs=5).fit()  # doctest: +SKIP
"""

from groundup.train.callbacks import Callback, Checkpointer, EarlyStopping, Snapshots
from groundup.train.checkpoint import Checkpoint, has_checkpoint, load_checkpoint, save_checkpoint
from groundup.train.history import History, format_row
from groundup.train.loop import Trainer, evaluate

__all__ = [
    "Callback",
    "Checkpoint",
    "Checkpointer",
    "EarlyStopping",
    "History",
    "Snapshots",
    "Trainer",
    "evaluate",
    "format_row",
    "has_checkpoint",
    "load_checkpoint",
    "save_checkpoint",
]
