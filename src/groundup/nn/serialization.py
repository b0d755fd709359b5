"""Weights without pickle: ``save`` / ``load`` a state dict as a safetensors file.

The tensor names are the ``state_dict()`` names, which equal PyTorch's for the same
architecture, so ``torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in
groundup.load(path).items()})`` works, and a file written by ``safetensors.torch.save_file``
from a torch model loads back with ``model.load_state_dict(groundup.load(path))``.
"""

from __future__ import annotations

import numpy as np

from groundup.autograd import Tensor


def save(obj, path, metadata: dict | None = None) -> None:
    """Write a Module's ``state_dict()`` (or a dict of arrays / tensors) to ``path``, atomically."""
    from groundup.io import save_safetensors
    from groundup.nn.module import Module

    state = obj.state_dict() if isinstance(obj, Module) else obj
    arrays = {k: np.ascontiguousarray(v.data if isinstance(v, Tensor) else np.asarray(v))
              for k, v in state.items()}
    save_safetensors(arrays, path, metadata=metadata)


def load(path) -> dict[str, np.ndarray]:
    """Read a safetensors file into ``{name: ndarray}`` (feed it to ``load_state_dict``)."""
    from groundup.io import load_safetensors

    return load_safetensors(path)
