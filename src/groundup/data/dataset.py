"""The :class:`Dataset` every loader returns, and the :class:`DatasetInfo` the registry keeps.

Conventions (every loader follows them, so models and recipes need not ask):

* images: ``X`` is ``uint8`` of shape ``(N, H, W)`` (grey) or ``(N, H, W, 3)`` (RGB), and
  ``image_shape`` is ``(H, W)`` or ``(H, W, 3)``; pixel values are left as stored (0..255 for
  MNIST and the cat set, 0..16 for ``digits``), scaling is the recipe's job;
* tabular and 2-D sets: ``X`` is ``float64`` of shape ``(N, d)`` and ``image_shape`` is None;
* labels: ``y`` is ``int64`` of shape ``(N,)`` with values in ``0 .. len(classes) - 1``, and
  ``classes[k]`` is the name of label ``k``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(repr=False)
class Dataset:
    """A train/test pair of arrays with the names that explain them.

    Attributes
    ----------
    name : str
        Registry name (``"mnist"``, ``"penguins"``, ...) or the CSV file's stem.
    X_train : ndarray of shape (n_train, ...)
    y_train : ndarray of shape (n_train,), int64
    X_test : ndarray of shape (n_test, ...)
        Empty (``n_test == 0``) when a set was loaded with ``test_size=0``.
    y_test : ndarray of shape (n_test,), int64
    classes : list of str
        ``classes[k]`` names label ``k``.
    description : str
        Where the data comes from and how it was split.
    feature_names : list of str or None
        Column names of a tabular ``X``; None for images.
    image_shape : tuple or None
        ``(H, W)`` or ``(H, W, 3)`` for images; None for tabular data.
    pixel_max : int
        The largest value a pixel can take (255 for 8-bit images, 16 for ``digits``); images are
        divided by it to lie in [0, 1].
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: list[str]
    description: str = ""
    feature_names: list[str] | None = None
    image_shape: tuple | None = None
    pixel_max: int = 255

    @property
    def n_classes(self) -> int:
        """Number of classes, ``len(classes)``."""
        return len(self.classes)

    @property
    def n_features(self) -> int:
        """Number of inputs per example once flattened (784 for MNIST, 4 for penguins)."""
        return int(np.prod(self.X_train.shape[1:], dtype=np.int64))

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, X_train={self.X_train.shape} {self.X_train.dtype}, "
            f"X_test={self.X_test.shape}, classes={self.classes})"
        )


@dataclass(frozen=True)
class DatasetInfo:
    """One registry entry: what a set is, where it comes from, and how to load it.

    ``kind`` is ``"file"`` (read from a data directory, maybe downloaded), ``"embedded"``
    (shipped inside the package) or ``"generated"`` (drawn from a seeded random generator).
    ``files`` lists the file names a ``"file"`` set needs; ``loader(data_dir, **options)``
    returns the :class:`Dataset`.
    """

    name: str
    kind: str
    shape: str
    classes: tuple[str, ...]
    source: str
    license: str
    description: str
    loader: Callable[..., Dataset] = field(compare=False)
    files: tuple[str, ...] = ()
    subdirs: tuple[str, ...] = ()


def split_dataset(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    classes: list[str],
    description: str,
    feature_names: list[str] | None = None,
    image_shape: tuple | None = None,
    test_size=0.2,
    random_state=42,
    stratify: bool = True,
    pixel_max: int = 255,
) -> Dataset:
    """A :class:`Dataset` from one ``(X, y)``: stratified split, ``test_size=0`` keeps all in train.

    The split is :func:`groundup.data.train_test_split` with ``stratify=y`` (or without, when
    ``stratify=False``); with ``test_size=0`` the rows stay in their original order and the test
    arrays are empty.
    """
    from groundup.data.preprocessing import train_test_split

    if test_size:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=test_size, random_state=random_state, stratify=y if stratify else None
        )
        how = (
            f" Split {'stratified' if stratify else 'at random'}, test_size={test_size}, "
            f"random_state={random_state}."
        )
    else:
        X_train, X_test, y_train, y_test = X, X[:0], y, y[:0]
        how = " Everything in train (test_size=0), in the original order."
    return Dataset(
        name,
        X_train,
        y_train,
        X_test,
        y_test,
        list(classes),
        description + how,
        feature_names,
        image_shape,
        pixel_max,
    )
