"""Optimizers: update rules on plain arrays (``rules``, shared with the scratch engine) and the
PyTorch-style classes that wrap them (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``), plus
``lr_scheduler``."""

from groundup.optim import lr_scheduler, rules
from groundup.optim.optimizers import SGD, Adam, AdamW, Optimizer, RMSprop, decay_groups

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "decay_groups", "lr_scheduler",
           "rules"]
