"""Lesson: vectors, dot products, matrix products (primer: *Deep Learning from First Principles*).

What it shows (the lesson's own functions and groundup's checked; NumPy's arithmetic shown):

* magnitude ``||v|| = sqrt(v_1^2 + ... + v_n^2)``: ``||[1, 1]|| = sqrt 2 ≈ 1.41``,
  ``||[3, 4]|| = 5``;
* the dot product ``a·b = sum_i a_i b_i``: ``[1, 2, 3]·[4, 5, 6] = 4 + 10 + 18 = 32``;
* cosine similarity ``a·b / (||a|| ||b||) = 32 / (sqrt 14 · sqrt 77) ≈ 0.9746``; perpendicular
  vectors give 0, opposite ones -1;
* in 768 dimensions two random directions are nearly perpendicular: the cosine of two
  independent Gaussian vectors has mean 0 and standard deviation ``1/sqrt(n) ≈ 0.036``;
* the shape rule ``(m, n) @ (n, p) -> (m, p)``, each entry one dot product, and a batch of 64
  inputs through a 784 -> 128 layer in one product;
* broadcasting a bias of shape (128,) across a batch of shape (32, 128).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from groundup.lessons._figures import figure_path, release, save
from groundup.lessons._report import Report


def magnitude(v) -> float:
    """``||v|| = sqrt(sum_i v_i^2)``."""
    v = np.asarray(v, dtype=np.float64)
    return float(np.sqrt(v @ v))


def cosine_similarity(a, b) -> float:
    """``cos θ = a·b / (||a|| ||b||)``, in [-1, 1]."""
    return float(np.dot(a, b) / (magnitude(a) * magnitude(b)))


def random_cosines(n_dims: int, n_pairs: int, seed: int = 0) -> np.ndarray:
    """Cosines between ``n_pairs`` pairs of independent standard-normal vectors in ``n_dims``."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n_pairs, n_dims))
    b = rng.standard_normal((n_pairs, n_dims))
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def dot_products(report: Report) -> None:
    report.section("magnitude and dot product")
    report.close("|[1, 1]|", magnitude([1.0, 1.0]), math.sqrt(2))
    report.close("|[1, 1]| to two decimals", round(magnitude([1.0, 1.0]), 2), 1.41)
    report.close("|[3, 4]|", magnitude([3.0, 4.0]), 5.0)
    a, b = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    report.show("dot", float(a @ b), "NumPy's arithmetic: 1·4 + 2·5 + 3·6")
    report.show("dot as a sum of products", float(np.sum(a * b)), "the same sum, elementwise")

    report.section("cosine similarity: direction without magnitude")
    cos_ab = cosine_similarity(a, b)
    report.close("cosine([1,2,3], [4,5,6])", cos_ab, 32 / math.sqrt(14 * 77))
    report.close("cosine to four decimals", round(cos_ab, 4), 0.9746)
    # a·b = |a| |b| cos θ: the geometric reading of the same number
    theta = math.acos(cos_ab)
    report.close("angle between them (degrees)", math.degrees(theta), 12.933, atol=1e-3)
    report.show("|a| |b| cos θ", magnitude(a) * magnitude(b) * math.cos(theta),
                "cos(acos(x)) = x: the dot product again")
    from groundup import tensor
    from groundup.nn import functional as F

    ta, tb = tensor(a.reshape(1, 3)), tensor(b.reshape(1, 3))  # (1, 3): one row each
    report.close("the same with groundup: (a @ bᵀ)", (ta @ tb.T).item(), 32.0)
    report.close("F.cosine_similarity", F.cosine_similarity(ta, tb).item(), cos_ab, atol=1e-6)
    report.show("perpendicular [1,0]·[0,1]", float(np.dot([1.0, 0.0], [0.0, 1.0])),
                "NumPy's arithmetic: 1·0 + 0·1")
    report.close("cosine of opposite vectors", cosine_similarity(a, -a), -1.0, atol=1e-15)
    report.close("cosine with a scaled copy", cosine_similarity(a, 10 * a), 1.0, atol=1e-15)


