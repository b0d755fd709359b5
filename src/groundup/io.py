"""Files written whole or not at all, and weights stored without pickle.

Every file groundup writes goes through :func:`atomic_write` (or :func:`atomic_path` when the
writer streams): the bytes go to a temporary file
in the same folder, are flushed to disk, and the temporary file is then renamed over the target
with :func:`os.replace`. A rename within one file system is atomic, so a reader (or a run resumed
after ``kill -9``) sees either the old file or the new one, never half of each.

The temporary file is named ``.<target name>.<writer's pid>.<8 random characters>.tmp``. A
process killed by ``kill -9`` cannot remove it; :func:`remove_stale_temps` does, later, for files
of exactly that pattern whose writer is no longer running, and never touches any other file.

JSON is written strictly (no bare ``NaN`` or ``Infinity``, which JSON does not have): a value that
may legitimately be missing is stored as ``null`` by its owner (:func:`finite_or_none`), and
:func:`atomic_write_json` refuses any other non-finite number.

Weights are stored as `safetensors <https://huggingface.co/docs/safetensors>`_: a JSON header
(name, dtype, shape, byte offsets) followed by the raw little-endian array bytes. Loading runs no
code, unlike pickle, and PyTorch reads the same file with ``safetensors.torch.load_file``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from groundup.errors import DataError

__all__ = [
    "atomic_path",
    "atomic_write",
    "atomic_write_json",
    "finite_or_none",
    "load_safetensors",
    "read_safetensors_metadata",
    "remove_stale_temps",
    "safetensors_bytes",
    "save_safetensors",
    "to_jsonable",
]

#: The name :func:`atomic_path` gives its temporary files (``tempfile.mkstemp``'s 8 characters).
TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.(?P<pid>[0-9]+)\.[a-z0-9_]{8}\.tmp$")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write into; on success it replaces ``path``.

    For writers that stream (a download, ``np.save``); :func:`atomic_write` is this with bytes
    already in memory. Parent folders are created; the file gets the permissions ``open`` would
    give (or keeps the old file's). On any exception, Ctrl-C included, the temporary file is
    removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{path.name}.{os.getpid()}."  # the pid tells a stale file from one being written
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp_name)
        os.chmod(tmp_name, _file_mode(path))  # mkstemp makes 0o600; give what open() would
        fd = os.open(tmp_name, os.O_RDWR)
        try:
            os.fsync(fd)  # the bytes reach the disk before the rename makes them visible
        finally:
            os.close(fd)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` atomically; return the path.

    Parent folders are created. ``str`` data is encoded as UTF-8. On any error the temporary
    file is removed and the previous content of ``path`` (if any) is left untouched.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
    return Path(path)


def _file_mode(path: Path) -> int:
    """The existing file's permissions, else the usual ``0o666`` minus the process umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_UMASK


def _read_umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it; done once, at import
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def _fsync_dir(folder: Path) -> None:
    """Flush a folder's entry table so the rename itself survives a power cut (POSIX only)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on folders; the write itself is done
        pass
    finally:
        os.close(fd)


def remove_stale_temps(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files :func:`atomic_path` left in ``folder`` (and below) when its
    process was killed; return their paths.

    Only files named exactly as :data:`TEMP_NAME` whose writer (the pid in the name) is no longer
    running are removed: a file being written right now by a live process is kept, and so is
    every other file, whatever its name.
    """
    removed = []
    for path in sorted(Path(folder).rglob(".*.tmp")):
        match = TEMP_NAME.match(path.name)
        if match and path.is_file() and not path.is_symlink():
            if not _running(int(match["pid"])):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(path)
    return removed


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (True when that cannot be told: keep the file)."""
    if pid == os.getpid():
        return True
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, only the process's existence is checked
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process; a pid out of range
        return True
    return True


def finite_or_none(value: float | None) -> float | None:
    """``value`` as a float, or None (JSON ``null``) when it is missing, NaN or infinite.

    For values that may legitimately be absent (an early-stopping best before its first epoch);
    anything else non-finite is refused by :func:`atomic_write_json`.
    """
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def to_jsonable(obj: Any) -> Any:
    """Turn NumPy scalars and arrays (also nested in dicts, lists, tuples) into plain Python."""
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):  # np.float32(1.5), np.int64(3), np.bool_(True)
        return obj.item()
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return obj


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON (NumPy values converted) atomically; return the path.

    Raises
    ------
    DataError
        If ``obj`` holds NaN or an infinity (JSON has neither; the message names the key).
        Nothing is written then.
    """
    plain = to_jsonable(obj)
    try:
        text = json.dumps(plain, indent=2, allow_nan=False) + "\n"
    except ValueError:
        where, value = _non_finite(plain) or ("", "a non-finite number")
        raise DataError(
            f"refusing to write {value} at {where or 'the top'} of {path}: JSON has no NaN or "
            f"infinity (a diverged run, or a value that should be null)"
        ) from None
    return atomic_write(path, text)


