"""Any CSV file as a :class:`Dataset`: ``load_csv(path, target="species")``.

The file needs a header row. Every column except ``target`` must be numeric; the target may hold
strings (``"Adelie"``) or integers (``0``, ``1``). Labels are encoded in sorted order, so integer
labels keep their numeric order (``2 < 10``) and strings their alphabetical order. The file is
read by :mod:`groundup.data.csv_table` (the same reader as ``groundup predict``): the delimiter
is detected among ``, ; tab |`` unless given, the header is normalised, and each problem a user
can make with a CSV gets its own :class:`DataError` naming the file and the lines and columns
involved: no such file, a folder, not UTF-8, an empty file, a single column, duplicate names, a
missing target column, ragged rows, non-numeric feature columns, missing, infinite or too large
values, a missing label, a single class, and a continuous target (see :func:`check_categorical`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np

from groundup.data.csv_table import (
    MISSING,
    delimiter_name,
    line_numbers,
    open_table,
    read_columns,
)
from groundup.data.dataset import Dataset, split_dataset
from groundup.errors import DataError

#: A numeric target with more distinct values than this may be continuous (see
#: :func:`check_categorical`).
MAX_NUMERIC_CLASSES = 20


def check_categorical(path, target: str, values: list[str], n_rows: int) -> None:
    """Refuse a target column that looks continuous: groundup trains classifiers.

    ``values`` are the column's distinct texts. The column looks continuous when every value is
    a finite number, there are more than :data:`MAX_NUMERIC_CLASSES` (20) distinct numbers, and
    either some number is not an integer (``3.75``: a measurement, not a class code) or more than
    half the rows have a number of their own (an id or a count, with about one example per
    "class"). So 0..9 digits, 0/1 diagnoses and 100 integer classes over many rows load; 200
    prices over 200 rows do not.
    """
    numbers = []
    for v in values:
        try:
            numbers.append(float(v))
        except ValueError:
            return  # text labels: categorical
    distinct = set(numbers)
    if not all(map(math.isfinite, distinct)) or len(distinct) <= MAX_NUMERIC_CLASSES:
        return
    fractional = [x for x in numbers if x != int(x)]
    if fractional or len(distinct) > n_rows / 2:
        example = values[numbers.index(fractional[0])] if fractional else values[0]
        raise DataError(
            f"{path}: target {target!r} looks continuous ({len(distinct)} distinct numbers in "
            f"{n_rows} rows, e.g. {example}); groundup trains classifiers: bin it into classes "
            f"first (low/medium/high, say) or choose a categorical --target"
        )


def _labels(table, target: str, codes: np.ndarray, values: list[str], training: bool):
    path = table.path
    missing = [k for k, v in enumerate(values) if v.lower() in MISSING]
    if missing:
        at = line_numbers(table, np.flatnonzero(np.isin(codes, missing))[:5])
        raise DataError(f"{path}: target {target!r} is missing at lines {at}")
    if training:  # new rows for a trained model are matched to its classes instead
        check_categorical(path, target, values, len(codes))
    try:
        keys = [int(v) for v in values]  # integer labels: numeric order
    except ValueError:
        keys = values
    classes = sorted(set(keys))
    if training and len(classes) < 2:
        raise DataError(f"{path}: target {target!r} has a single class ({str(classes[0])!r}); a "
                        f"classifier needs at least two")  # fmt: skip
    position = {c: k for k, c in enumerate(classes)}
    lookup = np.array([position[key] for key in keys], dtype=np.int64)  # value code -> class
    return lookup[codes], [str(c) for c in classes]


def _check_stratifiable(table, target: str, y: np.ndarray, classes: list[str]) -> None:
    """One line naming the classes with a single row, which a stratified split cannot divide."""
    lone = np.flatnonzero(np.bincount(y, minlength=len(classes)) < 2)
    if not len(lone):
        return
    many = len(lone) > 1
    more = f" and {len(lone) - 5} more" if len(lone) > 5 else ""
    names = ", ".join(repr(classes[c]) for c in lone[:5]) + more
    at = ", ".join(map(str, line_numbers(table, np.flatnonzero(np.isin(y, lone))[:5])))
    raise DataError(
        f"{table.path}: class{'es' if many else ''} {names} of target {target!r} "
        f"{'have a single row each' if many else 'has a single row'} "
        f"(line{'s' if many else ''} {at}); the stratified train/test split needs at "
        f"least 2 rows of every class: add rows of {'those classes' if many else 'that class'}, "
        f"or delete {'those rows' if many else 'that row'}"
    )


def load_csv(
    path: str | os.PathLike,
    target: str | int,
    *,
    test_size=0.2,
    random_state=42,
    stratify: bool = True,
    delimiter: str | None = None,
    log: Callable[[str], None] | None = None,
    training: bool = True,
) -> Dataset:
    """Load a CSV file with a header row as a classification :class:`Dataset`.

    Parameters
    ----------
    path : path
        A UTF-8 text file (or its gzip), one header row, one row per example.
    target : str or int
        Name (or position) of the label column; every other column is a numeric feature.
    test_size, random_state, stratify
        The split: stratified 80/20 with seed 42 by default (``test_size=0``: all in train).
    delimiter : str, optional
        ``","``, ``";"``, ``"tab"``, ... (see :func:`groundup.data.csv_table.parse_delimiter`);
        default: detected among ``, ; tab |``.
    log : callable, optional
        Receives a one-line note when the detected delimiter is not a comma.
    training : bool
        Refuse a target with a single class or continuous values (see
        :func:`check_categorical`), which no classifier can learn. ``False`` for rows to evaluate
        a trained model on: rows of one class are fine there, and the labels are checked
        against the model's classes instead.

    Returns
    -------
    Dataset
        ``X`` float64 of shape (n, n_columns - 1), ``y`` int64; ``classes`` the sorted distinct
        labels as strings; ``feature_names`` the other columns' names.
    """
    table = open_table(path, delimiter)
    path, header = table.path, table.header
    if isinstance(target, int) and not isinstance(target, bool):
        if not -len(header) <= target < len(header):
            raise DataError(f"{path}: target column {target} out of range ({len(header)} columns)")
        t = target % len(header)
    elif target in header:
        t = header.index(target)
    elif len(header) == 1 and not table.detected:  # and no other of , ; tab | splits it
        raise DataError(f"{path} is not a table: --delimiter {delimiter_name(table.delimiter)} "
                        f"does not separate the names of its header {header[0]!r}; give the "
                        f"delimiter its header uses with --delimiter")  # fmt: skip
    elif len(header) == 1:
        raise DataError(f"{path} is not a table: its header {header[0]!r} is one column (no "
                        f"comma, semicolon, tab or | separates names); give the delimiter with "
                        f"--delimiter, or a file with a target and feature columns")  # fmt: skip
    else:
        raise DataError(
            f"{path}: no target column {target!r}; the columns are {', '.join(map(repr, header))}"
        )
    columns = [c for c in range(len(header)) if c != t]
    if not columns:
        raise DataError(f"{path}: only the target column {header[t]!r}; no features to learn from")
    rows = read_columns(table, columns, label=t)
    if log is not None and table.note():
        log(table.note())
    y, classes = _labels(table, header[t], rows.codes, rows.values, training)
    if test_size and stratify:
        _check_stratifiable(table, header[t], y, classes)
    description = f"{path.name}: {len(y)} rows, target {header[t]!r}."
    feature_names = [header[c] for c in columns]
    return split_dataset(path.stem, rows.X, y, classes, description, feature_names, None,
                         test_size, random_state, stratify)  # fmt: skip
