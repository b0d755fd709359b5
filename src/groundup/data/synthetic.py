"""Small 2-D data sets drawn from a seeded generator: blobs, xor, moons, circles, spiral.

Each ``make_*`` returns ``(X, y)``: ``X`` float64 of shape (n_samples, 2) and ``y`` int64 of shape
(n_samples,), the same bits for the same arguments (``np.random.default_rng(seed)``). Through
:func:`groundup.data.load` they are split stratified 80/20 with ``random_state=42`` like every set
without an official split; ``test_size=0`` keeps the whole set in train (the blobs lesson trains
on all 200 points).
"""

from __future__ import annotations

import numpy as np

from groundup.data.dataset import Dataset, split_dataset
from groundup.errors import DataError


def _check(n_samples: int, noise: float, minimum: int = 2) -> None:
    if int(n_samples) != n_samples or n_samples < minimum:
        raise DataError(f"n_samples must be an integer >= {minimum}, got {n_samples!r}")
    if noise < 0:
        raise DataError(f"noise must be >= 0, got {noise}")


def make_blobs(n_samples: int = 200, noise: float = 1.0, seed: int = 0):
    """Two Gaussian blobs: class 0 around (-2, -2), class 1 around (2, 2), std ``noise`` (sigma).

    Drawn exactly as in the logistic-regression lesson::

        rng = np.random.default_rng(0)
        X0 = rng.normal([-2, -2], 1, size=(100, 2)); X1 = rng.normal([2, 2], 1, size=(100, 2))

    so ``make_blobs()`` returns those 200 points (class 0 first).
    """
    _check(n_samples, noise)
    rng = np.random.default_rng(seed)
    n0 = n_samples // 2
    X0 = rng.normal([-2.0, -2.0], noise, size=(n0, 2))
    X1 = rng.normal([2.0, 2.0], noise, size=(n_samples - n0, 2))
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n_samples - n0, np.int64)])
    return np.vstack([X0, X1]), y


def make_xor(n_samples: int = 200, noise: float = 0.1, seed: int = 0):
    """XOR of signs: ``x`` uniform on [-1, 1]^2, ``y = [x_1 > 0] xor [x_2 > 0]``, then Gaussian
    jitter of std ``noise`` (which lets a few points cross the axes). No line separates it."""
    _check(n_samples, noise)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)
    return X + rng.normal(0.0, noise, size=X.shape), y


def make_moons(n_samples: int = 200, noise: float = 0.1, seed: int = 0):
    """Two interleaved half circles: class 0 is ``(cos t, sin t)``, class 1 is
    ``(1 - cos t, 0.5 - sin t)``, ``t`` evenly spaced in [0, pi], plus Gaussian noise."""
    _check(n_samples, noise)
    rng = np.random.default_rng(seed)
    n0 = n_samples // 2
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n_samples - n0)
    X = np.vstack(
        [
            np.column_stack([np.cos(t0), np.sin(t0)]),
            np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)]),
        ]
    )
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n_samples - n0, np.int64)])
    return X + rng.normal(0.0, noise, size=X.shape), y


def make_circles(n_samples: int = 200, noise: float = 0.1, seed: int = 0, factor: float = 0.5):
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor``, plus noise."""
    _check(n_samples, noise)
    if not 0 < factor < 1:
        raise DataError(f"factor must be in (0, 1), got {factor}")
    rng = np.random.default_rng(seed)
    n0 = n_samples // 2
    t0 = np.linspace(0.0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2 * np.pi, n_samples - n0, endpoint=False)
    X = np.vstack(
        [
            np.column_stack([np.cos(t0), np.sin(t0)]),
            factor * np.column_stack([np.cos(t1), np.sin(t1)]),
        ]
    )
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n_samples - n0, np.int64)])
    return X + rng.normal(0.0, noise, size=X.shape), y


def make_spiral(n_samples: int = 300, noise: float = 0.2, seed: int = 0, n_classes: int = 3):
    """``n_classes`` interleaved spiral arms (the CS231n toy set).

    Arm ``k`` has radius ``r`` evenly spaced in [0, 1] and angle
    ``t = linspace(4k, 4(k+1)) + noise * N(0, 1)``; a point is ``(r sin t, r cos t)``.
    """
    _check(n_samples, noise, minimum=n_classes)
    if int(n_classes) != n_classes or n_classes < 2:
        raise DataError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    rng = np.random.default_rng(seed)
    sizes = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    parts, labels = [], []
    for k, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), m) + noise * rng.standard_normal(m)
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        labels.append(np.full(m, k, dtype=np.int64))
    return np.vstack(parts), np.concatenate(labels)


GENERATORS = {
    "blobs": (make_blobs, "Two Gaussian blobs, centres (-2,-2) and (2,2), sigma=noise=1, N=200."),
    "xor": (make_xor, "XOR of signs on [-1,1]^2 with Gaussian jitter (noise=0.1), N=200."),
    "moons": (make_moons, "Two interleaved half moons with Gaussian noise (0.1), N=200."),
    "circles": (make_circles, "Two concentric circles, radii 1 and 0.5, noise 0.1, N=200."),
    "spiral": (make_spiral, "Three spiral arms (CS231n), noise 0.2, N=300."),
}


def load_generated(name: str, test_size=0.2, random_state=42, **options) -> Dataset:
    """Draw the set ``name`` with ``options`` (n_samples, noise, seed, ...) and split it."""
    make, description = GENERATORS[name]
    try:
        X, y = make(**options)
    except TypeError as exc:
        raise DataError(f"{name}: bad option ({exc})") from None
    classes = [str(k) for k in range(int(y.max()) + 1)]
    return split_dataset(
        name, X, y, classes, description, ["x1", "x2"], None, test_size, random_state
    )
