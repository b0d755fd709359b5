"""Cat-convention logistic regression: published small examples, loops vs vectors, the cat set."""


import numpy as np
import pytest

from groundup.errors import ShapeError
from groundup.gradcheck import gradcheck
from groundup.scratch import LogisticRegression, optimize, predict, propagate, propagate_naive
from groundup.scratch.logistic_regression import initialize_with_zeros

# The course's worked example: w = [1, 2]ᵀ, b = 2, three columns, labels 1 0 1.
W = np.array([[1.0], [2.0]])
B = 2.0
X = np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]])
Y = np.array([[1, 0, 1]])


def test_propagate_matches_the_published_example():
    grads, cost = propagate(W, B, X, Y)
    np.testing.assert_allclose(grads["dw"], [[0.99845601], [2.39507239]], rtol=1e-8)
    np.testing.assert_allclose(grads["db"], 0.00145557813678, rtol=1e-9)
    np.testing.assert_allclose(cost, 5.801545319394553, rtol=1e-13)


def test_optimize_matches_the_published_example():
    params, grads, costs = optimize(W, B, X, Y, num_iterations=100, learning_rate=0.009)
    np.testing.assert_allclose(params["w"], [[0.19033591], [0.12259159]], rtol=1e-7)
    np.testing.assert_allclose(params["b"], 1.92535983008, rtol=1e-10)
    np.testing.assert_allclose(grads["dw"], [[0.67752042], [1.41625495]], rtol=1e-7)
    np.testing.assert_allclose(grads["db"], 0.219194504541, rtol=1e-10)
    assert len(costs) == 1  # recorded at iteration 0 only
    np.testing.assert_array_equal(W, [[1.0], [2.0]])  # the caller's w is not modified


def test_predict_matches_the_published_example():
    w = np.array([[0.1124579], [0.23106775]])
    Xp = np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]])
    np.testing.assert_array_equal(predict(w, -0.3, Xp), [[1.0, 1.0, 0.0]])


def test_naive_loops_give_the_same_numbers_as_the_vectorised_version():
    rng = np.random.default_rng(0)
    Xr = rng.normal(size=(30, 12))
    Yr = rng.integers(0, 2, size=(1, 12))
    wr = rng.normal(size=(30, 1))
    g_vec, c_vec = propagate(wr, 0.3, Xr, Yr)
    g_loop, c_loop = propagate_naive(wr, 0.3, Xr, Yr)
    np.testing.assert_allclose(g_loop["dw"], g_vec["dw"], rtol=1e-12)
    np.testing.assert_allclose(g_loop["db"], g_vec["db"], rtol=1e-12)
    np.testing.assert_allclose(c_loop, c_vec, rtol=1e-12)


def test_propagate_passes_gradcheck():
    rng = np.random.default_rng(1)
    Xr = rng.normal(size=(5, 8))
    Yr = rng.integers(0, 2, size=(1, 8))
    params = {"w": rng.normal(size=(5, 1)), "b": np.array(0.1)}

    def f():
        grads, cost = propagate(params["w"], float(params["b"]), Xr, Yr)
        return cost, {"w": grads["dw"], "b": np.array(grads["db"])}

    errors = gradcheck(f, params)
    assert max(errors.values()) < 1e-6, errors


def test_cost_is_finite_when_the_sigmoid_saturates():
    grads, cost = propagate(np.array([[1000.0]]), 0.0, np.array([[1.0, -1.0]]), np.array([[0, 1]]))
    assert cost == pytest.approx(1000.0)
    assert np.all(np.isfinite(grads["dw"]))


def test_shapes_are_checked_with_a_hint():
    w, b = initialize_with_zeros(3)
    with pytest.raises(ShapeError, match="one example per column"):
        propagate(w, b, X, Y)
    with pytest.raises(ShapeError, match="Y has shape"):
        propagate(W, B, X, np.array([1, 0, 1]))


def test_class_separates_a_line():
    Xl = np.array([[0.0, 1.0, 2.0, 3.0]])
    clf = LogisticRegression(num_iterations=500, learning_rate=0.5).fit(Xl, [0, 0, 1, 1])
    assert clf.accuracy(Xl, [0, 0, 1, 1]) == 1.0
    assert clf.costs == sorted(clf.costs, reverse=True)  # convex problem: the cost only falls


@pytest.mark.real_data("catvnoncat")
def test_cat_set_reproduces_the_published_result():
    from groundup.data import load

    cat = load("cat")
    X_train = cat.X_train.reshape(len(cat.X_train), -1).T / 255.0  # (12288, 209)
    X_test = cat.X_test.reshape(len(cat.X_test), -1).T / 255.0  # (12288, 50)
    assert X_train.shape == (12288, 209)
    clf = LogisticRegression(num_iterations=2000, learning_rate=0.005).fit(X_train, cat.y_train)
    assert clf.costs[19] == pytest.approx(0.140872, abs=5e-6)  # iteration 1,900
    assert clf.accuracy(X_train, cat.y_train) == pytest.approx(207 / 209)  # 99.04 %
    assert clf.accuracy(X_test, cat.y_test) == pytest.approx(0.70)
