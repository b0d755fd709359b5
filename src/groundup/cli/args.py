"""Argument types the sub-commands share, each reading one value declared in
:mod:`groundup.checks`, so the command line and the Python API refuse the same values with the
same words.

``type=value("lr")`` reads ``--lr`` text into a float that passes the learning rate's check, or
gives argparse the one-line error ``argument --lr: expected a positive number, got '-1'``.
"""

from __future__ import annotations

import argparse
import os

from groundup import checks

__all__ = ["batch_size", "delimiter", "existing_dir", "value"]


def value(name: str):
    """An argparse ``type`` for the user-facing value ``name`` of :data:`groundup.checks.VALUES`."""

    def parse(text: str):
        try:
            return checks.parse(name, text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = name  # argparse names the type in some messages
    return parse


def batch_size(text: str) -> int | str:
    """A positive integer, or ``full`` for full-batch gradient descent."""
    return "full" if text.lower() in ("full", "all") else value("batch_size")(text)


def delimiter(text: str) -> str:
    """One character (``;``), or a name: ``tab``, ``space``, ``comma``, ``semicolon``, ``pipe``."""
    from groundup.data.csv_table import parse_delimiter
    from groundup.errors import DataError

    try:
        return parse_delimiter(text)
    except DataError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def existing_dir(text: str) -> str:
    """A folder that exists (a mistyped --data-dir would otherwise fall back silently)."""
    if not os.path.isdir(os.path.expanduser(text)):
        raise argparse.ArgumentTypeError(f"no such folder: {text!r}")
    return text
