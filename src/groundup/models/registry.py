"""The models ``--model`` can name, each built by one function from the data's shape.

A new model is one file in this package with a builder ``f(input_shape, n_classes, **options)
-> ModelSpec`` and one row here naming the options it takes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral

from groundup.errors import GroundupError
from groundup.models import cnn, mlp
from groundup.models.spec import ModelSpec

__all__ = ["MODELS", "Architecture", "build", "get_model"]


@dataclass(frozen=True)
class Architecture:
    """A named model: its builder, the options it takes and a line about it. ``images``: it
    takes images with their channels, (C, H, W), rather than rows of features."""

    name: str
    build: Callable[..., ModelSpec]
    defaults: dict  # the options it takes, each with its default
    summary: str
    images: bool = False
    #: the option with one entry per layer that an activation follows, and what those layers
    #: are called: ("hidden", "hidden layer") for the mlp; None for a model without activations
    activation_per: tuple[str, str] | None = None

    @property
    def options(self) -> tuple[str, ...]:
        """The options (keyword arguments of ``build``) it takes."""
        return tuple(self.defaults)


MODELS: dict[str, Architecture] = {
    a.name: a
    for a in (
        Architecture("logistic", mlp.logistic, {}, "logistic regression: 1 logit, 2 classes"),
        Architecture("softmax", mlp.softmax, {}, "softmax regression: C logits"),
        Architecture("mlp", mlp.mlp, {"hidden": (64, 32), "activation": "relu"},
                     "multilayer perceptron: --hidden widths, --activation after each (one for "
                     "all, or one per hidden layer)", activation_per=("hidden", "hidden layer")),
        Architecture("cnn", cnn.cnn, {"channels": (16, 32), "kernel_size": 3,
                                      "activation": "relu"},
                     "convolutional network: a conv + pool block per --channels entry, "
                     "--kernel-size, then a linear layer", images=True,
                     activation_per=("channels", "convolution block")),
    )
}


def get_model(name: str) -> Architecture:
    """The model called ``name``; a :class:`GroundupError` listing them all otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        raise GroundupError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}") from None


def build(name: str, input_shape, n_classes: int, **options) -> ModelSpec:
    """The spec of model ``name`` for inputs of ``input_shape`` (an int for flat features) and
    ``n_classes`` classes; ``options`` (``hidden``, ``activation``, ...) left None take the
    model's defaults, and an option the model does not take is an error."""
    arch = get_model(name)
    given = {k: v for k, v in options.items() if v is not None}
    foreign = [k for k in given if k not in arch.options]
    if foreign:
        flag = "--" + foreign[0].replace("_", "-")
        raise GroundupError(f"{flag} does not apply to --model {name}; "
                            f"{'use --model mlp' if foreign[0] == 'hidden' else 'drop it'}")
    shape = (int(input_shape),) if isinstance(input_shape, Integral) else tuple(input_shape)
    return arch.build(shape, n_classes, **{**arch.defaults, **given})
