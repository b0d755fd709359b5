"""The ``scratch`` engine: gradients derived by hand, updates on plain arrays.

Model: :class:`groundup.scratch.MLP` (forward with cached activations, backward written out
layer by layer). Optimizer: :class:`groundup.scratch.ArrayOptimizer`, which applies a function of
:mod:`groundup.optim.rules` (PyTorch's update rule) in place to each parameter array, each with
its own ``state`` dict
(``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``, ``square_avg``, ``step``).
"""

from __future__ import annotations

import numpy as np

from groundup.engines.base import (
    Engine,
    ModelSpec,
    OptimizerSpec,
    flatten_optimizer_state,
    nest_optimizer_state,
)
from groundup.scratch.mlp import MLP
from groundup.scratch.training import ArrayOptimizer

__all__ = ["ScratchEngine"]


class ScratchEngine(Engine):
    """Hand-derived backward (``MLP.backward``) + array update rules."""

    name = "scratch"

    def __init__(self, spec: ModelSpec, state: dict[str, np.ndarray], optimizer: OptimizerSpec):
        super().__init__(spec, state, optimizer)
        self.model = MLP(spec.sizes, activation=spec.activation)
        self.load_state_dict(state)
        self.optimizer = ArrayOptimizer(optimizer.name, **optimizer.hyperparameters())

    def train_step(self, xb, yb):
        model = self.model
        Z = model.forward(xb)  # (m, n_outputs)
        loss, dZ = model.loss_and_dlogits(Z, yb)  # dE/dZ, the fused head gradient
        self.optimizer.step(model.params, model.backward(dZ))
        pred = (Z[:, 0] > 0) if self.spec.binary else Z.argmax(axis=1)
        return loss, int(np.count_nonzero(pred == yb))

    def logits(self, X):
        return self.model.forward(X)

    def state_dict(self):
        return self.model.state_dict()

    def load_state_dict(self, state):
        self.model.load_state_dict(state)

    def optimizer_state(self):
        return flatten_optimizer_state(self.optimizer.state)

    def load_optimizer_state(self, arrays, counters):
        saved = nest_optimizer_state(arrays, counters)
        self.optimizer.state = {name: saved.get(name, {}) for name in self.model.params}
