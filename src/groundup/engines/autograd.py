"""The ``autograd`` engine: groundup's own reverse-mode autograd, written like PyTorch.

The training step is the four lines every PyTorch user knows::

    loss = F.cross_entropy(model(x), y)   # forward, recording the graph
    optimizer.zero_grad()
    loss.backward()                       # reverse-mode: fills p.grad for every parameter
    optimizer.step()                      # the rule of groundup.optim (PyTorch's)

with ``model = nn.Sequential(...)`` of :mod:`groundup.nn` layers, one per layer spec, from the
table :data:`LAYERS`. This is the hot path of ``groundup train mnist``: per step it allocates
only what the graph needs.
"""

from __future__ import annotations

import numpy as np

from groundup import nn, optim
from groundup.autograd import Tensor, no_grad
from groundup.engines.base import Engine, flatten_optimizer_state, nest_optimizer_state
from groundup.nn import functional as F
from groundup.numerics import ACTIVATIONS

__all__ = ["LAYERS", "AutogradEngine"]


class SeededDropout(nn.Module):
    """``nn.Dropout`` whose masks come from the engine's :meth:`Engine.dropout_rng` (the masks
    every engine draws, see :class:`groundup.models.Dropout`)."""

    def __init__(self, spec, index: int, engine: Engine):
        super().__init__()
        self.spec, self.index, self.engine = spec, index, engine

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return x
        mask = self.spec.mask(x.data.shape, self.engine.dropout_rng(self.index), x.data.dtype)
        return x * Tensor(mask)


#: The autograd engine's table: layer kind -> ``f(layer spec, index, engine)`` -> nn.Module.
LAYERS = {
    "linear": lambda s, i, e: nn.Linear(s.in_features, s.out_features, dtype=e.dtype),
    "activation": lambda s, i, e: getattr(nn, ACTIVATIONS[s.name].module)(),
    "flatten": lambda s, i, e: nn.Flatten(),
    "dropout": lambda s, i, e: SeededDropout(s, i, e),
    "conv2d": lambda s, i, e: nn.Conv2d(s.in_channels, s.out_channels, s.kernel_size, s.stride,
                                        s.padding, dtype=e.dtype),  # fmt: skip
    "max_pool2d": lambda s, i, e: nn.MaxPool2d(s.kernel_size, s.stride, s.padding),
    "avg_pool2d": lambda s, i, e: nn.AvgPool2d(s.kernel_size, s.stride, s.padding),
}


def build_optimizer(named: dict, opt):
    """The :mod:`groundup.optim` optimizer (PyTorch's rule and defaults) that ``opt`` names, over
    ``named`` parameters, one param group per :meth:`OptimizerSpec.groups` entry."""
    classes = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW,
               "rmsprop": optim.RMSprop}  # fmt: skip
    groups = [{"params": [named[n] for n in names], **hyper}
              for names, hyper in opt.groups(named)]  # fmt: skip
    # flat: one rule call per group (the engine hands out only gradient copies)
    return classes[opt.name](groups, flat=True)


class AutogradEngine(Engine):
    """``groundup.nn`` model + ``groundup.optim`` optimizer."""

    name = "autograd"

    def __init__(self, spec, state, optimizer, seed=0):
        super().__init__(spec, state, optimizer, seed)
        self.binary = spec.binary  # read every step
        self.model = nn.Sequential(*(LAYERS[s.kind](s, i, self) for i, s in enumerate(spec.layers)))
        self.load_state_dict(state)
        named = dict(self.model.named_parameters())
        self.names = [n for names, _ in optimizer.groups(named) for n in names]  # state order
        self.optimizer = build_optimizer(named, optimizer)

    def _loss(self, z: Tensor, y: np.ndarray) -> Tensor:
        """Mean BCE from one logit per example (targets as floats of shape (m, 1)), else mean
        cross-entropy over C logits with integer targets."""
        if self.binary:
            return F.binary_cross_entropy_with_logits(z, y.astype(self.dtype).reshape(-1, 1))
        return F.cross_entropy(z, y)

    def train_step(self, xb, yb):
        z = self.model(Tensor(self.inputs(xb)))  # (m, n_outputs), graph recorded
        loss = self._loss(z, yb)
        self.optimizer.zero_grad()
        loss.backward()
        if self.average is not None:  # data parallelism
            self.average_grads(p.grad for p in self.model.parameters())
        self.optimizer.step()
        self.steps += 1
        return float(loss.data), self.count_correct(z.data, yb)

    def loss_and_grads(self, x, y):
        loss = self._loss(self.model(Tensor(self.inputs(x))), np.asarray(y))
        self.model.zero_grad()
        loss.backward()
        grads = {name: p.grad.copy() for name, p in self.model.named_parameters()}
        self.model.zero_grad()
        return float(loss.data), grads

    def logits(self, X):
        return self.features(X, len(self.spec.layers))

    def features(self, X, upto):
        with no_grad():
            net = self.model if upto == len(self.model) else self.model[:upto]
            if not self.has_dropout:
                return net(Tensor(self.inputs(X))).data
            self.model.eval()
            try:
                return net(Tensor(self.inputs(X))).data
            finally:
                self.model.train()

    def state_dict(self):
        return self.model.state_dict()

    def load_state_dict(self, state):
        self.spec.check_state(state)
        self.model.load_state_dict(state)

    def optimizer_state(self):
        state = self.optimizer.state_dict()["state"]  # {parameter index: {key: value}}
        return flatten_optimizer_state({self.names[i]: st for i, st in state.items()})

    def load_optimizer_state(self, arrays, counters):
        saved = nest_optimizer_state(arrays, counters)
        sd = self.optimizer.state_dict()
        sd["state"] = {i: saved[name] for i, name in enumerate(self.names) if name in saved}
        self.optimizer.load_state_dict(sd)
