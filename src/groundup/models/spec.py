"""``ModelSpec``: a network is a list of layer specs plus a head, and nothing else.

>>> from groundup.models import ModelSpec, Head, Linear, Activation
>>> spec = ModelSpec((784,), (Linear(784, 128), Activation("relu"), Linear(128, 10)), Head(10))
>>> spec.parameter_shapes()
{'0.weight': (128, 784), '0.bias': (128,), '2.weight': (10, 128), '2.bias': (10,)}
>>> spec.n_parameters
101770

Layer ``i`` of the list is module ``i`` of PyTorch's ``nn.Sequential``, so its parameters are
named ``"{i}.weight"``, ``"{i}.bias"`` in every engine and in every saved file. The spec checks,
when it is made, that each layer accepts the shape the previous one outputs and that the last
outputs the head's ``n_outputs`` logits. Engines build their own network from ``layers`` (one
table row per layer kind); the initial weights come from :meth:`ModelSpec.init_state`, drawn once
and loaded into whichever engine runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from groundup.errors import GroundupError
from groundup.models.head import Head
from groundup.models.layers import Activation, Layer, Linear, layer_from_dict
from groundup.models.memory import check_fits

__all__ = ["ModelSpec", "activation_names", "mlp_layers"]


@dataclass(frozen=True)
class ModelSpec:
    """Which network: ``layers`` applied in order to inputs of ``input_shape``, read by ``head``.

    Parameters
    ----------
    input_shape : tuple of int
        One example's shape, e.g. ``(784,)`` for a flattened image, ``(1, 28, 28)`` for an image
        with its channel. Engines receive rows of ``prod(input_shape)`` values and view them in
        this shape.
    layers : tuple of Layer
        The layer specs of :mod:`groundup.models.layers`.
    head : Head
        Binary (one logit) or C logits.
    """

    input_shape: tuple[int, ...]
    layers: tuple[Layer, ...]
    head: Head

    def __post_init__(self):
        object.__setattr__(self, "input_shape", tuple(int(s) for s in self.input_shape))
        object.__setattr__(self, "layers", tuple(self.layers))
        if not self.input_shape or min(self.input_shape) < 1:
            raise GroundupError(
                f"a model needs at least 1 input, got input shape {self.input_shape}; check the "
                f"data set's features"
            )
        out = self.output_shape()
        if out != (self.head.n_outputs,):
            raise GroundupError(
                f"the last layer outputs shape {out} per example, but a "
                f"{'binary' if self.head.binary else f'{self.head.n_classes}-class'} head needs "
                f"{self.head.n_outputs} logits"
            )

    # -- what the spec says about itself ---------------------------------------------------------
    def output_shape(self, upto: int | None = None) -> tuple[int, ...]:
        """One example's shape after the first ``upto`` layers (all of them by default)."""
        shape = self.input_shape
        for layer in self.layers[:upto]:
            shape = layer.output_shape(shape)
        return shape

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """``{"0.weight": (out, in), ...}``: PyTorch's ``nn.Sequential`` names and shapes."""
        return {f"{i}.{name}": shape for i, layer in enumerate(self.layers)
                for name, shape in layer.parameter_shapes().items()}  # fmt: skip

    @property
    def n_parameters(self) -> int:
        """Weights plus biases (101,770 for the primer's 784 -> 128 -> 10 network)."""
        return sum(math.prod(s) for s in self.parameter_shapes().values())

    @property
    def n_inputs(self) -> int:
        """Values per example, ``prod(input_shape)``."""
        return math.prod(self.input_shape)

    @property
    def n_classes(self) -> int:
        return self.head.n_classes

    @property
    def binary(self) -> bool:
        return self.head.binary

    @property
    def n_outputs(self) -> int:
        return self.head.n_outputs

    @property
    def chance_loss(self) -> float:
        return self.head.chance_loss

    @property
    def first_weight(self) -> str | None:
        """Name of the first layer's weight (``"0.weight"`` for an MLP), the one drawn as images
        in reports; None for a model without parameters."""
        return next((n for n in self.parameter_shapes() if n.endswith(".weight")), None)

    def summary(self) -> str:
        """One line: ``784 -> Linear(784, 128) -> ReLU -> Linear(128, 10) -> 10 logits``."""
        shape = "x".join(map(str, self.input_shape))
        logits = "1 logit" if self.binary else f"{self.n_classes} logits"
        return " -> ".join([shape, *map(str, self.layers), logits])

    # -- initial weights ---------------------------------------------------------------------------
    def init_state(self, seed: int | np.random.Generator,
                   dtype=np.float32) -> dict[str, np.ndarray]:  # fmt: skip
        """Initial weights, PyTorch's default distributions, drawn from ``seed`` layer by layer.

        A model whose weights alone cannot fit in this machine's memory is refused first, with
        its size (see :mod:`groundup.models.memory`).
        """
        check_fits(self.n_parameters, dtype)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        state: dict[str, np.ndarray] = {}
        for i, layer in enumerate(self.layers):
            for name, value in layer.init(rng, dtype).items():
                state[f"{i}.{name}"] = value
        return state

    def check_state(self, state: dict[str, np.ndarray], where: str = "the state dict") -> None:
        """Raise :class:`GroundupError` unless ``state`` has this spec's names and shapes."""
        expected = self.parameter_shapes()
        missing = [k for k in expected if k not in state]
        unexpected = [k for k in state if k not in expected]
        wrong = [k for k in expected if k in state and tuple(np.shape(state[k])) != expected[k]]
        if missing or unexpected or wrong:
            raise GroundupError(
                f"{where} does not match the model {self.summary()} (missing {missing}, "
                f"unexpected {unexpected}, wrong shape {wrong})"
            )

    # -- files ------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-able form (``config.json``, the ``model.safetensors`` metadata)."""
        return {
            "input_shape": list(self.input_shape),
            "layers": [layer.to_dict() for layer in self.layers],
            "n_classes": self.n_classes,
            "binary": self.binary,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ModelSpec:
        """Read :meth:`to_dict`'s form, or the older MLP-only form of runs written before models
        had layers (``n_inputs``, ``hidden``, ``activation``, ``binary``)."""
        head = Head(int(d["n_classes"]), bool(d.get("binary", False)))
        if "layers" not in d:
            n_inputs = int(d["n_inputs"])
            layers = mlp_layers(n_inputs, tuple(d.get("hidden", ())), d.get("activation", "relu"),
                                head.n_outputs)  # fmt: skip
            return cls((n_inputs,), layers, head)
        return cls(tuple(d["input_shape"]), tuple(layer_from_dict(x) for x in d["layers"]), head)

    @classmethod
    def for_model(cls, model: str, n_inputs, n_classes: int, hidden=(),
                  activation: str | tuple[str, ...] = "relu", **options) -> ModelSpec:  # fmt: skip
        """The spec of a named model of :data:`groundup.models.MODELS`, e.g.
        ``ModelSpec.for_model("mlp", 784, 10, hidden=(128,))``; options the model does not take
        (``hidden`` for ``logistic``) are ignored, as :func:`groundup.models.build` would refuse
        them."""
        from groundup.models.registry import build, get_model  # the registry imports this module

        takes = get_model(model).options
        given = {"hidden": tuple(hidden), "activation": activation, **options}
        return build(model, n_inputs, n_classes, **{k: v for k, v in given.items() if k in takes})


def mlp_layers(n_inputs: int, hidden: tuple[int, ...], activation, n_outputs: int):
    """``Linear(n_inputs, h1), f1, Linear(h1, h2), f2, ..., Linear(h_last, n_outputs)``.

    ``activation`` is one name for every hidden layer, or a sequence of names, one per hidden
    layer (``f_l`` follows layer ``l``)."""
    names = activation_names(activation, len(hidden), "hidden layer")
    sizes = [n_inputs, *hidden, n_outputs]
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Linear(n_in, n_out))
        if i < len(names):
            layers.append(Activation(names[i]))
    return tuple(layers)


def activation_names(activation, n: int, layer: str = "hidden layer") -> tuple[str, ...]:
    """The activation of each of ``n`` layers: ``activation`` is one name for all of them, or a
    sequence of exactly ``n`` names (``layer`` says what the layers are, for the error)."""
    names = (activation,) * n if isinstance(activation, str) else tuple(activation)
    if len(names) != n:
        raise GroundupError(f"{len(names)} activations for {n} {layer}s; give one per {layer}, "
                            f"or one name for all of them")  # fmt: skip
    return names
