"""One BLAS thread while training: small matrix products run faster on one core.

A training step multiplies small matrices (64 x 784 by 784 x 128 for MNIST): tens of
microseconds of work, less than it costs to wake and synchronise a pool of BLAS threads. On a
busy machine the pool's spinning threads also compete with each other and with other processes,
and a step can become 20x slower. :func:`blas_threads` limits NumPy's BLAS (OpenBLAS, MKL or
BLIS, found by threadpoolctl) to ``n`` threads for the duration of a ``with`` block and restores
the previous count after. One thread also keeps the summation order fixed, so results do not
depend on the machine's core count. If torch is already imported (the torch engine), its
intra-op thread count is set and restored the same way.

Finding the BLAS libraries means reading the process's memory map (a millisecond or more, as
long as a scikit-learn fit of a small network takes to train an epoch); the
``ThreadpoolController`` that found them is kept and found again only after new modules were
imported (a library such as torch's may have come with them).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

__all__ = ["blas_threads"]

_controller: tuple[int, ThreadpoolController] | None = None  # (len(sys.modules), controller)


def _blas_controller() -> ThreadpoolController:
    """threadpoolctl's view of the loaded libraries, refreshed when modules were imported."""
    global _controller
    if _controller is None or _controller[0] != len(sys.modules):
        controller = ThreadpoolController()  # the modules count after its own imports
        _controller = (len(sys.modules), controller)
    return _controller[1]


@contextmanager
def blas_threads(n: int | None = 1):
    """Run the block with ``n`` BLAS (and torch) threads (None: leave them as they are)."""
    if n is None:
        yield
        return
    torch = sys.modules.get("torch")
    previous_torch = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(int(n))
    try:
        with _blas_controller().limit(limits=int(n), user_api="blas"):
            yield
    finally:
        if torch is not None:
            torch.set_num_threads(previous_torch)
