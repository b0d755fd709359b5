"""Every value a user chooses, checked in one declared place.

A learning rate, a number of epochs, hidden layer widths, ...: each has one row in :data:`VALUES`
saying what it must be, in words and as a test (scikit-learn declares its estimators'
``_parameter_constraints`` the same way). The command line parses text with :func:`parse`
(``groundup.cli.args`` turns it into argparse types); the Python API (``groundup.runs``, the model
builders of ``groundup.models``, ``OptimizerSpec``) checks values with :func:`check`. Both speak
the same words, so ``--lr -1`` and ``build_config(lr=-1)`` fail alike:

>>> check("lr", 0.1)
0.1
>>> check("epochs", 0)
Traceback (most recent call last):
...
groundup.errors.GroundupError: the number of epochs (--epochs) must be a positive integer, got 0
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from groundup.errors import DataError, GroundupError
from groundup.numerics import ACTIVATIONS

__all__ = ["VALUES", "Value", "check", "check_class_indices", "parse", "passes", "per_layer"]

_DEVICE = re.compile(r"cpu|cuda(:\d+)?|mps")


def _integer(text: str) -> int:
    return int(text)  # "1.5" and "1e3" are refused, as argparse's type=int does


def _integers(text: str) -> tuple[int, ...]:
    # int("") raises: an empty entry (64,,32  64,32,  ,64) is refused, not dropped
    return tuple(int(part) for part in text.replace(" ", "").split(","))


def _positive(v) -> bool:
    return 0 < v < math.inf


def _positive_int(v) -> bool:
    return _is_int(v) and v >= 1


def _is_int(v) -> bool:
    return isinstance(v, Integral) and not isinstance(v, bool)  # NumPy's integers too


def _widths(v) -> bool:
    return isinstance(v, tuple | list) and len(v) > 0 and all(_positive_int(s) for s in v)


def _names(text: str) -> str | tuple[str, ...]:
    parts = tuple(part.strip() for part in text.split(","))
    return parts[0] if len(parts) == 1 else parts  # one name for every layer, or one per layer


def _activations(v) -> bool:
    names = (v,) if isinstance(v, str) else v
    return (isinstance(names, tuple | list) and len(names) > 0
            and all(isinstance(n, str) and n in ACTIVATIONS for n in names))  # fmt: skip


_ACTIVATION_NAMES = ", ".join(list(ACTIVATIONS)[:-1]) + f" or {list(ACTIVATIONS)[-1]}"


@dataclass(frozen=True)
class Value:
    """One user-facing value: its flag, what it is, what it must be, and how to read it."""

    flag: str  # the command-line option, e.g. "--lr"
    what: str  # what it is, e.g. "the learning rate"
    expected: str  # what it must be, e.g. "a positive number"
    read: Callable[[str], object]  # text -> value (raises ValueError on nonsense)
    ok: Callable[[object], bool]  # the test a value must pass


VALUES: dict[str, Value] = {
    "lr": Value("--lr", "the learning rate", "a positive number", float, _positive),
    "momentum": Value("--momentum", "the momentum", "a number in [0, 1)", float,
                      lambda v: 0 <= v < 1),
    "lr_decay": Value("--lr-decay", "the learning rate's factor per epoch", "a number in (0, 1]",
                      float, lambda v: 0 < v <= 1),
    "epochs": Value("--epochs", "the number of epochs", "a positive integer", _integer,
                    _positive_int),
    "batch_size": Value("--batch-size", "the batch size", "a positive integer", _integer,
                        _positive_int),
    "seed": Value("--seed", "the seed", "a whole number >= 0", _integer,
                  lambda v: _is_int(v) and v >= 0),
    "patience": Value("--patience", "early stopping's patience", "a positive integer",
                      _integer, _positive_int),
    "hidden": Value("--hidden", "the hidden layer widths",
                    "positive integers (comma-separated layer widths such as 64,32)", _integers,
                    _widths),
    "channels": Value("--channels", "the convolutions' output channels",
                      "positive integers (comma-separated channels such as 16,32)", _integers,
                      _widths),
    "activation": Value("--activation", "the activation",
                        f"{_ACTIVATION_NAMES}, or one such name per layer (comma-separated, such "
                        f"as relu,tanh)", _names, _activations),
    "kernel_size": Value("--kernel-size", "the convolution kernel size",
                         "an odd positive integer (3, 5, ...)", _integer,
                         lambda v: _positive_int(v) and v % 2 == 1),
    "dropout": Value("--dropout", "the dropout probability", "a number in [0, 1)", float,
                     lambda v: 0 <= v < 1),
    "top": Value("--top", "the number of classes to show", "a positive integer", _integer,
                 _positive_int),
    "eps": Value("--eps", "the finite-difference step", "a positive number", float, _positive),
    "tol": Value("--tol", "the tolerance", "a positive number", float, _positive),
    "iters": Value("--iters", "the number of training iterations", "a positive integer",
                   _integer, _positive_int),
    "block_size": Value("--block-size", "the context length in tokens", "a positive integer",
                        _integer, _positive_int),
    "tokens": Value("--tokens", "the number of tokens to generate", "a positive integer",
                    _integer, _positive_int),
    "temperature": Value("--temperature", "the sampling temperature", "a positive number",
                         float, _positive),
    "top_k": Value("--top-k", "top-k sampling's k", "a positive integer", _integer,
                   _positive_int),
    "nproc": Value("--nproc", "the number of processes", "a positive integer", _integer,
                   _positive_int),
    "timeout": Value("--timeout", "the seconds to wait for the other processes",
                     "a positive number", float, _positive),
    "device": Value("--device", "the torch engine's device",
                    "cpu, cuda, cuda:K (K a GPU's index) or mps", str,
                    lambda v: isinstance(v, str) and bool(_DEVICE.fullmatch(v))),
}  # fmt: skip


def _passes(row: Value, value) -> bool:
    try:
        return bool(row.ok(value))
    except TypeError:  # a string where a number belongs, None, ...
        return False


def passes(name: str, value) -> bool:
    """Whether ``value`` is a valid ``name`` (no exception for a value of the wrong type)."""
    return not isinstance(value, bool) and _passes(VALUES[name], value)


def check(name: str, value):
    """``value`` if it is a valid ``name`` (a key of :data:`VALUES`), else a
    :class:`~groundup.errors.GroundupError` saying what it must be."""
    row = VALUES[name]
    if isinstance(value, bool) or not _passes(row, value):
        raise GroundupError(f"{row.what} ({row.flag}) must be {row.expected}, got {value!r}")
    return value


def parse(name: str, text: str):
    """The value of ``name`` written as ``text`` on the command line.

    Raises ``ValueError("expected <what it must be>, got '<text>'")`` for text that does not
    parse or does not pass the check (argparse shows it as one line).
    """
    row = VALUES[name]
    try:
        value = row.read(text)
    except ValueError:
        value = None
    if value is None or not _passes(row, value):
        raise ValueError(f"expected {row.expected}, got {text!r}")
    return value


def per_layer(name: str, value, n_layers: int, layer: str, given: str = ""):
    """``value`` of ``name`` (one for every layer, or a sequence of one per layer) checked for
    ``n_layers`` layers: the one value when every layer has the same (how ``config.json`` writes
    it), else a tuple of ``n_layers``. ``layer`` and ``given`` word the error: ``"hidden
    layer"``, ``"--hidden 64,32"``.

    >>> per_layer("activation", ["relu", "tanh"], 2, "hidden layer")
    ('relu', 'tanh')
    >>> per_layer("activation", ("tanh", "tanh"), 2, "hidden layer")
    'tanh'
    """
    row = VALUES[name]
    value = check(name, tuple(value) if isinstance(value, list) else value)
    if isinstance(value, str):
        return value
    if len(value) != n_layers:
        fit = ",".join((*value, *(value[-1:] * n_layers))[:n_layers])
        fix = (f"give one per {layer} ({row.flag} {fit}) or one for all of them ({row.flag} "
               f"{value[0]})") if n_layers > 1 else f"give one name ({row.flag} {value[0]})"
        fix = fix if n_layers else f"drop {row.flag}"
        given = f" ({given})" if given else ""
        raise GroundupError(f"{row.what} ({row.flag}) lists {len(value)} names for {n_layers} "
                            f"{layer}{'s' * (n_layers != 1)}{given}; {fix}")  # fmt: skip
    return value[0] if len(set(value)) == 1 else value


_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}  # by itemsize


def check_class_indices(t: np.ndarray, n_classes: int, fn: str) -> None:
    """Refuse integer class indices ``t`` outside ``0 .. n_classes - 1`` with a
    :class:`~groundup.errors.DataError` naming ``fn`` and the fix (indexing with them would
    raise an IndexError, or for a negative index silently take a class from the other end).
    One pass: viewed as unsigned, a negative index is huge, so one max checks both ends."""
    if t.size and np.maximum.reduce(t.view(_UNSIGNED[t.itemsize]), None) >= n_classes:
        raise DataError(f"{fn}: class indices must lie in [0, {n_classes - 1}] for "
                        f"{n_classes} classes, got values in [{t.min()}, {t.max()}]; "
                        "encode labels as 0..C-1 (LabelEncoder) or widen the output layer")
