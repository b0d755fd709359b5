"""A reader for the IDX format that MNIST and Fashion-MNIST are published in.

An IDX file is a header followed by one flat C-order array::

    byte 0-1   0x00 0x00                magic: always zero
    byte 2     element type code         0x08 uint8, 0x09 int8, 0x0B int16,
                                         0x0C int32, 0x0D float32, 0x0E float64
    byte 3     ndim                      number of dimensions
    ndim x 4   dims                      each a big-endian unsigned 32-bit integer
    rest       prod(dims) elements       big-endian, of the type above

So ``train-images-idx3-ubyte`` starts ``00 00 08 03 | 00 00 EA 60 | 00 00 00 1C | 00 00 00 1C``:
uint8, three dimensions, 60000 x 28 x 28. The files are usually gzip-compressed (``.gz``);
:func:`read_idx` decompresses them first.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from groundup.errors import DataError

# type code -> big-endian NumPy dtype
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}


def parse_idx(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse the (decompressed) bytes of an IDX file into an array in native byte order.

    Parameters
    ----------
    raw : bytes
        The whole file, header included.
    source : str
        Named in error messages (the file's path).

    Returns
    -------
    ndarray of shape dims, dtype as the type code says (uint8 for MNIST), writable.

    Raises
    ------
    DataError
        If the magic number, type code or size do not match the format.
    """
    fix = "delete it so that it is downloaded again, or replace it with a good copy"
    if len(raw) < 4:
        raise DataError(f"{source} is too short to be an IDX file ({len(raw)} bytes); {fix}")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0:
        raise DataError(
            f"{source} is not an IDX file: its first two bytes are {raw[:2].hex()}, not 0000; {fix}"
        )
    if code not in IDX_DTYPES:
        raise DataError(f"{source}: unknown IDX element type code 0x{code:02X}; {fix}")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DataError(f"{source}: the IDX header for {ndim} dimensions is truncated; {fix}")
    dims = struct.unpack(f">{ndim}I", raw[4:header_size])
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header_size
    if actual != expected:
        what = "truncated" if actual < expected else "longer than its header says"
        raise DataError(
            f"{source} is {what}: the header announces shape {dims} of {dtype.name} "
            f"({expected} data bytes) but {actual} follow; {fix}"
        )
    flat = np.frombuffer(raw, dtype=dtype, offset=header_size)
    return flat.astype(dtype.newbyteorder("="), copy=True).reshape(dims)


def decompress(path: str | os.PathLike) -> bytes:
    """The bytes of ``path``, gunzipped when the file is gzip (detected by its magic 1f 8b).

    A truncated or corrupted archive raises :class:`DataError` naming the file, never a raw
    ``zlib`` / ``EOFError``.
    """
    path = Path(path)
    data = path.read_bytes()
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        raise DataError(
            f"{path} is a truncated or corrupted gzip file ({exc}); delete it and download it "
            "again (or copy a good one in its place)"
        ) from None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, plain or ``.gz``; see :func:`parse_idx`."""
    return parse_idx(decompress(path), source=str(path))


def write_idx(array: np.ndarray) -> bytes:
    """The IDX bytes of ``array`` (the inverse of :func:`parse_idx`; used by the tests)."""
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise DataError(f"IDX cannot store dtype {array.dtype}; use one of {list(_CODES)}")
    header = struct.pack(f">HBB{array.ndim}I", 0, code, array.ndim, *array.shape)
    return header + array.astype(IDX_DTYPES[code], copy=False).tobytes(order="C")
