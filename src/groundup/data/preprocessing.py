"""Preprocessing from scratch: standardising, label encoding, splitting, one-hot.

The semantics follow scikit-learn's (the primer uses its API): fit statistics on the training set
only, then apply them to both sets.
"""

from __future__ import annotations

import math

import numpy as np

from groundup.errors import DataError, ShapeError


class StandardScaler:
    """Standardise each column: :math:`z = (x - \\mu) / \\sigma`.

    ``mean_`` (:math:`\\mu`) and ``scale_`` (:math:`\\sigma`, the population standard deviation,
    ``ddof=0``) are learnt by :meth:`fit` on the training set. A column with zero variance gets
    ``scale_ = 1`` (as scikit-learn does), so it becomes all zeros instead of NaN.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    var_ : ndarray of shape (n_features,)
    scale_ : ndarray of shape (n_features,)
    n_features_in_ : int
    """

    def __init__(self, with_mean: bool = True, with_std: bool = True):
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X) -> StandardScaler:
        """Learn ``mean_ = (1/n) Σ_i x_i`` and ``var_ = (1/n) Σ_i (x_i - mean_)²`` per column of
        ``X`` of shape (n, n_features); ``scale_ = sqrt(var_)`` (1 for a constant column)."""
        X = _as_2d_float(X, "StandardScaler.fit")
        if X.shape[0] == 0:
            raise DataError("StandardScaler.fit got 0 rows; fit it on the training set")
        self.n_features_in_ = X.shape[1]
        self.mean_ = X.mean(axis=0, dtype=np.float64)
        self.var_ = X.var(axis=0, dtype=np.float64)
        # A constant column whose mean is not exactly representable still gets a tiny computed
        # variance; count it as constant when it is within rounding of zero (scikit-learn's bound).
        n, eps = X.shape[0], np.finfo(np.float64).eps
        constant = self.var_ <= n * eps * self.var_ + (n * self.mean_ * eps) ** 2
        self.scale_ = np.where(constant, 1.0, np.sqrt(self.var_))
        return self

    def _check(self, X, what: str) -> np.ndarray:
        if not hasattr(self, "mean_"):
            raise DataError(f"StandardScaler.{what} called before fit; call fit(X_train) first")
        X = _as_2d_float(X, f"StandardScaler.{what}")
        if X.shape[1] != self.n_features_in_:
            raise ShapeError(
                f"StandardScaler was fitted on {self.n_features_in_} features but got "
                f"X of shape {X.shape}"
            )
        return X

    def transform(self, X) -> np.ndarray:
        """``(X - mean_) / scale_``, of shape (n, n_features), in X's float dtype."""
        X = self._check(X, "transform")
        Z = X - self.mean_ if self.with_mean else X.copy()
        if self.with_std:
            Z = Z / self.scale_
        return Z.astype(X.dtype, copy=False)

    def fit_transform(self, X) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``: only for the training set."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z) -> np.ndarray:
        """``Z * scale_ + mean_``: undoes :meth:`transform`."""
        Z = self._check(Z, "inverse_transform")
        X = Z * self.scale_ if self.with_std else Z.copy()
        if self.with_mean:
            X = X + self.mean_
        return X.astype(Z.dtype, copy=False)


def _as_2d_float(X, who: str) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2:
        raise ShapeError(f"{who} expects X of shape (n_samples, n_features), got {X.shape}")
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float64)
    return X


class LabelEncoder:
    """Map labels (strings or numbers) to ``0 .. K-1`` in sorted order, and back.

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
        The sorted distinct labels; label ``classes_[k]`` is encoded as ``k``.
    """

    def fit(self, y) -> LabelEncoder:
        """Learn ``classes_``, the sorted distinct labels of ``y`` of shape (n,)."""
        self.classes_ = np.unique(_as_1d(y, "LabelEncoder.fit"))
        return self

    def transform(self, y) -> np.ndarray:
        """Integer codes of shape (n,), int64; unseen labels raise :class:`DataError`."""
        if not hasattr(self, "classes_"):
            raise DataError("LabelEncoder.transform called before fit; call fit(y_train) first")
        y = _as_1d(y, "LabelEncoder.transform")
        codes = np.searchsorted(self.classes_, y)
        codes = np.clip(codes, 0, max(len(self.classes_) - 1, 0))
        unseen = self.classes_[codes] != y if len(self.classes_) else np.ones(len(y), dtype=bool)
        if np.any(unseen):
            raise DataError(
                f"labels {sorted(set(np.asarray(y)[unseen].tolist()))[:5]} were not seen by fit "
                f"(known: {self.classes_.tolist()[:10]})"
            )
        return codes.astype(np.int64)

    def fit_transform(self, y) -> np.ndarray:
        """``fit(y)`` then ``transform(y)``: codes of shape (n,), int64."""
        return self.fit(y).transform(y)

    def inverse_transform(self, codes) -> np.ndarray:
        """The original labels of integer ``codes``."""
        codes = np.asarray(codes)
        if codes.size and (codes.min() < 0 or codes.max() >= len(self.classes_)):
            raise DataError(f"codes must lie in 0..{len(self.classes_) - 1}")
        return self.classes_[codes]


