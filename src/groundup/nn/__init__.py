"""``groundup.nn``: modules, layers, losses and initialisation with PyTorch's names.

    from groundup import nn
    import groundup.nn.functional as F

    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    loss = F.cross_entropy(model(x), y)
"""

from groundup.nn import functional, init, utils
from groundup.nn.activation import (
    GELU,
    Identity,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from groundup.nn.container import ModuleDict, ModuleList, Sequential
from groundup.nn.conv import AvgPool2d, Conv2d, MaxPool2d
from groundup.nn.linear import Dropout, Embedding, Flatten, Linear
from groundup.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from groundup.nn.module import Module
from groundup.nn.normalization import LayerNorm
from groundup.nn.parameter import Parameter

__all__ = [
    "Module", "Parameter", "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "Embedding", "Flatten",
    "Dropout", "LayerNorm", "Sequential", "ModuleList", "ModuleDict",
    "Identity", "ReLU", "LeakyReLU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "MSELoss", "functional",
    "init", "utils",
]
