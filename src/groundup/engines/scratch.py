"""The ``scratch`` engine: gradients derived by hand, updates on plain arrays.

Model: :class:`groundup.scratch.MLP` (forward with cached activations, backward written out
layer by layer). Optimizer: the functions of :mod:`groundup.optim.rules`, which apply PyTorch's
update rules in place to each parameter array, each with its own ``state`` dict
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
from groundup.optim import rules
from groundup.scratch.mlp import MLP

__all__ = ["ScratchEngine", "rule_for"]


def rule_for(opt: OptimizerSpec):
    """``(update_function, keyword_arguments)`` for one of groundup's optimizer specs."""
    wd = opt.decay
    if opt.name == "sgd":
        return rules.sgd_step, {"lr": opt.lr, "momentum": opt.momentum, "weight_decay": wd}
    if opt.name in ("adam", "adamw"):
        return rules.adam_step, {
            "lr": opt.lr, "betas": opt.betas, "eps": opt.eps, "weight_decay": wd,
            "decoupled_weight_decay": opt.name == "adamw",
        }  # fmt: skip
    return rules.rmsprop_step, {
        "lr": opt.lr, "alpha": opt.alpha, "eps": opt.eps, "weight_decay": wd,
        "momentum": opt.momentum,
    }  # fmt: skip


class ScratchEngine(Engine):
    """Hand-derived backward (``MLP.backward``) + array update rules."""

    name = "scratch"

    def __init__(self, spec: ModelSpec, state: dict[str, np.ndarray], optimizer: OptimizerSpec):
        super().__init__(spec, state, optimizer)
        self.model = MLP(spec.sizes, activation=spec.activation)
        self.load_state_dict(state)
        self._rule, self._hyper = rule_for(optimizer)
        self._opt_state: dict[str, dict] = {name: {} for name in self.model.params}

    def train_step(self, xb, yb):
        model = self.model
        Z = model.forward(xb)  # (m, n_outputs)
        loss, dZ = model.loss_and_dlogits(Z, yb)  # dE/dZ, the fused head gradient
        grads = model.backward(dZ)
        params = model.params
        for name, g in grads.items():
            self._rule(params[name], g, self._opt_state[name], **self._hyper)
        pred = (Z[:, 0] > 0) if self.spec.binary else Z.argmax(axis=1)
        return loss, int(np.count_nonzero(pred == yb))

    def logits(self, X):
        return self.model.forward(X)

    def state_dict(self):
        return self.model.state_dict()

    def load_state_dict(self, state):
        self.model.load_state_dict(state)

    def optimizer_state(self):
        return flatten_optimizer_state(self._opt_state)

    def load_optimizer_state(self, arrays, counters):
        saved = nest_optimizer_state(arrays, counters)
        self._opt_state = {name: saved.get(name, {}) for name in self.model.params}
