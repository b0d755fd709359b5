"""Engines: one contract, three ways of computing gradients (see :mod:`.base`).

>>> from groundup.engines import OptimizerSpec, make_engine
>>> from groundup.models import build
>>> spec = build("mlp", 784, 10, hidden=(128,))
>>> engine = make_engine("autograd", spec, spec.init_state(seed=0), OptimizerSpec("sgd", 0.01))
>>> sorted(engine.state_dict())
['0.bias', '0.weight', '2.bias', '2.weight']
"""

from groundup.engines.base import ENGINES, Engine, make_engine
from groundup.engines.optimizers import OPTIMIZERS, OptimizerSpec

__all__ = ["ENGINES", "OPTIMIZERS", "Engine", "OptimizerSpec", "make_engine"]
