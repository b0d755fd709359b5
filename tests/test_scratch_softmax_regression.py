"""SoftmaxRegression: gradients, the two-class link to the logistic neuron, penguins."""

import numpy as np
import pytest

from groundup.data import StandardScaler, load
from groundup.errors import DataError, ShapeError
from groundup.gradcheck import gradcheck
from groundup.scratch import LogisticNeuron, SoftmaxRegression


def test_gradients_pass_gradcheck():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 3))
    y = rng.integers(0, 4, size=10)
    model = SoftmaxRegression(n_features=3, n_classes=4)
    model.params["weight"][:] = rng.normal(size=(4, 3))
    model.params["bias"][:] = rng.normal(size=4)
    errors = gradcheck(lambda: model.loss_and_grads(X, y), model.params)
    assert max(errors.values()) < 1e-6, errors


def test_loss_at_zero_weights_is_log_c_and_gradient_by_hand():
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    model = SoftmaxRegression(n_features=2, n_classes=3)
    loss, grads = model.loss_and_grads(X, np.array([0, 2]))
    assert loss == pytest.approx(np.log(3))
    # dZ = (1/3 - onehot) / 2 -> db = [1/3 - 1/2, 1/3, 1/3 - 1/2]
    np.testing.assert_allclose(grads["bias"], [-1 / 6, 1 / 3, -1 / 6])


def test_two_classes_equal_a_logistic_neuron_on_the_logit_difference():
    # softmax over [z0, z1] is σ(z1 - z0): with zero start, z1 - z0 follows a logistic neuron
    # trained at twice the learning rate
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 2))
    y = (X[:, 0] + 0.5 * rng.normal(size=20) > 0).astype(np.int64)
    soft = SoftmaxRegression().fit(X, y, lr=0.1, epochs=30)
    neuron = LogisticNeuron().fit(X, y, lr=0.2, epochs=30)
    W, b = soft.params["weight"], soft.params["bias"]
    np.testing.assert_allclose(W[1] - W[0], neuron.w, rtol=1e-10)
    np.testing.assert_allclose(b[1] - b[0], neuron.b, rtol=1e-10)
    np.testing.assert_allclose(soft.history, neuron.history, rtol=1e-10)


def test_labels_are_validated():
    with pytest.raises(DataError, match="LabelEncoder"):
        SoftmaxRegression().fit(np.zeros((2, 2)), np.array(["a", "b"]))
    with pytest.raises(DataError, match="out of range"):
        SoftmaxRegression(n_features=2, n_classes=2).fit(np.zeros((2, 2)), np.array([0, 2]))


def test_column_labels_are_flattened_and_lengths_checked():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(6, 3)), np.array([0, 1, 2, 0, 1, 2])
    model = SoftmaxRegression(3, 3)
    model.params["weight"][:] = rng.normal(size=(3, 3))
    loss, grads = model.loss_and_grads(X, y)
    loss_col, grads_col = model.loss_and_grads(X, y[:, None])
    assert loss_col == loss
    np.testing.assert_array_equal(grads_col["weight"], grads["weight"])
    with pytest.raises(ShapeError, match="5 labels"):
        model.loss_and_grads(X, y[:5])


def test_penguins_at_least_95_percent():
    data = load("penguins")
    scaler = StandardScaler()
    X_train = scaler.fit_transform(data.X_train)
    model = SoftmaxRegression().fit(X_train, data.y_train, lr=0.5, epochs=200)
    proba = model.predict_proba(scaler.transform(data.X_test))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.mean(model.predict(scaler.transform(data.X_test)) == data.y_test) >= 0.95
