"""Learning-rate schedules (PyTorch's ``StepLR``, ``CosineAnnealingLR`` and ``LambdaLR``, and
nanoGPT's warm-up then cosine decay).

Call ``scheduler.step()`` once per epoch (or iteration), after ``optimizer.step()``; it writes
the new rate into every parameter group's ``"lr"``.

    StepLR:             lr_t = lr_0 · γ^⌊t / step_size⌋
    CosineAnnealingLR:  lr_t = η_min + (lr_0 - η_min)(1 + cos(π t / T_max)) / 2
                        (computed with PyTorch's recursive form, so the numbers agree exactly)
    LambdaLR:           lr_t = lr_0 · λ(t)
    WarmupCosineLR:     lr_t = lr_0 (t + 1) / (W + 1)                         t < W
                        lr_t = η_min + (lr_0 - η_min)(1 + cos(π (t - W) / (D - W))) / 2
                                                                              W <= t <= D
                        lr_t = η_min                                          t > D
"""

from __future__ import annotations

import math


class LRScheduler:
    """Base class: keeps ``last_epoch`` and the groups' initial rates ``base_lrs``."""

    def __init__(self, optimizer, last_epoch: int = -1):
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self.step()

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def step(self) -> None:
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state: dict) -> None:
        self.__dict__.update(state)


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [g["lr"] for g in groups]
        return [g["lr"] * self.gamma for g in groups]


class CosineAnnealingLR(LRScheduler):
    """Anneal from the initial rate to ``eta_min`` along half a cosine over ``T_max`` epochs."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):  # noqa: N803
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, eta = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if t == 0:
            return [g["lr"] for g in groups]
        if self._step_count == 1 and t > 0:
            return [eta + (base - eta) * (1 + math.cos(t * math.pi / T)) / 2
                    for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            return [g["lr"] + (base - eta) * (1 - math.cos(math.pi / T)) / 2
                    for base, g in zip(self.base_lrs, groups, strict=True)]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (g["lr"] - eta) + eta for g in groups]


class LambdaLR(LRScheduler):
    """``lr_t = lr_0 · lr_lambda(t)`` for each group (one function, or one per group)."""

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        n = len(optimizer.param_groups)
        self.lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) \
            else [lr_lambda] * n
        if len(self.lr_lambdas) != n:
            raise ValueError(f"expected {n} lr_lambdas (one per parameter group), got "
                             f"{len(self.lr_lambdas)}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * fn(self.last_epoch)
                for base, fn in zip(self.base_lrs, self.lr_lambdas, strict=True)]

    def state_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}


def warmup_cosine(t: int, warmup_iters: int, decay_iters: int, min_ratio: float) -> float:
    """nanoGPT's ``get_lr`` as a fraction of the peak rate at iteration ``t`` (from 0): linear
    warm-up to 1 over ``warmup_iters``, half a cosine down to ``min_ratio`` at ``decay_iters``,
    then constant."""
    if t < warmup_iters:
        return (t + 1) / (warmup_iters + 1)
    if t > decay_iters:
        return min_ratio
    progress = (t - warmup_iters) / (decay_iters - warmup_iters)
    return min_ratio + 0.5 * (1.0 + math.cos(math.pi * progress)) * (1.0 - min_ratio)


class WarmupCosineLR(LRScheduler):
    """nanoGPT's schedule: warm-up over ``warmup_iters``, cosine to ``min_lr`` at
    ``decay_iters`` (see the module docstring); ``min_lr`` is absolute, as in nanoGPT."""

    def __init__(self, optimizer, warmup_iters: int, decay_iters: int, min_lr: float = 0.0,
                 last_epoch: int = -1):
        if not 0 <= warmup_iters < decay_iters:
            raise ValueError(f"need 0 <= warmup_iters < decay_iters, got {warmup_iters} and "
                             f"{decay_iters}")
        self.warmup_iters, self.decay_iters, self.min_lr = warmup_iters, decay_iters, min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * warmup_cosine(self.last_epoch, self.warmup_iters, self.decay_iters,
                                     self.min_lr / base if base else 0.0)
                for base in self.base_lrs]
