"""groundup.io: atomic writes and safetensors round trips (no pickle anywhere)."""

import json
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from groundup import io
from groundup.errors import DataError


def _state():
    rng = np.random.default_rng(0)
    return {
        "0.weight": rng.standard_normal((4, 3)).astype(np.float32),
        "0.bias": rng.standard_normal(4).astype(np.float32),
        "2.weight": rng.standard_normal((2, 4)),  # float64
        "steps": np.array([7, -3, 2**40], dtype=np.int64),
        "layers.0.attn.scale": np.array(0.5, dtype=np.float32),  # 0-d, dotted name
    }


def test_atomic_write_bytes_and_str_create_parents(tmp_path):
    target = tmp_path / "a" / "b" / "f.txt"
    io.atomic_write(target, "héllo\n")
    assert target.read_bytes() == "héllo\n".encode()
    io.atomic_write(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in target.parent.iterdir()) == ["f.txt"]  # no temp file left


def test_atomic_write_gives_normal_permissions(tmp_path):
    new = io.atomic_write(tmp_path / "new.txt", "x")
    umask = os.umask(0o022)
    os.umask(umask)
    assert new.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() gives, not mkstemp's 0o600
    kept = tmp_path / "kept.txt"
    kept.write_text("old")
    kept.chmod(0o640)
    io.atomic_write(kept, "new")
    assert kept.stat().st_mode & 0o777 == 0o640


def test_atomic_write_failure_keeps_old_file_and_cleans_up(tmp_path, monkeypatch):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"old content")

    def broken_replace(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(io.os, "replace", broken_replace)
    with pytest.raises(OSError, match="simulated"):
        io.atomic_write(target, b"new content that never lands")
    assert target.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_atomic_write_failure_during_fsync_cleans_up(tmp_path, monkeypatch):
    target = tmp_path / "x.json"

    def broken_fsync(fd):
        raise KeyboardInterrupt  # Ctrl-C in the middle of a write

    monkeypatch.setattr(io.os, "fsync", broken_fsync)
    with pytest.raises(KeyboardInterrupt):
        io.atomic_write(target, "{}")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_json_numpy_values(tmp_path):
    obj = {
        "acc": np.float32(0.75),
        "n": np.int64(3),
        "ok": np.bool_(True),
        "cm": np.array([[1, 2], [3, 4]]),
        "nested": [{"p": np.float64(0.5)}, (np.int32(1), 2)],
        1: "int key",
    }
    path = io.atomic_write_json(tmp_path / "m.json", obj)
    text = path.read_text()
    assert text.endswith("\n") and '\n  "acc"' in text  # indent 2
    assert json.loads(text) == {
        "acc": 0.75,
        "n": 3,
        "ok": True,
        "cm": [[1, 2], [3, 4]],
        "nested": [{"p": 0.5}, [1, 2]],
        "1": "int key",
    }


def test_safetensors_round_trip_dtypes_and_dotted_names(tmp_path):
    state = _state()
    path = io.save_safetensors(state, tmp_path / "w.safetensors", metadata={"epoch": "3"})
    loaded = io.load_safetensors(path)
    assert set(loaded) == set(state)
    for name, value in state.items():
        assert loaded[name].dtype == value.dtype, name
        assert loaded[name].shape == value.shape, name
        np.testing.assert_array_equal(loaded[name], value)
    assert io.read_safetensors_metadata(path) == {"epoch": "3"}


def test_safetensors_non_contiguous_input(tmp_path):
    W = np.arange(12, dtype=np.float32).reshape(3, 4).T  # Fortran-ordered view
    io.save_safetensors({"w": W}, tmp_path / "w.safetensors")
    np.testing.assert_array_equal(io.load_safetensors(tmp_path / "w.safetensors")["w"], W)


def test_safetensors_file_is_not_pickle(tmp_path):
    path = io.save_safetensors(_state(), tmp_path / "w.safetensors")
    raw = path.read_bytes()
    assert raw[:2] != b"\x80\x04" and b"pickle" not in raw  # no pickle protocol header
    header_len = int.from_bytes(raw[:8], "little")  # safetensors: u64 header size, then JSON
    header = json.loads(raw[8 : 8 + header_len])
    assert header["0.weight"]["dtype"] == "F32" and header["0.weight"]["shape"] == [4, 3]
    assert header["steps"]["dtype"] == "I64"


@pytest.mark.parametrize("cut", [0, 5, 40, -3])
def test_truncated_file_raises_data_error_naming_file(tmp_path, cut):
    path = io.save_safetensors(_state(), tmp_path / "w.safetensors")
    raw = path.read_bytes()
    path.write_bytes(raw[:cut])
    with pytest.raises(DataError, match="w.safetensors"):
        io.load_safetensors(path)


def test_corrupted_header_raises_data_error(tmp_path):
    path = io.save_safetensors(_state(), tmp_path / "w.safetensors")
    raw = bytearray(path.read_bytes())
    raw[8:20] = b"not json!!!!"
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="corrupted"):
        io.load_safetensors(path)
    with pytest.raises(DataError, match="w.safetensors"):
        io.read_safetensors_metadata(path)


