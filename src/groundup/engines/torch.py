"""The ``torch`` engine: the same network and optimizer in PyTorch, the reference.

PyTorch is an optional extra; it is imported only when this engine is built, and a missing
install raises :class:`groundup.errors.MissingExtraError` naming ``pip install 'groundup[torch]'``.
NumPy batches are shared with torch without a copy (``torch.from_numpy``).
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
from groundup.errors import require

__all__ = ["TorchEngine", "build_torch_model"]


def _torch():
    return require("torch", "torch", "The torch engine")


def build_torch_model(spec: ModelSpec):
    """``nn.Sequential(Linear, act, ..., Linear)`` for ``spec`` (weights to be loaded)."""
    torch = _torch()
    nn = torch.nn
    acts = {
        "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
    }
    layers = []
    sizes = spec.sizes
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(acts[spec.activation]())
    return nn.Sequential(*layers)


def _build_optimizer(params, opt: OptimizerSpec):
    torch = _torch()
    classes = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
               "rmsprop": torch.optim.RMSprop}  # fmt: skip
    return classes[opt.name](params, **opt.hyperparameters())


class TorchEngine(Engine):
    """PyTorch ``nn.Sequential`` + ``torch.optim``, fed NumPy batches."""

    name = "torch"

    def __init__(self, spec: ModelSpec, state: dict[str, np.ndarray], optimizer: OptimizerSpec):
        super().__init__(spec, state, optimizer)
        torch = self._t = _torch()
        self._F = torch.nn.functional
        self.model = build_torch_model(spec)
        self.load_state_dict(state)
        self.names = [n for n, _ in self.model.named_parameters()]
        self.optimizer = _build_optimizer(self.model.parameters(), optimizer)

    def _loss(self, z, y):
        if self.spec.binary:
            return self._F.binary_cross_entropy_with_logits(z, y.to(z.dtype).unsqueeze(1))
        return self._F.cross_entropy(z, y)

    def train_step(self, xb, yb):
        x = self._t.from_numpy(xb)
        y = self._t.from_numpy(yb)
        z = self.model(x)  # (m, n_outputs)
        loss = self._loss(z, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        pred = (z[:, 0] > 0).long() if self.spec.binary else z.argmax(1)
        return loss.item(), int((pred == y).sum().item())

    def logits(self, X):
        with self._t.no_grad():
            return self.model(self._t.from_numpy(np.ascontiguousarray(X))).numpy()

    def state_dict(self):
        return {k: v.detach().numpy().copy() for k, v in self.model.state_dict().items()}

    def load_state_dict(self, state):
        t = {k: self._t.from_numpy(np.array(v, copy=True)) for k, v in state.items()}
        self.model.load_state_dict(t, strict=True)

    def optimizer_state(self):
        as_numpy = {
            self.names[i]: {k: v.detach().numpy() if self._t.is_tensor(v) and k != "step" else v
                            for k, v in st.items()}  # fmt: skip
            for i, st in self.optimizer.state_dict()["state"].items()
        }
        return flatten_optimizer_state(as_numpy)

    def load_optimizer_state(self, arrays, counters):
        saved = nest_optimizer_state(arrays, counters)
        torch = self._t
        sd = self.optimizer.state_dict()
        sd["state"] = {
            i: {k: torch.tensor(float(v)) if k == "step" else torch.from_numpy(v)
                for k, v in saved[name].items()}  # fmt: skip
            for i, name in enumerate(self.names) if name in saved
        }
        self.optimizer.load_state_dict(sd)
