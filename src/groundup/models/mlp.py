"""The primer's fully connected models: logistic regression, softmax regression, the MLP.

=============  ==============================================================  =============
model          layers                                                          head
=============  ==============================================================  =============
``logistic``   ``Linear(d, 1)``                                                 1 logit
``softmax``    ``Linear(d, C)``                                                 C logits
``mlp``        ``Linear(d, h1), f, Linear(h1, h2), f, ..., Linear(h_k, out)``   1 logit if C = 2
=============  ==============================================================  =============

Inputs with more than one dimension (an image with its channel) are flattened first.
"""

from __future__ import annotations

from groundup import checks
from groundup.errors import GroundupError
from groundup.models.head import Head
from groundup.models.layers import Flatten, Linear
from groundup.models.spec import ModelSpec, mlp_layers

__all__ = ["from_sizes", "logistic", "mlp", "softmax"]


def _flatten(input_shape: tuple[int, ...]) -> tuple:
    return (Flatten(),) if len(input_shape) > 1 else ()


def _features(input_shape: tuple[int, ...]) -> int:
    n = 1
    for s in input_shape:
        n *= int(s)
    return n


def logistic(input_shape: tuple[int, ...], n_classes: int = 2) -> ModelSpec:
    """Logistic regression: ``P(y=1) = σ(x·w + b)``, one logit, 2 classes."""
    if n_classes != 2:
        raise GroundupError(
            f"logistic regression is for 2 classes, the data has {n_classes}; use --model "
            f"softmax or --model mlp"
        )
    layers = (*_flatten(input_shape), Linear(_features(input_shape), 1))
    return ModelSpec(input_shape, layers, Head(2, binary=True))


def softmax(input_shape: tuple[int, ...], n_classes: int) -> ModelSpec:
    """Softmax regression: ``P = softmax(x Wᵀ + b)``, C logits."""
    layers = (*_flatten(input_shape), Linear(_features(input_shape), n_classes))
    return ModelSpec(input_shape, layers, Head(n_classes))


def mlp(input_shape: tuple[int, ...], n_classes: int, hidden: tuple[int, ...],
        activation) -> ModelSpec:  # fmt: skip
    """A multilayer perceptron with ``hidden`` widths and ``activation`` between the layers (one
    name for all, or one per hidden layer); one logit (binary cross-entropy) for 2 classes, else
    C logits."""
    hidden = tuple(checks.check("hidden", tuple(hidden)))
    head = Head(n_classes, binary=n_classes == 2)
    layers = mlp_layers(_features(input_shape), hidden, activation, head.n_outputs)
    return ModelSpec(input_shape, (*_flatten(input_shape), *layers), head)


def from_sizes(sizes, activation: str = "relu") -> ModelSpec:
    """The MLP of layer sizes ``[n_0, n_1, ..., n_L]``: one logit (binary) when ``n_L = 1``,
    else ``n_L`` logits.

    >>> from_sizes([784, 128, 10]).init_state(0)["0.weight"].shape
    (128, 784)
    """
    sizes = [int(s) for s in sizes]
    n_out = sizes[-1]
    head = Head(2, binary=True) if n_out == 1 else Head(n_out)
    return ModelSpec((sizes[0],), mlp_layers(sizes[0], tuple(sizes[1:-1]), activation, n_out), head)