def test_missing_file_raises_data_error(tmp_path):
    with pytest.raises(DataError, match="no such weights file"):
        io.load_safetensors(tmp_path / "nope.safetensors")


def test_failed_save_keeps_previous_weights(tmp_path, monkeypatch):
    path = io.save_safetensors({"w": np.ones(3)}, tmp_path / "w.safetensors")
    monkeypatch.setattr(io.os, "replace", lambda s, d: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError):
        io.save_safetensors({"w": np.zeros(3)}, path)
    np.testing.assert_array_equal(io.load_safetensors(path)["w"], np.ones(3))
    assert os.listdir(tmp_path) == ["w.safetensors"]


@settings(max_examples=30, deadline=None)
@given(
    arr=hnp.arrays(
        dtype=st.sampled_from([np.float32, np.float64, np.int64, np.uint8]),
        shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
    )
)
def test_round_trip_property(tmp_path_factory, arr):
    path = tmp_path_factory.mktemp("rt") / "a.safetensors"
    io.save_safetensors({"a.b": arr}, path)
    out = io.load_safetensors(path)["a.b"]
    assert out.dtype == arr.dtype and out.shape == arr.shape
    np.testing.assert_array_equal(out, arr)  # NaNs compare equal here


def test_safetensors_bytes_do_not_depend_on_metadata_order(tmp_path):
    # the safetensors package keeps metadata in a hash map and writes several keys in a random
    # order; groundup writes them sorted, so one run saved twice gives the same bytes
    meta = {f"key{k}": str(k) for k in range(12)}
    first = io.save_safetensors(_state(), tmp_path / "a.safetensors", metadata=meta)
    second = io.save_safetensors(
        _state(), tmp_path / "b.safetensors", metadata=dict(reversed(meta.items()))
    )
    assert first.read_bytes() == second.read_bytes()
    assert io.read_safetensors_metadata(first) == meta
    header_len = int.from_bytes(first.read_bytes()[:8], "little")
    header = json.loads(first.read_bytes()[8 : 8 + header_len])
    assert list(header["__metadata__"]) == sorted(meta)


@settings(max_examples=30, deadline=None)
@given(
    shapes=st.lists(
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4), min_size=1, max_size=5
    ),
    dtypes=st.lists(
        st.sampled_from(
            [np.bool_, np.uint8, np.int16, np.float16, np.int32, np.float32, np.float64, np.int64]
        ),
        min_size=5,
        max_size=5,
    ),
    metadata=st.none() | st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=1),
)
def test_safetensors_bytes_equal_the_packages_writer(shapes, dtypes, metadata):
    # with at most one metadata key the package's output is deterministic: the same bytes
    from safetensors.numpy import save

    rng = np.random.default_rng(0)
    state = {
        f"{k}.w": np.asarray(rng.standard_normal(shape) * 9).astype(dtype)
        for k, (shape, dtype) in enumerate(zip(shapes, dtypes, strict=False))
    }
    assert io.safetensors_bytes(state, metadata) == save(state, metadata=metadata)


def test_safetensors_big_endian_input_and_bad_dtype():
    W = np.arange(6, dtype=">f4").reshape(2, 3)
    raw = io.safetensors_bytes({"w": W})
    assert raw.endswith(np.arange(6, dtype="<f4").tobytes())
    with pytest.raises(TypeError, match="complex128"):
        io.safetensors_bytes({"z": np.zeros(2, dtype=np.complex128)})


def test_atomic_path_streams_with_normal_permissions_and_cleans_up(tmp_path):
    target = tmp_path / "sub" / "arr.npy"
    with io.atomic_path(target) as tmp, open(tmp, "wb") as out:
        assert tmp.parent == target.parent and not target.exists()  # nothing visible yet
        np.save(out, np.arange(3), allow_pickle=False)
    np.testing.assert_array_equal(np.load(target), np.arange(3))
    umask = os.umask(0o022)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0o600
    with pytest.raises(KeyboardInterrupt), io.atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt
    np.testing.assert_array_equal(np.load(target), np.arange(3))
    assert os.listdir(target.parent) == ["arr.npy"]
