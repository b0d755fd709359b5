"""The cat lesson's logistic regression with explicit Python loops (the "naive algorithm").

Same inputs, outputs and equations as :func:`groundup.scratch.logistic_regression.propagate`, but
every sum is a loop: one over the m examples and, inside it, one over the n_x features::

    for i in 1..m:
        z = Σ_j w_j x_ji + b ;  a = σ(z)
        J  += -[y_i log a + (1 - y_i) log(1 - a)]
        dz  = a - y_i
        dw_j += x_ji dz   for every j ;   db += dz
    J, dw, db /= m

It exists to be timed against the vectorised version (``benchmarks/bench_vectorise.py``) and to
check it: both must give the same numbers.
"""

from __future__ import annotations

import math

import numpy as np


def _sigmoid(z: float) -> float:
    # two branches, so math.exp never overflows
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _bce_from_logit(z: float, y: float) -> float:
    # max(z, 0) - z y + log(1 + e^{-|z|}): the log loss without log(0)
    return max(z, 0.0) - z * y + math.log1p(math.exp(-abs(z)))


def propagate_naive(w: np.ndarray, b: float, X: np.ndarray, Y: np.ndarray) -> tuple[dict, float]:
    """Loop version of ``propagate``: ``X`` (n_x, m), ``w`` (n_x, 1), ``Y`` (1, m).

    Returns ``({"dw": (n_x, 1), "db": float}, cost)``.
    """
    n_x, m = X.shape
    w_list = [float(v) for v in w.reshape(-1)]
    columns = X.T.tolist()  # columns[i][j] = x_ji, read once so the loops index plain lists
    labels = [float(v) for v in np.asarray(Y).reshape(-1)]
    dw = [0.0] * n_x
    db = 0.0
    cost = 0.0
    for i in range(m):
        x_i = columns[i]
        z = b
        for j in range(n_x):
            z += w_list[j] * x_i[j]
        a = _sigmoid(z)
        cost += _bce_from_logit(z, labels[i])
        dz = a - labels[i]
        for j in range(n_x):
            dw[j] += x_i[j] * dz
        db += dz
    dw_arr = np.array(dw).reshape(n_x, 1) / m
    return {"dw": dw_arr, "db": db / m}, cost / m
