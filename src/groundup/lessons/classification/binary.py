"""Exercises 2-4: the logistic neuron on the breast-cancer set, from scratch, in PyTorch, and
against a deeper network.

The data: 569 tumours, 30 measurements each, malignant or benign; a stratified 80/20 split
(seed 42) and a :class:`groundup.data.StandardScaler` fitted on the training part only.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from groundup import metrics
from groundup.lessons._figures import figure_path, release
from groundup.lessons._report import Report


def cancer_data() -> SimpleNamespace:
    """The breast-cancer split, standardised with training statistics."""
    from groundup.data import StandardScaler, load

    ds = load("breast-cancer")
    scaler = StandardScaler().fit(ds.X_train)
    return SimpleNamespace(
        X_train=scaler.transform(ds.X_train),
        y_train=ds.y_train,
        X_test=scaler.transform(ds.X_test),
        y_test=ds.y_test,
        classes=list(ds.classes),
    )


def train_engine(engine_name: str, spec, state, optimizer, data, epochs: int):
    """Full-batch training through groundup's one loop; returns (engine, per-epoch losses)."""
    from groundup.engines.base import make_engine
    from groundup.train import Trainer

    engine = make_engine(engine_name, spec, state, optimizer)
    history = Trainer(
        engine,
        data.X_train.astype(np.float32),
        data.y_train,
        data.X_test.astype(np.float32),
        data.y_test,
        epochs=epochs,
        batch_size=None,
        seed=0,
        log=None,
        handle_sigint=False,
    ).fit()
    return engine, np.asarray(history.column("loss"))


def exercise_2(report: Report, data, quick: bool):
    from groundup.scratch import LogisticNeuron

    report.section("exercise 2: a logistic neuron from scratch on breast-cancer")
    report.equal("training / test rows", (len(data.y_train), len(data.y_test)), (455, 114))
    report.close(
        "mean of a standardised training column", float(data.X_train[:, 0].mean()), 0.0, atol=1e-12
    )
    batch = None
    for mode, lr in (("batch", 0.5), ("minibatch", 0.1), ("sgd", 0.01)):
        neuron = LogisticNeuron()
        epochs = 100 if mode == "batch" or not quick else 20
        neuron.fit(
            data.X_train, data.y_train, lr=lr, epochs=epochs, mode=mode, batch_size=32, seed=0
        )
        acc = metrics.accuracy(data.y_test, neuron.predict(data.X_test))
        report.between(f"test accuracy, {mode} (lr {lr}, {epochs} epochs)", acc, 0.95, 1.0)
        if mode == "batch":
            batch = neuron
    cm = metrics.confusion_matrix(data.y_test, batch.predict(data.X_test), labels=[0, 1])
    report.equal("confusion matrix entries add up to the test set", int(cm.sum()), 114)
    return batch


def exercise_3(report: Report, data, neuron, out_dir: Path | None, quick: bool) -> None:
    from groundup import plot
    from groundup.engines.base import ModelSpec, OptimizerSpec

    report.section("exercise 3: the same neuron in PyTorch (nn.Linear + BCEWithLogitsLoss)")
    if importlib.util.find_spec("torch") is None:
        report.note("skipped: PyTorch is not installed (pip install 'groundup[torch]')")
        return
    spec = ModelSpec.for_model("logistic", data.X_train.shape[1], 2)
    zeros = {
        "0.weight": np.zeros((1, spec.n_inputs), np.float32),
        "0.bias": np.zeros(1, np.float32),
    }
    engine, torch_losses = train_engine(
        "torch", spec, zeros, OptimizerSpec("sgd", lr=0.5), data, 100
    )
    scratch_losses = np.asarray(neuron.history[: len(torch_losses)], dtype=np.float64)
    acc_torch = metrics.accuracy(data.y_test, engine.predict(data.X_test.astype(np.float32)))
    acc_scratch = metrics.accuracy(data.y_test, neuron.predict(data.X_test))
    report.close("test accuracy: PyTorch vs scratch", acc_torch, acc_scratch, atol=1 / 114 + 1e-9)
    report.close(
        "largest loss difference over 100 epochs (float32 vs float64)",
        float(np.abs(torch_losses - scratch_losses).max()),
        0.0,
        atol=1e-4,
    )
    release(
        plot.plot_curves(
            {"scratch (NumPy, float64)": scratch_losses, "PyTorch (float32)": torch_losses},
            figure_path(out_dir, "ex3_scratch_vs_torch.png"),
            xlabel="epoch",
            ylabel="BCE",
        )
    )


def exercise_4(report: Report, data, neuron, out_dir: Path | None, quick: bool) -> None:
    from groundup import plot
    from groundup.engines.base import ModelSpec, OptimizerSpec

    report.section("exercise 4: does depth help? 30 -> 64 -> 32 -> 1 against one neuron")
    spec = ModelSpec.for_model("mlp", data.X_train.shape[1], 2, hidden=(64, 32))
    report.equal("MLP parameters: 31·64 + 65·32 + 33·1", spec.n_parameters, 1984 + 2080 + 33)
    epochs = 100 if quick else 200
    engine, mlp_losses = train_engine(
        "autograd", spec, spec.init_state(seed=0), OptimizerSpec("adam", lr=1e-3), data, epochs
    )
    acc_mlp = metrics.accuracy(data.y_test, engine.predict(data.X_test.astype(np.float32)))
    acc_neuron = metrics.accuracy(data.y_test, neuron.predict(data.X_test))
    report.between("MLP test accuracy", acc_mlp, 0.93, 1.0)
    report.between("single neuron test accuracy", acc_neuron, 0.95, 1.0)
    # 114 test tumours: 4 points of accuracy is ~5 tumours, within the noise of one split
    report.between("MLP minus neuron (depth buys little here)", acc_mlp - acc_neuron, -0.04, 0.04)
    release(
        plot.plot_curves(
            {
                "logistic neuron (GD lr 0.5)": np.asarray(neuron.history, dtype=np.float64),
                "MLP 64-32 (Adam lr 1e-3)": mlp_losses,
            },
            figure_path(out_dir, "ex4_neuron_vs_mlp.png"),
            xlabel="epoch",
            ylabel="training BCE",
        )
    )
