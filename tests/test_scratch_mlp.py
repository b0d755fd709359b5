"""Scratch MLP: gradcheck for every activation and head, layout, dtypes, XOR and penguins."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundup.data import StandardScaler, load
from groundup.errors import DataError, ShapeError
from groundup.gradcheck import gradcheck
from groundup.models.mlp import from_sizes
from groundup.numerics import ACTIVATIONS
from groundup.scratch import MLP, ArrayOptimizer


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("n_out", [1, 3])
def test_gradients_pass_gradcheck(activation, n_out):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 4))
    y = rng.integers(0, 2 if n_out == 1 else n_out, size=8)
    net = MLP([4, 5, 6, n_out], activation=activation, seed=1, dtype=np.float64)
    errors = gradcheck(lambda: net.loss_and_grads(X, y), net.params)
    assert set(errors) == {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}
    assert max(errors.values()) < 1e-6, errors


def test_layout_names_and_default_init_match_weights_module():
    net = MLP([784, 128, 10], seed=3)
    assert net.n_parameters == 101_770  # 784·128 + 128 + 128·10 + 10
    expected = from_sizes([784, 128, 10]).init_state(3)
    state = net.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for name, value in expected.items():
        np.testing.assert_array_equal(state[name], value)
    state["0.bias"][:] = 99.0  # a copy: the model is untouched
    assert not np.any(net.params["0.bias"] == 99.0)


def test_float32_in_float32_throughout():
    rng = np.random.default_rng(0)
    net = MLP([6, 5, 3], seed=0, dtype=np.float32)
    X = rng.normal(size=(7, 6))  # float64 input is cast to the weights' dtype
    loss, grads = net.loss_and_grads(X, rng.integers(0, 3, size=7))
    assert net.forward(X).dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())
    net.step(X, rng.integers(0, 3, size=7), ArrayOptimizer("adam", lr=1e-3))
    assert all(p.dtype == np.float32 for p in net.params.values())


def test_load_state_dict_sets_the_dtype_and_checks_shapes():
    net = MLP([3, 4, 1], seed=0)
    state64 = {k: v.astype(np.float64) for k, v in from_sizes([3, 4, 1]).init_state(9).items()}
    net.load_state_dict(state64)
    assert net.dtype == np.float64
    np.testing.assert_array_equal(net.params["2.weight"], state64["2.weight"])
    bad = dict(state64, **{"0.weight": np.zeros((4, 2))})
    with pytest.raises(ShapeError, match="0.weight"):
        net.load_state_dict(bad)
    with pytest.raises(ShapeError, match="keys"):
        net.load_state_dict({"0.weight": state64["0.weight"]})
    with pytest.raises(ShapeError, match="floating point"):  # int64 math would truncate X
        net.load_state_dict({k: v.astype(np.int64) for k, v in state64.items()})
    shuffled = dict(reversed(state64.items()))
    net.load_state_dict(shuffled)
    assert list(net.params) == ["0.weight", "0.bias", "2.weight", "2.bias"]  # layer order


def test_forward_by_hand():
    # one hidden ReLU unit: z1 = 2x - 1, a1 = relu(z1), logit = 3 a1 + 0.5
    net = MLP([1, 1, 1], activation="relu", dtype=np.float64)
    net.load_state_dict({"0.weight": np.array([[2.0]]), "0.bias": np.array([-1.0]),
                         "2.weight": np.array([[3.0]]), "2.bias": np.array([0.5])})
    np.testing.assert_allclose(net.forward(np.array([[0.0], [1.0], [2.0]]))[:, 0],
                               [0.5, 3.5, 9.5])
    # binary loss gradient at x = 1, y = 1: dz = σ(3.5) - 1; d(2.bias) = dz; d(0.weight) = dz·3·1
    _, grads = net.loss_and_grads(np.array([[1.0]]), np.array([1]))
    dz = 1 / (1 + np.exp(-3.5)) - 1
    np.testing.assert_allclose(grads["2.bias"], [dz])
    np.testing.assert_allclose(grads["0.weight"], [[3 * dz]])


def test_multiclass_mean_is_taken_once():
    # doubling the batch by repeating it leaves the mean loss and its gradients unchanged
    rng = np.random.default_rng(2)
    X = rng.normal(size=(5, 3))
    y = rng.integers(0, 4, size=5)
    net = MLP([3, 6, 4], dtype=np.float64)
    loss1, g1 = net.loss_and_grads(X, y)
    loss2, g2 = net.loss_and_grads(np.vstack([X, X]), np.concatenate([y, y]))
    assert loss1 == pytest.approx(loss2, rel=1e-14)
    for name in g1:
        np.testing.assert_allclose(g1[name], g2[name], rtol=1e-12, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    m=st.integers(1, 6),
    activation=st.sampled_from(sorted(ACTIVATIONS)),
)
def test_shapes_for_any_architecture(sizes, m, activation):
    net = MLP(sizes, activation=activation, seed=0)
    X = np.random.default_rng(0).normal(size=(m, sizes[0]))
    y = np.zeros(m, dtype=np.int64)
    Z = net.forward(X)
    assert Z.shape == (m, sizes[-1])
    loss, grads = net.loss_and_grads(X, y)
    assert np.isfinite(loss)
    assert {k: g.shape for k, g in grads.items()} == {k: p.shape for k, p in net.params.items()}
    assert net.predict(X).shape == (m,)


def test_input_errors_name_the_fix():
    net = MLP([4, 3, 2])
    with pytest.raises(ShapeError, match="reshape"):
        net.forward(np.zeros((2, 2, 2)))
    with pytest.raises(DataError, match="integer"):
        net.loss_and_grads(np.zeros((2, 4)), np.array([0.5, 1.0]))
    with pytest.raises(ShapeError, match="labels"):
        net.loss_and_grads(np.zeros((2, 4)), np.array([0, 1, 1]))


@pytest.mark.parametrize("n_out", [1, 3])
def test_column_labels_are_flattened_not_broadcast(n_out):
    # logp[rows, y] with y of shape (m, 1) would pick an (m, m) block: a wrong loss, no error
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(6, 3)), np.array([0, 1, 2, 0, 1, 2]) % max(n_out, 2)
    net = MLP([3, 4, n_out], seed=1, dtype=np.float64)
    loss, grads = net.loss_and_grads(X, y)
    loss_col, grads_col = net.loss_and_grads(X, y[:, None])
    assert loss_col == loss
    for name in grads:
        np.testing.assert_array_equal(grads_col[name], grads[name])


def test_xor_needs_a_hidden_layer():
    # the four XOR points; 2 tanh hidden units, Adam lr 0.05, 2000 full-batch steps, seed 0
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    net = MLP([2, 2, 1], activation="tanh", seed=0, dtype=np.float64)
    net.fit(X, y, lr=0.05, epochs=2000, mode="batch", optimizer="adam")
    np.testing.assert_array_equal(net.predict(X), y)
    assert net.history[-1] < 0.05


def test_penguins_mlp_at_least_95_percent():
    data = load("penguins")
    scaler = StandardScaler()
    X_train = scaler.fit_transform(data.X_train)
    net = MLP([4, 16, 3], activation="relu", seed=0)
    net.fit(X_train, data.y_train, lr=0.01, epochs=100, batch_size=32, optimizer="adam")
    assert np.mean(net.predict(scaler.transform(data.X_test)) == data.y_test) >= 0.95
    assert net.history[-1] < 0.1 * net.history[0]