def _non_finite(obj: Any, where: str = "") -> tuple[str, float] | None:
    """(where, value) of the first NaN or infinity in a JSON-able ``obj``: ``("['loss']", nan)``."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return where, obj
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, list):
        items = enumerate(obj)
    else:
        return None
    for k, v in items:
        found = _non_finite(v, f"{where}[{k!r}]")
        if found:
            return found
    return None


# NumPy dtype -> safetensors dtype code, in the order of safetensors' own ``Dtype`` enum: its
# writer lays tensors out largest code first (then by name), which keeps every tensor aligned.
_SAFETENSORS_DTYPES = {
    np.dtype(np.bool_): "BOOL",
    np.dtype(np.uint8): "U8",
    np.dtype(np.int8): "I8",
    np.dtype(np.int16): "I16",
    np.dtype(np.uint16): "U16",
    np.dtype(np.float16): "F16",
    np.dtype(np.int32): "I32",
    np.dtype(np.uint32): "U32",
    np.dtype(np.float32): "F32",
    np.dtype(np.float64): "F64",
    np.dtype(np.int64): "I64",
    np.dtype(np.uint64): "U64",
}
_CODE_RANK = {code: rank for rank, code in enumerate(_SAFETENSORS_DTYPES.values())}


def safetensors_bytes(
    state: Mapping[str, np.ndarray], metadata: Mapping[str, str] | None = None
) -> bytes:
    """The bytes of a safetensors file holding ``state``; the same input always gives the same
    bytes.

    Layout: an 8-byte little-endian header length ``N``, ``N`` bytes of JSON padded with spaces
    to a multiple of 8, then the arrays' little-endian C-order bytes back to back::

        {"__metadata__": {k: v, ...},
         name: {"dtype": "F32", "shape": [out, in], "data_offsets": [begin, end]}, ...}

    Tensors are laid out as the ``safetensors`` package lays them out (widest dtype first, then
    by name), so without metadata the bytes equal ``safetensors.numpy.save``'s. Metadata keys are
    written sorted: the package keeps them in a hash map and writes several in a random order.
    """
    arrays = {}  # name -> (dtype code, little-endian C-order array)
    for name, value in state.items():
        if not isinstance(name, str):
            raise TypeError(f"safetensors names must be str, got {name!r}")
        array = np.asarray(value, order="C")  # ascontiguousarray would turn 0-d into 1-d
        code = _SAFETENSORS_DTYPES.get(array.dtype.newbyteorder("="))
        if code is None:
            raise TypeError(
                f"{name}: safetensors cannot store dtype {array.dtype}; "
                f"convert it to one of {', '.join(map(str, _SAFETENSORS_DTYPES))}"
            )
        arrays[name] = code, array.astype(array.dtype.newbyteorder("<"), copy=False)
    header: dict[str, Any] = {}
    if metadata is not None:
        header["__metadata__"] = dict(sorted((str(k), str(v)) for k, v in metadata.items()))
    chunks, offset = [], 0
    for name in sorted(arrays, key=lambda n: (-_CODE_RANK[arrays[n][0]], n)):
        code, array = arrays[name]
        chunks.append(array.tobytes(order="C"))
        header[name] = {
            "dtype": code,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + b"".join(chunks)


def save_safetensors(
    state: Mapping[str, np.ndarray],
    path: str | os.PathLike,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Save named arrays (e.g. a state dict ``{"0.weight": W, "0.bias": b}``) atomically.

    The same arrays and metadata always give the same bytes (see :func:`safetensors_bytes`), and
    ``safetensors.torch.load_file`` reads the file.

    Parameters
    ----------
    state : mapping of str to ndarray
        Names may contain dots. Arrays are stored C-contiguous with their dtype unchanged.
    path : path-like
        Target file, conventionally ``*.safetensors``.
    metadata : mapping of str to str, optional
        Stored in the header (``__metadata__``); read back with :func:`read_safetensors_metadata`.
    """
    return atomic_write(path, safetensors_bytes(state, metadata))


