"""``groundup.models``: the one home of architecture.

A model is a :class:`ModelSpec`: layer specs (:mod:`.layers`) applied in order, plus a
:class:`Head` (:mod:`.head`). The spec owns PyTorch's parameter names and shapes, the initial
weights (PyTorch's default distributions, drawn once and loaded into whichever engine runs), the
parameter count and memory, and, through the head, the loss and the prediction rule. Engines
(:mod:`groundup.engines`) only decide how gradients are computed.

>>> from groundup import models
>>> spec = models.build("mlp", 784, 10, hidden=(128,))
>>> spec.summary()
'784 -> Linear(784, 128) -> ReLU -> Linear(128, 10) -> 10 logits'

A new layer kind is one spec in :mod:`.layers` plus one row in each engine's table; a new model
is one file here plus its row in :mod:`.registry`.
"""

from groundup.models.head import Head, mean_loss, predictions, probabilities
from groundup.models.layers import (
    LAYERS,
    Activation,
    AvgPool2d,
    Conv2d,
    Dropout,
    Flatten,
    Layer,
    Linear,
    MaxPool2d,
)
from groundup.models.registry import MODELS, build, get_model
from groundup.models.spec import ModelSpec

__all__ = [
    "LAYERS",
    "MODELS",
    "Activation",
    "AvgPool2d",
    "Conv2d",
    "Dropout",
    "Flatten",
    "Head",
    "Layer",
    "Linear",
    "MaxPool2d",
    "ModelSpec",
    "build",
    "get_model",
    "mean_loss",
    "predictions",
    "probabilities",
]
