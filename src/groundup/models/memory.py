"""How much memory a model's parameters take, and refusing one that cannot fit before allocating.

``--hidden 100000,100000`` asks for 784·10⁵ + 10¹⁰ + 10⁶ ≈ 10 billion parameters: 37.3 GiB in
float32 for the weights alone, and training holds several such copies (initial weights, the
engine's parameters, gradients, the optimizer's buffers). Counting is free, from the shapes; so
the size is checked against the machine's memory first, and the user gets the figure in one line
instead of a long wait and a ``MemoryError``.
"""

from __future__ import annotations

import os

import numpy as np

from groundup.errors import GroundupError

__all__ = ["check_fits", "format_count", "gib", "physical_memory"]


def physical_memory() -> int | None:
    """Bytes of RAM on this machine, or None where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf
        return None


def gib(n_bytes: float) -> float:
    """Bytes in GiB (2³⁰ bytes)."""
    return n_bytes / 2**30


def format_count(n: int) -> str:
    """``101,770``, ``12.3 million``, ``10.0 billion``."""
    if n >= 10**9:
        return f"{n / 1e9:.1f} billion"
    if n >= 10**6:
        return f"{n / 1e6:.1f} million"
    return f"{n:,}"


def check_fits(n_parameters: int, dtype, copies: int = 1, what: str = "",
               available: int | None = None,
               fix: str = "choose smaller layers (e.g. --hidden 128)") -> None:
    """Raise :class:`GroundupError` if ``copies`` arrays of ``n_parameters`` values of ``dtype``
    need more bytes than the machine has (``available``, default :func:`physical_memory`).

    ``what`` names the copies in the message (e.g. ``"weights, gradients and adam's 2 buffers"``);
    ``fix`` ends it (the command line's words by default).
    """
    available = physical_memory() if available is None else available
    if available is None:
        return
    dtype = np.dtype(dtype)
    one = n_parameters * dtype.itemsize
    need = copies * one
    if need <= available:
        return
    held = f"; {what} need {copies} copies, {gib(need):.1f} GiB," if copies > 1 else ","
    raise GroundupError(
        f"this model has {format_count(n_parameters)} parameters, {gib(one):.1f} GiB in "
        f"{dtype.name}{held} more than this machine's {gib(available):.1f} GiB of memory; "
        f"{fix}"
    )
