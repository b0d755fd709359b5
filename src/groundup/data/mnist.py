"""MNIST and Fashion-MNIST: the original IDX ``.gz`` files, verified, parsed, cached.

Loading one of the four files of a set goes:

1. **find** — the ``.gz`` in the data directories (see :mod:`groundup.data.files`); MNIST may sit at
   ``<dir>/<file>`` or ``<dir>/mnist/<file>``, Fashion-MNIST at ``<dir>/fashion-mnist/<file>``
   (never at the top level, where its files would clash with MNIST's, which have the same names).
2. **cache** — ``<cache>/arrays/<set>-<file>-<sha256[:16]>.npy`` exists and the file found in
   step 1 is one already verified (same path, size and modification time, recorded beside the
   cache in a ``.sources.json``), or no file is found at all: load the array (``np.load``,
   ``allow_pickle=False``) and stop. The name carries the checksum the source was verified
   against, so a cached array is always verified content, and a source that changed since (a
   corrupted copy, a different file) is checked again rather than hidden by the cache.
3. **download** — if missing, from the public mirrors into ``<data_dir or cache>/<set>/``.
4. **verify** — MNIST: SHA-256 of the *decompressed* bytes, so any faithful re-compression is
   accepted. Fashion-MNIST: the decompressed sums could not be computed where this was written (no
   copy of the data), so the published SHA-256 of the *.gz* files is checked instead; a file
   that differs (a re-compressed copy) is accepted only if its IDX structure is exactly right, with
   a warning that its content is unverified.
5. **parse** with :func:`groundup.data.idx.parse_idx` and write the cache atomically.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from groundup.data.dataset import Dataset
from groundup.data.download import download as _download
from groundup.data.files import (
    cache_dir,
    find_file,
    searched_places,
    sha256_bytes,
    sha256_file,
)
from groundup.data.idx import decompress, parse_idx
from groundup.errors import DataError
from groundup.io import atomic_path, atomic_write


@dataclass(frozen=True)
class IdxFile:
    """One of the four files of an MNIST-like set.

    ``sha256`` is the checksum of the decompressed IDX bytes (None where unknown) and
    ``gz_sha256`` the published checksum of the ``.gz`` as the mirrors serve it.
    """

    filename: str
    shape: tuple[int, ...]
    sha256: str | None
    gz_sha256: str


@dataclass(frozen=True)
class IdxSet:
    """An MNIST-like set: its four files, class names, mirrors and the sub-folders searched."""

    name: str
    classes: tuple[str, ...]
    mirrors: tuple[str, ...]
    subdirs: tuple[str, ...]
    train_images: IdxFile
    train_labels: IdxFile
    test_images: IdxFile
    test_labels: IdxFile
    description: str


# Decompressed sums computed from the files in shared/data/mnist, whose .gz sums (the gz_sha256
# below) and MD5s equal the published ones (see shared/data/SOURCES.md).
MNIST = IdxSet(
    name="mnist",
    classes=tuple(str(d) for d in range(10)),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    subdirs=("", "mnist"),
    train_images=IdxFile(
        "train-images-idx3-ubyte.gz",
        (60000, 28, 28),
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    train_labels=IdxFile(
        "train-labels-idx1-ubyte.gz",
        (60000,),
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    test_images=IdxFile(
        "t10k-images-idx3-ubyte.gz",
        (10000, 28, 28),
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    test_labels=IdxFile(
        "t10k-labels-idx1-ubyte.gz",
        (10000,),
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
    description=(
        "MNIST handwritten digits (LeCun, Cortes, Burges): 28x28 grey images, uint8 0..255, "
        "official split 60,000 train / 10,000 test."
    ),
)

# The .gz sums published for Fashion-MNIST (the same values are listed independently by many
# projects and match the MD5s in the zalandoresearch/fashion-mnist README). The decompressed sums
# are unverified here: no copy of the data was available when this was written.
FASHION_MNIST = IdxSet(
    name="fashion-mnist",
    classes=(
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    subdirs=("fashion-mnist", "fashion_mnist", "fashion"),
    train_images=IdxFile(
        "train-images-idx3-ubyte.gz",
        (60000, 28, 28),
        None,
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    ),
    train_labels=IdxFile(
        "train-labels-idx1-ubyte.gz",
        (60000,),
        None,
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    ),
    test_images=IdxFile(
        "t10k-images-idx3-ubyte.gz",
        (10000, 28, 28),
        None,
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    ),
    test_labels=IdxFile(
        "t10k-labels-idx1-ubyte.gz",
        (10000,),
        None,
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    ),
    description=(
        "Fashion-MNIST (Zalando; Xiao, Rasul, Vollgraf 2017): 28x28 grey images of clothing, "
        "uint8 0..255, official split 60,000 train / 10,000 test."
    ),
)

IDX_SETS = {s.name: s for s in (MNIST, FASHION_MNIST)}
_MNIST_RAW_SUMS = {
    f.sha256 for f in (MNIST.train_images, MNIST.train_labels, MNIST.test_images, MNIST.test_labels)
}


def cache_path(spec: IdxSet, f: IdxFile, root: str | os.PathLike | None = None) -> Path:
    """Where the parsed array of ``f`` is cached: named by the checksum it was verified against."""
    key = f.sha256 or f.gz_sha256
    stem = f.filename.removesuffix(".gz")
    return Path(root or cache_dir()) / "arrays" / f"{spec.name}-{stem}-{key[:16]}.npy"


def _read_cache(path: Path, f: IdxFile) -> np.ndarray | None:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None  # missing or unreadable: rebuild it from the source file
    if array.shape != f.shape or array.dtype != np.uint8:
        return None
    return array


def _write_cache(path: Path, array: np.ndarray) -> None:
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as out:
            np.save(out, array, allow_pickle=False)
    except OSError as exc:  # a read-only home: loading still works, just not faster next time
        warnings.warn(f"could not cache {path.name} in {path.parent}: {exc}", stacklevel=3)


def _stamp(source: Path) -> list:
    st = source.stat()
    return [str(source.resolve()), st.st_size, st.st_mtime_ns]


def _sources_path(cached: Path) -> Path:
    return cached.with_suffix(".sources.json")


def _verified_sources(cached: Path) -> list:
    try:
        return json.loads(_sources_path(cached).read_text())
    except (OSError, ValueError):
        return []


def _record_source(cached: Path, source: Path) -> None:
    stamps = [s for s in _verified_sources(cached) if s[0] != str(source.resolve())]
    stamps.append(_stamp(source))
    try:
        atomic_write(_sources_path(cached), json.dumps(stamps))
    except OSError:
        pass  # without the record the source is simply verified again next time


def _download_to(spec: IdxSet, f: IdxFile, data_dir) -> Path:
    root = Path(data_dir).expanduser() if data_dir is not None else cache_dir()
    dest = root / spec.name / f.filename
    return _download([m + f.filename for m in spec.mirrors], dest)


def _verify(spec: IdxSet, f: IdxFile, path: Path, raw: bytes) -> bool:
    """Raise on a wrong file; return whether the content was verified by a checksum."""
    fix = "delete it and load again to re-download it, or replace it with a good copy"
    actual = sha256_bytes(raw)
    if f.sha256 is not None:
        if actual != f.sha256:
            raise DataError(
                f"{path} does not contain the published {spec.name} {f.filename} "
                f"(SHA-256 of its decompressed bytes is {actual[:16]}..., expected "
                f"{f.sha256[:16]}...); {fix}"
            )
        return True
    if actual in _MNIST_RAW_SUMS:
        raise DataError(f"{path} is an MNIST file, not {spec.name}; {fix}")
    if sha256_file(path) == f.gz_sha256:
        return True
    warnings.warn(
        f"{path}: not the published {spec.name} archive (different .gz bytes); its IDX "
        "structure is checked but its content could not be verified",
        stacklevel=4,
    )
    return False


def load_idx_array(
    spec: IdxSet, f: IdxFile, data_dir=None, download: bool = True, cache_dir=None
) -> np.ndarray:
    """One verified uint8 array of an MNIST-like set (from the cache when possible)."""
    cached = cache_path(spec, f, cache_dir)
    path = find_file(f.filename, spec.subdirs, data_dir)
    if path is None or _stamp(path) in _verified_sources(cached):
        array = _read_cache(cached, f)
        if array is not None:
            return array
    fresh = path is None
    if fresh:
        if not download:
            raise DataError(
                f"{spec.name}: {f.filename} not found (looked at "
                f"{searched_places(f.filename, spec.subdirs, data_dir)}); put it there or "
                "load with download=True"
            )
        path = _download_to(spec, f, data_dir)
    try:
        raw = decompress(path)
        verified = _verify(spec, f, path, raw)
        array = parse_idx(raw, source=str(path))
        if array.shape != f.shape or array.dtype != np.uint8:
            raise DataError(
                f"{path}: expected uint8 of shape {f.shape} for {spec.name}, found {array.dtype} "
                f"of shape {array.shape}; delete it and download it again"
            )
        if array.ndim == 1 and array.max(initial=0) >= len(spec.classes):
            raise DataError(f"{path}: labels must be below {len(spec.classes)}; delete it")
    except DataError:
        if fresh:  # a bad download: remove it so that the next load fetches it again
            path.unlink(missing_ok=True)
        raise
    if verified:  # only verified content goes into the cache
        if _read_cache(cached, f) is None:  # missing or damaged
            _write_cache(cached, array)
        _record_source(cached, path)
    return array


def load_idx_set(name: str, data_dir=None, download: bool = True, cache_dir=None) -> Dataset:
    """Load ``"mnist"`` or ``"fashion-mnist"`` with its official split.

    Returns
    -------
    Dataset
        ``X_train`` uint8 of shape (60000, 28, 28), ``y_train`` int64 (60000,),
        ``X_test`` uint8 (10000, 28, 28), ``y_test`` int64 (10000,); ``image_shape`` (28, 28).
    """
    spec = IDX_SETS[name]

    def get(f: IdxFile) -> np.ndarray:
        return load_idx_array(spec, f, data_dir, download, cache_dir)

    return Dataset(
        name=spec.name,
        X_train=get(spec.train_images),
        y_train=get(spec.train_labels).astype(np.int64),
        X_test=get(spec.test_images),
        y_test=get(spec.test_labels).astype(np.int64),
        classes=list(spec.classes),
        description=spec.description,
        feature_names=None,
        image_shape=spec.train_images.shape[1:],
    )
