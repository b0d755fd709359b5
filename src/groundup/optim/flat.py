"""Flat parameters: one array holds every parameter of a group, a second every gradient.

An SGD step on a small network is a dozen tiny NumPy calls (``θ ← θ - lr · g`` for every weight
and bias), each paying ~1 µs of call overhead for a few dozen numbers. Laid out flat, the same
update is two calls for the whole group, whatever the number of layers::

    theta -= lr * grads          # theta = [W₀ b₀ W₁ b₁ ...] flattened, grads likewise

:class:`FlatParameters` moves a group's parameters into ``theta`` (each ``p.data`` becomes a view of
its slice, values unchanged) and gives each parameter a *gradient home*, the matching view of
``grads``. An op whose backward supports it (``F.linear``, through
:func:`groundup.autograd.function.grad_buffer`) writes a parameter's first gradient of a step
straight into its home, so ``p.grad`` *is* that view and nothing is copied. When every parameter
of the group got its gradient that way, :meth:`FlatParameters.ready` is true and the optimizer
updates ``theta`` at once; otherwise (a parameter without a gradient, one used twice, one
reached only through other ops) it falls back to the parameter-by-parameter loop, which gives
the same numbers.

The one difference from PyTorch: ``p.grad`` is a view that the next ``backward()`` overwrites,
so keep a copy (``p.grad.copy()``) to hold a gradient across steps. That is why the optimizers
take ``flat=False`` by default; groundup's autograd engine, which hands out only copies, turns it
on.

Its sibling :mod:`groundup.optim.foreach` lays a group flat for the array engine (scratch): there
the parameters are plain arrays already stored end to end, and what is kept flat is the rule's
state (Adam's moments), so any rule, not only plain SGD, runs once per group.
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
