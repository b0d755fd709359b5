"""The ``scratch`` engine: gradients derived by hand, updates on plain arrays.

Network: :class:`groundup.scratch.Sequential`, one hand-derived layer per layer spec from the
table :data:`groundup.scratch.layers.LAYERS` (forward with cached inputs, backward written out
layer by layer), started from the head's fused gradient ``dE/dZ``. Optimizer:
:class:`groundup.scratch.ArrayOptimizer`, which applies a function of :mod:`groundup.optim.rules`
(PyTorch's update rule) in place to each parameter array, each with its own ``state`` dict
(``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``, ``square_avg``, ``step``).
"""

from __future__ import annotations

import numpy as np

from groundup.engines.base import Engine, flatten_optimizer_state, nest_optimizer_state
from groundup.scratch.layers import LAYERS
from groundup.scratch.sequential import Sequential, loss_and_dlogits
from groundup.scratch.training import ArrayOptimizer

__all__ = ["LAYERS", "ScratchEngine"]


class ScratchEngine(Engine):
    """Hand-derived backward (``Sequential.backward``) + array update rules."""

    name = "scratch"

    def __init__(self, spec, state, optimizer, seed=0):
        super().__init__(spec, state, optimizer, seed)
        self.model = Sequential.from_spec(spec, self.dtype)
        self.load_state_dict(state)
        self.optimizer = ArrayOptimizer(optimizer.name, **optimizer.hyperparameters())
        groups = optimizer.groups(self.model.params)
        self.optimizer.per_param = {n: {**self.optimizer.hyper, **hyper}
                                    for names, hyper in groups[1:] for n in names}  # fmt: skip

    def _forward_backward(self, x, y):
        """(loss, grads, logits) of one training forward and backward pass."""
        Z = self.model.forward(self.inputs(x), self.dropout_rng)  # (m, n_outputs)
        loss, dZ = loss_and_dlogits(Z, y, self.spec.binary)  # dE/dZ, the fused head gradient
        return loss, self.model.backward(dZ), Z

    def train_step(self, xb, yb):
        loss, grads, Z = self._forward_backward(xb, yb)
        self.average_grads(grads.values())  # data parallelism: the mean over the ranks
        self.optimizer.step(self.model.params, grads)
        self.steps += 1
        return loss, self.count_correct(Z, yb)

    def set_lr(self, lr):
        self.optimizer.hyper["lr"] = lr
        for hyper in self.optimizer.per_param.values():
            hyper["lr"] = lr

    def set_weight_decay(self, decay):
        self.optimizer.hyper["weight_decay"] = float(decay)  # per_param holds the biases

    def loss_and_grads(self, x, y):
        loss, grads, _ = self._forward_backward(x, y)
        return loss, grads

    def logits(self, X):
        return self.model.forward(self.inputs(X))

    def features(self, X, upto):
        return Sequential(self.model.layers[:upto]).forward(self.inputs(X))

    def state_dict(self):
        return self.model.state_dict()

    def load_state_dict(self, state):
        self.spec.check_state(state)
        self.model.load_state_dict({k: np.asarray(v, dtype=self.dtype) for k, v in state.items()})

    def optimizer_state(self):
        return flatten_optimizer_state(self.optimizer.state)

    def load_optimizer_state(self, arrays, counters):
        saved = nest_optimizer_state(arrays, counters)
        self.optimizer.state = {name: saved.get(name, {}) for name in self.model.params}
