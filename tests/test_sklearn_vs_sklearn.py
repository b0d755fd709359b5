"""groundup.sklearn's MLPClassifier against scikit-learn's, number for number (issue 14): the
initial weights (``init="glorot"``) and the L2 penalty ``alpha`` of every batch, the last,
smaller one included."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_breast_cancer, load_digits  # noqa: E402
from sklearn.neural_network import MLPClassifier as SkMLP  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from groundup import models  # noqa: E402
from groundup.engines import OptimizerSpec, make_engine  # noqa: E402
from groundup.sklearn import CNNClassifier, MLPClassifier  # noqa: E402
from groundup.sklearn.init import glorot_bound, glorot_state  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ENGINES = ["scratch", "autograd", pytest.param("torch", marks=pytest.mark.torch)]


def cancer32():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X).astype(np.float32), y


def standing_still(cls, **kw):
    """An estimator whose one SGD step is too small to move a float32 weight (lr = 1e-30), so
    its weights after ``partial_fit`` are its initial weights."""
    return cls(solver="sgd", momentum=0.0, learning_rate_init=1e-30, shuffle=False, **kw)


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("hidden", [(), (7,), (9, 5)])
def test_glorot_init_is_sklearns(activation, hidden):
    """Same random_state, same initial weights: scikit-learn's, rounded to float32 (its
    weights moved by lr = 1e-300, ours by 1e-30: not at all)."""
    X, y = cancer32()
    classes = np.unique(y)
    ours = standing_still(MLPClassifier, hidden_layer_sizes=hidden, activation=activation,
                          random_state=11).partial_fit(X, y, classes=classes)
    sk = SkMLP(hidden, activation=activation, solver="sgd", momentum=0.0,
               learning_rate_init=1e-300, shuffle=False, random_state=11)
    sk.partial_fit(X.astype(np.float64), y, classes=classes)
    for a, b in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_, strict=True):
        assert a.shape == b.shape and a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


def test_glorot_bounds_by_hand():
    """a = sqrt(6 / (fan_in + fan_out)) (2 for logistic), weights and biases alike: 64 -> 100 ->
    10 gives 0.19127 and 0.23355, and the draws fill (-a, a)."""
    spec = models.build("mlp", 64, 10, hidden=(100,), activation="relu")
    state = glorot_state(spec, 0, "relu")
    for name, a in [("0", 0.19127), ("2", 0.23355)]:
        assert glorot_bound(*spec.parameter_shapes()[f"{name}.weight"][::-1], "relu") == \
            pytest.approx(a, abs=1e-5)
        for p in (state[f"{name}.weight"], state[f"{name}.bias"]):
            assert np.abs(p).max() < a and np.abs(p).max() > 0.7 * a
        assert np.abs(state[f"{name}.weight"]).max() > 0.99 * a
    assert glorot_bound(64, 100, "logistic") == pytest.approx(np.sqrt(2 / 164))


def test_glorot_init_of_a_convolution():
    """(out, in, k, k) with fans in·k² and out·k², and PyTorch's init kept on request."""
    X, y = load_digits(return_X_y=True)
    X, y = (X / 16)[:300], y[:300]
    est = standing_still(CNNClassifier, channels=(6,), random_state=0)
    est.partial_fit(X, y, classes=np.arange(10))
    W, V = est.coefs_
    assert W.shape == (6, 1, 3, 3) and V.shape == (96, 10)
    a = glorot_bound(1 * 9, 6 * 9, "relu")
    assert a * 0.9 < np.abs(W).max() < a and np.abs(est.intercepts_[0]).max() < a
    torch_like = standing_still(CNNClassifier, channels=(6,), random_state=0, init="pytorch")
    torch_like.partial_fit(X, y, classes=np.arange(10))
    assert np.abs(torch_like.coefs_[0]).max() < 1 / 3  # U(±1/sqrt(fan_in)), fan_in = 9


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("nesterov", [False, True])
def test_an_epoch_with_alpha_equals_sklearns(engine, nesterov):
    """Batches of 64 over 569 examples (the last holds 57), SGD with momentum and alpha = 2:
    each batch's loss gains alpha/(2m)·Σ||W||² and its weight gradients (alpha/m)·W, m its own
    size. Same initial weights (Glorot, same random_state), same batches (no shuffling), so two
    epochs end at scikit-learn's weights and loss curve, in float32 on both sides."""
    X, y = cancer32()
    kw = dict(hidden_layer_sizes=(8,), solver="sgd", momentum=0.9, nesterovs_momentum=nesterov,
              alpha=2.0, batch_size=64, learning_rate_init=0.02, shuffle=False, max_iter=2,
              tol=0, random_state=3)  # fmt: skip
    ours = MLPClassifier(**kw, engine=engine).fit(X, y)
    sk = SkMLP(**kw).fit(X, y)
    for a, b in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_, strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-6)
    np.testing.assert_allclose(ours.loss_curve_, sk.loss_curve_, rtol=2e-5)


def test_alpha_gradient_is_the_penalty_gradient():
    """One plain SGD step with the weight decay alpha/m on the weights (lr = 1) moves each
    parameter by the central difference of the penalised loss L + alpha/(2m)·Σ||W||² (the
    biases by that of L alone), in float64."""
    X, y = cancer32()
    X, y, alpha, h = X[:50].astype(np.float64), y[:50], 5.0, 1e-6
    spec = models.build("mlp", 30, 2, hidden=(4,), activation="tanh")
    W0 = glorot_state(spec, 2, "tanh", dtype=np.float64)

    def penalised(state):
        engine = make_engine("scratch", spec, state, OptimizerSpec("sgd", 1.0))
        loss, _ = engine.loss_and_grads(X, y)
        weights = sum(np.sum(state[k] ** 2) for k in state if k.endswith("weight"))
        return loss + alpha / (2 * len(y)) * weights

    engine = make_engine("scratch", spec, W0, OptimizerSpec("sgd", 1.0, weight_decay=1.0,
                                                            decay_biases=False))  # fmt: skip
    engine.set_weight_decay(alpha / len(y))
    engine.train_step(X, y)
    stepped = engine.state_dict()
    for name, idx in [("0.weight", (0, 0)), ("0.weight", (3, 17)), ("0.bias", (2,)),
                      ("2.weight", (0, 1)), ("2.bias", (0,))]:  # fmt: skip
        up = {k: v.copy() for k, v in W0.items()}
        down = {k: v.copy() for k, v in W0.items()}
        up[name][idx] += h
        down[name][idx] -= h
        numeric = (penalised(up) - penalised(down)) / (2 * h)
        assert W0[name][idx] - stepped[name][idx] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("activation", ["identity", "tanh", "logistic"])
def test_an_epoch_of_each_activation_equals_sklearns(activation):
    """Every activation scikit-learn offers ("identity" included: groundup's "linear") trains
    to scikit-learn's weights and loss curve from the same start and batches."""
    X, y = cancer32()
    kw = dict(hidden_layer_sizes=(8,), activation=activation, solver="sgd", momentum=0.9,
              alpha=1.0, batch_size=64, learning_rate_init=0.01, shuffle=False, max_iter=2,
              tol=0, random_state=3)  # fmt: skip
    ours = MLPClassifier(**kw).fit(X, y)
    sk = SkMLP(**kw).fit(X, y)
    for a, b in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_, strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-6)
    np.testing.assert_allclose(ours.loss_curve_, sk.loss_curve_, rtol=2e-5)
