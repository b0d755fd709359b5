"""Recipes: named configurations that reproduce the primer's experiments.

Each recipe fixes the data set, its preprocessing, the model, the optimizer and the schedule, so
``groundup train --recipe mnist-sgd`` is the primer's MNIST run and nothing needs remembering.
Every recipe runs on every engine (``--engine scratch|autograd|torch``); any field can be
overridden from the command line (``--lr 0.1``, ``--epochs 3``, ...).

========================  =========================================================================
recipe                    what it reproduces
========================  =========================================================================
``mnist-sgd``             primer 1: 784 -> 128 -> 10 ReLU network, SGD lr 0.01, batch 64, 5 epochs
``mnist-adam``            the same network with Adam lr 1e-3 (the primer's "97%+")
``cat-logreg``            primer 0: logistic regression on 64x64x3 cat / non-cat images (12,288
                          inputs), full-batch gradient descent lr 0.005, 2,000 iterations
``blobs-logreg``          study week: logistic regression on two Gaussian blobs, lr 0.1, 2,000
                          full-batch iterations; decision boundary at iterations 0/100/500/2000
``xor-mlp``               primer 1: XOR is not linearly separable; one hidden tanh layer solves it
``cancer-logistic``       primer 2: logistic neuron on the Wisconsin breast-cancer set,
                          standardised, full-batch gradient descent lr 0.5, 100 epochs
``cancer-mlp``            primer 2: 30 -> 64 -> 32 -> 1 ReLU MLP, BCE with logits, Adam lr 1e-3
``penguins-softmax``      primer 2: softmax regression on the Palmer penguins (3 species)
``penguins-mlp``          primer 2: 4 -> 64 -> 32 -> 3 ReLU MLP, cross-entropy, Adam lr 1e-3
``mnist-cnn``             beyond the primer: 3x3 conv 32 -> 64 -> 128, a pool after each, linear,
                          Adam with its rate decayed by 0.7 per epoch, 4 epochs: >= 99%
``digits-cnn``            a smaller CNN (3x3 conv 16 -> conv 32) on the 8x8 digits, in seconds
========================  =========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from groundup.errors import GroundupError

__all__ = ["DEFAULT_RECIPE", "RECIPES", "Recipe", "get_recipe", "recipe_for_dataset"]


@dataclass(frozen=True)
class Recipe:
    """One experiment: data, preprocessing, model, optimizer and schedule.

    ``batch_size=None`` means full-batch gradient descent (one step per epoch), as in the
    primer's NumPy loops; ``snapshot_steps`` are the optimizer steps at which the decision
    boundary is kept for the 2x2 grid (2-D data only).
    """

    name: str
    dataset: str
    model: str  # a name of groundup.models.MODELS: logistic | softmax | mlp | cnn
    optimizer: str
    lr: float
    epochs: int
    batch_size: int | None
    hidden: tuple[int, ...] = ()
    activation: str = "relu"
    momentum: float = 0.0
    lr_decay: float = 1.0  # the learning rate's factor per epoch (StepLR, step_size=1)
    preprocess: str = "standardize"  # pixels | standardize | none | auto (by the data)
    target: str | None = None
    summary: str = ""
    expect: str = ""
    snapshot_steps: tuple[int, ...] = (0, 100, 500, 2000)
    channels: tuple[int, ...] = ()  # a cnn's output channels, one conv + pool block each
    kernel_size: int | None = None  # a cnn's kernel size


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in [
        Recipe(
            "mnist-sgd", "mnist", "mlp", "sgd", 0.01, 5, 64, hidden=(128,), preprocess="pixels",
            summary="The primer's DigitClassifier: 784 -> 128 ReLU -> 10, plain SGD lr 0.01, "
            "batch 64, 5 epochs.",
            expect="about 91.5% test accuracy (PyTorch gives the same; the primer quotes 93.6%)",
        ),
        Recipe(
            "mnist-adam", "mnist", "mlp", "adam", 1e-3, 5, 64, hidden=(128,), preprocess="pixels",
            summary="The same network with one line changed: Adam lr 1e-3.",
            expect=">= 97% test accuracy",
        ),
        Recipe(
            "cat-logreg", "cat", "logistic", "sgd", 0.005, 2000, None, preprocess="pixels",
            summary="Logistic regression on 64x64x3 cat / non-cat photos unrolled to 12,288 "
            "inputs, full-batch gradient descent lr 0.005, 2,000 iterations.",
            expect="about 70% test accuracy on 50 test images (train near 99%: it overfits)",
        ),
        Recipe(
            "blobs-logreg", "blobs", "logistic", "sgd", 0.1, 2000, None, preprocess="none",
            summary="Logistic regression on two Gaussian blobs, full-batch gradient descent lr "
            "0.1, 2,000 iterations; boundary snapshots at 0, 100, 500, 2000.",
            expect="> 95% test accuracy, a straight boundary between the blobs",
        ),
        Recipe(
            "xor-mlp", "xor", "mlp", "adam", 0.05, 300, None, hidden=(8,), activation="tanh",
            preprocess="none",
            summary="XOR: no straight line separates it; 2 -> 8 tanh -> 1 does, Adam lr 0.05, "
            "300 full-batch steps.",
            expect="about 92% test accuracy (the noise puts a few points across the axes)",
        ),
        Recipe(
            "cancer-logistic", "breast-cancer", "logistic", "sgd", 0.5, 100, None,
            summary="The logistic neuron on the 30 standardised breast-cancer features, "
            "full-batch gradient descent lr 0.5, 100 epochs.",
            expect="about 97% test accuracy",
        ),
        Recipe(
            "cancer-mlp", "breast-cancer", "mlp", "adam", 1e-3, 200, None, hidden=(64, 32),
            summary="30 -> 64 -> 32 -> 1 ReLU MLP, BCE with logits, Adam lr 1e-3, 200 "
            "full-batch epochs.",
            expect="about 97% test accuracy",
        ),
        Recipe(
            "penguins-softmax", "penguins", "softmax", "sgd", 0.1, 200, None,
            summary="Softmax regression on 4 standardised penguin measurements, 3 species, "
            "full-batch gradient descent lr 0.1, 200 epochs.",
            expect="about 98% test accuracy",
        ),
        Recipe(
            "penguins-mlp", "penguins", "mlp", "adam", 1e-3, 200, None, hidden=(64, 32),
            summary="4 -> 64 -> 32 -> 3 ReLU MLP, cross-entropy with integer targets, Adam lr "
            "1e-3, 200 full-batch epochs.",
            expect="about 98% test accuracy",
        ),
        Recipe(
            "mnist-cnn", "mnist", "cnn", "adam", 1e-3, 4, 64, channels=(32, 64, 128),
            kernel_size=3, lr_decay=0.7, preprocess="pixels",
            summary="A small convolutional network: three blocks of 3x3 conv (32, 64, 128 "
            "channels) -> ReLU -> 2x2 max pool (28 -> 14 -> 7 -> 3 pixels), then linear 1152 -> "
            "10; Adam lr 1e-3 times 0.7 after every epoch (PyTorch's StepLR), batch 64, 4 epochs.",
            expect=">= 99% test accuracy (the MLPs: 91-97%), minutes on one core",
        ),
        Recipe(
            "digits-cnn", "digits", "cnn", "adam", 1e-3, 40, 32, channels=(16, 32),
            kernel_size=3, preprocess="pixels",
            summary="A smaller CNN for the 8x8 digits: 3x3 conv 16 -> pool -> 3x3 conv 32 -> pool "
            "(8 -> 4 -> 2 pixels) -> linear 128 -> 10, Adam lr 1e-3, batch 32, 40 epochs.",
            expect="about 98% test accuracy, in seconds",
        ),
    ]
}

#: What ``groundup train`` with no arguments runs: offline, on a data set shipped in the package.
DEFAULT_RECIPE = "penguins-mlp"

#: ``groundup train DATASET`` runs this recipe for a known data set.
_BY_DATASET = {
    "mnist": "mnist-sgd", "cat": "cat-logreg", "blobs": "blobs-logreg", "xor": "xor-mlp",
    "breast-cancer": "cancer-mlp", "penguins": "penguins-mlp",
}


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; a :class:`GroundupError` listing them all otherwise."""
    try:
        return RECIPES[name]
    except KeyError:
        raise GroundupError(
            f"unknown recipe {name!r}; choose one of {', '.join(RECIPES)}"
        ) from None


def recipe_for_dataset(dataset: str) -> Recipe | None:
    """The recipe ``groundup train DATASET`` uses for a known data set, else None."""
    name = _BY_DATASET.get(dataset)
    return RECIPES[name] if name else None