def load_safetensors(path: str | os.PathLike, *, fix: str | None = None) -> dict[str, np.ndarray]:
    """Load every array of a safetensors file as ``{name: ndarray}``.

    ``fix`` is the sentence an unreadable file's message ends with, for callers that know a
    better remedy than the default (delete the file and save or train again).

    Raises
    ------
    DataError
        If the path is missing or a folder, if the file is of another format (a PNG, a JSON,
        a PyTorch ``.pt`` file: the message says which), or if it is truncated or its header is
        corrupted; the message names the file.
    """
    from safetensors.numpy import load_file

    path = _weights_file(path)
    try:
        return dict(load_file(path))
    except Exception as exc:  # safetensors raises its own SafetensorError (not importable stably)
        raise _unreadable(path, exc, fix) from exc


def read_safetensors_metadata(path: str | os.PathLike) -> dict[str, str]:
    """Return the ``__metadata__`` strings stored in a safetensors header (empty if none)."""
    from safetensors import safe_open

    path = _weights_file(path)
    try:
        with safe_open(path, framework="np") as f:
            return dict(f.metadata() or {})
    except Exception as exc:
        raise _unreadable(path, exc) from exc


def _weights_file(path: str | os.PathLike) -> Path:
    """``path`` if it is a file; otherwise a :class:`DataError` saying what it is instead."""
    path = Path(path)
    if path.is_dir():
        inside = path / "model.safetensors"
        hint = f"the file inside it, {inside}" if inside.is_file() else "a .safetensors file"
        raise DataError(f"{path} is a folder, not a weights file; give {hint}")
    if not path.is_file():
        raise DataError(f"no such weights file: {path}. Check the path (or train a model first).")
    return path


# First bytes of the formats a weights path most often turns out to hold instead.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a zip archive (a PyTorch .pt/.pth file from torch.save, or a NumPy .npz)"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (Keras .h5?)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"%PDF", "a PDF document"),
)
_TO_SAFETENSORS = (
    "groundup reads weights only from safetensors files (groundup.save, or "
    "safetensors.torch.save_file(model.state_dict(), path) in PyTorch)"
)


def _unreadable(path: Path, exc: Exception, fix: str | None = None) -> DataError:
    """The error for a file safetensors cannot read: another format, or a damaged file."""
    with open(path, "rb") as f:
        head = f.read(64)
    looks = _looks_like(head, path.stat().st_size)
    if looks is not None:
        return DataError(f"{path} is not a safetensors file: it looks like {looks}. "
                         f"{fix or _TO_SAFETENSORS}")  # fmt: skip
    return DataError(
        f"{path} is not a readable safetensors file ({exc}); it may be truncated or "
        f"corrupted. {fix or 'Delete it and save or train again.'}"
    )


def _looks_like(head: bytes, size: int) -> str | None:
    """What a file starting with ``head`` is, when that is clearly not safetensors; None when it
    could be a damaged safetensors file (a plausible header length, or nothing recognisable)."""
    if size == 0:
        return None
    n = int.from_bytes(head[:8], "little") if len(head) >= 8 else -1
    if 2 <= n <= size - 8 and head[8:9] == b"{":
        return None  # a safetensors header: the damage is further in
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a Python pickle (a PyTorch file from torch.save?); groundup never unpickles"
    text = head.lstrip()
    if text[:1] in (b"{", b"["):
        return "a JSON file"
    if all(c >= 32 or c in (9, 10, 13) for c in head):  # no control bytes: text (UTF-8 too)
        return "a text file"
    return None
