"""The ``autograd`` engine: groundup's own reverse-mode autograd, written like PyTorch.

The training step is the four lines every PyTorch user knows::

    loss = F.cross_entropy(model(x), y)   # forward, recording the graph
    optimizer.zero_grad()
    loss.backward()                       # reverse-mode: fills p.grad for every parameter
    optimizer.step()                      # the rule of groundup.optim (PyTorch's)

with ``model = nn.Sequential(nn.Linear, act, ..., nn.Linear)`` from :mod:`groundup.nn`. This is
the hot path of ``groundup train mnist``: per step it allocates only what the graph needs.
"""

from __future__ import annotations

import numpy as np

from groundup import nn, optim
from groundup.autograd import Tensor, no_grad
from groundup.engines.base import (
    Engine,
    ModelSpec,
    OptimizerSpec,
    flatten_optimizer_state,
    nest_optimizer_state,
)
from groundup.nn import functional as F

__all__ = ["AutogradEngine", "build_model", "loss_and_grads"]

_ACTIVATIONS = {
    "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
}  # fmt: skip


def build_model(spec: ModelSpec, dtype=np.float32) -> nn.Sequential:
    """``nn.Sequential(Linear, act, ..., Linear)`` for ``spec`` (weights to be loaded)."""
    layers = []
    sizes = spec.sizes
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[spec.activation]())
    return nn.Sequential(*layers)


def build_optimizer(params, opt: OptimizerSpec):
    """The :mod:`groundup.optim` optimizer (PyTorch's rule and defaults) that ``opt`` names."""
    classes = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW,
               "rmsprop": optim.RMSprop}  # fmt: skip
    return classes[opt.name](params, **opt.hyperparameters())


def _loss(z: Tensor, yb: np.ndarray, binary: bool) -> Tensor:
    """Mean BCE from one logit per example (targets as floats of shape (m, 1)), else mean
    cross-entropy over C logits with integer targets."""
    if binary:
        return F.binary_cross_entropy_with_logits(z, yb.astype(z.data.dtype).reshape(-1, 1))
    return F.cross_entropy(z, yb)


def loss_and_grads(spec: ModelSpec, params: dict[str, np.ndarray], X, y):
    """Loss and gradients (by backward) at ``params`` (float64 for gradient checks)."""
    dtype = next(iter(params.values())).dtype
    model = build_model(spec, dtype)
    model.load_state_dict(params)
    loss = _loss(model(Tensor(np.asarray(X, dtype=dtype))), np.asarray(y), spec.binary)
    loss.backward()
    return float(loss.data), {name: p.grad for name, p in model.named_parameters()}


class AutogradEngine(Engine):
    """``groundup.nn`` model + ``groundup.optim`` optimizer."""

    name = "autograd"

    def __init__(self, spec: ModelSpec, state: dict[str, np.ndarray], optimizer: OptimizerSpec):
        super().__init__(spec, state, optimizer)
        self.model = build_model(spec)
        self.load_state_dict(state)
        self.names = [name for name, _ in self.model.named_parameters()]
        self.optimizer = build_optimizer(self.model.parameters(), optimizer)

    def train_step(self, xb, yb):
        z = self.model(Tensor(xb))  # (m, n_outputs), graph recorded
        loss = _loss(z, yb, self.spec.binary)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        zd = z.data
        pred = (zd[:, 0] > 0) if self.spec.binary else zd.argmax(axis=1)
        return float(loss.data), int(np.count_nonzero(pred == yb))

    def logits(self, X):
        with no_grad():
            return self.model(Tensor(X)).data

    def state_dict(self):
        return self.model.state_dict()

    def load_state_dict(self, state):
        self.model.load_state_dict(state)

    def optimizer_state(self):
        state = self.optimizer.state_dict()["state"]  # {parameter index: {key: value}}
        return flatten_optimizer_state({self.names[i]: st for i, st in state.items()})

    def load_optimizer_state(self, arrays, counters):
        saved = nest_optimizer_state(arrays, counters)
        sd = self.optimizer.state_dict()
        sd["state"] = {i: saved[name] for i, name in enumerate(self.names) if name in saved}
        self.optimizer.load_state_dict(sd)
