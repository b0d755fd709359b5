"""Lesson: neurons, layers and depth (primer: *Deep Learning from First Principles*).

What it shows (groundup's numbers checked; arithmetic and geometric certainties shown):

* the primer's forward pass through 2 -> 3 -> 2 with its hand-set weights: x = [1.0, 0.5] gives
  ``z1 = W1 x + b1 = [0.45, 0.50, 0.10]`` (unchanged by the ReLU, all positive) and
  ``z2 = W2 h1 + b2 = [0.265, 0.425]``, which the primer prints rounded as [0.27, 0.42];
* parameters of a dense layer = inputs × outputs + outputs: 20 + 30 + 12 = 62 for [3, 5, 5, 2],
  100,480 + 1,290 = 101,770 for 784 -> 128 -> 10;
* XOR: no straight line gets more than 3 of its 4 points right, so one neuron stalls at 75%;
  two hidden units with a non-linearity get all 4 (decision boundaries drawn);
* ReLU, Leaky ReLU, GELU, sigmoid and tanh with their derivatives (each derivative checked
  against central differences, and drawn);
* without activations, depth is an illusion: ``W2(W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from groundup import numerics
from groundup.lessons._figures import figure_path, release
from groundup.lessons._report import Report

# The primer's hand-set weights, PyTorch layout: weight of shape (out, in).
PRIMER_WEIGHTS = {
    "0.weight": [[0.5, -0.3], [0.2, 0.8], [-0.4, 0.6]],
    "0.bias": [0.1, -0.1, 0.2],
    "2.weight": [[0.7, -0.2, 0.5], [-0.3, 0.9, 0.1]],
    "2.bias": [0.0, 0.1],
}

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def forward_pass(report: Report) -> None:
    from groundup import nn, no_grad, tensor

    report.section("a forward pass through 2 -> 3 -> 2, by hand and by groundup.nn")
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    model.load_state_dict({k: np.array(v, dtype=np.float32) for k, v in PRIMER_WEIGHTS.items()})
    x = np.array([[1.0, 0.5]], dtype=np.float32)
    with no_grad():
        z1 = model[0](tensor(x))  # [0.5 - 0.15 + 0.1, 0.2 + 0.4 - 0.1, -0.4 + 0.3 + 0.2]
        h1 = model[1](z1)
        z2 = model[2](h1)  # [0.315 - 0.1 + 0.05, -0.135 + 0.45 + 0.01 + 0.1]
        out = model(tensor(x))
    report.close("after layer 1", z1.numpy()[0], [0.45, 0.50, 0.10], atol=1e-6)
    report.close(
        "after ReLU (all positive, unchanged)", h1.numpy()[0], [0.45, 0.50, 0.10], atol=1e-6
    )
    report.close("after layer 2", z2.numpy()[0], [0.265, 0.425], atol=1e-6)
    # 0.425 sits exactly on a rounding boundary; in float32 it is 0.42499998, printed as 0.42
    report.close(
        "within rounding of the primer's [0.27, 0.42]",
        z2.numpy()[0],
        [0.27, 0.42],
        atol=0.005 + 1e-6,
    )
    report.close("the whole model at once", out.numpy()[0], z2.numpy()[0], atol=0)


def count_parameters(report: Report) -> None:
    from groundup import nn

    report.section("counting parameters: inputs × outputs + outputs per layer")

    def dense(sizes):
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        return nn.Sequential(*layers[:-1])

    def formula(sizes):
        return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))

    for sizes, expected in [([3, 5, 5, 2], 62), ([784, 128, 10], 101_770)]:
        counted = sum(p.numel() for p in dense(sizes).parameters())
        report.show(f"by formula for {sizes}", formula(sizes), "Σ inputs · outputs + outputs")
        report.equal(f"counted in groundup.nn for {sizes}", counted, expected)
    report.show("layer by layer for [3, 5, 5, 2]", [3 * 5 + 5, 5 * 5 + 5, 5 * 2 + 2],
                "3·5 + 5, 5·5 + 5, 5·2 + 2")


def xor(report: Report, out_dir: Path | None) -> None:
    from groundup import plot
    from groundup.scratch import MLP, LogisticNeuron

    report.section("XOR: one neuron is a straight line; two hidden units bend it")
    rng = np.random.default_rng(0)
    # Every line w1 x1 + w2 x2 + b = 0, drawn at random: none classifies all four points.
    W = rng.standard_normal((200_000, 2))
    b = rng.standard_normal(200_000)
    predictions = (XOR_X @ W.T + b > 0).astype(int)  # (4, lines)
    best = float(np.max(np.mean(predictions == XOR_Y[:, None], axis=0)))
    # a line gets at most 3 of the 4 points by geometry, whatever the draws: shown
    report.show("best accuracy of 200,000 random lines", best, "at most 0.75 by geometry")
    neuron = LogisticNeuron()
    neuron.fit(XOR_X, XOR_Y, lr=0.5, epochs=2000, mode="batch")
    one_neuron = float(np.mean(neuron.predict(XOR_X) == XOR_Y))
    report.show("trained logistic neuron accuracy", one_neuron,
                "a straight line, so at most 0.75")

    # 2 -> 2 (tanh) -> 1, full-batch Adam; some seeds settle in a 50% saddle, seed 0 does not
    mlp = MLP([2, 2, 1], activation="tanh", seed=0, dtype=np.float64)
    mlp.fit(XOR_X, XOR_Y, lr=0.05, epochs=2000, mode="batch", optimizer="adam")
    two_hidden = float(np.mean(mlp.predict(XOR_X) == XOR_Y))
    report.close("MLP with 2 hidden tanh units accuracy", two_hidden, 1.0)

    path = figure_path(out_dir, "xor_one_neuron.png")
    title = f"One logistic neuron: a straight line ({one_neuron:.0%})"
    release(plot.plot_decision_boundary(neuron.predict_proba, XOR_X, XOR_Y, path=path, title=title))
    path = figure_path(out_dir, "xor_two_hidden.png")
    title = f"Two hidden tanh units: XOR solved ({two_hidden:.0%})"
    release(plot.plot_decision_boundary(mlp.predict_proba, XOR_X, XOR_Y, path=path, title=title))


def activations(report: Report, out_dir: Path | None) -> None:
    from groundup import plot

    report.section("activation functions and their derivatives")
    z = np.linspace(-4, 4, 161) + 0.0125  # off the kinks at 0
    h = 1e-6
    for name in ("relu", "leaky_relu", "gelu", "sigmoid", "tanh"):
        act = numerics.get_activation(name)
        numeric = (act.f(z + h) - act.f(z - h)) / (2 * h)
        report.close(
            f"{name}': largest error vs central differences",
            float(np.max(np.abs(act.df(z) - numeric))),
            0.0,
            atol=1e-7,
        )
    report.close("relu(-2), relu(3)", numerics.relu(np.array([-2.0, 3.0])), [0.0, 3.0])
    report.close("leaky_relu(-2) = 0.01 · -2", float(numerics.leaky_relu(-2.0)), -0.02)
    report.close("gelu(1) = 1 · Φ(1)", float(numerics.gelu(1.0)), 0.8413447, atol=1e-7)
    report.close(
        "sigmoid'(0), tanh'(0)",
        [float(numerics.sigmoid_grad(0.0)), float(numerics.tanh_grad(0.0))],
        [0.25, 1.0],
    )
    report.close(
        "sigmoid'(10): the vanishing gradient",
        float(numerics.sigmoid_grad(10.0)),
        4.5396e-05,
        atol=1e-9,
    )
    release(plot.plot_activations(figure_path(out_dir, "activations.png")))


def linear_collapse(report: Report) -> None:
    report.section("stacked linear layers collapse into one")
    rng = np.random.default_rng(1)
    W1, b1 = rng.standard_normal((5, 3)), rng.standard_normal(5)
    W2, b2 = rng.standard_normal((2, 5)), rng.standard_normal(2)
    X = rng.standard_normal((100, 3))
    deep = (X @ W1.T + b1) @ W2.T + b2
    W, b = W2 @ W1, W2 @ b1 + b2  # one (2, 3) layer
    report.show("largest |two layers - one layer|", float(np.abs(deep - (X @ W.T + b)).max()),
                "linear algebra in NumPy: rounding only")
    with_relu = numerics.relu(X @ W1.T + b1) @ W2.T + b2
    # the best single linear map for the ReLU network, by least squares, still misses
    A = np.hstack([X, np.ones((100, 1))])
    coef, *_ = np.linalg.lstsq(A, with_relu, rcond=None)
    misfit = float(np.abs(A @ coef - with_relu).max())
    report.between("with a ReLU between: best linear fit still misses by", misfit, 0.1)


def run(out_dir: Path | None = None, verbose: bool = True, quick: bool = False) -> dict:
    """Run the lesson (a few seconds); ``quick`` is ignored."""
    report = Report("neurons and depth", verbose)
    forward_pass(report)
    count_parameters(report)
    xor(report, out_dir)
    activations(report, out_dir)
    linear_collapse(report)
    return report.values
