"""Any CSV file as a :class:`Dataset`: ``load_csv(path, target="species")``.

The file needs a header row. Every column except ``target`` must be numeric; the target may hold
strings (``"Adelie"``) or integers (``0``, ``1``). Labels are encoded with :class:`LabelEncoder`:
sorted, so integer labels keep their numeric order (``2 < 10``) and strings their alphabetical
order. Each problem a user can make with a CSV gets its own :class:`DataError` naming the file and
the columns or rows involved: no such file, an empty file, a missing target column, non-numeric
feature columns, missing values (NaN), a single class.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np

from groundup.data.dataset import Dataset, split_dataset
from groundup.data.preprocessing import LabelEncoder
from groundup.errors import DataError

MISSING = {"", "na", "nan", "n/a", "null", "none", "?"}


def _read_rows(path: Path, delimiter: str) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise DataError(f"no such file: {path}")
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [row for row in csv.reader(f, delimiter=delimiter) if any(c.strip() for c in row)]
    if not rows:
        raise DataError(f"{path} is empty; a CSV with a header row and data rows is needed")
    header = [c.strip() for c in rows[0]]
    body = rows[1:]
    if not body:
        raise DataError(f"{path} has a header but no data rows")
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DataError(
                f"{path}: row {line} has {len(row)} fields but the header has {len(header)}"
            )
    return header, body


def _parse_float(text: str) -> float:
    return math.nan if text.strip().lower() in MISSING else float(text)


def _features(path: Path, header, body, columns: list[int]) -> np.ndarray:
    X = np.empty((len(body), len(columns)), dtype=np.float64)
    bad: dict[str, str] = {}
    for j, c in enumerate(columns):
        for i, row in enumerate(body):
            try:
                X[i, j] = _parse_float(row[c])
            except ValueError:
                bad[header[c]] = row[c]
                break
    if bad:
        listed = ", ".join(f"{name!r} (e.g. {value!r})" for name, value in bad.items())
        raise DataError(
            f"{path}: feature columns must be numeric, but {listed} are not; drop or encode "
            "these columns (one-hot, say) or choose one of them as target"
        )
    nan = np.isnan(X)
    if nan.any():
        per_column = ", ".join(
            f"{header[c]!r}: {int(nan[:, j].sum())}"
            for j, c in enumerate(columns)
            if nan[:, j].any()
        )
        rows = np.flatnonzero(nan.any(axis=1))
        first = ", ".join(str(r + 2) for r in rows[:5])  # file line numbers (header is line 1)
        raise DataError(
            f"{path}: {len(rows)} row(s) have missing values (per column: {per_column}; first "
            f"at lines {first}); drop or fill these rows before loading"
        )
    return X


def _labels(path: Path, target: str, body, t: int) -> tuple[np.ndarray, list[str]]:
    raw = [row[t].strip() for row in body]
    missing = [i + 2 for i, v in enumerate(raw) if v.lower() in MISSING]
    if missing:
        raise DataError(f"{path}: target {target!r} is missing at lines {missing[:5]}")
    try:
        values = np.array([int(v) for v in raw], dtype=np.int64)  # integer labels: numeric order
    except ValueError:
        values = np.array(raw)
    encoder = LabelEncoder().fit(values)
    if len(encoder.classes_) < 2:
        raise DataError(
            f"{path}: target {target!r} has a single class ({str(encoder.classes_[0])!r}); a "
            "classifier needs at least two"
        )
    return encoder.transform(values), [str(c) for c in encoder.classes_]


def load_csv(
    path: str | os.PathLike,
    target: str | int,
    *,
    test_size=0.2,
    random_state=42,
    stratify: bool = True,
    delimiter: str = ",",
) -> Dataset:
    """Load a CSV file with a header row as a classification :class:`Dataset`.

    Parameters
    ----------
    path : path
    target : str or int
        Name (or position) of the label column; every other column is a numeric feature.
    test_size, random_state, stratify
        The split: stratified 80/20 with seed 42 by default (``test_size=0``: all in train).
    delimiter : str

    Returns
    -------
    Dataset
        ``X`` float64 of shape (n, n_columns - 1), ``y`` int64; ``classes`` the sorted distinct
        labels as strings; ``feature_names`` the other columns' names.
    """
    path = Path(path).expanduser()
    header, body = _read_rows(path, delimiter)
    if isinstance(target, int) and not isinstance(target, bool):
        if not -len(header) <= target < len(header):
            raise DataError(f"{path}: target column {target} out of range ({len(header)} columns)")
        t = target % len(header)
    elif target in header:
        t = header.index(target)
    else:
        raise DataError(
            f"{path}: no target column {target!r}; the columns are {', '.join(map(repr, header))}"
        )
    columns = [c for c in range(len(header)) if c != t]
    if not columns:
        raise DataError(f"{path}: only the target column {header[t]!r}; no features to learn from")
    X = _features(path, header, body, columns)
    y, classes = _labels(path, header[t], body, t)
    description = f"{path.name}: {len(body)} rows, target {header[t]!r}."
    feature_names = [header[c] for c in columns]
    return split_dataset(
        path.stem,
        X,
        y,
        classes,
        description,
        feature_names,
        None,
        test_size,
        random_state,
        stratify,
    )
