"""One update rule applied to many arrays at once: PyTorch's ``foreach`` idea in NumPy.

The rules of :mod:`groundup.optim.rules` are elementwise: every entry of a parameter is updated
from the same entry of its gradient and state. So the parameters of one group (same
hyper-parameters, same step count) can be laid end to end in one flat array and updated by
*one* call of the rule, with the same numbers entry for entry::

    θ = [θ_1 | θ_2 | ... ]    g = [g_1 | g_2 | ...]    rule(θ, g, state)

A rule makes ~12 NumPy calls per array (Adam); a network's small arrays (biases, a last
layer of 10 outputs) cost those calls for a few hundred numbers each, which is most of an
optimizer step on a small network. Flat, they are paid once per group.

:class:`FlatGroup` keeps the group's state flat (``exp_avg`` of all its arrays in one array)
and hands each parameter's state dict *views* of it, so per-parameter state (checkpoints,
``optimizer_state()``) reads as before. The parameters themselves are used in place when they
lie one after another in one buffer (as :class:`groundup.scratch.Sequential` stores them), else
they are gathered and written back; the gradients likewise, unless they too lie end to end (the
autograd engine's, written in place by ``F.linear`` into the buffer :mod:`groundup.optim.flat`
lays out). Both engines' optimizers step their groups through it: the scratch engine's
:class:`~groundup.scratch.training.ArrayOptimizer` and ``groundup.optim``'s optimizers with
``flat=True``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FlatGroup", "contiguous_run"]


def contiguous_run(arrays: list[np.ndarray]) -> np.ndarray | None:
    """A 1-D view over ``arrays`` when they are C-contiguous slices lying one after another in
    one buffer (in this order), else None."""
    base = arrays[0].base
    if base is None or not base.flags.c_contiguous:
        return None
    itemsize = base.itemsize
    start = arrays[0].__array_interface__["data"][0]
    at = start
    for a in arrays:
        if a.base is not base or not a.flags.c_contiguous or a.dtype != base.dtype:
            return None
        if a.__array_interface__["data"][0] != at:
            return None
        at += a.size * itemsize
    first = (start - base.__array_interface__["data"][0]) // itemsize
    return base.reshape(-1)[first : first + (at - start) // itemsize]


class FlatGroup:
    """The flat state of one parameter group, shared as views with the per-parameter states."""

    def __init__(self):
        self.state: dict = {}
        self.views: list[dict] = []  # the per-parameter state dicts this group filled
        self._params: list[np.ndarray] = []  # the arrays of the last step, and their flat view
        self._flat: np.ndarray | None = None
        self._grads: list = []  # the same for the gradients
        self._flat_g: np.ndarray | None = None
        self._shared: dict = {}  # key -> the flat state array the views point into

    def owns(self, states: list[dict]) -> bool:
        """Whether ``states`` are still the dicts this group filled (a checkpoint loaded since
        replaces them)."""
        return len(states) == len(self.views) and all(
            s is v for s, v in zip(states, self.views, strict=True))

    def adopt(self, states: list[dict], sizes: list[int]) -> bool:
        """Start from per-parameter ``states`` (empty, or loaded): concatenate their arrays.
        False when they cannot be one group (different step counts, keys or sizes)."""
        keys = {tuple(sorted(s)) for s in states}
        steps = {s.get("step") for s in states}
        if len(keys) != 1 or len(steps) != 1:
            return False
        self.state = {}
        for key in keys.pop():
            values = [s[key] for s in states]
            if isinstance(values[0], np.ndarray):
                if [v.size for v in values] != sizes:
                    return False
                self.state[key] = np.concatenate([v.reshape(-1) for v in values])
            else:
                self.state[key] = values[0]
        self.views = states
        return True

    def _share(self, params: list[np.ndarray]) -> None:
        """Point every per-parameter state at its slice of the flat state (once per array the
        rule created), and copy the step count."""
        for key, flat in self.state.items():
            if isinstance(flat, np.ndarray) and self._shared.get(key) is not flat:
                at = 0
                for view, p in zip(self.views, params, strict=True):
                    view[key] = flat[at : at + p.size].reshape(p.shape)
                    at += p.size
                self._shared[key] = flat
        if "step" in self.state:
            step = self.state["step"]
            for view in self.views:
                view["step"] = step

    def _flat_params(self, params: list[np.ndarray]) -> np.ndarray | None:
        """:func:`contiguous_run` of ``params``, remembered while they are the same arrays."""
        if not _same(params, self._params):
            self._params, self._flat = list(params), contiguous_run(params)
        return self._flat

    def _flat_grads(self, grads: list) -> np.ndarray | None:
        """:func:`contiguous_run` of ``grads`` (gradients written in place into one buffer,
        :mod:`groundup.optim.flat`), remembered while they are the same arrays."""
        if not _same(grads, self._grads):
            arrays = all(isinstance(g, np.ndarray) for g in grads)
            self._grads, self._flat_g = list(grads), contiguous_run(grads) if arrays else None
        return self._flat_g

    def step(self, rule, params: list[np.ndarray], grads: list, **hyper) -> None:
        """``rule`` once over the flat parameters, gradients and state; ``params`` updated in
        place. Parameters or gradients that do not lie end to end are gathered (a copy)."""
        flat = self._flat_params(params)
        gathered = flat is None
        if gathered:
            flat = np.concatenate([p.reshape(-1) for p in params])
        g = self._flat_grads(grads)
        if g is None or g.dtype != flat.dtype:
            g = np.concatenate([np.asarray(gr, dtype=flat.dtype).reshape(-1) for gr in grads])
        rule(flat, g, self.state, **hyper)
        self._share(params)
        if gathered:
            at = 0
            for p in params:
                p[...] = flat[at : at + p.size].reshape(p.shape)
                at += p.size


def _same(arrays: list, remembered: list) -> bool:
    """Whether ``arrays`` are the very objects of ``remembered``, in order."""
    return len(arrays) == len(remembered) and all(
        a is b for a, b in zip(arrays, remembered, strict=True))
