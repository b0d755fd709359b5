"""The playground's 2-D data: seeded generators, the input features, and uploaded CSV files.

Every point lies in the square ``[-6, 6]²`` that the page draws (:data:`DOMAIN`). The
classification sets reuse :mod:`groundup.data.synthetic`'s shapes (drawn on the unit square) and
stretch them by :data:`SCALE`; ``noise`` is a percentage 0-50, turned into each shape's own noise
parameter so that 50 % blurs every set about as much. Labels are class indices 0..C-1; the
regression sets give a target ``t`` in [-1, 1] instead.

Input features are functions of the two coordinates, TensorFlow Playground's seven::

    x1, x2, x1², x2², x1·x2, sin x1, sin x2
"""

from __future__ import annotations

import csv
import io

import numpy as np

from groundup.data import synthetic
from groundup.errors import DataError

DOMAIN = 6.0  # the page shows [-DOMAIN, DOMAIN]² in both axes
SCALE = 5.0  # unit-square shapes are stretched to radius 5

CLASSIFICATION = ("circle", "xor", "gauss", "spiral", "moons")
REGRESSION = ("plane", "multigauss")
MULTICLASS = ("gauss", "spiral")  # the sets that take a number of classes

FEATURES = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sin_x1": lambda x1, x2: np.sin(x1),
    "sin_x2": lambda x1, x2: np.sin(x2),
}  # fmt: skip


def features(points: np.ndarray, names) -> np.ndarray:
    """The chosen feature columns of ``points`` (m, 2): float32 of shape (m, len(names))."""
    x1, x2 = points[:, 0], points[:, 1]
    return np.column_stack([FEATURES[n](x1, x2) for n in names]).astype(np.float32)


