"""Lesson: logistic regression from the chain rule up (primer: the calculus week).

What it shows (groundup's numbers checked; algebra and timings shown):

* for ``L = BCE(σ(z), y)`` the three chain-rule factors ``dL/dσ · dσ/dz`` collapse to
  ``dL/dz = σ(z) - y``, checked against central differences for y = 0 and y = 1;
* squared error through a sigmoid is not convex in the weights (its curvature changes sign along
  a line in weight space) while the log loss is convex along the same line;
* gradient descent on the two Gaussian blobs (w = 0, b = 0, lr 0.1, 2,000 steps) separates them
  with better than 95% accuracy, the boundary drawn at steps 0, 100, 500 and 2,000;
* TP, TN, FP, FN, precision ``TP/(TP+FP)``, recall ``TP/(TP+FN)`` and F1 ``2PR/(P+R)`` on a
  10-label example worked by hand, and on a 99%-clean fraud-like set where predicting "clean"
  everywhere scores 99% accuracy and 0 recall;
* the vectorised gradient equals the looped one; its speed-up over the Python loops, measured and
  shown (a timing is not a check: ``benchmarks/bench_vectorise.py`` enforces a floor).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from groundup import metrics, numerics
from groundup.lessons._figures import figure_path, release
from groundup.lessons._report import Report


def bce_gradient(report: Report) -> None:
    report.section("dL/dz = σ(z) - y")
    z = np.linspace(-8, 8, 33)
    h = 1e-5
    for y in (0.0, 1.0):
        numeric = (numerics.bce_with_logits(z + h, y) - numerics.bce_with_logits(z - h, y)) / (
            2 * h
        )
        error = float(np.max(np.abs(numeric - (numerics.sigmoid(z) - y))))
        report.close(f"largest |numeric - (σ(z) - y)| for y = {y:g}", error, 0.0, atol=1e-9)
    # the three factors at z = 2, y = 0: a = σ(2) = 0.880797
    a, y = float(numerics.sigmoid(2.0)), 0.0
    dL_da = -y / a + (1 - y) / (1 - a)  # = 1 / (1 - a) = 8.389056
    da_dz = a * (1 - a)  # = 0.104994
    report.close("dL/da at z = 2, y = 0", dL_da, 8.389056, atol=1e-6)
    report.close("da/dz = a(1 - a)", da_dz, 0.104994, atol=1e-6)
    report.show("their product = a - y", dL_da * da_dz, "1/(1 - a) · a(1 - a) = a, algebra")


def convexity(report: Report, X: np.ndarray, y: np.ndarray, out_dir: Path | None) -> None:
    report.section("squared error through σ is not convex; the log loss is")
    t = np.linspace(-4, 4, 401)  # the line w = t (1, 1), b = 0 in weight space
    z = np.outer(t, X @ np.ones(2))  # (401, n): the logits of every example at every t
    mse = np.mean((numerics.sigmoid(z) - y) ** 2, axis=1)
    log_loss = np.mean(numerics.bce_with_logits(z, y), axis=1)
    curvature_mse = np.diff(mse, 2)
    curvature_log = np.diff(log_loss, 2)
    report.holds(
        "squared error along the line",
        curvature_mse.min() < 0 < curvature_mse.max(),
        "curves up and down (non-convex: gradient descent can stall on its plateaus)",
        float(curvature_mse.min()),
    )
    report.holds(
        "log loss along the line",
        bool(np.all(curvature_log > -1e-12)),
        "curves up everywhere (convex: one valley)",
        float(curvature_log.min()),
    )
    from groundup import plot

    fig = plot.plot_loss_along_line(
        t,
        {"squared error of σ(z): non-convex": mse, "log loss: convex": log_loss},
        figure_path(out_dir, "convexity.png"),
        xlabel="t, where w = t·(1, 1), b = 0",
    )
    release(fig)


def blobs_training(report: Report, ds, out_dir: Path | None):
    from groundup import plot
    from groundup.scratch import LogisticNeuron

    report.section("gradient descent on two Gaussian blobs")
    X, y = ds.X_train, ds.y_train
    model = LogisticNeuron(n_features=X.shape[1])  # w = 0, b = 0
    snapshots = {}
    done = 0
    for step in (0, 100, 500, 2000):
        if step > done:  # continue from the current weights: full-batch steps done -> step
            model.fit(X, y, lr=0.1, epochs=step - done, mode="batch")
            done = step
        w, b = np.array(model.w, dtype=np.float64).reshape(-1), float(model.b)
        snapshots[step] = _proba_fn(w, b)
    report.show("snapshot steps", tuple(snapshots), "the steps asked for")
    train_acc = metrics.accuracy(y, model.predict(X))
    test_acc = metrics.accuracy(ds.y_test, model.predict(ds.X_test))
    report.between("train accuracy after 2,000 steps", train_acc, 0.95, 1.0)
    report.between("test accuracy", test_acc, 0.95, 1.0)
    history = np.asarray(model.history, dtype=np.float64)
    report.holds(
        "cost per step", bool(np.all(np.diff(history) <= 1e-12)), "never rises", history[-1]
    )
    w = np.array(model.w, dtype=np.float64).reshape(-1)
    # the boundary wᵀx + b = 0 passes between the centres (-2, -2) and (2, 2)
    report.holds(
        "boundary",
        float(w @ [-2, -2] + model.b) < 0 < float(w @ [2, 2] + model.b),
        "separates the blob centres (-2, -2) and (2, 2)",
    )
    release(
        plot.plot_decision_boundary(
            snapshots[2000], X, y, path=figure_path(out_dir, "blobs_boundary.png")
        )
    )
    release(
        plot.plot_boundary_snapshots(snapshots, X, y, figure_path(out_dir, "blobs_snapshots.png"))
    )
    return model


def _proba_fn(w: np.ndarray, b: float):
    """``X -> σ(X w + b)`` for a frozen copy of the weights (one snapshot)."""
    return lambda X: numerics.sigmoid(np.asarray(X, dtype=np.float64) @ w + b)


def confusion_metrics(report: Report, model, ds, out_dir: Path | None) -> None:
    from groundup import plot

    report.section("metrics from scratch")
    # worked by hand: positions 0-3 are positives, the model says 1 at 0, 1, 2, 4, 5
    y_true = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    y_pred = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0])
    tp, tn, fp, fn = metrics.binary_counts(y_true, y_pred)
    report.equal("TP, TN, FP, FN", (tp, tn, fp, fn), (3, 4, 2, 1))
    report.close("accuracy (TP + TN) / N", metrics.accuracy(y_true, y_pred), 0.7)
    report.close("precision TP / (TP + FP) = 3/5", metrics.precision_score(y_true, y_pred), 0.6)
    report.close("recall TP / (TP + FN) = 3/4", metrics.recall_score(y_true, y_pred), 0.75)
    report.close("F1 = 2PR / (P + R) = 0.9/1.35", metrics.f1_score(y_true, y_pred), 2 / 3)

    y_hat = model.predict(ds.X_test)
    tp, tn, fp, fn = metrics.binary_counts(ds.y_test, y_hat)
    report.equal("blobs test set: TP + TN + FP + FN", tp + tn + fp + fn, len(ds.y_test))
    report.between("blobs test F1", metrics.f1_score(ds.y_test, y_hat), 0.95, 1.0)
    cm = metrics.confusion_matrix(ds.y_test, y_hat, labels=[0, 1])
    release(plot.plot_confusion_matrix(cm, ds.classes, figure_path(out_dir, "blobs_confusion.png")))

    report.section("why accuracy misleads: 99% of transactions are clean")
    rng = np.random.default_rng(0)
    fraud = np.zeros(10_000, dtype=np.int64)
    fraud[rng.choice(10_000, size=100, replace=False)] = 1
    all_clean = np.zeros_like(fraud)  # the lazy model: "never fraud"
    report.close("accuracy of 'always clean'", metrics.accuracy(fraud, all_clean), 0.99)
    report.close("recall on fraud", metrics.recall_score(fraud, all_clean), 0.0)
    report.close("precision (0/0 defined as 0)", metrics.precision_score(fraud, all_clean), 0.0)
    report.close("F1", metrics.f1_score(fraud, all_clean), 0.0)


def vectorisation(report: Report, quick: bool) -> None:
    from groundup.scratch.logistic_regression import propagate
    from groundup.scratch.naive import propagate_naive

    report.section("vectorisation: one matrix product instead of two nested loops")
    # the two must agree (checked); how much faster is measured here and shown, not checked:
    # a timing depends on the machine and its load (benchmarks/bench_vectorise.py enforces it)
    rng = np.random.default_rng(0)
    n_x, m = 12_288, 8 if quick else 20  # cat-sized images (64 x 64 x 3); few, for the loops
    X = rng.random((n_x, m))
    Y = rng.integers(0, 2, size=(1, m)).astype(np.float64)
    w, b = rng.standard_normal((n_x, 1)) * 0.01, 0.1
    grads_loop, cost_loop = propagate_naive(w, b, X, Y)
    grads_vec, cost_vec = propagate(w, b, X, Y)
    report.close("same cost from both", cost_loop, cost_vec, atol=1e-12)
    report.close(
        "largest |dw loop - dw vectorised|",
        float(np.abs(grads_loop["dw"] - grads_vec["dw"]).max()),
        0.0,
        atol=1e-12,
    )
    repeats = 2 if quick else 5
    t_loop = min(_seconds(lambda: propagate_naive(w, b, X, Y)) for _ in range(repeats))
    t_vec = min(_seconds(lambda: propagate(w, b, X, Y), number=20) for _ in range(repeats))
    report.show(f"loops: ms per gradient ({m} examples)", t_loop * 1e3, "timed")
    report.show(f"vectorised: ms per gradient ({m} examples)", t_vec * 1e3, "timed")
    report.show("speed-up", t_loop / t_vec, "timed; the primer says over 300x on its machine")


def _seconds(fn, number: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def run(out_dir: Path | None = None, verbose: bool = True, quick: bool = False) -> dict:
    """Run the lesson (a few seconds); ``quick`` times fewer repeats of the speed-up."""
    from groundup.data import load

    report = Report("logistic regression", verbose)
    ds = load("blobs")
    bce_gradient(report)
    convexity(report, ds.X_train, ds.y_train, out_dir)
    model = blobs_training(report, ds, out_dir)
    confusion_metrics(report, model, ds, out_dir)
    vectorisation(report, quick)
    return report.values
