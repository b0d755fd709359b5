"""The cat-vs-non-cat set: 209 + 50 RGB images of 64x64 in two HDF5 files.

The files ``train_catvnoncat.h5`` and ``test_catvnoncat.h5`` come from the deeplearning.ai course
"Neural Networks and Deep Learning"; their licence is unclear and no public mirror is reliable, so
groundup never downloads them: put them in a data directory (``<dir>/`` or ``<dir>/catvnoncat/``).
Each file is checked against its SHA-256 before h5py opens it. h5py (the ``h5`` extra) is imported
only here, only when the set is loaded.
"""

from __future__ import annotations

import numpy as np

from groundup.data.dataset import Dataset
from groundup.data.files import find_file, searched_places, sha256_file
from groundup.errors import DataError, require

SUBDIRS = ("", "catvnoncat")
CLASSES = ("non-cat", "cat")
# filename -> (SHA-256, images key, labels key, number of images); sums from shared/data/SOURCES.md
FILES = {
    "train_catvnoncat.h5": (
        "fbe56ab67c3ae28d564e3a644189117976d6b31af0a3ce9bb17dbf22908af242",
        "train_set_x",
        "train_set_y",
        209,
    ),
    "test_catvnoncat.h5": (
        "6a9d39ce52fa85953c5834695b8534a30ed8cfd54971fb2f080b5a24d002b951",
        "test_set_x",
        "test_set_y",
        50,
    ),
}
DESCRIPTION = (
    "Cat vs non-cat (deeplearning.ai course files): 64x64 RGB images, uint8 0..255, "
    "official split 209 train (72 cats) / 50 test (33 cats)."
)


def _read(filename: str, data_dir) -> tuple[np.ndarray, np.ndarray]:
    sha256, x_key, y_key, n = FILES[filename]
    path = find_file(filename, SUBDIRS, data_dir)
    if path is None:
        raise DataError(
            f"cat: {filename} not found (looked at "
            f"{searched_places(filename, SUBDIRS, data_dir)}). "
            "These course files have no reliable public mirror, so groundup does not download "
            "them: copy train_catvnoncat.h5 and test_catvnoncat.h5 into <data dir>/catvnoncat/ "
            "(set --data-dir or GROUNDUP_DATA_DIR)"
        )
    actual = sha256_file(path)
    if actual != sha256:
        raise DataError(
            f"{path} is not the expected {filename} (SHA-256 {actual[:16]}..., expected "
            f"{sha256[:16]}...); it is corrupted or a different version: replace it with a "
            "good copy"
        )
    h5py = require("h5py", "h5", "Loading the cat data set")
    with h5py.File(path, "r") as h5:
        X = np.asarray(h5[x_key][:], dtype=np.uint8)
        y = np.asarray(h5[y_key][:], dtype=np.int64).reshape(-1)
    if X.shape != (n, 64, 64, 3) or y.shape != (n,):
        raise DataError(f"{path}: expected {n} images of 64x64x3, found {X.shape} / {y.shape}")
    return X, y


def load_cat(data_dir=None) -> Dataset:
    """Load the cat set with its official split.

    Returns
    -------
    Dataset
        ``X_train`` uint8 of shape (209, 64, 64, 3), ``y_train`` int64 (209,) with 1 = cat,
        ``X_test`` uint8 (50, 64, 64, 3), ``y_test`` int64 (50,); classes ["non-cat", "cat"].
    """
    X_train, y_train = _read("train_catvnoncat.h5", data_dir)
    X_test, y_test = _read("test_catvnoncat.h5", data_dir)
    return Dataset(
        name="cat",
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        classes=list(CLASSES),
        description=DESCRIPTION,
        feature_names=None,
        image_shape=(64, 64, 3),
    )
