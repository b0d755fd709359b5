"""Optimizer classes with PyTorch's interface around the array rules of :mod:`.rules`.

An optimizer holds ``param_groups`` (lists of parameters with their hyper-parameters) and a
``state`` dict per parameter (momentum buffers, Adam's moments). ``step()`` hands each
parameter's data, gradient and state to the rule, which updates the data in place::

    optimizer = optim.SGD(model.parameters(), lr=0.01)
    optimizer.zero_grad()   # grad = None
    loss.backward()         # fills p.grad
    optimizer.step()        # θ ← θ - lr · grad

``state_dict()`` holds only NumPy arrays and numbers (no pickle needed to store it).
Each constructor refuses, with a ``ValueError``, the hyper-parameters ``torch.optim`` refuses
(Adam's betas outside [0, 1), a negative lr, eps or weight_decay, ...); the checks live once, in
:mod:`.rules` (``check_sgd``, ``check_adam``, ``check_rmsprop``), and the rules run them too.
"""

from __future__ import annotations

import copy

import numpy as np

from groundup.errors import GroundupError
from groundup.optim import rules
from groundup.optim.flat import FlatParameters
from groundup.optim.foreach import FlatGroup


class Optimizer:
    """Base class: subclasses set ``defaults`` and the ``_rule`` that updates one parameter.

    With ``flat=True`` each group's parameters are laid out in one array and their gradients in
    another (:mod:`groundup.optim.flat`), and a step runs the rule once over the whole group
    (:class:`groundup.optim.foreach.FlatGroup`), with the numbers of one call per parameter;
    ``p.grad`` is then a view that the next backward overwrites.
    """

    _rule = None

    def __init__(self, params, defaults: dict, flat: bool = False):
        self.flat = flat
        self._layouts: list[FlatParameters | None] = []  # per param group: None when not flat
        self._flat: list[FlatGroup | None] = []  # per laid-out param group: its flat state
        params = list(params)
        if not params:
            raise GroundupError("optimizer got an empty parameter list: pass model.parameters() "
                                "of a model that has layers")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults = defaults
        self.param_groups: list[dict] = []
        self.state: dict = {}
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        group = {**self.defaults, **group, "params": list(group["params"])}
        for p in group["params"]:
            if not getattr(p, "requires_grad", False):
                raise GroundupError("optimizer can only update tensors with requires_grad=True "
                                    "(nn.Parameter)")
        self.param_groups.append(group)
        layout = FlatParameters.of(group["params"]) if self.flat else None
        self._layouts.append(layout)
        self._flat.append(None if layout is None else FlatGroup())

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of the last ``backward()`` (they accumulate otherwise)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad = np.zeros_like(p.data)

    def _hyper(self, group: dict) -> dict:
        """The group's values of the rule's hyper-parameters (a scheduler's ``initial_lr`` and
        other bookkeeping keys in the group are not passed on)."""
        return {k: group[k] for k in self.defaults}

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        for i, group in enumerate(self.param_groups):
            self._step_group(i, group)

    def _step_group(self, i: int, group: dict) -> None:
        rule = type(self)._rule
        state = self.state
        hyper = self._hyper(group)
        params = group["params"]
        if self._layouts[i] is not None and len(params) > 1:
            flat = self._flat[i]
            if all(p.grad is not None for p in params):
                states = [state.setdefault(p, {}) for p in params]
                if flat.owns(states) or flat.adopt(states, [p.data.size for p in params]):
                    flat.step(rule, [p.data for p in params], [p.grad for p in params], **hyper)
                    return
            # stepped one by one, the states' step counts may part: the group adopts them again
            self._flat[i] = FlatGroup()
        for p in params:
            if p.grad is None:
                continue
            s = state.get(p)
            if s is None:
                s = state[p] = {}
            rule(p.data, p.grad, s, **hyper)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """``{"state": {index: {name: array or number}}, "param_groups": [...]}`` with parameters
        replaced by their position, as in PyTorch."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
            len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups,
                                                                      strict=True)
        ):
            raise GroundupError("optimizer state_dict does not match this optimizer's parameter "
                                "groups; it was saved for a different model")
        by_index = {}
        for saved, own in zip(groups, self.param_groups, strict=True):
            for i, p in zip(saved["params"], own["params"], strict=True):
                by_index[i] = p
            own.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
        self.state = {}
        for i, s in state_dict["state"].items():
            p = by_index[int(i)]
            self.state[p] = {k: (np.array(v, dtype=p.data.dtype) if isinstance(v, np.ndarray)
                                 else v) for k, v in s.items()}

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(self._hyper(group).items()))
        return "\n".join(lines) + "\n)"


def decay_groups(named_parameters, weight_decay: float) -> list[dict]:
    """Two parameter groups, nanoGPT's ``configure_optimizers``: weight decay on tensors of
    dimension >= 2 (matrices and embeddings), none on the rest (biases, LayerNorm gains)::

        optim.AdamW(optim.decay_groups(model.named_parameters(), 0.1), lr=1e-3)

    Decay pulls weights towards 0; on a gain or a bias that is a prior with no reason behind it.
    """
    params = [p for _, p in named_parameters if p.requires_grad]
    return [{"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}]


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov, weight decay.

    Per step, with g = ∂L/∂θ (+ λθ for weight_decay λ)::

        b ← μ b + (1 - τ) g          (b = g on the first step; skipped when μ = 0)
        d = g + μ b if nesterov else b
        θ ← θ - lr · d
    """

    _rule = staticmethod(rules.sgd_step)

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, maximize: bool = False,
                 flat: bool = False):
        rules.check_sgd(lr, momentum, dampening, nesterov, weight_decay)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize), flat)

    def _step_group(self, i: int, group: dict) -> None:
        if group["momentum"] or group["weight_decay"] or group["maximize"]:
            super()._step_group(i, group)
            return
        # plain SGD keeps no state: rules.sgd_step's update θ ← θ - lr·g, without its per-call
        # checks (the hyper-parameters were checked once, in the constructor), at once for the
        # whole group when it lies flat with every gradient in its home
        lr, layout = group["lr"], self._layouts[i]
        if layout is not None and layout.ready():
            layout.theta -= lr * layout.grads
            return
        for p in group["params"]:
            if p.grad is not None:
                p.data -= lr * p.grad


