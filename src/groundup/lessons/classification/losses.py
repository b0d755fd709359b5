"""Exercise 6: ``BCELoss`` after a ``Sigmoid`` against ``BCEWithLogitsLoss``.

Mathematically the two compute the same loss. Numerically they differ once the logits are
large: in float32 ``σ(z)`` rounds to exactly 1.0 for z above about 17, so the sigmoid's local
derivative ``σ(1 - σ)`` is exactly 0 and the chain rule multiplies whatever the loss sends back
by 0 — the gradient underflows and the model cannot learn its way out. ``BCEWithLogitsLoss``
differentiates the fused expression, ``dL/dz = σ(z) - y``, which stays ±1 for a confidently
wrong example.

Done twice: with groundup's autograd (``F.binary_cross_entropy`` after ``sigmoid`` against
``F.binary_cross_entropy_with_logits``) and, when it is installed, with PyTorch itself.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from groundup.lessons._figures import figure_path, release
from groundup.lessons._report import Report
from groundup.models.mlp import from_sizes

EXTREME_SCALE = 1000.0  # multiplies the default initial weights: logits in the hundreds


def _groundup_run(data, W0, b0, epochs: int, lr: float):
    """Train A (sigmoid + BCE) and B (BCE with logits) from (W0, b0); losses and first grads."""
    from groundup import nn, optim, tensor
    from groundup.nn import functional as F

    X, y = tensor(data.X_train.astype(np.float32)), tensor(data.y_train.astype(np.float32))
    out = {}
    for name in ("sigmoid+BCELoss", "BCEWithLogitsLoss"):
        model = nn.Linear(W0.shape[1], 1)
        model.load_state_dict({"weight": W0, "bias": b0})
        optimizer = optim.SGD(model.parameters(), lr=lr)
        losses, first_grad = [], None
        for _ in range(epochs):
            z = model(X).reshape(-1)
            if name == "sigmoid+BCELoss":
                loss = F.binary_cross_entropy(z.sigmoid(), y)
            else:
                loss = F.binary_cross_entropy_with_logits(z, y)
            optimizer.zero_grad()
            loss.backward()
            if first_grad is None:
                first_grad = float(np.linalg.norm(np.asarray(model.weight.grad)))
            optimizer.step()
            losses.append(loss.item())
        out[name] = (np.asarray(losses), first_grad)
    return out


def _per_example_dz(z: np.ndarray, y: np.ndarray):
    """dL/dz for every example, through ``binary_cross_entropy(sigmoid(z))`` and from logits."""
    from groundup import tensor
    from groundup.nn import functional as F

    grads = []
    for fused in (False, True):
        zt = tensor(z, requires_grad=True)
        if fused:
            loss = F.binary_cross_entropy_with_logits(zt, tensor(y))
        else:
            loss = F.binary_cross_entropy(zt.sigmoid(), tensor(y))
        loss.backward()
        grads.append(np.asarray(zt.grad, dtype=np.float64))
    return grads[0], grads[1]


def _torch_first_grads(data, W0, b0):
    """The gradient norm of the first step for both PyTorch formulations."""
    import torch

    X = torch.tensor(data.X_train, dtype=torch.float32)
    y = torch.tensor(data.y_train, dtype=torch.float32).view(-1, 1)
    norms = {}
    for name, head, criterion in (
        ("sigmoid+BCELoss", torch.nn.Sigmoid(), torch.nn.BCELoss()),
        ("BCEWithLogitsLoss", torch.nn.Identity(), torch.nn.BCEWithLogitsLoss()),
    ):
        linear = torch.nn.Linear(W0.shape[1], 1)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W0))
            linear.bias.copy_(torch.from_numpy(b0))
        loss = criterion(head(linear(X)), y)
        loss.backward()
        norms[name] = float(linear.weight.grad.norm())
    return norms


def exercise_6(report: Report, data, out_dir: Path | None, quick: bool) -> None:
    from groundup import plot

    report.section("exercise 6: BCELoss after Sigmoid vs BCEWithLogitsLoss")
    init = from_sizes([data.X_train.shape[1], 1]).init_state(0)
    W0, b0 = init["0.weight"], init["0.bias"]
    epochs = 50 if quick else 100
    normal = _groundup_run(data, W0, b0, epochs, lr=0.1)
    a, b = normal["sigmoid+BCELoss"][0], normal["BCEWithLogitsLoss"][0]
    report.close(
        "ordinary weights: largest loss difference", float(np.abs(a - b).max()), 0.0, atol=1e-5
    )

    big_W, big_b = W0 * EXTREME_SCALE, b0 * EXTREME_SCALE
    z = data.X_train.astype(np.float32) @ big_W[0] + big_b[0]
    y = data.y_train.astype(np.float32)
    dz_sigmoid, dz_logits = _per_example_dz(z, y)
    # confidently wrong: |z| > 20, where float32 σ(z) is within 2e-9 of the wrong label
    wrong = (np.abs(z) > 20) & ((z > 0) != (y > 0.5))
    n = len(z)
    report.between("examples confidently wrong at extreme weights", int(wrong.sum()), 10)
    vanished = float(np.mean(np.abs(n * dz_sigmoid[wrong]) < 1e-3))
    report.between("share of them whose n·dL/dz through sigmoid + BCE is ~0", vanished, 0.9, 1.0)
    report.close(
        "their n·dL/dz with logits, σ(z) - y (all ±1)",
        float(np.abs(n * dz_logits[wrong]).min()),
        1.0,
        atol=1e-6,
    )

    extreme = _groundup_run(data, big_W, big_b, 50, lr=1.0)
    grad_a = extreme["sigmoid+BCELoss"][1]
    grad_b = extreme["BCEWithLogitsLoss"][1]
    report.between("extreme weights: |dL/dW| through sigmoid + BCE", grad_a, 0.0, 0.05 * grad_b)
    report.between("extreme weights: |dL/dW| with logits", grad_b, 0.1)
    stuck = extreme["sigmoid+BCELoss"][0]
    learned = extreme["BCEWithLogitsLoss"][0]
    # BCELoss clips log p at -100, so its loss is capped at 100 per example; the logits loss is
    # the true one (mean |z| of the wrong examples, in the hundreds). Compare relative drops.
    report.between(
        "sigmoid + BCE: loss drop over 50 epochs (lr 1)", 1 - stuck[-1] / stuck[0], 0, 0.01
    )
    report.between(
        "BCE with logits: loss drop over 50 epochs (lr 1)", 1 - learned[-1] / learned[0], 0.3
    )

    if importlib.util.find_spec("torch") is not None:
        torch_norms = _torch_first_grads(data, big_W, big_b)
        report.close(
            "PyTorch: |dL/dW| through Sigmoid + BCELoss vs groundup",
            torch_norms["sigmoid+BCELoss"],
            grad_a,
            rtol=1e-3,
        )
        report.close(
            "PyTorch: |dL/dW| with BCEWithLogitsLoss vs groundup",
            torch_norms["BCEWithLogitsLoss"],
            grad_b,
            rtol=1e-4,
        )
    else:
        report.note("PyTorch part skipped: torch is not installed")

    release(
        plot.plot_curves(
            {
                "sigmoid + BCE (ordinary init)": a,
                "BCE with logits (ordinary init)": b,
                "sigmoid + BCE (weights x1000)": stuck,
                "BCE with logits (weights x1000)": learned,
            },
            figure_path(out_dir, "ex6_bce_vs_logits.png"),
            xlabel="epoch",
            ylabel="training BCE",
            logy=True,
        )
    )
