"""Exercise 1: the logistic neuron's gradient, one chain-rule factor at a time.

For one example: ``z = w·x + b``, ``u = σ(z)``, ``L = -[y log u + (1 - y) log(1 - u)]``.

* ``dL/du = -y/u + (1 - y)/(1 - u)``
* ``du/dz = u (1 - u)``
* ``dz/dw_j = x_j``, ``dz/db = 1``

Their product collapses to ``dL/dw_j = (u - y) x_j`` and ``dL/db = u - y``; for a batch of n rows,
``dL/dw = Xᵀ (u - y) / n`` and ``dL/db = mean(u - y)``.
"""

from __future__ import annotations

import numpy as np

from groundup import numerics
from groundup.lessons._report import Report


def exercise_1(report: Report) -> None:
    from groundup import tensor
    from groundup.nn import functional as F

    report.section("exercise 1: the gradient by hand")
    # worked by hand: z = 0.5·1 - 0.25·2 + 0.1 = 0.1, u = σ(0.1) = 0.5249792
    x, w, b, y = np.array([1.0, 2.0]), np.array([0.5, -0.25]), 0.1, 1.0
    z = float(w @ x + b)
    u = float(numerics.sigmoid(z))
    report.show("z = w·x + b", z, "arithmetic")
    report.close("u = σ(z)", u, 0.5249792, atol=1e-7)
    # each factor is the formula on the line above it, evaluated: shown; what is checked is that
    # their product collapses to (u - y) x, and that autograd agrees
    dL_du = -y / u + (1 - y) / (1 - u)
    du_dz = u * (1 - u)
    report.show("dL/du = -y/u + (1-y)/(1-u)", dL_du, "by hand -1.9048374")
    report.show("du/dz = u(1 - u)", du_dz, "by hand 0.2493760")
    chain = dL_du * du_dz * x
    report.show("dL/dw = dL/du · du/dz · x", chain, "the three factors multiplied")
    report.close("(u - y) x, the collapsed form", (u - y) * x, chain, atol=1e-15)

    wt = tensor(w, dtype=np.float64, requires_grad=True)
    bt = tensor(b, dtype=np.float64, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(
        (wt * tensor(x, dtype=np.float64)).sum() + bt, tensor(y, dtype=np.float64)
    )
    loss.backward()
    report.close("dL/dw by groundup autograd", np.asarray(wt.grad), chain, atol=1e-12)
    report.close("dL/db = u - y by autograd", bt.grad.item(), u - y, atol=1e-12)

    report.section("exercise 1, batch form: dL/dw = Xᵀ(u - y)/n, dL/db = mean(u - y)")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 3))
    Y = rng.integers(0, 2, size=8).astype(np.float64)
    w3, b3 = rng.standard_normal(3), 0.2
    U = numerics.sigmoid(X @ w3 + b3)
    dw, db = X.T @ (U - Y) / len(Y), float(np.mean(U - Y))
    wt = tensor(w3, dtype=np.float64, requires_grad=True)
    bt = tensor(b3, dtype=np.float64, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(
        tensor(X, dtype=np.float64) @ wt + bt, tensor(Y, dtype=np.float64)
    )
    loss.backward()
    report.close(
        "largest |Xᵀ(u - y)/n - autograd|",
        float(np.abs(dw - np.asarray(wt.grad)).max()),
        0.0,
        atol=1e-14,
    )
    report.close("mean(u - y) - autograd", db - bt.grad.item(), 0.0, atol=1e-14)
