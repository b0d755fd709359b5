"""A small convolutional network: blocks of convolution, activation and 2x2 max pooling, then
one linear layer to the logits.

``cnn((1, 28, 28), 10, channels=(16, 32), kernel_size=3)`` is ``--model cnn``'s default network
(the mnist-cnn recipe adds a third block and doubles the channels: 32, 64, 128)::

    (1, 28, 28) -> Conv2d(1, 16, 3, padding=1) -> ReLU -> MaxPool2d(2)      (16, 14, 14)
                -> Conv2d(16, 32, 3, padding=1) -> ReLU -> MaxPool2d(2)     (32, 7, 7)
                -> Flatten -> Linear(1568, 10)                              10 logits

The padding ``k // 2`` keeps each convolution's output the size of its input ("same"), so only
the poolings halve the image. One logit (binary cross-entropy) for 2 classes, else C logits.
"""

from __future__ import annotations

from groundup import checks
from groundup.errors import GroundupError
from groundup.models.head import Head
from groundup.models.layers import Activation, Conv2d, Flatten, Linear, MaxPool2d
from groundup.models.spec import ModelSpec, activation_names

__all__ = ["cnn"]


def cnn(input_shape: tuple[int, ...], n_classes: int, channels: tuple[int, ...],
        kernel_size: int, activation) -> ModelSpec:  # fmt: skip
    """Convolution blocks with ``channels`` output channels each, then a linear layer;
    ``activation`` is one name for every block, or one name per block."""
    if len(input_shape) != 3:
        raise GroundupError(
            f"a cnn needs images, but the data's examples have shape {tuple(input_shape)}; use "
            f"--model mlp for tabular data"
        )
    channels = tuple(checks.check("channels", tuple(channels)))
    kernel_size = checks.check("kernel_size", kernel_size)
    C, H, W = (int(s) for s in input_shape)
    if min(H, W) < 2 ** len(channels):
        raise GroundupError(
            f"{len(channels)} convolution blocks halve a {H}x{W} image {len(channels)} times, "
            f"below one pixel; give fewer --channels"
        )
    names = activation_names(activation, len(channels), "convolution block")
    layers = []
    for out, name in zip(channels, names, strict=True):
        layers += [Conv2d(C, out, kernel_size, padding=kernel_size // 2), Activation(name),
                   MaxPool2d(2)]  # fmt: skip
        C, H, W = out, H // 2, W // 2
    head = Head(n_classes, binary=n_classes == 2)
    layers += [Flatten(), Linear(C * H * W, head.n_outputs)]
    return ModelSpec(tuple(input_shape), tuple(layers), head)

