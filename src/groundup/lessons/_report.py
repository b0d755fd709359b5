"""The lesson notebook page: print each stated value and check it, so a wrong number fails.

Every lesson states numbers (the primer's, or ones worked by hand in the lesson's comments). A
:class:`Report` prints each one beside what it should be and raises :class:`AssertionError` when
it is not, so ``groundup lesson run`` doubles as a test. ``assert`` statements are not used for
this: ``python -O`` strips them, and a lesson must never pass silently.

Not every stated number is a check. A value is **checked** (``close``, ``equal``, ``between``,
``holds``) when the code that produced it could be wrong and a wrong result would fail: groundup's
own functions (tensors, autograd, ``nn``, numerics, metrics, data, training), or a derivation
compared with an independent computation (a hand-derived derivative against central differences).
A value is only **shown** (``show``) when it cannot come out otherwise: arithmetic on the literal
numbers of the statement (64 · 64 · 3, -log 0.99, ⌈60000 / 64⌉), NumPy doing its own arithmetic
(the shape of a product, exp(1000) = inf), a bound that holds by mathematics whatever the code
does (a linear model scores at most 75% on XOR), or a timing. Shown values teach and are returned
with the others, but ``values.checked`` (what ``groundup lesson run`` counts) holds only checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def _fmt(value: Any) -> str:
    """Short, readable text for a scalar, array or anything else."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        v = float(value)
        return f"{v:.6g}" if v == 0 or 1e-4 <= abs(v) < 1e6 else f"{v:.4e}"
    if isinstance(value, tuple) and all(isinstance(n, int | np.integer) for n in value):
        return str(tuple(int(n) for n in value))  # a shape
    if isinstance(value, np.ndarray | list | tuple):
        arr = np.asarray(value)
        if arr.dtype.kind in "fc":
            return np.array2string(
                arr, precision=4, suppress_small=True, separator=", ", max_line_width=200
            )
        return np.array2string(arr, separator=", ")
    return str(value)


class Values(dict):
    """A lesson's values by name; ``checked`` holds the names that were asserted, not shown."""

    def __init__(self):
        super().__init__()
        self.checked: list[str] = []


@dataclass
class Report:
    """Collects a lesson's values; prints and checks each as it is stated.

    Parameters
    ----------
    title : str
        Printed once as a heading.
    verbose : bool
        Print the lines (the checks run either way).
    """

    title: str
    verbose: bool = True
    values: Values = field(default_factory=Values)

    def __post_init__(self):
        self._say(f"== {self.title} ==")

    def _say(self, text: str) -> None:
        if self.verbose:
            print(text, flush=True)

    def section(self, heading: str) -> None:
        """Print a sub-heading."""
        self._say(f"\n-- {heading}")

    def note(self, text: str) -> None:
        """Print a line of explanation (no value attached)."""
        self._say(f"   {text}")

    def _fail(self, name: str, message: str):
        raise AssertionError(f"lesson '{self.title}': {name}: {message}")

    def _checked(self, name: str, value):
        self.values[name] = value
        if name not in self.values.checked:
            self.values.checked.append(name)
        return value

    def show(self, name: str, value, why: str):
        """State ``name = value`` without checking it (see the module docstring for when);
        ``why`` says where it comes from. Returns ``value``."""
        self._say(f"   {name} = {_fmt(value)}   (shown, not checked: {why})")
        self.values[name] = value
        return value

    def close(self, name: str, value, expected, *, atol: float = 1e-9, rtol: float = 0.0):
        """State ``name = value`` and check ``|value - expected| <= atol + rtol |expected|``.

        Works elementwise for arrays (shapes must match). Returns ``value``.
        """
        v = np.asarray(value, dtype=np.float64)
        e = np.asarray(expected, dtype=np.float64)
        self._say(f"   {name} = {_fmt(value)}   (expected {_fmt(expected)})")
        if v.shape != e.shape:
            self._fail(name, f"shape {v.shape} but expected {e.shape}")
        if not np.all(np.abs(v - e) <= atol + rtol * np.abs(e)):
            self._fail(name, f"{_fmt(value)} is not {_fmt(expected)} (atol={atol}, rtol={rtol})")
        return self._checked(name, value)

    def equal(self, name: str, value, expected):
        """State ``name = value`` and check it equals ``expected`` exactly (ints, shapes, text)."""
        self._say(f"   {name} = {_fmt(value)}")
        same = np.array_equal(np.asarray(value), np.asarray(expected))
        if not same:
            self._fail(name, f"{_fmt(value)} but expected {_fmt(expected)}")
        return self._checked(name, value)

    def between(self, name: str, value, low: float = -math.inf, high: float = math.inf):
        """State ``name = value`` and check ``low <= value <= high`` (measured quantities);
        at least one bound is required (a value with none is :meth:`show`n, not checked)."""
        if low == -math.inf and high == math.inf:
            raise TypeError(f"between({name!r}) needs a bound; use show() for a measured value")
        bounds = []
        if low > -math.inf:
            bounds.append(f">= {_fmt(low)}")
        if high < math.inf:
            bounds.append(f"<= {_fmt(high)}")
        self._say(f"   {name} = {_fmt(value)}   ({' and '.join(bounds)})")
        v = float(value)
        if not (low <= v <= high) or math.isnan(v):
            self._fail(name, f"{_fmt(value)} is outside [{_fmt(low)}, {_fmt(high)}]")
        return self._checked(name, value)

    def holds(self, name: str, condition: bool, claim: str, value=None):
        """State a claim (``claim`` in words) and check that it holds."""
        shown = f" = {_fmt(value)}" if value is not None else ""
        self._say(f"   {name}{shown}: {claim}")
        if not bool(condition):
            self._fail(name, f"claim does not hold: {claim}")
        self._checked(name, value if value is not None else True)
        return value
