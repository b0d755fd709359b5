"""Lesson: softmax, temperature and cross-entropy (primer: *Deep Learning from First Principles*).

What it shows (groundup's softmax and losses checked; plain arithmetic shown):

* ``softmax(z; T)_i = exp(z_i / T) / sum_j exp(z_j / T)``: as ``T -> 0`` all the probability goes
  to the largest logit, ``T = 1`` is the ordinary softmax, and as ``T -> inf`` it tends to uniform;
* logits that differ by 2 give probabilities in the ratio ``e^2 ≈ 7.39``;
* ``exp(1000)`` overflows, so the textbook formula returns NaN on logits [1000, 1001, 1002],
  while subtracting the max first (``softmax(z) = softmax(z - max z)``) gives
  [0.0900, 0.2447, 0.6652], the softmax of [0, 1, 2];
* the loss ``-log p`` of the correct class: 0.01 for p = 0.99, 0.69 for 0.5, 4.6 for 0.01;
* an untrained 784 -> 128 -> 10 network spreads its probability nearly evenly over the ten
  digits, so its cross-entropy starts at about ``-log(1/10) = ln 10 ≈ 2.30``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from groundup import numerics
from groundup.lessons._figures import save
from groundup.lessons._report import Report

LOGITS = np.array([2.0, 1.0, 0.1])


def naive_softmax(z) -> np.ndarray:
    """The textbook formula ``exp(z) / sum(exp(z))``, without the max subtraction (overflows)."""
    e = np.exp(np.asarray(z, dtype=np.float64))
    return e / e.sum()


def entropy(p) -> float:
    """``H(p) = -sum_i p_i log p_i`` in nats (0 log 0 taken as 0)."""
    p = np.asarray(p, dtype=np.float64)
    nonzero = p[p > 0]
    return float(-np.sum(nonzero * np.log(nonzero)))


def temperature(report: Report, out_dir: Path | None) -> None:
    report.section("temperature: from certain to uniform")
    p1 = numerics.softmax(LOGITS)
    # e^2 = 7.389, e^1 = 2.718, e^0.1 = 1.105; sum 11.212
    report.close("softmax([2, 1, 0.1])", p1, [0.6590, 0.2424, 0.0986], atol=5e-5)
    report.close("sum of the probabilities", float(p1.sum()), 1.0, atol=1e-15)
    ratio = numerics.softmax(np.array([2.0, 0.0]))
    report.close(
        "p ratio for logits 2 apart (e^2)", float(ratio[0] / ratio[1]), math.e**2, atol=1e-12
    )
    cold = numerics.softmax(LOGITS, temperature=0.01)
    # the runner-up is 100 logits behind at T = 0.01: its share is about e^-100 ≈ 4e-44
    report.between("probability left for the others at T = 0.01", float(cold[1:].sum()), 0, 1e-40)
    hot = numerics.softmax(LOGITS, temperature=100.0)
    report.between("spread (max - min) at T = 100", float(hot.max() - hot.min()), 0.0, 0.01)
    temps = np.geomspace(0.05, 50, 60)
    entropies = [entropy(numerics.softmax(LOGITS, temperature=t)) for t in temps]
    report.holds(
        "entropy over T = 0.05 ... 50",
        bool(np.all(np.diff(entropies) > 0)),
        "rises steadily with the temperature",
    )
    report.close("entropy at T = 50 (uniform: ln 3)", entropies[-1], math.log(3), atol=1e-3)

    from groundup.plot._figure import new_figure

    fig, axes = new_figure(1, 2, size=(10, 3.8), squeeze=True)
    width = 0.25
    for k, t in enumerate([0.1, 1.0, 10.0]):
        p = numerics.softmax(LOGITS, temperature=t)
        axes[0].bar(np.arange(3) + (k - 1) * width, p, width, label=f"T = {t:g}")
    axes[0].set_xticks(range(3), [f"logit {z:g}" for z in LOGITS])
    axes[0].set_ylabel("probability")
    axes[0].set_title("softmax([2, 1, 0.1]) at three temperatures")
    axes[0].legend()
    axes[1].semilogx(temps, entropies)
    axes[1].axhline(math.log(3), ls="--", c="gray", label="uniform (ln 3)")
    axes[1].set_xlabel("temperature T")
    axes[1].set_ylabel("entropy (nats)")
    axes[1].set_title("Higher temperature, less certain")
    axes[1].legend()
    save(fig, out_dir, "softmax_temperature.png")


def stability(report: Report) -> None:
    report.section("overflow: why the max is subtracted first")
    big = np.array([1000.0, 1001.0, 1002.0])
    with np.errstate(over="ignore", invalid="ignore"):  # the overflow is the point here
        exps = np.exp(big)
        naive = naive_softmax(big)
    report.show("exp(1000)", exps[0], "NumPy: overflows to inf in float64")
    report.show("naive softmax([1000, 1001, 1002])", naive, "NumPy: inf / inf is NaN")
    stable = numerics.softmax(big)
    report.close("stable softmax([1000, 1001, 1002])", stable, [0.0900, 0.2447, 0.6652], atol=5e-5)
    report.close(
        "equals softmax([0, 1, 2]) (largest difference)",
        float(np.abs(stable - naive_softmax([0.0, 1.0, 2.0])).max()),
        0.0,
        atol=1e-15,
    )
    report.close(
        "stable softmax of [-1000, 0]", numerics.softmax(np.array([-1000.0, 0.0])), [0.0, 1.0]
    )


def log_loss(report: Report, out_dir: Path | None) -> None:
    report.section("cross-entropy: -log p of the correct class")
    # worked by hand: ln 0.99 = -0.0100503, ln 0.5 = -0.6931472, ln 0.01 = -2 ln 10 = -4.6051702
    worked = {0.99: 0.0100503, 0.5: 0.6931472, 0.01: 4.6051702}
    for p in (0.99, 0.5, 0.01):  # the primer rounds them to 0.01, 0.69 and 4.6
        loss = -math.log(p)
        report.show(f"-log({p})", loss, f"math.log; by hand {worked[p]}")
        report.show(f"-log({p}) as the primer rounds it", round(loss, 2 if p > 0.1 else 1),
                    "rounded")
    report.show("-log(0.1) = ln 10", -math.log(0.1), "math.log")

    from groundup.plot._figure import new_figure

    fig, ax = new_figure(size=(6, 4), squeeze=True)
    p = np.linspace(0.005, 1, 400)
    ax.plot(p, -np.log(p))
    for q in (0.99, 0.5, 0.01):
        ax.plot([q], [-math.log(q)], "o")
        ax.annotate(
            f"p = {q}: {-math.log(q):.2f}", (q, -math.log(q)), (8, 8), textcoords="offset points"
        )
    ax.set_xlabel("probability given to the correct class")
    ax.set_ylabel("loss  -log p")
    ax.set_title("Confident and wrong costs the most")
    save(fig, out_dir, "cross_entropy.png")


def untrained_model(report: Report) -> None:
    report.section("an untrained 10-class network starts near ln 10")
    from groundup import manual_seed, nn, tensor
    from groundup.nn import functional as F

    manual_seed(0)  # nn.Linear draws PyTorch's default initialisation from groundup's generator
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    n_params = sum(int(p.data.size) for p in model.parameters())
    report.equal("parameters of 784 -> 128 -> 10", n_params, 101_770)
    images = rng.standard_normal((1000, 784)).astype(np.float32)  # like the primer's randn images
    labels = rng.integers(0, 10, size=1000)
    logits = model(tensor(images))
    probs = numerics.softmax(logits.numpy(), axis=1)
    report.between("average largest probability", float(probs.max(axis=1).mean()), 0.1, 0.2)
    loss = F.cross_entropy(logits, tensor(labels)).item()
    report.close("initial loss", loss, math.log(10), atol=0.1)
    manual = -math.log(probs[0, labels[0]])
    one = F.cross_entropy(logits[0:1], tensor(labels[0:1])).item()
    report.close("-log softmax(logits)[label] for one image", manual, one, atol=1e-5)


def run(out_dir: Path | None = None, verbose: bool = True, quick: bool = False) -> dict:
    """Run the lesson; ``quick`` is ignored (it takes about a second)."""
    report = Report("softmax and cross-entropy", verbose)
    temperature(report, out_dir)
    stability(report)
    log_loss(report, out_dir)
    untrained_model(report)
    return report.values
