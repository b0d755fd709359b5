"""Switching gradient recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

While recording is off, operations on tensors build no graph: their results have
``requires_grad=False`` and keep no reference to their inputs, which saves the memory and time
of the backward bookkeeping (evaluation, optimizer steps, weight initialisation).
"""

from __future__ import annotations

import functools
import threading


class _Mode(threading.local):
    """The one switch every operation reads (an attribute lookup, so it costs ~40 ns).

    One per thread, as PyTorch's grad mode: a ``no_grad()`` block in one thread (evaluating a
    model) must not stop another thread's training step from recording its graph.
    """

    def __init__(self) -> None:
        self.enabled = True


MODE = _Mode()


def is_grad_enabled() -> bool:
    """Whether operations are currently recorded for backward."""
    return MODE.enabled


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """Context manager (and decorator) that sets recording on or off, restoring it on exit."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = MODE.enabled
        MODE.enabled = self.mode  # like PyTorch, it takes effect on construction too

    def __enter__(self) -> set_grad_enabled:
        return self

    def __exit__(self, *exc) -> None:
        MODE.enabled = self.prev


class _GradSwitch:
    """Shared body of :class:`no_grad` and :class:`enable_grad`."""

    mode = True

    def __enter__(self):
        self.prev = MODE.enabled
        MODE.enabled = self.mode
        return self

    def __exit__(self, *exc) -> None:
        MODE.enabled = self.prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradSwitch):  # noqa: N801 - PyTorch's name
    """Record nothing inside the block: ``with no_grad(): logits = model(X)``.

    Also works as a decorator: ``@no_grad()`` above a function.
    """

    mode = False


class enable_grad(_GradSwitch):  # noqa: N801 - PyTorch's name
    """Record again inside a ``no_grad`` block."""

    mode = True
