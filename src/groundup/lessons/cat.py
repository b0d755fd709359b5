"""Lesson: the cat classifier, one logistic neuron trained by hand (primer: *From one neuron to a
billion parameters*).

The primer builds this model but quotes no results. The numbers checked below are the published
ones of the exercise it follows, on the same data and settings: the deeplearning.ai assignment
"Logistic Regression with a Neural Network mindset" (Andrew Ng's Deep Learning Specialization,
course 1, week 2), which prints cost 0.140872 after iteration 1,900, train accuracy 99.04% and
test accuracy 70.0%.

What it shows (groundup's data loading and training checked; the feature count shown):

* a 64 × 64 RGB image unrolled into one column of ``n_x = 64 · 64 · 3 = 12,288`` numbers; the
  209 training images stacked as columns give X of shape (12288, 209);
* logistic regression trained by batch gradient descent from w = 0, b = 0 with α = 0.005 for
  2,000 iterations on pixels / 255: the cost falls from ln 2 = 0.6931 to about 0.1409 at
  iteration 1,900; training accuracy 99.04% (207 of 209), test accuracy 70.0% (35 of 50), as the
  deeplearning.ai assignment publishes — the gap is overfitting: 12,289 parameters for 209
  examples;
* the same model written the PyTorch way (``nn.Linear`` + ``BCEWithLogitsLoss`` + SGD, on the torch
  engine) follows the same cost curve;
* the cost curve, the misclassified test pictures, and the learned weights shown as an image.

Needs the cat files (``GROUNDUP_DATA_DIR`` or ``--data-dir``) and h5py; without them the lesson
stops with a :class:`groundup.errors.DataError` saying where the files go.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from groundup.lessons._figures import figure_path, release
from groundup.lessons._report import Report


def unroll(images: np.ndarray) -> np.ndarray:
    """Images of shape (m, 64, 64, 3) -> X of shape (12288, m), one example per column, / 255."""
    m = images.shape[0]
    return images.reshape(m, -1).T / 255.0


def same_model_in_pytorch(report: Report, ds, scratch_costs: np.ndarray) -> None:
    """The primer's closing version: ``nn.Linear(12288, 1)`` + ``BCEWithLogitsLoss`` + SGD.

    Run by groundup's training loop on the torch engine (the autograd engine when PyTorch is not
    installed), from the same zeros, in float32, for 200 iterations: its cost every 100
    iterations equals the NumPy model's to float32 rounding.
    """
    import importlib.util

    from groundup.engines.base import ModelSpec, OptimizerSpec, make_engine
    from groundup.train import Trainer

    engine_name = "torch" if importlib.util.find_spec("torch") is not None else "autograd"
    report.section(f"the same model in PyTorch style ({engine_name} engine, float32)")
    spec = ModelSpec.for_model("logistic", 12_288, 2)
    zeros = {"0.weight": np.zeros((1, 12_288), np.float32), "0.bias": np.zeros(1, np.float32)}
    engine = make_engine(engine_name, spec, zeros, OptimizerSpec("sgd", lr=0.005))
    X_train = ds.X_train.reshape(len(ds.X_train), -1).astype(np.float32) / np.float32(255)
    history = Trainer(
        engine, X_train, ds.y_train, epochs=201, batch_size=None, log=None, handle_sigint=False
    ).fit()
    costs = np.asarray(history.column("loss"))[::100]  # full batch: the cost before each update
    report.close(
        f"{engine_name}: cost at iterations 0, 100, 200",
        costs,
        scratch_costs[: len(costs)],
        atol=1e-4,
    )


def run(out_dir: Path | None = None, verbose: bool = True, quick: bool = False) -> dict:
    """Run the lesson (a few seconds); ``quick`` trains 500 iterations instead of 2,000."""
    from groundup import plot
    from groundup.data import load
    from groundup.scratch.logistic_regression import LogisticRegression

    report = Report("the cat classifier", verbose)
    ds = load("cat")

    report.section("unrolling images into columns")
    report.equal("training images", ds.X_train.shape, (209, 64, 64, 3))
    report.show("n_x = 64 · 64 · 3", 64 * 64 * 3, "arithmetic")
    X_train, X_test = unroll(ds.X_train), unroll(ds.X_test)
    Y_train, Y_test = ds.y_train.reshape(1, -1), ds.y_test.reshape(1, -1)
    report.equal("X_train (n_x, m_train)", X_train.shape, (12_288, 209))
    report.equal("X_test (n_x, m_test)", X_test.shape, (12_288, 50))
    report.close(
        "column 7 is image 7, flattened",
        float(np.abs(X_train[:, 7] - ds.X_train[7].reshape(-1) / 255.0).max()),
        0.0,
    )
    report.between("pixel range after / 255", float(X_train.max()), 0.0, 1.0)
    report.equal("cats in train / test", (int(ds.y_train.sum()), int(ds.y_test.sum())), (72, 33))

    report.section("training: w = 0, b = 0, α = 0.005, batch gradient descent")
    iterations = 500 if quick else 2000
    model = LogisticRegression(num_iterations=iterations, learning_rate=0.005)
    model.fit(X_train, Y_train)
    costs = np.asarray(model.costs)  # recorded every 100 iterations, before the update
    report.close("cost at iteration 0 (ln 2: every σ(0) = 0.5)", costs[0], math.log(2), atol=1e-9)
    report.holds(
        "cost every 100 iterations",
        bool(np.all(np.diff(costs) < 0)),
        "falls each time",
        np.round(costs, 4),
    )
    train_acc = model.accuracy(X_train, Y_train)
    test_acc = model.accuracy(X_test, Y_test)
    if not quick:  # the deeplearning.ai assignment's published numbers (module docstring)
        report.close("cost at iteration 1,900", costs[19], 0.1409, atol=5e-4)
        report.close("train accuracy (207 of 209)", train_acc, 207 / 209, atol=1e-12)
        report.close("test accuracy (35 of 50)", test_acc, 0.70, atol=1e-12)
        report.close("train accuracy, in percent", round(100 * train_acc, 2), 99.04)
    else:
        report.between("train accuracy after 500 iterations", train_acc, 0.9, 1.0)
        report.between("test accuracy after 500 iterations", test_acc, 0.6, 0.8)
    report.between("train - test gap (overfitting)", train_acc - test_acc, 0.15, 1.0)

    same_model_in_pytorch(report, ds, costs)

    report.section("pictures")
    steps = [100 * k for k in range(len(costs))]
    release(
        plot.plot_curves(
            {"cost J": list(zip(steps, costs, strict=True))},
            figure_path(out_dir, "cat_cost.png"),
            xlabel="iteration",
            ylabel="cost",
        )
    )
    y_hat = model.predict(X_test).reshape(-1).astype(np.int64)
    wrong = np.flatnonzero(y_hat != ds.y_test)
    report.equal("misclassified test pictures", len(wrong), round((1 - test_acc) * 50))
    p_cat = model.predict_proba(X_test).reshape(-1)
    proba = np.where(y_hat == 1, p_cat, 1 - p_cat)  # the probability of the predicted class
    release(
        plot.plot_misclassified(
            ds.X_test[wrong],
            ds.y_test[wrong],
            y_hat[wrong],
            ds.classes,
            figure_path(out_dir, "cat_misclassified.png"),
            probs=proba[wrong],
        )
    )
    release(
        plot.plot_weight_images(
            model.w.reshape(1, -1), (64, 64, 3), figure_path(out_dir, "cat_weights.png")
        )
    )
    return report.values
