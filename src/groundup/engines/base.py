"""The engine contract: one small adapter per way of computing gradients.

The training loop, the recipes, the CLI and the reports talk to an :class:`Engine` and never to
the code underneath, so the same run can be done three ways:

========== ======================================================================
``scratch``  gradients derived by hand (``groundup.scratch.MLP.loss_and_grads``)
``autograd`` groundup's own reverse-mode autograd (``groundup.nn``, ``groundup.optim``)
``torch``    PyTorch (optional extra), the reference
========== ======================================================================

Every engine is built from a :class:`ModelSpec` (what network), an initial state dict (which
numbers; drawn once by :meth:`ModelSpec.init_state` and loaded into whichever engine runs) and an
:class:`OptimizerSpec` (how to descend). The network is always PyTorch's
``nn.Sequential(Linear, act, Linear, act, ..., Linear)`` so that parameter names (``"0.weight"``,
``"0.bias"``, ``"2.weight"``, ...) and shapes (weight of shape (out, in)) are the same everywhere.

The loss is chosen by the head:

* binary head (1 logit ``z``, model ``logistic`` or a 2-class ``mlp``): the mean binary
  cross-entropy from logits ``L = mean(softplus(z) - y z)``, prediction ``z > 0``;
* C logits: the mean cross-entropy ``L = mean(logsumexp(z) - z_y)``, prediction ``argmax z``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass

import numpy as np

from groundup import numerics
from groundup.errors import GroundupError
from groundup.weights import mlp_init

__all__ = [
    "ACTIVATIONS",
    "ENGINES",
    "MODELS",
    "OPTIMIZERS",
    "Engine",
    "ModelSpec",
    "OptimizerSpec",
    "make_engine",
]

ENGINES = ("scratch", "autograd", "torch")
MODELS = ("logistic", "softmax", "mlp")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "gelu")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")


@dataclass(frozen=True)
class ModelSpec:
    """Which network: ``n_inputs -> hidden[0] -> ... -> hidden[-1] -> n_outputs``.

    Parameters
    ----------
    n_inputs : int
        Features per example (784 for a flattened 28x28 image).
    n_classes : int
        Number of classes C (2 for a binary problem).
    hidden : tuple of int
        Hidden layer widths; empty for a linear model (logistic or softmax regression).
    activation : str
        Non-linearity between linear layers, one of :data:`ACTIVATIONS`.
    binary : bool
        True for one logit and binary cross-entropy (needs ``n_classes == 2``); False for C
        logits and cross-entropy.
    """

    n_inputs: int
    n_classes: int
    hidden: tuple[int, ...] = ()
    activation: str = "relu"
    binary: bool = False

    def __post_init__(self):
        if self.n_inputs < 1 or self.n_classes < 2:
            raise GroundupError(
                f"a model needs at least 1 input and 2 classes, got n_inputs={self.n_inputs}, "
                f"n_classes={self.n_classes}; check the data set's features and target column"
            )
        if any(h < 1 for h in self.hidden):
            raise GroundupError(f"hidden layer sizes must be positive, got {self.hidden}")
        if self.activation not in ACTIVATIONS:
            raise GroundupError(
                f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}"
            )
        if self.binary and self.n_classes != 2:
            raise GroundupError(
                f"a binary (1-logit) model needs 2 classes, the data has {self.n_classes}; "
                f"use --model softmax or --model mlp"
            )
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))

    @classmethod
    def for_model(
        cls, model: str, n_inputs: int, n_classes: int, hidden=(), activation: str = "relu"
    ) -> ModelSpec:
        """Spec for a named model: ``logistic`` (1 logit, no hidden layer), ``softmax``
        (C logits, no hidden layer) or ``mlp`` (hidden layers; 1 logit when C = 2)."""
        if model not in MODELS:
            raise GroundupError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
        if model == "logistic":
            if n_classes != 2:
                raise GroundupError(
                    f"logistic regression is for 2 classes, the data has {n_classes}; "
                    f"use --model softmax or --model mlp"
                )
            return cls(n_inputs, 2, (), activation, binary=True)
        if model == "softmax":
            return cls(n_inputs, n_classes, (), activation, binary=False)
        if not hidden:
            raise GroundupError("an mlp needs hidden layers, e.g. --hidden 64,32")
        return cls(n_inputs, n_classes, tuple(hidden), activation, binary=n_classes == 2)

    @property
    def n_outputs(self) -> int:
        """Logits per example: 1 for a binary head, else C."""
        return 1 if self.binary else self.n_classes

    @property
    def sizes(self) -> list[int]:
        """Layer widths ``[n_inputs, *hidden, n_outputs]``."""
        return [self.n_inputs, *self.hidden, self.n_outputs]

    @property
    def n_parameters(self) -> int:
        """Weights plus biases: sum over layers of ``(n_in + 1) * n_out`` (101,770 for MNIST)."""
        return sum((a + 1) * b for a, b in zip(self.sizes[:-1], self.sizes[1:], strict=True))

    @property
    def chance_loss(self) -> float:
        """Loss of a network that knows nothing (uniform output): ``ln C`` (``ln 2`` if binary)."""
        return math.log(self.n_classes)

    def init_state(self, seed: int, dtype=np.float32) -> dict[str, np.ndarray]:
        """Initial weights, PyTorch's default ``nn.Linear`` distributions, drawn from ``seed``."""
        return mlp_init(self.sizes, seed, dtype=dtype)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ModelSpec:
        return cls(
            int(d["n_inputs"]), int(d["n_classes"]), tuple(d.get("hidden", ())),
            d.get("activation", "relu"), bool(d.get("binary", False)),
        )


