"""Delimited text tables (CSV, TSV, ...) read one way, for ``train`` and for ``predict`` alike.

:func:`open_table` checks the file and reads its header; :func:`read_columns` streams the rows
into preallocated arrays. Each problem is one :class:`DataError` naming the file, the line and
the column, and the fix:

* the file: missing, a folder, binary (a NUL byte), UTF-16, or not UTF-8 (the line and byte
  offset of the first bad byte); gzip is recognised by its magic bytes and read transparently;
* the delimiter: given, or detected among ``, ; tab |`` (see :func:`detect_delimiter`);
* the header: a UTF-8 byte-order mark, spaces after a delimiter and quotes around names are
  dropped (``\\ufeff"a", b`` -> ``a``, ``b``); unnamed and duplicate columns are refused;
* the rows: blank lines are skipped; a row with more or fewer fields than the header is refused;
* the numbers: parsed a chunk of rows at a time by NumPy (Python's ``float`` syntax), so the
  memory is the arrays themselves; only a chunk that fails is re-read cell by cell to name the
  non-numeric columns and the missing cells (empty, NA, nan, ?, ...). Infinite values (``inf``,
  ``1e400``) and finite ones beyond float32, the precision the models compute in, are refused
  with the line and column of the first.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

import numpy as np

from groundup.errors import DataError

#: Delimiters :func:`detect_delimiter` chooses from, in order of preference, and their names.
CANDIDATES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
#: Cells read as missing values (compared stripped and lower-cased).
MISSING = {"", "na", "nan", "n/a", "null", "none", "?"}
#: Largest magnitude a feature may have: the models compute in float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)
SAMPLE_BYTES = 1 << 16  # what delimiter detection and the text checks look at
CHUNK_ROWS = 8192  # rows parsed by NumPy at once
_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)
_first = itemgetter(0)
_DECIMAL_COMMA = re.compile(r"\s*[-+]?\d+,\d+\s*$")


@dataclass(frozen=True)
class Table:
    """An opened table: its path, normalised header and delimiter (see :func:`open_table`)."""

    path: Path
    header: list[str]
    delimiter: str
    detected: bool  # the delimiter was detected (not given)
    gzipped: bool
    header_line: int  # file line of the header row

    def note(self) -> str | None:
        """One line saying which delimiter was detected, when it is not a comma."""
        if not self.detected or self.delimiter == ",":
            return None
        return (f"note: {self.path.name} is {CANDIDATES[self.delimiter]}-separated (detected; "
                f"--delimiter sets it)")  # fmt: skip


@dataclass
class Columns:
    """Rows read by :func:`read_columns`; ``n`` rows, in file order."""

    X: np.ndarray  # (n, len(numeric)) float64, every value finite and within float32's range
    codes: np.ndarray | None  # (n,) int64: row i's label is values[codes[i]]
    values: list[str]  # the label column's distinct stripped texts, in order of appearance


def parse_delimiter(text: str) -> str:
    """``","``, ``";"``, ``"|"``, ``"tab"`` (or ``"\\t"``), ``"space"``, ... -> one character."""
    named = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|", "space": " "}
    d = named.get(text.lower(), text)
    if len(d) != 1 or d in "\"'\r\n" or d.isalnum():
        raise DataError(f"a delimiter is one character such as , ; | or the word tab or space, "
                        f"got {text!r}")  # fmt: skip
    return d


def open_table(path, delimiter: str | None = None) -> Table:
    """Check ``path`` and read its header; ``delimiter=None`` detects it."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise DataError(f"{path} is a folder; give the CSV file itself (a header row, then one "
                        f"row per example)")  # fmt: skip
    if not path.is_file():
        raise DataError(f"no such file: {path}")
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    sample, at_end = _sample(path, gzipped)
    text = _check_text(path, sample, at_end)
    detected = delimiter is None
    if not at_end:  # the last line of the sample may be cut short
        text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1] or text
    if detected:
        delimiter = detect_delimiter(text) or ","
    else:
        delimiter = parse_delimiter(delimiter)
    with _open_text(path, gzipped) as f:
        reader = csv.reader(f, delimiter=delimiter, skipinitialspace=True)
        try:
            header = next((row for row in reader if any(c.strip() for c in row)), None)
        except (csv.Error, UnicodeDecodeError, *_GZIP_ERRORS) as exc:
            raise _read_error(path, gzipped, reader.line_num, exc) from None
        header_line = reader.line_num
    if header is None:
        raise DataError(f"{path} is empty; a CSV with a header row and data rows is needed")
    header = [name.strip() for name in header]
    if not detected and len(header) == 1:
        _check_given_delimiter(path, header[0], delimiter, text)
    _check_names(path, header)
    return Table(path, header, delimiter, detected, gzipped, header_line)


