"""The training loop the scratch models share, and an optimizer over a dict of arrays.

A scratch model exposes ``params`` (a dict of arrays, updated in place) and
``loss_and_grads(X, y) -> (loss, grads)`` with ``grads`` keyed like ``params``. One epoch visits the
m rows of ``X`` in batches, depending on ``mode``:

* ``"batch"``: one step on all m rows (full-batch gradient descent);
* ``"minibatch"``: steps on ``batch_size`` rows at a time, in a shuffled order;
* ``"sgd"``: one row at a time, shuffled (``batch_size = 1``).

Epoch e's order is :func:`groundup.data.loader.epoch_order` (``default_rng([seed, e])``'s
permutation), the order of ``groundup.data.DataLoader``, so any epoch can be replayed. The
history holds the epoch's cost: the mean of its batch losses weighted by batch size (for
``"batch"`` the loss before the step).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from groundup import checks
from groundup.data.loader import epoch_order
from groundup.errors import GroundupError, TrainingError
from groundup.optim.foreach import FlatGroup
from groundup.optim.rules import adam_step, rmsprop_step, sgd_step

MODES = ("batch", "minibatch", "sgd")

_RULES = {
    "sgd": (sgd_step, {}),
    "adam": (adam_step, {}),
    "adamw": (adam_step, {"decoupled_weight_decay": True, "weight_decay": 1e-2}),
    "rmsprop": (rmsprop_step, {}),
}


#: Arrays larger than this are updated by a rule call of their own, not in a flat group.
FLAT_MAX = 1 << 15


class ArrayOptimizer:
    """Applies one of :mod:`groundup.optim.rules` to every array of a parameter dict.

    ``ArrayOptimizer("adam", lr=1e-3)`` keeps one state dict per parameter name.
    Names: ``"sgd"``, ``"adam"``, ``"adamw"`` (decoupled decay, default 1e-2, as torch's AdamW),
    ``"rmsprop"``; hyper-parameters are the rule's keyword arguments. ``per_param`` maps a
    parameter name to hyper-parameters of its own (a param group: biases without weight decay).
    """

    def __init__(self, name: str = "sgd", **hyper):
        if name not in _RULES:
            raise GroundupError(
                f"unknown optimizer {name!r}; choose one of: {', '.join(sorted(_RULES))}"
            )
        rule, defaults = _RULES[name]
        if name == "sgd" and "lr" not in hyper:
            raise GroundupError("the 'sgd' optimizer needs a learning rate: pass lr=...")
        self.name = name
        self._rule = rule
        self.hyper = {**defaults, **hyper}
        self.state: dict[str, dict] = {}
        self.per_param: dict[str, dict] = {}
        self._flat: dict[tuple[str, ...], FlatGroup | None] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every array in ``params`` in place from the same-named gradient.

        The arrays of up to :data:`FLAT_MAX` numbers that share hyper-parameters and a dtype are
        updated by one call of the rule on them laid end to end
        (:class:`groundup.optim.foreach.FlatGroup`): the numbers of one call per array, with a
        fraction of the NumPy calls (most of a step on a small network). A larger array is
        stepped alone: gathering its gradient would cost more than the calls saved."""
        groups: dict = {}
        for name, p in params.items():
            hyper = self.per_param.get(name, self.hyper)
            key = (tuple(sorted(hyper.items())), p.dtype, p.size > FLAT_MAX and name)
            groups.setdefault(key, (hyper, []))[1].append(name)
        for hyper, names in groups.values():
            states = [self.state.setdefault(n, {}) for n in names]
            flat = self._flat_group(names, states, params) if len(names) > 1 else None
            if flat is not None:
                flat.step(self._rule, [params[n] for n in names], [grads[n] for n in names],
                          **hyper)  # fmt: skip
                continue
            for name, state in zip(names, states, strict=True):
                self._rule(params[name], grads[name], state, **hyper)

    def _flat_group(self, names: list[str], states: list[dict], params) -> FlatGroup | None:
        """The flat state of ``names``, kept across steps, rebuilt from the per-parameter
        states when those were replaced (a loaded checkpoint); None if they disagree."""
        key = tuple(names)
        flat = self._flat.get(key)
        if flat is None or not flat.owns(states):
            flat = FlatGroup()
            if not flat.adopt(states, [params[n].size for n in names]):
                flat = None
            self._flat[key] = flat
        return flat


def batches(m: int, mode: str, batch_size: int, seed: int, epoch: int) -> Iterator[np.ndarray]:
    """Row indices of each batch of one epoch (see the module docstring)."""
    if mode == "batch":
        yield np.arange(m)
        return
    if mode not in MODES:
        raise GroundupError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
    size = 1 if mode == "sgd" else checks.check("batch_size", batch_size)
    order = epoch_order(m, seed, epoch)
    for start in range(0, m, size):
        yield order[start : start + size]


def fit_loop(
    model,
    X: np.ndarray,
    y: np.ndarray,
    optimizer: ArrayOptimizer,
    epochs: int,
    mode: str = "batch",
    batch_size: int = 32,
    seed: int = 0,
) -> list[float]:
    """Train ``model`` in place for ``epochs`` epochs; return the cost of each epoch."""
    if len(X) != len(y):
        raise GroundupError(f"X has {len(X)} rows but y has {len(y)} labels; they must match")
    history: list[float] = []
    m = len(X)
    for epoch in range(epochs):
        total = 0.0
        # a diverging run overflows; say so with a TrainingError instead of NumPy warnings
        with np.errstate(over="ignore", invalid="ignore"):
            for idx in batches(m, mode, batch_size, seed, epoch):
                loss, grads = model.loss_and_grads(X[idx], y[idx])
                if not np.isfinite(loss):
                    raise TrainingError(
                        f"the loss became {loss} in epoch {epoch}: the learning rate is probably "
                        "too large (try dividing it by 10) or the inputs are not standardised"
                    )
                optimizer.step(model.params, grads)
                total += loss * len(idx)
        history.append(total / m)
    bad = [name for name, p in model.params.items() if not np.all(np.isfinite(p))]
    if bad:
        raise TrainingError(f"parameters {bad} are no longer finite after training: the learning "
                            "rate is probably too large (try dividing it by 10)")
    return history
