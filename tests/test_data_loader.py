"""TensorDataset and DataLoader: coverage, drop_last, determinism, set_epoch."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundup.data import DataLoader, TensorDataset
from groundup.errors import DataError, ShapeError


def _ds(n):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    return TensorDataset(X, np.arange(n))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.integers(1, 17), shuffle=st.booleans(),
       drop_last=st.booleans(), seed=st.integers(0, 1000))  # fmt: skip
def test_every_index_once_per_epoch(n, batch_size, shuffle, drop_last, seed):
    loader = DataLoader(_ds(n), batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last)
    batches = list(loader)
    assert len(batches) == len(loader)
    expected = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(loader) == expected
    seen = np.concatenate([yb for _, yb in batches]) if batches else np.array([], int)
    assert len(set(seen.tolist())) == len(seen)  # no index twice
    if drop_last:
        assert all(len(yb) == batch_size for _, yb in batches)
        assert len(seen) == expected * batch_size
    else:
        assert sorted(seen.tolist()) == list(range(n))
    for xb, yb in batches:  # rows stay paired
        np.testing.assert_array_equal(xb[:, 0], yb * 3)


def test_epoch_order_is_the_documented_permutation():
    loader = DataLoader(_ds(10), batch_size=4, shuffle=True, seed=7)
    for epoch in range(3):
        order = np.concatenate([yb for _, yb in loader])
        np.testing.assert_array_equal(order, np.random.default_rng([7, epoch]).permutation(10))
    assert loader.epoch == 3


def test_epochs_differ_and_same_seed_gives_same_batches():
    a = DataLoader(_ds(50), batch_size=8, shuffle=True, seed=3)
    b = DataLoader(_ds(50), batch_size=8, shuffle=True, seed=3)
    first_a, second_a = [np.concatenate([y for _, y in a]) for _ in range(2)]
    first_b = np.concatenate([y for _, y in b])
    np.testing.assert_array_equal(first_a, first_b)
    assert not np.array_equal(first_a, second_a)


def test_set_epoch_reproduces_a_later_epoch():
    loader = DataLoader(_ds(30), batch_size=7, shuffle=True, seed=1)
    epochs = [np.concatenate([y for _, y in loader]) for _ in range(4)]
    resumed = DataLoader(_ds(30), batch_size=7, shuffle=True, seed=1)
    resumed.set_epoch(2)
    np.testing.assert_array_equal(np.concatenate([y for _, y in resumed]), epochs[2])
    np.testing.assert_array_equal(np.concatenate([y for _, y in resumed]), epochs[3])


def test_no_shuffle_keeps_order_and_last_batch_is_short():
    loader = DataLoader(_ds(10), batch_size=4)
    sizes = [len(y) for _, y in loader]
    assert sizes == [4, 4, 2]
    assert np.concatenate([y for _, y in loader]).tolist() == list(range(10))


def test_batches_are_copies_not_views():
    X = np.zeros((6, 2))
    xb, _ = next(iter(DataLoader(TensorDataset(X, np.arange(6)), batch_size=3)))
    xb += 1
    assert X.sum() == 0


def test_errors():
    with pytest.raises(ShapeError, match="same first dimension"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(DataError, match="batch_size"):
        DataLoader(_ds(3), batch_size=0)
    with pytest.raises(DataError):
        TensorDataset()


def test_tensor_dataset_indexing():
    ds = _ds(5)
    assert len(ds) == 5
    xb, yb = ds[np.array([4, 0])]
    assert yb.tolist() == [4, 0] and xb.shape == (2, 3)


def test_batch_size_none_yields_single_examples_as_torch():
    """torch's DataLoader(batch_size=None) turns batching off: dataset[i], one by one, no batch
    dimension, len = len(dataset); with drop_last it raises."""
    ds = _ds(5)
    loader = DataLoader(ds, batch_size=None, shuffle=True, seed=3)
    assert len(loader) == 5
    items = list(loader)
    order = np.random.default_rng([3, 0]).permutation(5)  # epoch 0's documented order
    assert [int(y) for _, y in items] == order.tolist()
    x0, y0 = items[0]
    assert x0.shape == (3,) and np.ndim(y0) == 0  # one example, no batch dimension
    np.testing.assert_array_equal(x0, ds.arrays[0][order[0]])
    assert [int(y) for _, y in DataLoader(ds, batch_size=None)] == [0, 1, 2, 3, 4]
    with pytest.raises(DataError, match="drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)


@pytest.mark.parametrize("bad", [0, -1, 2.5, 2.0, "2", True])
def test_batch_size_must_be_a_positive_integer(bad):
    with pytest.raises(DataError, match="positive integer, or None"):  # torch: ValueError too
        DataLoader(_ds(3), batch_size=bad)
