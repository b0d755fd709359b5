"""The engine contract: one small adapter per way of computing gradients.

The training loop, the recipes, the CLI, gradcheck and the reports talk to an :class:`Engine`
and never to the code underneath, so the same run can be done three ways:

========== ======================================================================
``scratch``  gradients derived by hand (:mod:`groundup.scratch.layers`)
``autograd`` groundup's own reverse-mode autograd (``groundup.nn``, ``groundup.optim``)
``torch``    PyTorch (optional extra), the reference
========== ======================================================================

What network is not an engine's business: that is the :class:`~groundup.models.ModelSpec`
(layers, PyTorch's parameter names and shapes, initial weights, the head's loss and prediction
rule). An engine keeps only how gradients are computed: one table from layer kind to its own
layer, and the calls below. Every engine is built from a spec, an initial state dict (drawn once
by :meth:`ModelSpec.init_state` and loaded into whichever engine runs; its dtype is the
engine's) and an :class:`OptimizerSpec`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable

import numpy as np

from groundup import checks
from groundup.engines.optimizers import (
    OPTIMIZERS,
    OptimizerSpec,
    flatten_optimizer_state,
    nest_optimizer_state,
)
from groundup.errors import GroundupError
from groundup.models import ModelSpec
from groundup.models.layers import dropout_rng

__all__ = [
    "ENGINES",
    "OPTIMIZERS",
    "Engine",
    "ModelSpec",
    "OptimizerSpec",
    "flatten_optimizer_state",
    "make_engine",
    "nest_optimizer_state",
]

ENGINES = ("scratch", "autograd", "torch")


class Engine(ABC):
    """A model plus its optimizer, behind the few calls the training loop needs.

    The contract (every engine, same arrays in, same arrays out):

    ``Engine(spec, state, optimizer, seed=0)``
        build the network of ``spec`` with the weights ``state`` (their dtype, float32 or
        float64, is the engine's) and the optimizer of ``optimizer``; ``seed`` seeds dropout;
    ``train_step(xb, yb) -> (loss, n_correct)``
        one forward, backward and update on a batch. ``loss`` is the batch's mean loss (a
        Python float) *before* the update; ``n_correct`` (an int) counts the examples of the
        batch the network classified correctly in that same forward pass;
    ``loss_and_grads(x, y) -> (loss, grads)``
        the mean loss and the gradient of every parameter (``{name: ndarray}``, copies) at the
        current weights, without an update: what ``train_step`` would compute next (gradient
        checks call it);
    ``logits(X)``
        logits of shape (m, n_outputs), no graph recorded, dropout off;
    ``features(X, upto)``
        what the first ``upto`` layers output, (m, *spec.output_shape(upto)), as ``logits``
        (the feature maps of a convolution, drawn in reports);
    ``state_dict()`` / ``load_state_dict(state)``
        parameters as ``{name: ndarray}`` with PyTorch's ``nn.Sequential`` names and shapes;
    ``optimizer_state()`` / ``load_optimizer_state(arrays, counters)``
        the optimizer's buffers, engine-neutral: arrays named ``"<param>.<key>"`` (keys as in
        ``torch.optim``: ``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``, ``square_avg``)
        and integer step counters ``{"<param>": step}``, so a checkpoint resumes exactly;
    ``data_parallel(average)``
        from now on, average the gradients across processes between backward and the update:
        ``average(arrays)`` turns each rank's gradient arrays, in place, into their mean over
        the ranks (:mod:`groundup.train.distributed` builds it on ``torch.distributed``); the
        NumPy engines call it from ``train_step`` through :meth:`average_grads`, the torch
        engine wraps its model in ``DistributedDataParallel`` instead;
    ``set_lr(lr)``
        the learning rate of every parameter group from the next step on (the training loop's
        per-epoch decay, :meth:`OptimizerSpec.lr_at`);
    ``set_weight_decay(decay)``
        the weight decay of the first parameter group from the next step on;
    ``steps``
        the number of ``train_step`` calls so far; dropout masks of the next step come from
        ``dropout_rng(seed, steps, layer)``, so a resumed run (which sets ``steps``) draws the
        same masks.

    Arrays go in and out as NumPy: ``xb`` of shape (m, n_inputs) (rows of
    ``prod(spec.input_shape)`` values, viewed in ``spec.input_shape`` by the engine), ``yb``
    int64 of shape (m,) with class indices 0..C-1 (0 or 1 for a binary head).
    """

    name = "engine"

    def __init__(self, spec: ModelSpec, state: dict[str, np.ndarray], optimizer: OptimizerSpec,
                 seed: int = 0):  # fmt: skip
        spec.check_state(state, "the initial weights")
        dtypes = {np.asarray(v).dtype for v in state.values()}
        if len(dtypes) > 1 or not all(np.issubdtype(d, np.floating) for d in dtypes):
            raise GroundupError(f"initial weights must share one floating dtype (float32 or "
                                f"float64), got {sorted(map(str, dtypes))}")  # fmt: skip
        self.spec = spec
        self.optimizer_spec = optimizer
        self.dtype = dtypes.pop() if dtypes else np.dtype(np.float32)
        self.seed = int(seed)
        self.steps = 0
        self.has_dropout = any(layer.kind == "dropout" for layer in spec.layers)
        self.average = None  # set by data_parallel: averages gradients across processes

    def data_parallel(self, average: Callable[[list[np.ndarray]], None]) -> None:
        """Average every step's gradients across processes with ``average`` (in place), between
        backward and the update, so that each rank's mean loss over its equal shard of the
        global batch gives the gradient of the global batch's mean loss:
        ``g = (1/N) sum_r g_r``."""
        self.average = average

    def average_grads(self, grads: Iterable[np.ndarray]) -> None:
        """Called by ``train_step`` between backward and the update with the live gradient
        arrays; a no-op in one process."""
        if self.average is not None:
            self.average(list(grads))

    @abstractmethod
    def train_step(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, int]:
        """One forward, backward and update on a batch.

        Returns ``(mean loss before the update, number of correctly classified examples)``.
        """

    def set_lr(self, lr: float) -> None:
        """Step with learning rate ``lr`` from now on, in every parameter group: what a PyTorch
        scheduler writes into ``optimizer.param_groups[i]["lr"]`` (``groundup.optim`` and
        ``torch.optim`` optimizers alike; the scratch engine overrides it)."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def set_weight_decay(self, decay: float) -> None:
        """From the next step on, decay the first parameter group of
        :meth:`OptimizerSpec.groups` (every parameter, or the weights alone when the spec keeps
        the biases apart) by ``decay``: scikit-learn's ``alpha / len(batch)`` changes on an
        epoch's last, smaller batch."""
        self.optimizer.param_groups[0]["weight_decay"] = float(decay)

    @abstractmethod
    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Mean loss and every parameter's gradient at the current weights, no update."""

    @abstractmethod
    def logits(self, X: np.ndarray) -> np.ndarray:
        """Logits of shape (m, n_outputs), no gradient recorded."""

    @abstractmethod
    def features(self, X: np.ndarray, upto: int) -> np.ndarray:
        """The output of layers ``0 .. upto - 1`` for inputs ``X``, no gradient recorded."""

    @abstractmethod
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters, ``{"0.weight": W0 (out, in), "0.bias": b0, ...}``."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Overwrite the parameters (names and shapes must match the spec; values are cast to
        the engine's dtype)."""

    @abstractmethod
    def optimizer_state(self) -> tuple[dict[str, np.ndarray], dict[str, int]]:
        """(arrays ``{"<param>.<key>": ndarray}``, counters ``{"<param>": step}``)."""

    @abstractmethod
    def load_optimizer_state(
        self, arrays: dict[str, np.ndarray], counters: dict[str, int]
    ) -> None:
        """Restore what :meth:`optimizer_state` returned."""

    # -- shared helpers -------------------------------------------------------------------------
    def inputs(self, X: np.ndarray) -> np.ndarray:
        """``X`` (m, n_inputs) viewed as (m, *input_shape) in the engine's dtype (no copy when
        it already is)."""
        X = np.asarray(X)
        shape = self.spec.input_shape
        if X.shape[1:] != shape:
            if X.ndim != 2 or X.shape[1] != self.spec.n_inputs:
                raise GroundupError(f"the model takes rows of {self.spec.n_inputs} values (one "
                                    f"example of shape {shape}), got an array of shape "
                                    f"{X.shape}")
            X = X.reshape(len(X), *shape)
        return X if X.dtype == self.dtype else X.astype(self.dtype)

    def dropout_rng(self, index: int) -> np.random.Generator:
        """The generator of layer ``index``'s dropout mask in the coming step."""
        return dropout_rng(self.seed, self.steps, index)

    def count_correct(self, logits: np.ndarray, y: np.ndarray) -> int:
        """How many rows of ``logits`` the head's prediction rule classifies as ``y``."""
        return int(np.count_nonzero(self.spec.head.predictions(logits) == y))

    def predict(self, X: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Class indices of shape (m,)."""
        return self.spec.head.predictions(self.batched_logits(X, batch_size))

    def batched_logits(self, X: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Logits of shape (m, n_outputs), computed ``batch_size`` rows at a time."""
        if len(X) <= batch_size:
            return self.logits(X)
        parts = [self.logits(X[i : i + batch_size]) for i in range(0, len(X), batch_size)]
        return np.concatenate(parts)


def make_engine(
    name: str, spec: ModelSpec, state: dict[str, np.ndarray], optimizer: OptimizerSpec,
    seed: int = 0, device: str = "cpu",
) -> Engine:
    """Build the engine called ``name`` (one of :data:`ENGINES`) from a spec and a state dict;
    ``device`` (``cpu``, ``cuda``, ``cuda:K``, ``mps``) is the torch engine's, the NumPy engines
    run on the CPU."""
    checks.check("device", device)
    if device != "cpu" and name != "torch":
        raise GroundupError(f"--device {device} needs --engine torch: the {name} engine computes "
                            f"with NumPy, on the CPU")
    if name == "torch":
        from groundup.engines.torch import TorchEngine

        return TorchEngine(spec, state, optimizer, seed, device)
    if name == "scratch":
        from groundup.engines.scratch import ScratchEngine as cls
    elif name == "autograd":
        from groundup.engines.autograd import AutogradEngine as cls
    else:
        raise GroundupError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    return cls(spec, state, optimizer, seed)
