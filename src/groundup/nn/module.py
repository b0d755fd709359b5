"""``Module``: the base class of every layer and model, as in PyTorch.

A module keeps its parameters and sub-modules in two ordered dicts, filled automatically when an
attribute is assigned (``self.layer1 = nn.Linear(784, 128)``). From these come

* ``named_parameters()``: names like ``"layer1.weight"``, the same names PyTorch gives, so
  ``state_dict()`` files move between groundup and ``torch.nn`` unchanged;
* ``state_dict()`` / ``load_state_dict()``: name → NumPy array copies;
* ``train()`` / ``eval()``: the mode Dropout reads; ``zero_grad()``; a PyTorch-like ``repr``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from groundup.autograd import Tensor
from groundup.errors import GroundupError, ShapeError
from groundup.nn.parameter import Parameter


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns (PyTorch's ``_IncompatibleKeys``): the model's names the
    state lacked, and the state's names the model lacks."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"IncompatibleKeys(missing_keys={self.missing_keys}, " \
               f"unexpected_keys={self.unexpected_keys})"


class Module:
    """Base class: subclass it, create layers in ``__init__``, compute in ``forward``."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.get("_parameters")
        if params is None:
            raise GroundupError(
                f"cannot assign {name!r} before Module.__init__() ran: call "
                "super().__init__() first in your module's __init__"
            )
        if isinstance(value, Parameter):
            self._modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            self._modules[name] = value
        elif name in params and value is None:
            params[name] = None
        else:
            params.pop(name, None)
            self._modules.pop(name, None)
        # also a plain attribute, so that reading self.weight in forward() costs no lookup hook
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        # only called when normal lookup fails: parameters and modules live in the dicts
        d = self.__dict__
        if name in d.get("_parameters", ()):
            return d["_parameters"][name]
        if name in d.get("_modules", ()):
            return d["_modules"][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module
        object.__setattr__(self, name, module)

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ traversal
    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        stack = [(prefix, self)]
        seen = set()
        while stack:
            name, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            kids = [(f"{name}.{k}" if name else k, c) for k, c in m.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs in registration order; shared parameters appear once."""
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_name, m in mods:
            for p_name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_name}.{p_name}" if mod_name else p_name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout active); returns self."""
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (Dropout off); returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = np.zeros_like(p.data)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, np.ndarray]:
        """Every parameter as a NumPy copy, keyed by its PyTorch-style name."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays (or tensors) from ``state`` into the parameters of the same names.

        The arrays are converted to each parameter's dtype. With ``strict`` every name must
        match both ways (the error lists both kinds of mismatch); with ``strict=False`` the
        matching names are loaded and the others returned, as PyTorch does::

            missing, unexpected = model.load_state_dict(state, strict=False)

        A wrong shape is always an error, raised before any parameter changes.
        """
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise GroundupError(
                f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}. "
                f"This model expects {list(own)}; the file was probably saved from a different "
                "architecture (compare print(model) with the one that was saved), or pass "
                "strict=False to load the matching part"
            )
        arrays = {}
        for name, p in own.items():
            if name not in state:
                continue
            value = state[name]
            arr = np.asarray(value.data if isinstance(value, Tensor) else value)
            if arr.shape != p.data.shape:
                raise ShapeError(
                    f"load_state_dict: {name!r} has shape {arr.shape} in the state but "
                    f"{p.data.shape} in the model; the layer sizes differ"
                )
            arrays[name] = arr
        for name, arr in arrays.items():  # all checked: copy, so a failure leaves no half-load
            own[name].data[...] = arr.astype(own[name].data.dtype, copy=False)
        return IncompatibleKeys(missing, unexpected)

    def num_parameters(self) -> int:
        """Total count of learnable numbers (784·128 + 128 + 128·10 + 10 = 101,770 for the
        primer's DigitClassifier)."""
        return sum(p.numel() for p in self.parameters())

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}({extra}" if extra else f"{type(self).__name__}("
        return head + "\n" + "\n".join(lines) + "\n)"
