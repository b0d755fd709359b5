"""How to descend: :class:`OptimizerSpec`, and optimizer state in an engine-neutral form.

Every engine builds its optimizer (``torch.optim``, :mod:`groundup.optim` or the scratch
``ArrayOptimizer``) from one :meth:`OptimizerSpec.hyperparameters` dict, and hands its state to
checkpoints as arrays named ``"<param>.<key>"`` plus step counters, so a run saved by one
engine's optimizer resumes exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from groundup import checks
from groundup.errors import GroundupError

__all__ = ["OPTIMIZERS", "OptimizerSpec", "flatten_optimizer_state", "nest_optimizer_state"]

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")


@dataclass(frozen=True)
class OptimizerSpec:
    """How to descend: PyTorch's optimizer of that name with these hyper-parameters.

    ``sgd``: ``v = mu v + g``, ``w -= lr v`` (``mu`` = momentum; plain ``w -= lr g`` when 0).
    ``adam`` / ``adamw``: bias-corrected first and second moments (betas), ``eps``; ``adamw``
    decays weights decoupled from the gradient (``weight_decay`` defaults to 0.01 there).
    ``rmsprop``: running mean of ``g^2`` with ``alpha``.
    ``nesterov`` (sgd with momentum): step along ``g + mu v`` instead of ``v``, as PyTorch.
    ``decay_biases``: False puts the biases in a parameter group of their own with no weight
    decay, so ``weight_decay`` is an L2 penalty on the weights alone (scikit-learn's ``alpha``,
    see :meth:`groups`); True (PyTorch's default) decays every parameter.
    """

    name: str = "sgd"
    lr: float = 0.01
    momentum: float = 0.0
    weight_decay: float | None = None
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    alpha: float = 0.99
    nesterov: bool = False
    decay_biases: bool = True
    lr_decay: float = 1.0

    def __post_init__(self):
        if self.name not in OPTIMIZERS:
            raise GroundupError(
                f"unknown optimizer {self.name!r}; choose one of {', '.join(OPTIMIZERS)}"
            )
        checks.check("lr", self.lr)
        checks.check("momentum", self.momentum)
        checks.check("lr_decay", self.lr_decay)

    def lr_at(self, epoch: int) -> float:
        """The learning rate of epoch ``epoch`` (0 for the first): ``lr · lr_decay^epoch``.

        A function of the epoch alone, so a run resumed mid-way steps with the rate it would
        have had, and a run extended past its epochs goes on decaying."""
        return self.lr if self.lr_decay == 1 else self.lr * self.lr_decay ** int(epoch)

    def summary(self) -> str:
        """``"adam lr 0.001"``, or ``"adam lr 0.001 x 0.7 per epoch"`` with a decay."""
        decay = f" x {self.lr_decay:g} per epoch" if self.lr_decay != 1 else ""
        return f"{self.name} lr {self.lr:g}{decay}"

    @property
    def decay(self) -> float:
        """Weight decay actually used (PyTorch's defaults: 0, or 0.01 for AdamW)."""
        if self.weight_decay is not None:
            return float(self.weight_decay)
        return 0.01 if self.name == "adamw" else 0.0

    def hyperparameters(self) -> dict:
        """Keyword arguments of PyTorch's constructor for this optimizer (besides the params).

        The same names are taken by :mod:`groundup.optim`'s classes and by the array rules of
        :mod:`groundup.optim.rules`, so every engine builds its optimizer from this one dict.
        """
        common = {"lr": self.lr, "weight_decay": self.decay}
        if self.name == "sgd":
            return {**common, "momentum": self.momentum, "nesterov": self.nesterov}
        if self.name in ("adam", "adamw"):
            return {**common, "betas": self.betas, "eps": self.eps}
        return {**common, "alpha": self.alpha, "eps": self.eps, "momentum": self.momentum}

    def groups(self, names) -> list[tuple[list[str], dict]]:
        """Parameter groups as ``[(parameter names, hyper-parameters), ...]`` in the order the
        engines hand their parameters to the optimizer: one group of every name, or, when
        ``decay_biases`` is False and there is decay, the weights (decayed) then the ``*.bias``
        names (``weight_decay=0``)."""
        names, hyper = list(names), self.hyperparameters()
        if self.decay_biases or self.decay == 0:
            return [(names, hyper)]
        weights = [n for n in names if not n.endswith(".bias")]
        biases = [n for n in names if n.endswith(".bias")]
        return [(g, h) for g, h in ((weights, hyper), (biases, {**hyper, "weight_decay": 0.0}))
                if g]  # fmt: skip

    @property
    def n_buffers(self) -> int:
        """Arrays of the parameters' size the optimizer keeps: momentum's velocity, Adam's two
        moments, RMSprop's mean square (and its velocity with momentum)."""
        if self.name in ("adam", "adamw"):
            return 2
        if self.name == "rmsprop":
            return 1 + (self.momentum > 0)
        return int(self.momentum > 0)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas)
        d["weight_decay"] = self.decay
        if self.lr_decay == 1:  # a constant rate: config.json as before lr_decay existed
            del d["lr_decay"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> OptimizerSpec:
        return cls(
            d["name"], float(d["lr"]), float(d.get("momentum", 0.0)), d.get("weight_decay"),
            tuple(d.get("betas", (0.9, 0.999))), float(d.get("eps", 1e-8)),
            float(d.get("alpha", 0.99)), bool(d.get("nesterov", False)),
            bool(d.get("decay_biases", True)), float(d.get("lr_decay", 1.0)),
        )


def flatten_optimizer_state(
    per_param: dict[str, dict],
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Per-parameter optimizer state to the engine-neutral form of :meth:`Engine.optimizer_state`.

    ``{"0.weight": {"step": 3, "exp_avg": A}}`` -> ``({"0.weight.exp_avg": A}, {"0.weight": 3})``.
    Arrays are copied; entries that are neither arrays nor ``step`` (an unset buffer, None) are
    left out.
    """
    arrays, counters = {}, {}
    for name, st in per_param.items():
        for key, value in st.items():
            if key == "step":
                counters[name] = int(value)
            elif isinstance(value, np.ndarray):
                arrays[f"{name}.{key}"] = value.copy()
    return arrays, counters


def nest_optimizer_state(
    arrays: dict[str, np.ndarray], counters: dict[str, int]
) -> dict[str, dict]:
    """The inverse of :func:`flatten_optimizer_state`: ``{param: {key: array, "step": int}}``."""
    per_param: dict[str, dict] = {}
    for key, value in arrays.items():
        name, _, buffer = key.rpartition(".")
        per_param.setdefault(name, {})[buffer] = np.array(value, copy=True)
    for name, step in counters.items():
        per_param.setdefault(name, {})["step"] = int(step)
    return per_param