class Adam(Optimizer):
    """Adam: per-parameter steps from bias-corrected first and second gradient moments.

    Per step t, with g = ∂L/∂θ (+ λθ for weight_decay λ)::

        m ← β₁ m + (1 - β₁) g        m̂ = m / (1 - β₁ᵗ)
        v ← β₂ v + (1 - β₂) g²       v̂ = v / (1 - β₂ᵗ)
        θ ← θ - lr · m̂ / (√v̂ + ε)
    """

    _rule = staticmethod(rules.adam_step)

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, maximize: bool = False,
                 flat: bool = False):
        rules.check_adam(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize), flat)


class AdamW(Optimizer):
    """Adam with decoupled weight decay: θ ← θ (1 - lr · λ), then Adam's step on g alone."""

    _rule = staticmethod(rules.adam_step)

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, maximize: bool = False,
                 flat: bool = False):
        rules.check_adam(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize), flat)

    def _hyper(self, group: dict) -> dict:
        return {**super()._hyper(group), "decoupled_weight_decay": True}


class RMSprop(Optimizer):
    """RMSprop: steps scaled by a running root-mean-square of the gradients.

    Per step, with g = ∂L/∂θ (+ λθ for weight_decay λ)::

        v ← α v + (1 - α) g²         (centered: divide by √(v - ḡ²), ḡ the running mean of g)
        θ ← θ - lr · g / (√v + ε)    (with momentum μ: b ← μ b + g / (√v + ε), θ ← θ - lr · b)
    """

    _rule = staticmethod(rules.rmsprop_step)

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 maximize: bool = False, flat: bool = False):
        rules.check_rmsprop(lr, alpha, eps, weight_decay, momentum)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize),
                         flat)
