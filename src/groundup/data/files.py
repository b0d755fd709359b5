"""Where data files live, atomic writes, and checksums.

A data file is looked for in, in order: the ``data_dir`` argument, ``$GROUNDUP_DATA_DIR``, and the
cache ``~/.cache/groundup`` (``$GROUNDUP_CACHE_DIR`` overrides it). In each directory the file may
sit at the top level or in a sub-folder named after the set (``<dir>/mnist/<file>``). Downloads and
the parsed-array cache go to the cache directory (or to ``data_dir`` when one is given).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
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


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    Readers never see a half-written file: the rename (``os.replace``) is atomic on POSIX and
    Windows. On an exception the temporary file is removed and ``path`` is left as it was.
    (``groundup.io.atomic_write`` does the same for data already in memory; this form lets a
    download or ``np.save`` stream into the file.)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