def delimiter_name(d: str) -> str:
    """How messages name a delimiter: ``tab``, ``';'``."""
    return "tab" if d == "\t" else repr(d)


def _check_given_delimiter(path: Path, header: str, delimiter: str, text: str) -> None:
    """A given delimiter that leaves the header one column, where another one splits it."""
    found = detect_delimiter(text)
    if found is not None and found != delimiter:
        raise DataError(f"{path}: --delimiter {delimiter_name(delimiter)} does not separate "
                        f"the names of its header {header!r}, which is "
                        f"{CANDIDATES[found]}-separated; give --delimiter {CANDIDATES[found]}, "
                        f"or leave --delimiter out to detect it")  # fmt: skip


def detect_delimiter(text: str) -> str | None:
    """The delimiter among ``, ; tab |`` that makes ``text`` (a file's first lines) a table.

    Each candidate splits the first 100 non-blank lines with the csv module (so a delimiter inside
    quotes does not count). A candidate that leaves the header one field is out. The winner has
    the most rows with as many fields as the header, then the most fields, then comes first in
    ``, ; tab |``: a semicolon file with decimal commas (``1,5;2,3;yes``) is semicolon-separated,
    since its header has no commas. None when no candidate splits the header.
    """
    best, best_score = None, None
    for d in CANDIDATES:
        try:
            lines = io.StringIO(text, newline="")  # any line end: \n, \r\n or \r
            reader = csv.reader(lines, delimiter=d, skipinitialspace=True)
            rows = [r for r in reader if any(c.strip() for c in r)][:100]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        score = (sum(len(r) == len(rows[0]) for r in rows[1:]), len(rows[0]))
        if best_score is None or score > best_score:
            best, best_score = d, score
    return best


def read_columns(
    table: Table, numeric: list[int], label: int | None = None, *, fix: str = "drop or encode "
    "these columns (one-hot, say) or choose one of them as target",
) -> Columns:
    """Read the ``numeric`` columns as float64 and the ``label`` column as text codes.

    ``fix`` ends the message for non-numeric columns. Raises :class:`DataError` for a table with
    no data rows, ragged rows, non-numeric cells, missing values, infinite values and values
    beyond float32 (``|x| > 3.4e38``), naming lines and columns.
    """
    n_max = _count_lines(table)
    X = np.empty((n_max, len(numeric)), dtype=np.float64)
    codes = np.empty(n_max, dtype=np.int64) if label is not None else None
    index: dict[str, int] = {}
    bad: dict[int, str] = {}  # column position in `numeric` -> a value that is not a number
    get = itemgetter(*numeric) if len(numeric) > 1 else lambda row: (row[numeric[0]],)
    n = 0
    for chunk in _chunks(table):
        m = len(chunk)
        if n + m > len(X):  # only if the line count was off (lone \r line ends, say)
            X = np.resize(X, (2 * (n + m), len(numeric)))
            codes = None if codes is None else np.resize(codes, 2 * (n + m))
        try:
            X[n : n + m] = np.array(list(map(get, chunk)), dtype=np.float64)
        except ValueError:  # a missing or non-numeric cell: find it
            X[n : n + m] = _parse_cells(chunk, numeric, bad)
        if codes is not None:
            codes[n : n + m] = [index.setdefault(row[label].strip(), len(index)) for row in chunk]
        n += m
    if n == 0:
        raise DataError(f"{table.path} has a header but no data rows")
    if bad:
        listed = ", ".join(f"{table.header[numeric[j]]!r} (e.g. {v!r})" for j, v in bad.items())
        if any(_DECIMAL_COMMA.match(v) for v in bad.values()):
            fix = "write decimal commas as dots (1,5 -> 1.5)"
        raise DataError(f"{table.path}: feature columns must be numeric, but {listed} are not; "
                        f"{fix}")  # fmt: skip
    X = X[:n]
    _check_values(table, X, numeric)
    return Columns(X, None if codes is None else codes[:n], list(index))


