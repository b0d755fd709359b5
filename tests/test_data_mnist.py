"""MNIST-like loading on tiny IDX sets written by the test: lookup, checksums, download, cache.

The network is never touched: the downloader is replaced by a fake that writes the file (or the
real downloader is pointed at file:// URLs).
"""

import gzip
import hashlib
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from groundup.data import load, mnist
from groundup.data.download import download
from groundup.data.idx import write_idx
from groundup.data.mnist import IdxFile, IdxSet, cache_path, load_idx_array
from groundup.errors import DataError

RNG = np.random.default_rng(0)
ARRAYS = {
    "train-images.gz": RNG.integers(0, 256, (6, 4, 4), dtype=np.uint8),
    "train-labels.gz": np.array([0, 1, 2, 0, 1, 2], dtype=np.uint8),
    "test-images.gz": RNG.integers(0, 256, (3, 4, 4), dtype=np.uint8),
    "test-labels.gz": np.array([2, 1, 0], dtype=np.uint8),
}
GZ = {name: gzip.compress(write_idx(a), mtime=0) for name, a in ARRAYS.items()}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _spec(verified_raw: bool = True) -> IdxSet:
    def f(name):
        raw_sum = _sha(write_idx(ARRAYS[name])) if verified_raw else None
        return IdxFile(name, ARRAYS[name].shape, raw_sum, _sha(GZ[name]))

    return IdxSet(
        name="tiny",
        classes=("a", "b", "c"),
        mirrors=("https://mirror-one.invalid/", "https://mirror-two.invalid/"),
        subdirs=("", "tiny"),
        train_images=f("train-images.gz"),
        train_labels=f("train-labels.gz"),
        test_images=f("test-images.gz"),
        test_labels=f("test-labels.gz"),
        description="a tiny MNIST-like set",
    )


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Isolated data and cache directories, no GROUNDUP_DATA_DIR, and a registered 'tiny' set."""
    monkeypatch.delenv("GROUNDUP_DATA_DIR", raising=False)
    monkeypatch.setenv("GROUNDUP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(mnist.IDX_SETS, "tiny", _spec())

    def no_network(urls, dest):
        raise AssertionError(f"tried to download {urls}")

    monkeypatch.setattr(mnist, "_download", no_network)
    data = tmp_path / "data"
    data.mkdir()
    return data


def _write_all(folder: Path, gz=GZ):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in gz.items():
        (folder / name).write_bytes(data)


@pytest.mark.parametrize("sub", ["", "tiny"])
def test_loads_from_the_data_dir_top_level_or_subfolder(env, sub):
    _write_all(env / sub)
    ds = mnist.load_idx_set("tiny", data_dir=env)
    np.testing.assert_array_equal(ds.X_train, ARRAYS["train-images.gz"])
    np.testing.assert_array_equal(ds.y_test, [2, 1, 0])
    assert ds.X_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    assert ds.classes == ["a", "b", "c"] and ds.image_shape == (4, 4)  # from the spec


def test_env_var_is_searched_after_data_dir(env, tmp_path, monkeypatch):
    _write_all(tmp_path / "elsewhere" / "tiny")
    monkeypatch.setenv("GROUNDUP_DATA_DIR", str(tmp_path / "elsewhere"))
    ds = mnist.load_idx_set("tiny")
    assert ds.X_test.shape == (3, 4, 4)


def test_second_load_comes_from_the_cache_keyed_by_checksum(env, tmp_path, monkeypatch):
    _write_all(env)
    first = mnist.load_idx_set("tiny", data_dir=env)
    spec = mnist.IDX_SETS["tiny"]
    cached = cache_path(spec, spec.train_images)
    assert cached.parent == tmp_path / "cache" / "arrays"
    assert spec.train_images.sha256[:16] in cached.name and cached.is_file()
    for name in GZ:  # the sources are gone: only the cache can answer
        (env / name).unlink()

    def not_called(path):
        raise AssertionError("the source was read although the cache holds the array")

    monkeypatch.setattr(mnist, "decompress", not_called)
    second = mnist.load_idx_set("tiny", data_dir=env)
    np.testing.assert_array_equal(second.X_train, first.X_train)
    np.testing.assert_array_equal(second.y_train, first.y_train)


def test_a_changed_source_is_verified_again_not_hidden_by_the_cache(env):
    _write_all(env)
    spec = mnist.IDX_SETS["tiny"]
    load_idx_array(spec, spec.test_labels, data_dir=env)
    stamp = cache_path(spec, spec.test_labels).with_suffix(".sources.json")
    assert str((env / "test-labels.gz").resolve()) in stamp.read_text()
    (env / "test-labels.gz").write_bytes(GZ["test-labels.gz"][:-6])  # now truncated
    with pytest.raises(DataError, match="truncated or corrupted"):
        load_idx_array(spec, spec.test_labels, data_dir=env)
    (env / "test-labels.gz").write_bytes(GZ["test-labels.gz"])  # repaired: accepted again
    np.testing.assert_array_equal(load_idx_array(spec, spec.test_labels, data_dir=env), [2, 1, 0])


def test_a_damaged_cache_file_is_rebuilt(env):
    _write_all(env)
    spec = mnist.IDX_SETS["tiny"]
    load_idx_array(spec, spec.train_images, data_dir=env)
    cache_path(spec, spec.train_images).write_bytes(b"not an npy file")
    again = load_idx_array(spec, spec.train_images, data_dir=env)
    np.testing.assert_array_equal(again, ARRAYS["train-images.gz"])
    assert np.load(cache_path(spec, spec.train_images), allow_pickle=False).shape == (6, 4, 4)


def test_cache_dir_option_overrides_the_default(env, tmp_path):
    _write_all(env)
    mnist.load_idx_set("tiny", data_dir=env, cache_dir=tmp_path / "mine")
    assert len(list((tmp_path / "mine" / "arrays").glob("tiny-*.npy"))) == 4
    assert not (tmp_path / "cache").exists()


def test_wrong_checksum_is_refused_with_the_file_named(env):
    gz = dict(GZ)
    other = ARRAYS["train-labels.gz"][::-1].copy()  # valid IDX, wrong content
    gz["train-labels.gz"] = gzip.compress(write_idx(other))
    _write_all(env, gz)
    with pytest.raises(DataError, match="SHA-256") as info:
        mnist.load_idx_set("tiny", data_dir=env)
    message = str(info.value)
    assert str(env / "train-labels.gz") in message and "delete it" in message


def test_a_faithful_recompression_is_accepted(env):
    gz = {
        name: gzip.compress(write_idx(a), compresslevel=1, mtime=12345)
        for name, a in ARRAYS.items()
    }
    assert gz != GZ
    _write_all(env, gz)
    ds = mnist.load_idx_set("tiny", data_dir=env)
    np.testing.assert_array_equal(ds.X_test, ARRAYS["test-images.gz"])


@pytest.mark.parametrize("damage", ["truncate", "corrupt"])
def test_damaged_gz_gives_a_data_error_not_a_zlib_error(env, damage):
    gz = dict(GZ)
    data = gz["train-images.gz"]
    if damage == "truncate":
        gz["train-images.gz"] = data[: len(data) // 2]
    else:
        broken = bytearray(data)
        broken[20:40] = bytes(20)
        gz["train-images.gz"] = bytes(broken)
    _write_all(env, gz)
    with pytest.raises(DataError) as info:
        mnist.load_idx_set("tiny", data_dir=env)
    assert str(env / "train-images.gz") in str(info.value)
    assert "\n" not in str(info.value)  # the CLI prints it as one line
    assert not list((env.parent / "cache").glob("**/tiny-train-images*"))


def test_missing_file_without_download_lists_the_places_searched(env):
    with pytest.raises(DataError, match="not found") as info:
        mnist.load_idx_set("tiny", data_dir=env, download=False)
    assert str(env / "tiny" / "train-images.gz") in str(info.value)


def test_missing_files_are_downloaded_into_data_dir(env, monkeypatch):
    calls = []

    def fake_download(urls, dest):
        calls.append((urls, dest))
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        Path(dest).write_bytes(GZ[Path(dest).name])
        return Path(dest)

    monkeypatch.setattr(mnist, "_download", fake_download)
    ds = mnist.load_idx_set("tiny", data_dir=env)
    assert ds.y_train.tolist() == [0, 1, 2, 0, 1, 2]
    urls, dest = calls[0]
    assert urls == ["https://mirror-one.invalid/train-images.gz",
                    "https://mirror-two.invalid/train-images.gz"]  # fmt: skip
    assert dest == env / "tiny" / "train-images.gz"
    assert len(calls) == 4


def test_without_data_dir_downloads_go_to_the_cache(env, tmp_path, monkeypatch):
    dests = []

    def fake_download(urls, dest):
        dests.append(Path(dest))
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        Path(dest).write_bytes(GZ[Path(dest).name])
        return Path(dest)

    monkeypatch.setattr(mnist, "_download", fake_download)
    mnist.load_idx_set("tiny")
    assert all(d.parent == tmp_path / "cache" / "tiny" for d in dests)


def test_unverified_sets_check_the_gz_sum_then_warn(env, monkeypatch):
    spec = _spec(verified_raw=False)  # like Fashion-MNIST: only the .gz sums are known
    monkeypatch.setitem(mnist.IDX_SETS, "tiny", spec)
    _write_all(env)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the published archive: no warning
        load_idx_array(spec, spec.test_labels, data_dir=env)
    assert cache_path(spec, spec.test_labels).is_file()

    (env / "train-labels.gz").write_bytes(gzip.compress(write_idx(ARRAYS["train-labels.gz"]), 1))
    with pytest.warns(UserWarning, match="could not be verified"):
        load_idx_array(spec, spec.train_labels, data_dir=env)
    assert not cache_path(spec, spec.train_labels).is_file()  # unverified content is not cached


def test_an_mnist_file_is_not_taken_for_another_set(env, monkeypatch):
    spec = _spec(verified_raw=False)
    _write_all(env)
    raw_sum = _sha(write_idx(ARRAYS["test-labels.gz"]))
    monkeypatch.setattr(mnist, "_MNIST_RAW_SUMS", {raw_sum})
    with pytest.raises(DataError, match="is an MNIST file"):
        load_idx_array(spec, spec.test_labels, data_dir=env)


def test_labels_out_of_range_are_refused(env, monkeypatch):
    bad = np.array([0, 1, 7], dtype=np.uint8)
    spec = _spec()
    f = IdxFile("test-labels.gz", (3,), _sha(write_idx(bad)), "0" * 64)
    (env / "test-labels.gz").write_bytes(gzip.compress(write_idx(bad)))
    with pytest.raises(DataError, match="labels must be below 3"):
        load_idx_array(spec, f, data_dir=env)


def test_real_downloader_streams_atomically_and_tries_mirrors(tmp_path):
    source = tmp_path / "source.gz"
    source.write_bytes(GZ["train-images.gz"])
    dest = tmp_path / "out" / "train-images.gz"
    missing = (tmp_path / "missing.gz").as_uri()
    assert download([missing, source.as_uri()], dest) == dest
    assert dest.read_bytes() == GZ["train-images.gz"]
    assert [p.name for p in dest.parent.iterdir()] == ["train-images.gz"]  # no temporary left
    with pytest.raises(DataError, match="could not download") as info:
        download([missing], tmp_path / "out" / "other.gz")
    assert "put it at" in str(info.value)
    assert not (tmp_path / "out" / "other.gz").exists()


# ----- the real files, when GROUNDUP_DATA_DIR points at them ---------------------------------

REAL = os.environ.get("GROUNDUP_DATA_DIR")
needs_real = pytest.mark.real_data("mnist")  # skipped without it, an error under CI=true


@needs_real
def test_real_mnist_shapes_dtypes_and_label_counts(tmp_path):
    ds = load("mnist", cache_dir=tmp_path, download=False)
    assert ds.X_train.shape == (60000, 28, 28) and ds.X_train.dtype == np.uint8
    assert ds.X_test.shape == (10000, 28, 28) and ds.X_test.dtype == np.uint8
    assert ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64
    assert np.bincount(ds.y_test).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
    assert np.bincount(ds.y_train).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949,
    ]  # fmt: skip
    assert ds.X_train.max() == 255 and ds.X_train.min() == 0
    again = load("mnist", cache_dir=tmp_path, download=False)  # from the .npy cache
    np.testing.assert_array_equal(again.X_train, ds.X_train)
    assert len(list((tmp_path / "arrays").glob("mnist-*.npy"))) == 4


@needs_real
def test_real_mnist_recompressed_is_accepted_and_truncated_refused(tmp_path):
    src = Path(REAL) / "mnist" / "t10k-labels-idx1-ubyte.gz"
    raw = gzip.decompress(src.read_bytes())
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    (good / src.name).write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    labels = load_idx_array(mnist.MNIST, mnist.MNIST.test_labels, good, False, tmp_path / "c1")
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]
    shutil.copyfile(src, bad / src.name)
    with open(bad / src.name, "r+b") as f:
        f.truncate(src.stat().st_size - 100)
    with pytest.raises(DataError, match="truncated or corrupted") as info:
        load_idx_array(mnist.MNIST, mnist.MNIST.test_labels, bad, False, tmp_path / "c2")
    assert str(bad / src.name) in str(info.value)


def test_a_bad_download_is_deleted(env, monkeypatch):
    def fake_download(urls, dest):
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        Path(dest).write_bytes(GZ[Path(dest).name][:30])  # cut short
        return Path(dest)

    monkeypatch.setattr(mnist, "_download", fake_download)
    with pytest.raises(DataError, match="truncated or corrupted"):
        mnist.load_idx_set("tiny", data_dir=env)
    assert not (env / "tiny" / "train-images.gz").exists()
