"""Where data files live, and checksums.

A data file is looked for in, in order: the ``data_dir`` argument, ``$GROUNDUP_DATA_DIR``, and the
cache ``~/.cache/groundup`` (``$GROUNDUP_CACHE_DIR`` overrides it). In each directory the file may
sit at the top level or in a sub-folder named after the set (``<dir>/mnist/<file>``). Downloads go
to ``data_dir`` when one is given, else to the cache directory; the parsed-array cache always goes
to the cache directory.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ENV_DATA_DIR = "GROUNDUP_DATA_DIR"
ENV_CACHE_DIR = "GROUNDUP_CACHE_DIR"


def cache_dir() -> Path:
    """``$GROUNDUP_CACHE_DIR`` if set, else ``~/.cache/groundup`` (not created here)."""
    env = os.environ.get(ENV_CACHE_DIR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "groundup"


def data_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The directories searched for data files, in order, without duplicates."""
    candidates = []
    if data_dir is not None:
        candidates.append(Path(data_dir).expanduser())
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        candidates.append(Path(env).expanduser())
    candidates.append(cache_dir())
    unique: list[Path] = []
    for d in candidates:
        if d not in unique:
            unique.append(d)
    return unique


def find_file(
    filename: str, subdirs: tuple[str, ...] = ("",), data_dir: str | os.PathLike | None = None
) -> Path | None:
    """First existing ``<dir>/<subdir>/<filename>`` over :func:`data_dirs`, else None.

    ``subdirs`` lists the sub-folders tried in each directory; ``""`` is the directory itself.
    """
    for d in data_dirs(data_dir):
        for sub in subdirs:
            path = d / sub / filename
            if path.is_file():
                return path
    return None


def searched_places(
    filename: str, subdirs: tuple[str, ...] = ("",), data_dir: str | os.PathLike | None = None
) -> str:
    """The places :func:`find_file` looked, for error messages."""
    return ", ".join(str(d / sub / filename) for d in data_dirs(data_dir) for sub in subdirs)


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