def _gauss(n: int, sigma: float, n_classes: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` round blobs whose centres sit evenly on a circle of radius 3 (2 classes:
    the diagonal pair (2.1, 2.1), (-2.1, -2.1))."""
    y = np.arange(n) % n_classes
    angle = np.pi / 4 + 2 * np.pi * y / n_classes
    centres = 3.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    return centres + rng.normal(0.0, 0.5 + sigma * 4, size=(n, 2)), y.astype(np.int64)


def _regression(name: str, n: int, sigma: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform on the square and a target in [-1, 1]: a tilted plane, or a sum of two
    bumps of opposite sign; ``sigma`` jitters the points after the target is fixed."""
    X = rng.uniform(-SCALE, SCALE, size=(n, 2))
    if name == "plane":
        t = (X[:, 0] + X[:, 1]) / (2 * SCALE)
    else:
        bump = lambda c: np.exp(-((X - c) ** 2).sum(axis=1) / 8.0)  # noqa: E731
        t = bump(np.array([2.0, 2.0])) - bump(np.array([-2.0, -2.0]))
    X = X + rng.normal(0.0, sigma * SCALE, size=X.shape)
    return X, np.clip(t, -1.0, 1.0)


def generate(name: str, n: int, noise: float, n_classes: int, seed: int):
    """``(points (n, 2) float64, labels (n,))`` of the set ``name``, the same for the same seed.

    ``noise`` is a percentage in [0, 50]; labels are int64 classes or float64 targets in [-1, 1].
    """
    s = noise / 100.0  # 0 .. 0.5
    rng = np.random.default_rng(seed)
    if name in REGRESSION:
        X, t = _regression(name, n, s / 2, rng)
        return np.clip(X, -DOMAIN, DOMAIN), t
    if name == "circle":
        X, y = synthetic.make_circles(n, noise=s / 2, seed=seed, factor=0.5)
    elif name == "xor":
        X, y = synthetic.make_xor(n, noise=s / 2, seed=seed)
        X = np.clip(X, -1.15, 1.15)
    elif name == "moons":
        X, y = synthetic.make_moons(n, noise=s / 2, seed=seed)
        X = (X - [0.5, 0.25]) * [1.0, 1.6]  # centred, a little taller
    elif name == "spiral":
        X, y = synthetic.make_spiral(n, noise=s, seed=seed, n_classes=n_classes)
    elif name == "gauss":
        X, y = _gauss(n, s, n_classes, rng)
        return np.clip(X, -DOMAIN, DOMAIN), y  # noise may throw a point off the square
    else:
        raise DataError(f"unknown data set {name!r}; choose one of "
                        f"{', '.join(CLASSIFICATION + REGRESSION)}")  # fmt: skip
    order = rng.permutation(n)  # the generators emit class after class
    return np.clip(SCALE * X[order], -DOMAIN, DOMAIN), y[order]


def split(points, labels, train_percent: int, seed: int):
    """A seeded shuffle, then the first ``train_percent`` % for training (at least one point on
    each side): ``(X_train, y_train, X_test, y_test)``."""
    order = np.random.default_rng(seed + 1).permutation(len(points))
    n_train = min(max(1, round(len(points) * train_percent / 100)), len(points) - 1)
    tr, te = order[:n_train], order[n_train:]
    return points[tr], labels[tr], points[te], labels[te]


def parse_csv(text: str, regression: bool, max_points: int, max_classes: int):
    """An uploaded CSV (header with columns ``x``, ``y``, ``label``) as playground data.

    Returns ``(points (m, 2), labels (m,), classes, scale)``: the points are mapped affinely, each
    axis on its own, onto ``[-5, 5]`` (``scale`` records ``(centre, half-range)`` per axis so the
    mapping can be undone); labels become class indices in sorted order of the distinct labels,
    or, for regression, numeric targets mapped onto [-1, 1]. Every problem is a
    :class:`DataError` that names the file's row or column and the fix.
    """
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise DataError("the file needs a header row (x,y,label) and at least one data row")
    header = [c.strip().lower() for c in rows[0]]
    missing = [c for c in ("x", "y", "label") if c not in header]
    if missing:
        raise DataError(f"the header must name the columns x, y and label; missing "
                        f"{', '.join(missing)} (header: {','.join(rows[0])})")  # fmt: skip
    body = rows[1:]
    if len(body) > max_points:
        raise DataError(f"the file has {len(body)} rows; the playground takes at most "
                        f"{max_points} points (drop some rows)")  # fmt: skip
    if len(body) < 4:
        raise DataError(f"the file has {len(body)} data rows; at least 4 are needed")
    ix, iy, il = (header.index(c) for c in ("x", "y", "label"))
    points = np.empty((len(body), 2))
    raw_labels = []
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DataError(f"row {line} has {len(row)} fields but the header has {len(header)}")
        try:
            points[line - 2] = float(row[ix]), float(row[iy])
        except ValueError:
            raise DataError(f"row {line}: x and y must be numbers, got {row[ix]!r}, "
                            f"{row[iy]!r}") from None  # fmt: skip
        raw_labels.append(row[il].strip())
    if not np.isfinite(points).all():
        raise DataError("x and y must be finite numbers (no nan or inf)")
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre, half = (lo + hi) / 2, np.where(hi > lo, (hi - lo) / 2, 1.0)
    points = (points - centre) / half * SCALE
    scale = [[float(c), float(h)] for c, h in zip(centre, half, strict=True)]
    if regression:
        return points, _targets(raw_labels), [], scale
    classes = sorted(set(raw_labels), key=_label_key)
    if len(classes) < 2:
        raise DataError(f"the label column has a single value ({classes[0]!r}); a classifier "
                        f"needs at least 2 classes")  # fmt: skip
    if len(classes) > max_classes:
        raise DataError(f"the label column has {len(classes)} distinct values; the playground "
                        f"draws at most {max_classes} classes")  # fmt: skip
    index = {c: k for k, c in enumerate(classes)}
    return points, np.array([index[c] for c in raw_labels], np.int64), classes, scale


def _label_key(label: str):
    """Sort numbers by value (``2 < 10``), then any text alphabetically."""
    try:
        return (0, float(label), "")
    except ValueError:
        return (1, 0.0, label)


def _targets(raw: list[str]) -> np.ndarray:
    try:
        t = np.array([float(v) for v in raw])
    except ValueError:
        raise DataError("for regression the label column must hold numbers") from None
    if not np.isfinite(t).all():
        raise DataError("the label column must hold finite numbers (no nan or inf)")
    lo, hi = t.min(), t.max()
    return (t - (lo + hi) / 2) / ((hi - lo) / 2) if hi > lo else np.zeros_like(t)


def grid(resolution: int) -> np.ndarray:
    """Cell centres of a ``resolution × resolution`` grid over the square, row 0 at the top
    (largest x2, as a picture): shape (resolution², 2)."""
    step = 2 * DOMAIN / resolution
    c = -DOMAIN + step * (np.arange(resolution) + 0.5)
    x1, x2 = np.meshgrid(c, c[::-1])
    return np.column_stack([x1.ravel(), x2.ravel()])