@dataclass(frozen=True)
class OptimizerSpec:
    """How to descend: PyTorch's optimizer of that name with these hyper-parameters.

    ``sgd``: ``v = mu v + g``, ``w -= lr v`` (``mu`` = momentum; plain ``w -= lr g`` when 0).
    ``adam`` / ``adamw``: bias-corrected first and second moments (betas), ``eps``; ``adamw``
    decays weights decoupled from the gradient (``weight_decay`` defaults to 0.01 there).
    ``rmsprop``: running mean of ``g^2`` with ``alpha``.
    """

    name: str = "sgd"
    lr: float = 0.01
    momentum: float = 0.0
    weight_decay: float | None = None
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    alpha: float = 0.99

    def __post_init__(self):
        if self.name not in OPTIMIZERS:
            raise GroundupError(
                f"unknown optimizer {self.name!r}; choose one of {', '.join(OPTIMIZERS)}"
            )
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise GroundupError(f"the learning rate must be a positive number, got {self.lr}")
        if not 0 <= self.momentum < 1:
            raise GroundupError(f"momentum must be in [0, 1), got {self.momentum}")

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
            return {**common, "momentum": self.momentum}
        if self.name in ("adam", "adamw"):
            return {**common, "betas": self.betas, "eps": self.eps}
        return {**common, "alpha": self.alpha, "eps": self.eps, "momentum": self.momentum}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas)
        d["weight_decay"] = self.decay
        return d

    @classmethod
    def from_dict(cls, d: dict) -> OptimizerSpec:
        return cls(
            d["name"], float(d["lr"]), float(d.get("momentum", 0.0)), d.get("weight_decay"),
            tuple(d.get("betas", (0.9, 0.999))), float(d.get("eps", 1e-8)),
            float(d.get("alpha", 0.99)),
        )


