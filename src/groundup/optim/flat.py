"""Flat parameters: one array holds every parameter of a group, a second every gradient.

An update on a small network is a dozen NumPy calls per parameter (Adam's moments, SGD's
``θ ← θ - lr · g``), each paying ~1 µs of call overhead for a few dozen numbers. Laid out flat,
the rule runs once for the whole group, whatever the number of layers
(:class:`groundup.optim.foreach.FlatGroup`)::

    theta -= lr * grads          # theta = [W₀ b₀ W₁ b₁ ...] flattened, grads likewise

:class:`FlatParameters` moves a group's parameters into ``theta`` (each ``p.data`` becomes a
view of its slice, values unchanged) and gives each parameter a *gradient home*, the matching
view of ``grads``. An op whose backward supports it (``F.linear``, through
:func:`groundup.autograd.function.grad_buffer`) writes a parameter's first gradient of a step
straight into its home, so ``p.grad`` *is* that view and nothing is copied: when every
gradient of the group is in its home (:meth:`FlatParameters.ready`), plain SGD updates ``theta``
at once, and any rule with state runs once over ``theta`` and ``grads`` through
:class:`groundup.optim.foreach.FlatGroup`, which also keeps the state flat. A gradient not in
its home (a parameter used twice, one reached only through other ops) is gathered (a copy);
with one missing, the optimizer steps parameter by parameter. The numbers are the same either
way.

The one difference from PyTorch: ``p.grad`` is a view that the next ``backward()`` overwrites,
so keep a copy (``p.grad.copy()``) to hold a gradient across steps. That is why the optimizers
take ``flat=False`` by default; groundup's autograd engine, which hands out only copies, turns it
on.
"""

from __future__ import annotations

import numpy as np


class FlatParameters:
    """``theta`` and ``grads`` (1-D, one dtype) behind the parameters ``params``."""

    def __init__(self, params: list, theta: np.ndarray, grads: np.ndarray):
        self.params, self.theta, self.grads = params, theta, grads

    @classmethod
    def of(cls, params: list) -> FlatParameters | None:
        """Lay ``params`` out flat, or ``None`` when they cannot be (mixed dtypes, a tensor
        that is not a Parameter, a parameter listed twice, no parameters)."""
        if not params or len({id(p) for p in params}) != len(params):
            return None
        dtype = params[0].data.dtype
        if any(p.data.dtype != dtype for p in params):
            return None
        try:
            for p in params:
                p._grad_home = None  # only a Parameter has a slot for it
        except AttributeError:
            return None
        total = sum(p.data.size for p in params)
        theta = np.empty(total, dtype=dtype)
        grads = np.zeros(total, dtype=dtype)
        start = 0
        for p in params:
            stop = start + p.data.size
            view = theta[start:stop].reshape(p.data.shape)
            view[...] = p.data
            p.data = view
            p._grad_home = grads[start:stop].reshape(p.data.shape)
            start = stop
        return cls(params, theta, grads)

    def ready(self) -> bool:
        """Whether every parameter's gradient is its home and its values still live in
        ``theta`` (nobody replaced ``p.data``), so ``theta`` and ``grads`` say it all."""
        theta = self.theta
        for p in self.params:
            if p.grad is not p._grad_home or p.data.base is not theta:
                return False
        return True
