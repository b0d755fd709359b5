"""Lesson: the chain rule, gradients and backpropagation (primer: the calculus week and
*From one neuron to a billion parameters*).

What it shows (derivatives checked against central differences and autograd; values worked by
hand shown):

* single-variable chain rule ``(f∘g)' = f'(g) g'``, each derivative compared with a central
  difference ``(f(x + h) - f(x - h)) / 2h``:
  ``sin(x^2) -> 2x cos(x^2)``, ``e^(2x+1) -> 2 e^(2x+1)``,
  ``log(1 + e^x) -> e^x / (1 + e^x) = σ(x)``,
  ``σ' = σ(1 - σ)``, and the self-check items ``(x^2 + 1)^3 -> 6x (x^2 + 1)^2``,
  ``tanh(2x) -> 2 (1 - tanh^2(2x))``;
* the gradient of ``f(x, y) = x^2 + 3xy + y^2`` is ``[2x + 3y, 3x + 2y]``, so ``∇f(1, 2) = [8, 7]``
  (by hand, by central differences, by groundup's autograd), drawn as a quiver plot;
* the computation graph ``J = 3(a + bc)`` at a = 5, b = 3, c = 2: forward u = 6, v = 11, J = 33;
  backward dJ/dv = 3, dJ/da = 3, dJ/db = 3c = 6, dJ/dc = 3b = 9;
* a 2-layer MLP's backward equations written out (``dz2 = ŷ - y``, ``da1 = W2ᵀ dz2``,
  ``dz1 = da1 ⊙ ReLU'(z1)``, ``dW1 = dz1 xᵀ``) agree with autograd to float64 rounding.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from groundup import numerics
from groundup.lessons._figures import figure_path, release
from groundup.lessons._report import Report

POINTS = np.array([-2.0, -0.7, 0.0, 0.3, 1.0, 2.5])


def central_difference(f, x, h: float = 1e-5):
    """``(f(x + h) - f(x - h)) / 2h``: error O(h^2), the numerical check of a derivative."""
    return (f(x + h) - f(x - h)) / (2 * h)


def single_variable(report: Report) -> None:
    report.section("one variable: (f∘g)'(x) = f'(g(x)) g'(x)")
    rules = [
        ("sin(x²)", lambda x: np.sin(x**2), lambda x: np.cos(x**2) * 2 * x),
        ("e^(2x+1)", lambda x: np.exp(2 * x + 1), lambda x: np.exp(2 * x + 1) * 2),
        # u = 1 + e^x, d log u / du = 1/u, du/dx = e^x  ->  e^x / (1 + e^x) = σ(x)
        ("log(1+e^x)", numerics.softplus, numerics.sigmoid),
        ("σ(x)", numerics.sigmoid, lambda x: numerics.sigmoid(x) * (1 - numerics.sigmoid(x))),
        ("(x²+1)³", lambda x: (x**2 + 1) ** 3, lambda x: 3 * (x**2 + 1) ** 2 * 2 * x),
        ("tanh(2x)", lambda x: np.tanh(2 * x), lambda x: 2 * (1 - np.tanh(2 * x) ** 2)),
    ]
    for name, f, df in rules:
        numeric = central_difference(f, POINTS)
        error = float(np.max(np.abs(df(POINTS) - numeric) / (1 + np.abs(numeric))))
        report.close(f"d/dx {name}: largest error vs central differences", error, 0.0, atol=1e-8)
    # values worked by hand
    report.show("d/dx sin(x²) at x = 1: 2 cos 1", float(np.cos(1.0) * 2), "NumPy's cos")
    report.show("d/dx e^(2x+1) at x = 0: 2e", float(2 * np.exp(1.0)), "NumPy's exp")
    report.close("d/dx log(1+e^x) at x = 0: σ(0)", float(numerics.sigmoid(0.0)), 0.5)
    report.close("σ'(0) = σ(0)(1 - σ(0))", float(numerics.sigmoid_grad(0.0)), 0.25)
    z = np.linspace(-10, 10, 201)
    s = numerics.sigmoid(z)
    worst = float(np.max(np.abs(numerics.sigmoid_grad(z) - s * (1 - s))))
    report.close("largest |σ' - σ(1-σ)| over [-10, 10]", worst, 0.0, atol=1e-15)


def f_xy(x, y):
    """``f(x, y) = x^2 + 3xy + y^2``."""
    return x**2 + 3 * x * y + y**2


def grad_f_xy(x, y):
    """``∇f = [∂f/∂x, ∂f/∂y] = [2x + 3y, 3x + 2y]``."""
    return 2 * x + 3 * y, 3 * x + 2 * y


def gradient_field(report: Report, out_dir: Path | None) -> None:
    from groundup import plot, tensor

    report.section("the gradient of f(x, y) = x² + 3xy + y²")
    report.show("∇f(1, 2) by hand", np.array(grad_f_xy(1.0, 2.0)), "[2·1 + 3·2, 3·1 + 2·2]")
    numeric = [
        central_difference(lambda t: f_xy(t, 2.0), 1.0),
        central_difference(lambda t: f_xy(1.0, t), 2.0),
    ]
    report.close("∇f(1, 2) by central differences", np.array(numeric), [8.0, 7.0], atol=1e-8)
    x = tensor(1.0, dtype=np.float64, requires_grad=True)
    y = tensor(2.0, dtype=np.float64, requires_grad=True)
    f = x**2 + 3 * x * y + y**2
    f.backward()
    report.close("f(1, 2)", f.item(), 11.0)  # 1 + 6 + 4
    report.close("∇f(1, 2) by autograd", np.array([x.grad.item(), y.grad.item()]), [8.0, 7.0])
    fig = plot.plot_quiver(
        f_xy,
        grad_f_xy,
        path=figure_path(out_dir, "gradient_field.png"),
        point=(1.0, 2.0),
        title="Gradient field of x² + 3xy + y²",
    )
    release(fig)


def computation_graph(report: Report) -> None:
    from groundup import graph, tensor

    report.section("the computation graph J = 3(a + bc)")
    a = tensor(5.0, requires_grad=True)
    b = tensor(3.0, requires_grad=True)
    c = tensor(2.0, requires_grad=True)
    u = b * c
    v = a + u
    J = 3 * v
    report.close("u = bc", u.item(), 6.0)
    report.close("v = a + u", v.item(), 11.0)
    report.close("J = 3v", J.item(), 33.0)
    report.show("nudge v by 0.001: J moves by", 3 * (v.item() + 0.001) - J.item(),
                "3 · 0.001, by arithmetic")
    J.backward()
    report.close("dJ/da", a.grad.item(), 3.0)
    report.close("dJ/db = 3c", b.grad.item(), 6.0)
    report.close("dJ/dc = 3b", c.grad.item(), 9.0)
    for t, name in ((a, "a"), (b, "b"), (c, "c"), (u, "u"), (v, "v"), (J, "J")):
        t.label = name
    text = graph.graph_text(J, grads=True)
    report.note("the graph as groundup records it (value, then dJ/d(value)):")
    for line in text.splitlines():
        report.note("  " + line)
    report.holds("graph printout", "J = 33" in text, "shows the forward value J = 33")
    grads = graph.node_gradients(J)
    report.close(
        "dJ/du, dJ/dv from the graph", [grads[id(u)].item(), grads[id(v)].item()], [3.0, 3.0]
    )


def mlp_backward(report: Report) -> None:
    from groundup import tensor
    from groundup.nn import functional as F

    report.section("2-layer MLP: the backward equations against autograd")
    rng = np.random.default_rng(0)
    n_x, n_h, m = 4, 3, 5
    X = rng.standard_normal((n_x, m))  # examples stacked as columns
    Y = rng.integers(0, 2, size=(1, m)).astype(np.float64)
    W1, b1 = rng.standard_normal((n_h, n_x)), rng.standard_normal((n_h, 1))
    W2, b2 = rng.standard_normal((1, n_h)), rng.standard_normal((1, 1))

    # forward: z1 = W1 x + b1, a1 = ReLU(z1), z2 = W2 a1 + b2, ŷ = σ(z2), L = mean BCE
    z1 = W1 @ X + b1  # (n_h, m)
    a1 = numerics.relu(z1)
    z2 = W2 @ a1 + b2  # (1, m)
    y_hat = numerics.sigmoid(z2)
    # backward, layer by layer (1/m from the mean over examples)
    dz2 = (y_hat - Y) / m  # (1, m)
    dW2 = dz2 @ a1.T  # (1, n_h)
    db2 = dz2.sum(axis=1, keepdims=True)
    da1 = W2.T @ dz2  # (n_h, m): the transpose carries the gradient back through W2
    dz1 = da1 * numerics.relu_grad(z1)  # ⊙ ReLU'(z1)
    dW1 = dz1 @ X.T  # (n_h, n_x)
    db1 = dz1.sum(axis=1, keepdims=True)

    params = {
        name: tensor(v, dtype=np.float64, requires_grad=True)
        for name, v in {"W1": W1, "b1": b1, "W2": W2, "b2": b2}.items()
    }
    Xt = tensor(X, dtype=np.float64)
    logits = params["W2"] @ (params["W1"] @ Xt + params["b1"]).relu() + params["b2"]
    loss = F.binary_cross_entropy_with_logits(logits, tensor(Y, dtype=np.float64))
    loss.backward()
    mine = float(np.mean(numerics.bce_with_logits(z2, Y)))
    report.close("loss: by hand vs autograd", mine, loss.item(), atol=1e-12)
    for name, by_hand in {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}.items():
        auto = np.asarray(params[name].grad)
        error = float(np.max(np.abs(by_hand - auto)) / (np.max(np.abs(auto)) + 1e-300))
        report.close(f"dL/d{name}: relative difference", error, 0.0, atol=1e-12)

    # the scratch engine's MLP: rows are examples, PyTorch names "0.weight" ... "2.bias"
    from groundup.scratch import MLP

    net = MLP([n_x, n_h, 1], activation="relu", dtype=np.float64)
    net.load_state_dict({"0.weight": W1, "0.bias": b1[:, 0], "2.weight": W2, "2.bias": b2[0]})
    scratch_loss, scratch_grads = net.loss_and_grads(X.T, Y[0].astype(np.int64))
    report.close("loss: scratch.MLP vs by hand", scratch_loss, mine, atol=1e-12)
    report.close(
        "dL/dW1: scratch.MLP vs by hand (largest difference)",
        float(np.abs(scratch_grads["0.weight"] - dW1).max()),
        0.0,
        atol=1e-12,
    )


def run(out_dir: Path | None = None, verbose: bool = True, quick: bool = False) -> dict:
    """Run the lesson; ``quick`` is ignored (it takes about a second)."""
    report = Report("the chain rule", verbose)
    single_variable(report)
    gradient_field(report, out_dir)
    computation_graph(report)
    mlp_backward(report)
    return report.values