class Engine(ABC):
    """A model plus its optimizer, behind the few calls the training loop needs.

    The contract (every engine, same arrays in, same arrays out):

    ``Engine(spec, state, optimizer)``
        build the network of ``spec`` with the weights ``state`` (drawn once by
        :meth:`ModelSpec.init_state`) and the optimizer of ``optimizer``;
    ``train_step(xb, yb) -> (loss, n_correct)``
        one forward, backward and update on a batch. ``loss`` is the batch's mean loss (a
        Python float) *before* the update; ``n_correct`` (an int) counts the examples of the
        batch the network classified correctly in that same forward pass. The design note's
        ``train_step(xb, yb) -> loss`` returns this second number too, so the loop's train
        accuracy costs no second forward pass;
    ``logits(X)``
        logits of shape (m, n_outputs), no graph recorded;
    ``state_dict()`` / ``load_state_dict(state)``
        parameters as ``{name: ndarray}`` with PyTorch's ``nn.Sequential`` names and shapes;
    ``optimizer_state()`` / ``load_optimizer_state(arrays, counters)``
        the optimizer's buffers, engine-neutral: arrays named ``"<param>.<key>"`` (keys as in
        ``torch.optim``: ``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``, ``square_avg``)
        and integer step counters ``{"<param>": step}``, so a checkpoint resumes exactly.

    Arrays go in and out as NumPy: ``xb`` float32 of shape (m, n_inputs), ``yb`` int64 of shape
    (m,) with class indices 0..C-1 (0 or 1 for a binary head).
    """

    name = "engine"

    def __init__(self, spec: ModelSpec, state: dict[str, np.ndarray], optimizer: OptimizerSpec):
        self.spec = spec
        self.optimizer_spec = optimizer

    @abstractmethod
    def train_step(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, int]:
        """One forward, backward and update on a batch.

        Returns ``(mean loss before the update, number of correctly classified examples)``.
        """

    @abstractmethod
    def logits(self, X: np.ndarray) -> np.ndarray:
        """Logits of shape (m, n_outputs), no gradient recorded."""

    @abstractmethod
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters, ``{"0.weight": W0 (out, in), "0.bias": b0, ...}``."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Overwrite the parameters (shapes must match the spec)."""

    @abstractmethod
    def optimizer_state(self) -> tuple[dict[str, np.ndarray], dict[str, int]]:
        """(arrays ``{"<param>.<key>": ndarray}``, counters ``{"<param>": step}``)."""

    @abstractmethod
    def load_optimizer_state(
        self, arrays: dict[str, np.ndarray], counters: dict[str, int]
    ) -> None:
        """Restore what :meth:`optimizer_state` returned."""

    # -- shared helpers -------------------------------------------------------------------------
    def predict(self, X: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Class indices of shape (m,)."""
        return predictions(self.batched_logits(X, batch_size), self.spec.binary)

    def batched_logits(self, X: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Logits of shape (m, n_outputs), computed ``batch_size`` rows at a time."""
        if len(X) <= batch_size:
            return self.logits(X)
        parts = [self.logits(X[i : i + batch_size]) for i in range(0, len(X), batch_size)]
        return np.concatenate(parts)


def predictions(logits: np.ndarray, binary: bool) -> np.ndarray:
    """Predicted classes: ``z > 0`` for one logit, ``argmax z`` for C logits."""
    if binary:
        return (logits[:, 0] > 0).astype(np.int64)
    return logits.argmax(axis=1)


def probabilities(logits: np.ndarray, binary: bool) -> np.ndarray:
    """Class probabilities of shape (m, C): ``[1 - sigmoid(z), sigmoid(z)]`` or ``softmax(z)``."""
    z = logits.astype(np.float64)
    if binary:
        p1 = numerics.sigmoid(z[:, 0])
        return np.stack([1 - p1, p1], axis=1)
    return numerics.softmax(z, axis=1)


def mean_loss(logits: np.ndarray, y: np.ndarray, binary: bool) -> float:
    """Mean cross-entropy (binary from one logit, or over C logits), computed stably in float64.

    Binary: ``mean(max(z, 0) - z y + log(1 + exp(-|z|)))``; C logits:
    ``mean(logsumexp(z) - z_y)`` with the row maximum subtracted first.
    """
    z = logits.astype(np.float64)
    if binary:
        return float(np.mean(numerics.bce_with_logits(z[:, 0], y)))
    return float(np.mean(numerics.logsumexp(z, axis=1) - z[np.arange(len(y)), y]))


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


def make_engine(
    name: str, spec: ModelSpec, state: dict[str, np.ndarray], optimizer: OptimizerSpec
) -> Engine:
    """Build the engine called ``name`` (one of :data:`ENGINES`) from a spec and a state dict."""
    if name == "scratch":
        from groundup.engines.scratch import ScratchEngine as cls
    elif name == "autograd":
        from groundup.engines.autograd import AutogradEngine as cls
    elif name == "torch":
        from groundup.engines.torch import TorchEngine as cls
    else:
        raise GroundupError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    return cls(spec, state, optimizer)
