"""The scratch engine: the primer's models in plain NumPy, every gradient derived by hand.

* :mod:`~groundup.scratch.logistic_regression`: the cat classifier, column-stacked (n_x, m)
* :mod:`~groundup.scratch.naive`: the same with explicit Python loops, for timing and checking
* :mod:`~groundup.scratch.neurons`: ``LinearNeuron`` and ``LogisticNeuron``, row-stacked (m, n)
* :mod:`~groundup.scratch.softmax_regression`: multiclass logistic regression
* :mod:`~groundup.scratch.layers`: ``Linear``, ``Activation``, ``Flatten``, ``Dropout``, each with
  its backward; ``LAYERS``, the scratch engine's table from a layer kind to its layer
* :mod:`~groundup.scratch.sequential`: ``Sequential``, the layers of a ``ModelSpec`` in order,
  backward from the head's fused gradient (the scratch engine's network)
* :mod:`~groundup.scratch.mlp`: any depth, hand-written backward, PyTorch parameter layout
* :mod:`~groundup.scratch.conv`: ``Conv2d``, ``MaxPool2d``, ``AvgPool2d`` layers over images
* :mod:`~groundup.scratch.conv_naive`: the same formulas as loops, to check them
* :mod:`~groundup.scratch.layernorm`, :mod:`~groundup.scratch.embedding`,
  :mod:`~groundup.scratch.attention`: ``LayerNorm``, ``Embedding``, causal softmax attention
  (one head and ``CausalSelfAttention``)
* :mod:`~groundup.scratch.transformer`, :mod:`~groundup.scratch.gpt`: a transformer ``Block``
  and a whole ``GPT``
* :mod:`~groundup.scratch.training`: the shared batch / minibatch / SGD loop and optimizer
"""

from groundup.scratch.attention import CausalSelfAttention, attention_backward, attention_forward
from groundup.scratch.conv import AvgPool2d, Conv2d, MaxPool2d
from groundup.scratch.embedding import Embedding
from groundup.scratch.gpt import GPT
from groundup.scratch.layernorm import LayerNorm
from groundup.scratch.logistic_regression import LogisticRegression, optimize, predict, propagate
from groundup.scratch.mlp import MLP
from groundup.scratch.naive import propagate_naive
from groundup.scratch.neurons import LinearNeuron, LogisticNeuron
from groundup.scratch.sequential import Sequential
from groundup.scratch.softmax_regression import SoftmaxRegression
from groundup.scratch.training import ArrayOptimizer, fit_loop
from groundup.scratch.transformer import Block

__all__ = [
    "GPT",
    "MLP",
    "Block",
    "CausalSelfAttention",
    "Embedding",
    "LayerNorm",
    "attention_backward",
    "attention_forward",
    "AvgPool2d",
    "Conv2d",
    "MaxPool2d",
    "Sequential",
    "ArrayOptimizer",
    "LinearNeuron",
    "LogisticNeuron",
    "LogisticRegression",
    "SoftmaxRegression",
    "fit_loop",
    "optimize",
    "predict",
    "propagate",
    "propagate_naive",
]