def _as_1d(y, who: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ShapeError(f"{who} expects labels of shape (n,), got {y.shape}")
    return y


def one_hot(y, n_classes: int | None = None, dtype=np.float64) -> np.ndarray:
    """One-hot rows: ``Y[i, y[i]] = 1``, of shape (n, n_classes).

    ``n_classes`` defaults to ``y.max() + 1``.
    """
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"one_hot expects integer labels of shape (n,), got {y.dtype} {y.shape}")
    if n_classes is None:
        n_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise DataError(f"one_hot: labels must lie in 0..{n_classes - 1}, got {y.min()}..{y.max()}")
    Y = np.zeros((y.shape[0], n_classes), dtype=dtype)
    Y[np.arange(y.shape[0]), y] = 1
    return Y


def _n_test(test_size, n: int) -> int:
    if isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        n_test = int(test_size)
    else:
        if not 0.0 <= float(test_size) < 1.0:
            raise DataError(f"test_size must be in [0, 1) or an integer count, got {test_size}")
        n_test = math.ceil(float(test_size) * n)  # sklearn rounds the test share up
    if not 0 <= n_test < n:
        raise DataError(f"test_size={test_size} leaves no training examples out of {n}")
    return n_test


def stratified_test_counts(y_codes: np.ndarray, n_test: int) -> np.ndarray:
    """How many test examples each class gets: ``n_test * n_c / n`` rounded by largest remainder.

    The counts sum to ``n_test`` and differ from the exact proportion by less than 1.
    """
    counts = np.bincount(y_codes)
    exact = counts * n_test / counts.sum()
    alloc = np.floor(exact).astype(np.int64)
    short = n_test - alloc.sum()
    order = np.argsort(-(exact - alloc), kind="stable")  # largest remainders first
    alloc[order[:short]] += 1
    return alloc


def train_test_split(*arrays, test_size=0.2, random_state=42, stratify=None, shuffle=True):
    """Split arrays (same first dimension) into train and test parts.

    Returns ``[a0_train, a0_test, a1_train, a1_test, ...]`` like scikit-learn.
    ``test_size`` is a fraction in [0, 1) (the test count is ``ceil(test_size * n)``) or a count;
    ``test_size=0`` puts everything in train. With ``stratify=y`` every class keeps its share in
    both parts (to within one example, by :func:`stratified_test_counts`). Randomness comes from
    ``np.random.default_rng(random_state)``: the same seed gives the same split.
    """
    if not arrays:
        raise DataError("train_test_split needs at least one array")
    arrays = [np.asarray(a) for a in arrays]
    n = arrays[0].shape[0]
    for a in arrays[1:]:
        if a.shape[0] != n:
            raise ShapeError(f"train_test_split: arrays have {n} and {a.shape[0]} rows")
    n_test = _n_test(test_size, n)
    rng = np.random.default_rng(random_state)
    if stratify is not None:
        if not shuffle:
            raise DataError("a stratified split needs shuffle=True")
        encoder = LabelEncoder()
        codes = encoder.fit_transform(np.asarray(stratify))
        if len(codes) != n:
            raise ShapeError(f"stratify has {len(codes)} labels for {n} rows")
        lone = encoder.classes_[np.bincount(codes) < 2].tolist()
        if n_test and lone:
            raise DataError(f"stratified split: class(es) {lone[:5]} have a single example, "
                            f"and every class needs at least 2 (one for train, one for test); "
                            f"add examples of them, drop them, or pass stratify=None")
        test_parts, train_parts = [], []
        for c, k in enumerate(stratified_test_counts(codes, n_test)):
            members = rng.permutation(np.flatnonzero(codes == c))
            test_parts.append(members[:k])
            train_parts.append(members[k:])
        test_idx = rng.permutation(np.concatenate(test_parts))
        train_idx = rng.permutation(np.concatenate(train_parts))
    else:
        order = rng.permutation(n) if shuffle else np.arange(n)
        train_idx, test_idx = order[: n - n_test], order[n - n_test :]
    out = []
    for a in arrays:
        out += [a[train_idx], a[test_idx]]
    return out
