"""Run under torchrun by tests/test_distributed.py: train each engine data-parallel on a small
problem and save every rank's final weights, ``OUT/<engine>-<dtype>-rank<r>.safetensors``.

``python -m torch.distributed.run --standalone --nproc-per-node 2 tests/distributed_worker.py OUT``
"""

import sys
from pathlib import Path

import numpy as np

from groundup.engines import OptimizerSpec, make_engine
from groundup.io import save_safetensors
from groundup.models import ModelSpec
from groundup.train import Trainer, distributed

#: (engine, dtype) pairs the test compares; float32 only for torch (the NumPy engines' float32
#: path is the same code as their float64 one).
CASES = [("scratch", "float64"), ("autograd", "float64"), ("torch", "float64"),
         ("torch", "float32")]  # fmt: skip
EPOCHS, BATCH = 2, 16  # 96 examples: 6 global batches of 16 per epoch, 12 steps


def problem(dtype: str):
    """(spec, initial weights, X, y, optimizer): 3 Gaussian blobs in 4-D, an MLP 4-8-3, SGD with
    momentum (so a step depends on all earlier ones)."""
    rng = np.random.default_rng(7)
    y = rng.integers(0, 3, 96)
    X = (rng.normal(size=(96, 4)) + 2.0 * np.eye(3, 4)[y]).astype(dtype)
    spec = ModelSpec.for_model("mlp", 4, 3, hidden=(8,), activation="tanh")
    state = spec.init_state(0, dtype=np.dtype(dtype))
    return spec, state, X, y.astype(np.int64), OptimizerSpec("sgd", 0.1, 0.9)


def train(engine_name: str, dtype: str, group=None):
    """The engine after EPOCHS epochs of BATCH-example global batches (shards when ``group``)."""
    spec, state, X, y, opt = problem(dtype)
    engine = make_engine(engine_name, spec, state, opt, seed=0)
    Trainer(engine, X, y, epochs=EPOCHS, batch_size=BATCH, seed=3, log=None,
            distributed=group).fit()  # fmt: skip
    return engine


def main(out: str) -> None:
    group = distributed.from_env()
    for name, dtype in CASES:
        engine = train(name, dtype, group)
        path = Path(out) / f"{name}-{dtype}-rank{group.rank}.safetensors"
        save_safetensors(engine.state_dict(), path)
    distributed.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])