def line_numbers(table: Table, rows) -> list[int]:
    """The file lines of data rows ``rows`` (0-based, in file order), for error messages."""
    wanted = set(int(i) for i in rows)
    return [line for i, (line, _) in enumerate(_numbered(table)) if i in wanted]


def _check_values(table: Table, X: np.ndarray, numeric: list[int]) -> None:
    nan = np.isnan(X)
    if nan.any():
        counts = zip(numeric, nan.sum(axis=0), strict=True)
        per_column = ", ".join(f"{table.header[c]!r}: {int(k)}" for c, k in counts if k)
        rows = np.flatnonzero(nan.any(axis=1))
        first = ", ".join(map(str, line_numbers(table, rows[:5])))
        raise DataError(f"{table.path}: {len(rows)} row(s) have missing values (per column: "
                        f"{per_column}; first at lines {first}); drop or fill these "
                        f"rows")  # fmt: skip
    for mask, problem, fix in (
        (np.isinf(X), "is not a finite number", "fix or drop these rows"),
        (np.abs(X) > FLOAT32_MAX, "is too large for the model's float32 (largest 3.4e+38)",
         "rescale the column: other units, or a log"),
    ):  # fmt: skip
        if mask.any():
            i, j = np.argwhere(mask)[0]
            line, row = next(r for k, r in enumerate(_numbered(table)) if k == i)
            name, text = table.header[numeric[j]], row[numeric[j]].strip()
            raise DataError(f"{table.path} line {line}, column {name!r}: {text!r} {problem}; "
                            f"{int(mask.sum())} such cell(s) in all; {fix}")  # fmt: skip


def _parse_cells(chunk, numeric: list[int], bad: dict[int, str]) -> np.ndarray:
    """Cell by cell: missing -> NaN; the first non-numeric value of a column goes in ``bad``."""
    out = np.full((len(chunk), len(numeric)), np.nan)
    for j, c in enumerate(numeric):
        for i, row in enumerate(chunk):
            if j in bad:
                break
            text = row[c]
            if text.strip().lower() in MISSING:
                continue
            try:
                out[i, j] = float(text)
            except ValueError:
                bad[j] = text
    return out


def _chunks(table: Table) -> Iterator[list[list[str]]]:
    """The rows after the header, CHUNK_ROWS at a time, blank lines dropped; ragged refused."""
    k = len(table.header)
    with _open_text(table.path, table.gzipped) as f:
        reader = csv.reader(f, delimiter=table.delimiter, skipinitialspace=True)
        try:
            for _ in reader:
                if reader.line_num >= table.header_line:
                    break
            while chunk := list(itertools.islice(reader, CHUNK_ROWS)):
                if set(map(len, chunk)) != {k} or not all(map(str.strip, map(_first, chunk))):
                    chunk = [row for row in chunk if any(c.strip() for c in row)]
                    if any(len(row) != k for row in chunk):
                        for _ in _numbered(table):  # raises, naming the line
                            pass
                if chunk:
                    yield chunk
        except (csv.Error, UnicodeDecodeError, *_GZIP_ERRORS) as exc:
            raise _read_error(table.path, table.gzipped, reader.line_num, exc) from None


def _numbered(table: Table) -> Iterator[tuple[int, list[str]]]:
    """(file line, fields) of every non-blank row after the header, one by one (error paths)."""
    k = len(table.header)
    with _open_text(table.path, table.gzipped) as f:
        reader = csv.reader(f, delimiter=table.delimiter, skipinitialspace=True)
        try:
            for row in reader:
                if reader.line_num <= table.header_line or not any(c.strip() for c in row):
                    continue  # the header, or a blank line (or only delimiters)
                if len(row) != k:
                    hint = "fill in the missing fields" if len(row) < k else (
                        f"quote values that contain the delimiter {table.delimiter!r}")  # fmt: skip
                    raise DataError(f"{table.path}: row {reader.line_num} has {len(row)} fields "
                                    f"but the header has {k}; {hint}")  # fmt: skip
                yield reader.line_num, row
        except (csv.Error, UnicodeDecodeError, *_GZIP_ERRORS) as exc:
            raise _read_error(table.path, table.gzipped, reader.line_num, exc) from None


