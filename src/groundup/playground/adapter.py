"""The one place the playground meets groundup's engines (the engine contract of
:mod:`groundup.engines.base`: ``make_engine(name, spec, state, optimizer)``, ``train_step``,
``logits``, ``state_dict`` / ``load_state_dict``). When that contract changes, this file does.

What the playground asks beyond the contract is built here from the contract's own calls, the
same way for every engine, so scratch, autograd and torch still give the same numbers:

* **Regression** (a target ``t`` in [-1, 1]): the binary head trained on the soft label
  ``y = (t + 1) / 2``. Its loss ``softplus(z) - y z`` has gradient ``σ(z) - y``, zero exactly
  when the output ``2σ(z) - 1 = tanh(z / 2)`` equals ``t``; the page shows the squared error
  ``mean((out - t)²)`` of that output.
* **L1 / L2 regularisation** of the weights (not the biases), applied after each step as
  TensorFlow Playground does: ``w ← w - lr·λ·w`` (L2, the gradient of ``λ/2 ‖w‖²``) or
  ``w ← w - lr·λ·sign(w)`` (L1, and a weight that would cross zero stops at zero).
* **Per-neuron pictures**: the hidden layers' outputs, recomputed in NumPy from ``state_dict()``
  with :mod:`groundup.numerics`'s activations, each layer's own as the model spec lists them
  (the engines only give the logits).
"""

from __future__ import annotations

import numpy as np

from groundup import numerics
from groundup.engines import OptimizerSpec, make_engine
from groundup.models import ModelSpec
from groundup.playground.settings import Settings

OPTIMIZERS = {  # the page's choice -> (groundup optimizer, momentum)
    "sgd": ("sgd", 0.0),
    "momentum": ("sgd", 0.9),
    "adam": ("adam", 0.0),
}


def model_name(settings: Settings, n_classes: int) -> str:
    """``mlp`` with hidden layers, else ``logistic`` (one logit) or ``softmax`` (C logits)."""
    if settings.hidden:
        return "mlp"
    return "logistic" if n_classes == 2 or settings.problem == "regression" else "softmax"


def model_spec(settings: Settings, n_classes: int) -> ModelSpec:
    """The network the settings describe: features -> hidden (each with its own activation)...
    -> 1 logit (2 classes or regression) or C logits."""
    n_classes = 2 if settings.problem == "regression" else n_classes
    return ModelSpec.for_model(model_name(settings, n_classes), len(settings.features),
                               n_classes, settings.hidden, settings.activations)  # fmt: skip


def optimizer_spec(settings: Settings) -> OptimizerSpec:
    """The engines' optimizer for the page's choice (``momentum`` is SGD with μ = 0.9)."""
    name, momentum = OPTIMIZERS[settings.optimizer]
    return OptimizerSpec(name, settings.lr, momentum)


class Network:
    """A network of one engine, trained and read the way the playground needs."""

    def __init__(self, settings: Settings, n_classes: int, state=None):
        self.spec = model_spec(settings, n_classes)
        self.model_name = model_name(settings, n_classes)
        self.regression = settings.problem == "regression"
        self.regularization, self.rate = settings.regularization, settings.reg_rate
        self.lr = settings.lr
        state = self.spec.init_state(settings.seed) if state is None else state
        self.engine = make_engine(settings.engine, self.spec, state, optimizer_spec(settings))
        self.names = [(f"{i}.weight", f"{i}.bias") for i, layer in enumerate(self.spec.layers)
                      if layer.kind == "linear"]  # [("0.weight", "0.bias"), ...]  # fmt: skip
        self.activations = [numerics.get_activation(layer.name) for layer in self.spec.layers
                            if layer.kind == "activation"]  # one per hidden layer  # fmt: skip

    def labels(self, y: np.ndarray) -> np.ndarray:
        """What ``train_step`` takes: class indices, or soft labels ``(t + 1) / 2``."""
        return ((y + 1) / 2).astype(np.float32) if self.regression else y

    def train_step(self, xb: np.ndarray, yb: np.ndarray) -> float:
        """One step on a batch (labels already through :meth:`labels`); the loss before it."""
        loss, _ = self.engine.train_step(xb, yb)
        if self.regularization != "none" and self.rate > 0:
            self._regularize()
        return loss

    def _regularize(self) -> None:
        state = self.engine.state_dict()
        step = self.lr * self.rate
        for name, _ in self.names:
            w = state[name]
            if self.regularization == "l2":
                w -= w.dtype.type(step) * w
            else:
                shrunk = w - w.dtype.type(step) * np.sign(w)
                shrunk[np.sign(shrunk) != np.sign(w)] = 0  # L1 stops at zero
                state[name] = shrunk
        self.engine.load_state_dict(state)

    def outputs(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (m, C), or the regression output ``2σ(z) - 1`` of shape (m,)."""
        z = self.engine.logits(X)
        return _regression_output(z) if self.regression else self.spec.head.probabilities(z)

    def measure(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float | None]:
        """(mean loss, accuracy) from one forward pass: cross-entropy and the share classified
        right, or for regression the mean squared error of the output and None."""
        if len(y) == 0:
            return float("nan"), None
        z = self.engine.logits(X)
        if self.regression:
            return float(np.mean((_regression_output(z) - y) ** 2)), None
        right = self.spec.head.predictions(z) == y
        return self.spec.head.loss(z, y), float(np.mean(right))

    def hidden_outputs(self, X: np.ndarray) -> list[np.ndarray]:
        """Each hidden layer's output ``a_l = f_l(a_{l-1} W_lᵀ + b_l)``, of shape (m, n_l)."""
        state = self.engine.state_dict()
        a, out = X, []
        for (w, b), f in zip(self.names[:-1], self.activations, strict=True):
            a = f.f(a @ state[w].T + state[b])
            out.append(a)
        return out

    def weights(self) -> list[np.ndarray]:
        """The weight matrices, layer by layer, each of shape (n_out, n_in)."""
        state = self.engine.state_dict()
        return [state[w] for w, _ in self.names]

    def state_dict(self) -> dict[str, np.ndarray]:
        return self.engine.state_dict()


def _regression_output(z: np.ndarray) -> np.ndarray:
    """The regression output ``2σ(z) - 1 = tanh(z / 2)`` in [-1, 1] of one logit, shape (m,)."""
    return 2 * numerics.sigmoid(z[:, 0].astype(np.float64)) - 1
