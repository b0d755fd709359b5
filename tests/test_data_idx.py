"""The IDX reader against files written by the test: dtypes, shapes, and every malformed case."""

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from groundup.data.idx import decompress, parse_idx, read_idx, write_idx
from groundup.errors import DataError


def test_header_of_a_hand_written_uint8_file():
    # 00 00 08 02 | 00 00 00 02 | 00 00 00 03 | 1 2 3 4 5 6: a 2x3 uint8 matrix
    raw = bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6])
    a = parse_idx(raw)
    assert a.dtype == np.uint8
    np.testing.assert_array_equal(a, [[1, 2, 3], [4, 5, 6]])
    assert a.flags.writeable


def test_big_endian_int16_and_float32_are_decoded():
    raw = struct.pack(">HBBI", 0, 0x0B, 1, 3) + struct.pack(">hhh", -2, 258, 7)
    np.testing.assert_array_equal(parse_idx(raw), np.array([-2, 258, 7], dtype=np.int16))
    raw = struct.pack(">HBBII", 0, 0x0D, 2, 1, 2) + struct.pack(">ff", 1.5, -0.25)
    a = parse_idx(raw)
    assert a.dtype == np.float32 and a.dtype.isnative
    np.testing.assert_array_equal(a, [[1.5, -0.25]])


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]),
        shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5),
        elements={"allow_nan": False},
    )
)
def test_write_then_parse_round_trips(array):
    back = parse_idx(write_idx(array))
    assert back.shape == array.shape and back.dtype == array.dtype
    np.testing.assert_array_equal(back, array)


def test_uint8_3d_and_1d_gz_files(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    labels = np.array([3, 9], dtype=np.uint8)
    (tmp_path / "images.gz").write_bytes(gzip.compress(write_idx(images)))
    (tmp_path / "labels").write_bytes(write_idx(labels))  # plain, not compressed
    np.testing.assert_array_equal(read_idx(tmp_path / "images.gz"), images)
    np.testing.assert_array_equal(read_idx(tmp_path / "labels"), labels)


@pytest.mark.parametrize(
    "raw, words",
    [
        (b"\x00\x00", "too short"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "not an IDX file"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX element type"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x01", "header"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x05\x06", "truncated"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x01\x05\x06", "longer than its header says"),
    ],
)
def test_malformed_bytes_raise_a_data_error_naming_the_source(raw, words):
    with pytest.raises(DataError, match=words) as info:
        parse_idx(raw, source="some/file.idx")
    assert "some/file.idx" in str(info.value)


def test_truncated_gz_names_the_file_and_the_fix(tmp_path):
    data = gzip.compress(write_idx(np.zeros((50, 28, 28), np.uint8)))
    path = tmp_path / "cut.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated or corrupted gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value) and "delete it" in str(info.value)


def test_corrupted_gz_names_the_file(tmp_path):
    rng = np.random.default_rng(0)
    data = bytearray(gzip.compress(write_idx(rng.integers(0, 256, (20, 28, 28), np.uint8))))
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)  # overwrite part of the deflate stream
    path = tmp_path / "bad.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_gzip_with_a_bad_crc_is_refused(tmp_path):
    data = bytearray(gzip.compress(write_idx(np.arange(10, dtype=np.uint8))))
    data[-8] ^= 0xFF  # the CRC-32 in the gzip trailer
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="crc.gz"):
        decompress(path)


def test_write_idx_refuses_unsupported_dtypes():
    with pytest.raises(DataError, match="cannot store"):
        write_idx(np.zeros(3, dtype=np.uint16))