def _open_text(path: Path, gzipped: bool):
    raw = gzip.open(path, "rb") if gzipped else open(path, "rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _sample(path: Path, gzipped: bool) -> tuple[bytes, bool]:
    """The first SAMPLE_BYTES bytes (decompressed) and whether that is the whole file."""
    try:
        with gzip.open(path, "rb") if gzipped else open(path, "rb") as f:
            data = f.read(SAMPLE_BYTES + 1)
    except _GZIP_ERRORS as exc:
        raise _read_error(path, gzipped, 0, exc) from None
    return data[:SAMPLE_BYTES], len(data) <= SAMPLE_BYTES


def _check_text(path: Path, sample: bytes, at_end: bool) -> str:
    """The sample decoded; binary, UTF-16 and non-UTF-8 files refused with the fix."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(f"{path} is UTF-16 text; save it as UTF-8 (in Excel: 'CSV UTF-8'; or "
                        f"iconv -f utf-16 -t utf-8)")  # fmt: skip
    nul = sample.find(b"\0")
    if nul >= 0:
        line = sample[:nul].count(b"\n") + 1
        raise DataError(f"{path} is not a text file (a NUL byte at line {line}, byte offset "
                        f"{nul}); give a CSV saved as UTF-8 text")  # fmt: skip
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(sample, final=at_end)
    except UnicodeDecodeError as exc:
        at = exc.start + (3 if sample.startswith(codecs.BOM_UTF8) else 0)
        raise _decode_error(path, sample[:at].count(b"\n") + 1, at, sample[at]) from None


def _read_error(path: Path, gzipped: bool, line: int, exc: Exception) -> DataError:
    if isinstance(exc, UnicodeDecodeError):
        return _locate_bad_byte(path, gzipped)
    if isinstance(exc, csv.Error):
        return DataError(f"{path} line {line}: not a readable CSV row ({exc})")
    return DataError(f"{path} is a corrupted or truncated gzip file ({exc}); download or "
                     f"compress it again")  # fmt: skip


def _locate_bad_byte(path: Path, gzipped: bool) -> DataError:
    """The first byte that is not UTF-8, found line by line (the error path of a big file)."""
    offset = 0
    with gzip.open(path, "rb") if gzipped else open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            bom = 3 if number == 1 and line.startswith(codecs.BOM_UTF8) else 0
            try:
                line[bom:].decode("utf-8")
            except UnicodeDecodeError as exc:
                return _decode_error(path, number, offset + bom + exc.start, line[bom + exc.start])
            offset += len(line)
    return DataError(f"{path} is not UTF-8 text; save it as UTF-8")


def _decode_error(path: Path, line: int, at: int, byte: int) -> DataError:
    return DataError(
        f"{path} is not UTF-8 text: byte 0x{byte:02x} at line {line} (byte offset {at}); save "
        f"it as UTF-8 (in Excel: 'CSV UTF-8'; or iconv -f latin1 -t utf-8 for a Latin-1 file)"
    )


def _count_lines(table: Table) -> int:
    """An upper bound on the rows, from the line ends (\\n, or lone \\r)."""
    newlines = returns = 0
    with gzip.open(table.path, "rb") if table.gzipped else open(table.path, "rb") as f:
        try:
            while block := f.read(1 << 20):
                newlines += block.count(b"\n")
                returns += block.count(b"\r")
        except _GZIP_ERRORS as exc:
            raise _read_error(table.path, True, 0, exc) from None
    return max(newlines, returns) + 1


def _check_names(path: Path, header: list[str]) -> None:
    unnamed = [str(i + 1) for i, name in enumerate(header) if not name]
    if unnamed and len(header) > 1:
        raise DataError(f"{path}: column(s) {', '.join(unnamed)} of the header have no name (an "
                        f"index column? a delimiter at the end of each line?); name them or "
                        f"delete them")  # fmt: skip
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        seen.setdefault(name, []).append(i + 1)
    dups = {name: at for name, at in seen.items() if len(at) > 1}
    if dups:
        listed = "; ".join(f"{name!r} (columns {', '.join(map(str, at))})"
                           for name, at in dups.items())  # fmt: skip
        raise DataError(f"{path}: duplicate column names: {listed}; rename them so each column "
                        f"has its own name")  # fmt: skip
