"""Keep freed memory in the process, so a training step does not page its arrays back in.

A step of a transformer allocates tens of megabytes of arrays (activations, then gradients) and
frees them all at its end. glibc's ``malloc`` hands large blocks straight back to the operating
system (``munmap``, or trimming the heap's top once more than a few megabytes lie free there), so
the next step gets fresh pages, and every 4 KiB page costs a page fault the first time it is
written. On the project's machine that was 21,600 faults and 90 ms of system time in a 260 ms
GPT step; with the memory kept, none.

:func:`keep_freed_memory` sets two ``mallopt`` parameters of glibc: blocks up to 32 MiB come from
the heap rather than from their own ``mmap`` (``M_MMAP_THRESHOLD``), and the heap is not trimmed
while less than 2 GiB lies free at its top (``M_TRIM_THRESHOLD``), so the step's memory stays
mapped and is reused by the next step. The process keeps its peak memory until it exits, which
is what a training process wants. It applies to the whole process (PyTorch's allocations too)
and does nothing where the C library is not glibc (macOS, musl): PyTorch's performance guide
suggests jemalloc or tcmalloc for the same reason.
"""

from __future__ import annotations

import ctypes
import ctypes.util

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_MMAP_MAX = 32 * 2**20  # glibc's largest allowed M_MMAP_THRESHOLD on 64-bit systems
_NEVER_TRIM = 2**31 - 1  # the largest int mallopt takes: 2 GiB free at the top before a trim


def keep_freed_memory() -> bool:
    """Tell glibc's ``malloc`` to keep freed memory for reuse; False where it cannot (not glibc)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_MAX)) and bool(
        mallopt(_M_TRIM_THRESHOLD, _NEVER_TRIM))
