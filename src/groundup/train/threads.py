"""One BLAS thread while training: small matrix products run faster on one core.

A training step multiplies small matrices (64 x 784 by 784 x 128 for MNIST): tens of
microseconds of work, less than it costs to wake and synchronise a pool of BLAS threads. On a
busy machine the pool's spinning threads also compete with each other and with other processes,
and a step can become 20x slower. :func:`blas_threads` sets OpenBLAS (NumPy's bundled copy) to
``n`` threads for the duration of a ``with`` block and restores the previous count after. One
thread also keeps the summation order fixed, so results do not depend on the machine's core count.
When the library cannot be found (another BLAS, another platform) it does nothing. If torch is
already imported (the torch engine), its intra-op thread count is set and restored the same way.
"""

from __future__ import annotations

import ctypes
import glob
import os
import sys
from contextlib import contextmanager

import numpy as np

__all__ = ["blas_threads"]

_SET = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
        "openblas_set_num_threads")  # fmt: skip
_GET = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
        "openblas_get_num_threads")  # fmt: skip
_cached: tuple | None = None


def _openblas():
    """(set, get) functions of the OpenBLAS NumPy loaded, or None."""
    global _cached
    if _cached is not None:
        return _cached or None
    root = os.path.dirname(os.path.dirname(np.__file__))
    pattern_dirs = [
        os.path.join(root, "numpy.libs"), os.path.join(os.path.dirname(np.__file__), ".libs")
    ]
    for folder in pattern_dirs:
        for path in sorted(glob.glob(os.path.join(folder, "*openblas*"))):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            setter = next((getattr(lib, s) for s in _SET if hasattr(lib, s)), None)
            getter = next((getattr(lib, g) for g in _GET if hasattr(lib, g)), None)
            if setter is not None and getter is not None:
                setter.argtypes, getter.restype = [ctypes.c_int], ctypes.c_int
                _cached = (setter, getter)
                return _cached
    _cached = ()
    return None


@contextmanager
def blas_threads(n: int | None = 1):
    """Run the block with ``n`` OpenBLAS (and torch) threads (None: leave them as they are)."""
    if n is None:
        yield
        return
    lib = _openblas()
    torch = sys.modules.get("torch")
    previous = lib[1]() if lib else None
    previous_torch = torch.get_num_threads() if torch is not None else None
    if lib:
        lib[0](int(n))
    if torch is not None:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        if lib:
            lib[0](previous)
        if torch is not None:
            torch.set_num_threads(previous_torch)
