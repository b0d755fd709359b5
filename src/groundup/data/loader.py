"""Mini-batches without a per-example Python loop: :class:`TensorDataset` and :class:`DataLoader`.

A batch is taken with one fancy-indexing operation per array (``X[idx]``), so a 60,000-example
epoch costs a few hundred NumPy calls, not 60,000 Python ones.

Epoch ``e`` visits the examples in the order ``np.random.default_rng([seed, e]).permutation(n)``
(shuffled) or ``0 .. n-1`` (not shuffled). The order depends only on ``(seed, e)``, so a run that
is resumed at epoch ``e`` sees exactly the batches it would have seen, and the three engines fed
by loaders with the same seed see identical batches.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from groundup.errors import DataError, ShapeError


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The shuffled order of ``n`` examples in epoch ``epoch`` of a run seeded ``seed``:
    ``np.random.default_rng([seed, epoch]).permutation(n)``, the one seeded batch order of
    groundup (the DataLoader, the training loop and the scratch models' ``fit`` all use it)."""
    return np.random.default_rng([seed, epoch]).permutation(n)


class TensorDataset:
    """Arrays that share their first dimension, indexed together.

    ``ds[idx]`` returns ``tuple(a[idx] for a in arrays)``; ``idx`` may be an integer, a slice or an
    integer array (one vectorised gather per array).
    """

    def __init__(self, *arrays):
        if not arrays:
            raise DataError("TensorDataset needs at least one array")
        self.arrays = tuple(np.asarray(a) for a in arrays)
        n = self.arrays[0].shape[0]
        for a in self.arrays[1:]:
            if a.shape[0] != n:
                raise ShapeError(
                    "TensorDataset arrays must have the same first dimension, got "
                    f"{[a.shape for a in self.arrays]}"
                )

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, idx) -> tuple[np.ndarray, ...]:
        if isinstance(idx, np.ndarray) and idx.dtype.kind in "iu":  # a batch's row indices:
            return tuple(np.take(a, idx, axis=0) for a in self.arrays)  # a[idx], a little quicker
        return tuple(a[idx] for a in self.arrays)


class DataLoader:
    """Iterate over a dataset in batches of ``batch_size``, yielding tuples of NumPy arrays.

    Parameters
    ----------
    dataset : TensorDataset or any object with ``__len__`` and ``__getitem__(index_array)``
    batch_size : int or None
        ``None`` turns batching off, as in PyTorch: each item is one example, ``dataset[i]``
        for an integer ``i`` (for a TensorDataset, a tuple of rows without the batch
        dimension), in the same seeded order; ``len(loader)`` is then ``len(dataset)``.
    shuffle : bool
        Epoch ``e`` uses ``np.random.default_rng([seed, e]).permutation(n)``.
    seed : int
    drop_last : bool
        Drop the last batch when it is smaller than ``batch_size``.

    Iterating starts epoch ``self.epoch`` and then increments it; :meth:`set_epoch` chooses the
    epoch of the next iteration (as ``DistributedSampler.set_epoch`` does in PyTorch).
    ``len(loader)`` is the number of batches per epoch.
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool = False,
        seed: int = 0,
        drop_last: bool = False,
    ):
        if batch_size is None:
            if drop_last:
                raise DataError("batch_size=None turns batching off, so there is no last batch "
                                "to drop: pass drop_last=False, or a batch_size")
        elif (isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer)
              or batch_size < 1):
            raise DataError(f"batch_size must be a positive integer, or None for single "
                            f"examples, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration epoch ``epoch`` (for resuming a run)."""
        self.epoch = int(epoch)

    def order(self, epoch: int) -> np.ndarray:
        """The example indices of epoch ``epoch``, of shape (n,)."""
        n = len(self.dataset)
        if self.shuffle:
            return epoch_order(n, self.seed, epoch)
        return np.arange(n)

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        order = self.order(self.epoch)  # computed now, so the counter moves when iter() is called
        self.epoch += 1
        return self._batches(order)

    def _batches(self, order: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
        if self.batch_size is None:
            for i in order.tolist():  # Python ints: dataset[i] drops the batch dimension
                yield self.dataset[i]
            return
        stop = len(self) * self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            yield self.dataset[order[start : start + self.batch_size]]
