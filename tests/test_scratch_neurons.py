"""LinearNeuron and LogisticNeuron: gradients, the three modes, and the primer's quality floors."""

import numpy as np
import pytest

from groundup.data import StandardScaler, load
from groundup.errors import GroundupError, ShapeError, TrainingError
from groundup.gradcheck import gradcheck
from groundup.scratch import LinearNeuron, LogisticNeuron
from groundup.scratch.training import batches

RNG = np.random.default_rng(0)
X = RNG.normal(size=(9, 4))


@pytest.mark.parametrize("cls", [LinearNeuron, LogisticNeuron])
def test_gradients_pass_gradcheck(cls):
    model = cls(n_features=4)
    model.params["weight"][:] = RNG.normal(size=4)
    model.params["bias"][...] = 0.3
    y = RNG.integers(0, 2, size=9).astype(float)
    errors = gradcheck(lambda: model.loss_and_grads(X, y), model.params)
    assert max(errors.values()) < 1e-6, errors


def test_linear_neuron_recovers_a_line():
    x = np.linspace(-1, 1, 21).reshape(-1, 1)
    y = 3 * x[:, 0] - 1
    model = LinearNeuron().fit(x, y, lr=0.3, epochs=300)
    np.testing.assert_allclose([model.w[0], model.b], [3, -1], atol=1e-6)
    assert model.history[-1] < 1e-10 and len(model.history) == 300


def test_logistic_loss_at_zero_weights_is_log_2():
    # σ(0) = 1/2 for every row, so the BCE is -log(1/2) whatever the labels
    model = LogisticNeuron(n_features=4)
    loss, grads = model.loss_and_grads(X, np.ones(9))
    assert loss == pytest.approx(np.log(2))
    np.testing.assert_allclose(grads["bias"], -0.5)  # mean(1/2 - 1)


def test_predict_threshold_and_proba():
    model = LogisticNeuron(n_features=1)
    model.params["weight"][:] = [1.0]
    Xs = np.array([[-1.0], [0.0], [2.0]])
    np.testing.assert_allclose(model.predict_proba(Xs), 1 / (1 + np.exp([1.0, 0.0, -2.0])))
    np.testing.assert_array_equal(model.predict(Xs), [0, 1, 1])  # σ(0) = 0.5 >= 0.5
    np.testing.assert_array_equal(model.predict(Xs, threshold=0.9), [0, 0, 0])


@pytest.mark.parametrize("mode, size, n_batches", [("batch", 5, 1), ("minibatch", 4, 3),
                                                   ("sgd", 4, 10)])
def test_every_row_is_visited_once_per_epoch(mode, size, n_batches):
    parts = list(batches(10, mode, size, seed=3, epoch=1))
    assert len(parts) == n_batches
    np.testing.assert_array_equal(np.sort(np.concatenate(parts)), np.arange(10))
    again = list(batches(10, mode, size, seed=3, epoch=1))
    assert all(np.array_equal(a, b) for a, b in zip(parts, again, strict=True))


def test_bad_mode_shapes_and_divergence_are_reported():
    y = np.zeros(9)
    with pytest.raises(GroundupError, match="minibatch"):
        LogisticNeuron().fit(X, y, mode="online")
    with pytest.raises(ShapeError):
        LogisticNeuron(n_features=3).predict(X)
    with pytest.raises(TrainingError, match="learning rate"):
        LinearNeuron().fit(X * 1e3, RNG.normal(size=9) * 1e3, lr=10.0, epochs=50)


@pytest.mark.parametrize("cls", [LinearNeuron, LogisticNeuron])
def test_column_targets_are_flattened_not_broadcast(cls):
    X, y = RNG.normal(size=(6, 2)), (RNG.normal(size=6) > 0).astype(float)
    neuron = cls(n_features=2)
    neuron.params["weight"][:] = [0.3, -0.2]
    loss, grads = neuron.loss_and_grads(X, y)
    loss_col, grads_col = neuron.loss_and_grads(X, y[:, None])  # (m, 1) would broadcast to (m, m)
    assert loss_col == loss and grads_col["weight"].shape == (2,)
    np.testing.assert_array_equal(grads_col["weight"], grads["weight"])
    with pytest.raises(ShapeError, match="5 targets"):
        neuron.loss_and_grads(X, y[:5])


def test_xor_defeats_one_neuron():
    X_xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y_xor = np.array([0, 1, 1, 0])
    model = LogisticNeuron().fit(X_xor, y_xor, lr=0.5, epochs=2000)
    assert np.mean(model.predict(X_xor) == y_xor) <= 0.75  # no line separates XOR


def test_blobs_lesson_above_95_percent():
    # the lesson: 200 points from two unit-variance blobs (seed 0), w = 0, b = 0, lr 0.1, 2000 steps
    blobs = load("blobs", test_size=0)
    model = LogisticNeuron().fit(blobs.X_train, blobs.y_train, lr=0.1, epochs=2000)
    assert np.mean(model.predict(blobs.X_train) == blobs.y_train) > 0.95
    assert model.history[-1] < model.history[0] == pytest.approx(np.log(2))


@pytest.mark.parametrize("mode, lr, epochs", [("batch", 0.5, 100), ("minibatch", 0.1, 100),
                                              ("sgd", 0.01, 20)])
def test_breast_cancer_at_least_95_percent_in_every_mode(mode, lr, epochs):
    data = load("breast-cancer")  # stratified 80/20, random_state 42
    scaler = StandardScaler()
    X_train = scaler.fit_transform(data.X_train)
    X_test = scaler.transform(data.X_test)
    model = LogisticNeuron().fit(X_train, data.y_train, lr=lr, epochs=epochs, mode=mode,
                                 batch_size=32, seed=0)
    assert len(model.history) == epochs
    assert np.mean(model.predict(X_test) == data.y_test) >= 0.95


def test_array_optimizer_names_and_defaults():
    from groundup.scratch import ArrayOptimizer

    with pytest.raises(GroundupError, match="adam"):
        ArrayOptimizer("lbfgs")
    with pytest.raises(GroundupError, match="lr"):
        ArrayOptimizer("sgd")
    assert ArrayOptimizer("adamw").hyper == {"decoupled_weight_decay": True, "weight_decay": 1e-2}
    params = {"w": np.array([1.0, 2.0])}
    opt = ArrayOptimizer("sgd", lr=0.5, momentum=0.9)
    opt.step(params, {"w": np.array([1.0, 1.0])})
    np.testing.assert_allclose(params["w"], [0.5, 1.5])
    assert set(opt.state) == {"w"} and "momentum_buffer" in opt.state["w"]
