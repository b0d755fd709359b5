"""Engines: one contract, three ways of computing gradients (see :mod:`.base`).

>>> from groundup.engines import ModelSpec, OptimizerSpec, make_engine
>>> spec = ModelSpec.for_model("mlp", 784, 10, hidden=(128,))
>>> engine = make_engine("autograd", spec, spec.init_state(seed=0), OptimizerSpec("sgd", 0.01))
>>> sorted(engine.state_dict())
['0.bias', '0.weight', '2.bias', '2.weight']
"""

from groundup.engines.base import (
    ACTIVATIONS,
    ENGINES,
    MODELS,
    OPTIMIZERS,
    Engine,
    ModelSpec,
    OptimizerSpec,
    make_engine,
    mean_loss,
    predictions,
    probabilities,
)

__all__ = [
    "ACTIVATIONS",
    "ENGINES",
    "MODELS",
    "OPTIMIZERS",
    "Engine",
    "ModelSpec",
    "OptimizerSpec",
    "make_engine",
    "mean_loss",
    "predictions",
    "probabilities",
]
