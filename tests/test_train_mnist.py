"""The primer's experiments on the real data (MNIST, cat vs non-cat): slow, but run in CI.

Skipped locally unless GROUNDUP_DATA_DIR points at the data; an error under CI=true, where
they must run (.ci/run points GROUNDUP_DATA_DIR at ../shared/data).
"""


import numpy as np
import pytest

from groundup.runs import build_config, load_data, model_spec
from groundup.train.compare import compare_engines
from test_recipes import run_recipe

pytestmark = [
    pytest.mark.slow,
    pytest.mark.real_data("mnist", "catvnoncat"),
]


def test_mnist_sgd_five_epochs_matches_pytorch():
    """The primer's loop: 784 -> 128 -> 10, SGD lr 0.01, batch 64, 5 epochs (~91.5%)."""
    pytest.importorskip("torch")
    _, ours = run_recipe("mnist-sgd", "autograd")
    _, ref = run_recipe("mnist-sgd", "torch")
    assert len(ours) == 5 and ours.last["test_acc"] > 0.905
    assert abs(ours.last["test_acc"] - ref.last["test_acc"]) <= 0.005


def test_mnist_adam_five_epochs_reaches_97_percent():
    _, history = run_recipe("mnist-adam", "autograd")
    assert history.last["test_acc"] >= 0.970


def test_mnist_cnn_one_epoch_beats_every_mlp():
    """3x3 conv 32 -> 64 -> 128, a pool after each, linear, Adam: 98.45% after one epoch
    (99.22% after the recipe's four, the rate decayed by 0.7 per epoch), above the MLPs' five
    epochs (91.5% SGD, 97.5% Adam)."""
    _, history = run_recipe("mnist-cnn", "autograd", epochs=1)
    assert history.last["test_acc"] >= 0.980


def test_compare_mnist_sgd_engines_agree():
    """One epoch, three engines from the same weights and batches: float32 rounding apart."""
    pytest.importorskip("torch")
    config = build_config(recipe="mnist-sgd", epochs=1)
    prep = load_data(config)
    spec = model_spec(config, prep)
    results, skipped = compare_engines(spec, config.optimizer, prep, epochs=1, batch_size=64)
    assert not skipped and [r.engine for r in results] == ["scratch", "autograd", "torch"]
    accs = [r.test_acc for r in results]
    assert max(accs) - min(accs) <= 0.002
    assert max(r.max_diff for r in results) < 1e-5  # weights of size ~0.05-0.3


def test_cat_logreg_reproduces_the_primer_and_overfits():
    engine, history = run_recipe("cat-logreg", "autograd")
    assert history.last["test_acc"] >= 0.68 and history.last["train_acc"] >= 0.97
    a, _ = run_recipe("cat-logreg", "scratch", epochs=50)
    b, _ = run_recipe("cat-logreg", "autograd", epochs=50)
    for k, v in a.state_dict().items():
        np.testing.assert_allclose(v, b.state_dict()[k], rtol=1e-5, atol=1e-6)
