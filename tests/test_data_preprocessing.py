"""StandardScaler, LabelEncoder, train_test_split and one_hot against scikit-learn."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from groundup.data import LabelEncoder, StandardScaler, one_hot, train_test_split
from groundup.data.preprocessing import stratified_test_counts
from groundup.errors import DataError, ShapeError

sk_pre = pytest.importorskip("sklearn.preprocessing")
sk_split = pytest.importorskip("sklearn.model_selection")

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=8),
                  elements=finite))  # fmt: skip
def test_standard_scaler_matches_sklearn(X):
    ours = StandardScaler().fit(X)
    theirs = sk_pre.StandardScaler().fit(X)
    np.testing.assert_allclose(ours.mean_, theirs.mean_, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(ours.scale_, theirs.scale_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X)), X, rtol=1e-9, atol=1e-6)


def test_constant_column_gets_scale_one_and_becomes_zero():
    X = np.array([[0.1, 1.0], [0.1, 2.0], [0.1, 3.0]])  # 0.1 is not exact in binary
    scaler = StandardScaler().fit(X)
    assert scaler.scale_[0] == 1.0
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z[:, 0], 0.0, atol=1e-15)
    # worked by hand: column 2 has mean 2, population std sqrt(2/3)
    np.testing.assert_allclose(Z[:, 1], np.array([-1, 0, 1]) / np.sqrt(2 / 3))


def test_scaler_fits_on_train_only_and_keeps_float32():
    train = np.array([[0.0], [2.0]], dtype=np.float32)
    test = np.array([[4.0]], dtype=np.float32)
    scaler = StandardScaler().fit(train)
    out = scaler.transform(test)
    assert out.dtype == np.float32 and out[0, 0] == 3.0  # (4 - 1) / 1


def test_scaler_errors():
    with pytest.raises(DataError, match="before fit"):
        StandardScaler().transform(np.zeros((2, 2)))
    with pytest.raises(ShapeError, match="fitted on 2 features"):
        StandardScaler().fit(np.zeros((3, 2))).transform(np.zeros((3, 3)))
    with pytest.raises(ShapeError):
        StandardScaler().fit(np.zeros(3))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["Adelie", "Gentoo", "Chinstrap", "b", "a10", "a2"]), min_size=1))
def test_label_encoder_matches_sklearn(labels):
    ours = LabelEncoder().fit(labels)
    theirs = sk_pre.LabelEncoder().fit(labels)
    assert ours.classes_.tolist() == theirs.classes_.tolist()
    codes = ours.transform(labels)
    assert codes.dtype == np.int64
    np.testing.assert_array_equal(codes, theirs.transform(labels))
    assert ours.inverse_transform(codes).tolist() == labels


def test_label_encoder_integers_and_unseen_labels():
    enc = LabelEncoder().fit([10, 2, 2, 7])
    assert enc.classes_.tolist() == [2, 7, 10]
    assert enc.transform([10, 2]).tolist() == [2, 0]
    with pytest.raises(DataError, match=r"\[3\] were not seen"):
        enc.transform([3, 2])
    with pytest.raises(DataError, match="before fit"):
        LabelEncoder().transform([1])


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(2, 40), min_size=2, max_size=5),
    test_size=st.sampled_from([0.1, 0.2, 0.25, 0.33, 0.5]),
    seed=st.integers(0, 2**16),
)
def test_stratified_split_keeps_class_shares_like_sklearn(counts, test_size, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    X = np.arange(len(y) * 2).reshape(-1, 2)
    n_test = int(np.ceil(test_size * len(y)))
    assume(min(n_test, len(y) - n_test) >= len(counts))  # sklearn refuses smaller splits
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=seed,
                                              stratify=y)  # fmt: skip
    _, _, sk_tr, sk_te = sk_split.train_test_split(X, y, test_size=test_size, random_state=seed,
                                                   stratify=y)  # fmt: skip
    assert len(y_te) == len(sk_te) and len(y_tr) == len(sk_tr)
    ours = np.bincount(y_te, minlength=len(counts))
    theirs = np.bincount(sk_te, minlength=len(counts))
    assert np.all(np.abs(ours - theirs) <= 1)
    assert np.all(np.abs(ours - np.array(counts) * len(y_te) / len(y)) < 1)
    # rows stay paired and every row lands in exactly one part
    assert sorted(np.concatenate([X_tr[:, 0], X_te[:, 0]]).tolist()) == X[:, 0].tolist()
    np.testing.assert_array_equal(y[X_tr[:, 0] // 2], y_tr)


def test_split_is_deterministic_and_seed_dependent():
    X = np.arange(100)
    a = train_test_split(X, random_state=42)
    b = train_test_split(X, random_state=42)
    c = train_test_split(X, random_state=1)
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])
    assert len(a[0]) == 80 and len(a[1]) == 20


def test_split_sizes_and_options():
    X = np.arange(10)
    tr, te = train_test_split(X, test_size=0.25, shuffle=False)
    assert te.tolist() == [7, 8, 9]  # ceil(0.25 * 10) = 3 test rows, the last ones
    tr, te = train_test_split(X, test_size=4)
    assert len(te) == 4
    tr, te = train_test_split(X, test_size=0)
    assert len(tr) == 10 and len(te) == 0
    with pytest.raises(DataError, match="test_size"):
        train_test_split(X, test_size=1.5)
    with pytest.raises(ShapeError):
        train_test_split(X, np.arange(9))
    with pytest.raises(DataError, match="at least 2"):
        train_test_split(X, stratify=[0] * 9 + [1])


def test_stratified_counts_worked_by_hand():
    # 40 test rows out of 100 with classes of 50, 30, 20: exactly 20, 12, 8
    y = np.repeat([0, 1, 2], [50, 30, 20])
    assert stratified_test_counts(y, 40).tolist() == [20, 12, 8]
    # 3 test rows from classes 5, 5, 5: 1 each
    assert stratified_test_counts(np.repeat([0, 1, 2], 5), 3).tolist() == [1, 1, 1]


def test_one_hot():
    Y = one_hot(np.array([2, 0, 1]), 4)
    np.testing.assert_array_equal(Y, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert Y.dtype == np.float64
    assert one_hot(np.array([1, 0]), dtype=np.float32).shape == (2, 2)
    with pytest.raises(DataError, match="0..1"):
        one_hot(np.array([0, 2]), 2)
    with pytest.raises(DataError, match="integer labels"):
        one_hot(np.array([0.0, 1.0]))