def high_dimensions(report: Report, out_dir: Path | None) -> None:
    report.section("random directions in 768 dimensions are nearly perpendicular")
    n_pairs = 2000
    cos_768 = random_cosines(768, n_pairs, seed=0)
    cos_2 = random_cosines(2, n_pairs, seed=0)
    # For Gaussian vectors, cos θ has mean 0 and variance exactly 1/n.
    report.between("mean cosine (768-d)", float(cos_768.mean()), -0.005, 0.005)
    report.close("std of cosine (768-d)", float(cos_768.std()), 1 / math.sqrt(768), rtol=0.05)
    report.between("largest |cosine| of 2,000 pairs (768-d)", float(np.abs(cos_768).max()), 0, 0.2)
    near_768 = float(np.mean(np.abs(cos_768) < 0.1))
    near_2 = float(np.mean(np.abs(cos_2) < 0.1))
    report.between("share with |cos| < 0.1 in 768-d", near_768, 0.99, 1.0)
    # In 2-d the angle is uniform, so P(|cos| < 0.1) = 1 - 2 acos(0.1)/π ≈ 0.064
    report.close(
        "share with |cos| < 0.1 in 2-d", near_2, 1 - 2 * math.acos(0.1) / math.pi, atol=0.015
    )

    from groundup import plot

    path = figure_path(out_dir, "random_cosines.png")
    release(plot.plot_cosine_histogram(cos_768, path, title="Cosines of random pairs, 768-d"))


def matrix_products(report: Report) -> None:
    report.section("matrix multiplication: many dot products at once")
    rng = np.random.default_rng(0)
    x = np.array([[0.2, 0.8, -0.1]])  # (1, 3)
    W = rng.standard_normal((3, 4))  # (3, 4)
    numpy_rule = "NumPy's shape rule (m, n) @ (n, p) -> (m, p)"
    report.show("(1, 3) @ (3, 4)", (x @ W).shape, numpy_rule)
    entry = float((x @ W)[0, 2])
    report.show("entry [0, 2] = row 0 · column 2", entry == float(x[0] @ W[:, 2]),
                "NumPy against itself")
    batch = rng.standard_normal((64, 3))
    report.show("(64, 3) @ (3, 4)", (batch @ W).shape, numpy_rule)
    try:
        _ = W @ W  # (3, 4) @ (3, 4): inner sizes 4 and 3 differ
        refused = "no"
    except ValueError:
        refused = "yes, the inner sizes 4 and 3 differ"
    report.show("(3, 4) @ (3, 4) refused", refused, numpy_rule)

    report.section("a batch of 64 images through a 784 -> 128 layer")
    X = rng.random((64, 784))  # 64 flattened 28x28 images, pixels in [0, 1]
    W1 = rng.standard_normal((784, 128)) / math.sqrt(784)
    H = X @ W1  # (64, 784) @ (784, 128) -> (64, 128)
    report.show("batch output shape", H.shape, numpy_rule)
    one_at_a_time = np.stack([X[i] @ W1 for i in range(64)])
    report.show("largest difference from 64 separate products",
                float(np.abs(H - one_at_a_time).max()), "NumPy against itself: rounding only")
    report.show("dot products in that one call", 64 * 128, "64 · 128")
    report.show("numbers in a (32, 512, 768) transformer tensor", 32 * 512 * 768,
                "32 · 512 · 768")

    report.section("broadcasting a bias across the batch")
    batch32 = rng.standard_normal((32, 784))
    out = batch32 @ W1  # (32, 128)
    bias = rng.standard_normal(128)  # (128,) is stretched to (32, 128)
    shifted = out + bias
    report.show("(32, 128) + (128,)", shifted.shape, "NumPy's broadcasting rule")
    report.show("every row received the same bias (largest deviation)",
                float(np.abs((shifted - out) - bias[None, :]).max()), "NumPy's broadcasting")


def draw_vectors(out_dir: Path | None) -> None:
    from groundup.plot._figure import new_figure

    fig, ax = new_figure(size=(4.5, 4.5), squeeze=True)
    for v, label in [((1, 0), "[1, 0]"), ((0, 1), "[0, 1]"), ((1, 1), "[1, 1], length 1.41")]:
        ax.annotate("", xy=v, xytext=(0, 0), arrowprops={"arrowstyle": "->", "lw": 2})
        ax.text(v[0] + 0.03, v[1] + 0.03, label)
    ax.set_xlim(-0.2, 1.6)
    ax.set_ylim(-0.2, 1.6)
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.set_title("Direction and magnitude")
    save(fig, out_dir, "vectors.png")


def run(out_dir: Path | None = None, verbose: bool = True, quick: bool = False) -> dict:
    """Run the lesson; ``quick`` is ignored (it takes well under a second)."""
    report = Report("vectors and dot products", verbose)
    dot_products(report)
    high_dimensions(report, out_dir)
    matrix_products(report)
    draw_vectors(out_dir)
    return report.values
