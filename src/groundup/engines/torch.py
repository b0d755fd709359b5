"""The ``torch`` engine: the same network and optimizer in PyTorch, the reference.

PyTorch is an optional extra; it is imported only when this engine is built, and a missing
install raises :class:`groundup.errors.MissingExtraError` naming ``pip install 'groundup[torch]'``.
The network is ``torch.nn.Sequential`` of one ``torch.nn`` layer per layer spec, from the table
:func:`layers`. NumPy batches are shared with torch without a copy (``torch.from_numpy``).
"""

from __future__ import annotations

import functools

import numpy as np

from groundup.engines.base import Engine, flatten_optimizer_state, nest_optimizer_state
from groundup.errors import GroundupError, require
from groundup.numerics import ACTIVATIONS

__all__ = ["TorchEngine", "layers", "torch_device"]


def _torch():
    return require("torch", "torch", "The torch engine")


def torch_device(name: str = "cpu"):
    """``torch.device(name)`` for ``cpu``, ``cuda``, ``cuda:K`` or ``mps``, refused with one line
    when this machine's torch cannot reach it (no GPU, a K past the last GPU, no MPS)."""
    torch = _torch()
    kind, _, index = str(name).partition(":")
    if kind == "cuda":
        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if n == 0:
            raise GroundupError(f"--device {name}: this torch sees no CUDA GPU (torch "
                                f"{torch.__version__}, cuda {torch.version.cuda}); use --device "
                                f"cpu, or install a CUDA build of torch on a machine with a GPU")
        if index and int(index) >= n:
            raise GroundupError(f"--device {name}: this machine has {n} CUDA GPU"
                                f"{'s' * (n > 1)} (cuda:0 .. cuda:{n - 1})")
        return torch.device(kind, int(index or torch.cuda.current_device()))
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise GroundupError("--device mps: this torch has no MPS (Apple GPU) backend; use "
                                "--device cpu")
        return torch.device("mps")
    return torch.device("cpu")


@functools.cache
def layers() -> dict:
    """The torch engine's table: layer kind -> ``f(layer spec, index, engine)`` -> torch.nn
    module (a function, so that torch is imported only when this engine is built)."""
    torch = _torch()
    nn = torch.nn

    class SeededDropout(nn.Module):
        """``nn.Dropout`` with the masks every engine draws (:class:`groundup.models.Dropout`)."""

        def __init__(self, spec, index, engine):
            super().__init__()
            self.spec, self.index, self.engine = spec, index, engine

        def forward(self, x):
            if not self.training:
                return x
            mask = self.spec.mask(tuple(x.shape), self.engine.dropout_rng(self.index),
                                  self.engine.dtype)  # fmt: skip
            return x * torch.from_numpy(mask).to(x.device)

    return {
        "linear": lambda s, i, e: nn.Linear(s.in_features, s.out_features),
        "activation": lambda s, i, e: getattr(nn, ACTIVATIONS[s.name].module)(),
        "flatten": lambda s, i, e: nn.Flatten(),
        "dropout": lambda s, i, e: SeededDropout(s, i, e),
        "conv2d": lambda s, i, e: nn.Conv2d(s.in_channels, s.out_channels, s.kernel_size,
                                            s.stride, s.padding),  # fmt: skip
        "max_pool2d": lambda s, i, e: nn.MaxPool2d(s.kernel_size, s.stride, s.padding),
        "avg_pool2d": lambda s, i, e: nn.AvgPool2d(s.kernel_size, s.stride, s.padding),
    }


def _build_optimizer(named: dict, opt):
    """The ``torch.optim`` optimizer of ``opt`` over ``named`` parameters, one param group per
    :meth:`OptimizerSpec.groups` entry."""
    torch = _torch()
    classes = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
               "rmsprop": torch.optim.RMSprop}  # fmt: skip
    groups = [{"params": [named[n] for n in names], **hyper}
              for names, hyper in opt.groups(named)]  # fmt: skip
    return classes[opt.name](groups)


class TorchEngine(Engine):
    """PyTorch ``nn.Sequential`` + ``torch.optim``, fed NumPy batches."""

    name = "torch"

    def __init__(self, spec, state, optimizer, seed=0, device="cpu"):
        super().__init__(spec, state, optimizer, seed)
        torch = self._t = _torch()
        self._F = torch.nn.functional
        self.device = torch_device(device)
        table = layers()
        self.model = torch.nn.Sequential(*(table[s.kind](s, i, self)
                                           for i, s in enumerate(spec.layers)))  # fmt: skip
        dtype = {np.dtype(np.float64): torch.float64}.get(self.dtype, torch.float32)
        self.model.to(device=self.device, dtype=dtype)
        self.net = self.model  # what train_step runs: the model, or its DistributedDataParallel
        self.load_state_dict(state)
        named = dict(self.model.named_parameters())
        self.names = [n for names, _ in optimizer.groups(named) for n in names]  # state order
        self.optimizer = _build_optimizer(named, optimizer)

    def _tensor(self, X):
        return self._t.from_numpy(np.ascontiguousarray(self.inputs(X))).to(self.device)

    def _numpy(self, t):
        return t.detach().cpu().numpy()

    def _labels(self, y):
        return self._t.from_numpy(np.asarray(y)).to(self.device)

    def data_parallel(self, average):
        """Wrap the model in ``torch.nn.parallel.DistributedDataParallel``: it averages the
        gradients itself (bucketed all-reduce overlapped with backward), so ``average`` is not
        used. The process group must be initialised (:mod:`groundup.train.distributed`)."""
        if self.net is not self.model:  # already wrapped (a second fit)
            return
        ddp = self._t.nn.parallel.DistributedDataParallel
        ids = [self.device.index] if self.device.type == "cuda" else None
        self.net = ddp(self.model, device_ids=ids)

    def _loss(self, z, y):
        if self.spec.binary:
            return self._F.binary_cross_entropy_with_logits(z, y.to(z.dtype).unsqueeze(1))
        return self._F.cross_entropy(z, y)

    def train_step(self, xb, yb):
        y = self._labels(yb)
        z = self.net(self._tensor(xb))  # (m, n_outputs)
        loss = self._loss(z, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.steps += 1
        return loss.item(), self.count_correct(z.detach().cpu().numpy(), yb)

    def loss_and_grads(self, x, y):
        loss = self._loss(self.model(self._tensor(x)), self._labels(y))
        self.model.zero_grad(set_to_none=True)
        loss.backward()
        grads = {n: p.grad.cpu().numpy().copy() for n, p in self.model.named_parameters()}
        self.model.zero_grad(set_to_none=True)
        return loss.item(), grads

    def logits(self, X):
        return self.features(X, len(self.spec.layers))

    def features(self, X, upto):
        with self._t.no_grad():
            self.model.eval()
            try:
                return self.model[:upto](self._tensor(X)).cpu().numpy()
            finally:
                self.model.train()

    def state_dict(self):
        return {k: v.detach().cpu().numpy().copy() for k, v in self.model.state_dict().items()}

    def load_state_dict(self, state):
        self.spec.check_state(state)
        t = {k: self._t.from_numpy(np.array(v, dtype=self.dtype, copy=True))
             for k, v in state.items()}  # fmt: skip
        self.model.load_state_dict(t, strict=True)

    def optimizer_state(self):
        as_numpy = {
            self.names[i]: {k: self._numpy(v) if self._t.is_tensor(v) and k != "step" else v
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
