"""Files written whole or not at all, and weights stored without pickle.

Every file groundup writes goes through :func:`atomic_write` (or :func:`atomic_path` when the
writer streams): the bytes go to a temporary file
in the same folder, are flushed to disk, and the temporary file is then renamed over the target
with :func:`os.replace`. A rename within one file system is atomic, so a reader (or a run resumed
after ``kill -9``) sees either the old file or the new one, never half of each.

Weights are stored as `safetensors <https://huggingface.co/docs/safetensors>`_: a JSON header
(name, dtype, shape, byte offsets) followed by the raw little-endian array bytes. Loading runs no
code, unlike pickle, and PyTorch reads the same file with ``safetensors.torch.load_file``.
"""

from __future__ import annotations

import contextlib
import json
import os
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
    "load_safetensors",
    "read_safetensors_metadata",
    "safetensors_bytes",
    "save_safetensors",
    "to_jsonable",
]


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
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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
    """Write ``obj`` as indented JSON (NumPy values converted) atomically; return the path."""
    text = json.dumps(to_jsonable(obj), indent=2, allow_nan=True) + "\n"
    return atomic_write(path, text)


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


def load_safetensors(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Load every array of a safetensors file as ``{name: ndarray}``.

    Raises
    ------
    DataError
        If the file is missing, truncated or its header is corrupted; the message names the file.
    """
    from safetensors.numpy import load_file

    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such weights file: {path}. Check the path (or train a model first).")
    try:
        return dict(load_file(path))
    except Exception as exc:  # safetensors raises its own SafetensorError (not importable stably)
        raise DataError(
            f"{path} is not a readable safetensors file ({exc}); it may be truncated or "
            f"corrupted. Delete it and save or train again."
        ) from exc


def read_safetensors_metadata(path: str | os.PathLike) -> dict[str, str]:
    """Return the ``__metadata__`` strings stored in a safetensors header (empty if none)."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such weights file: {path}. Check the path (or train a model first).")
    try:
        with safe_open(path, framework="np") as f:
            return dict(f.metadata() or {})
    except Exception as exc:
        raise DataError(
            f"{path} is not a readable safetensors file ({exc}); it may be truncated or "
            f"corrupted. Delete it and save or train again."
        ) from exc
