"""The engine contract, without torch: scratch (hand-derived) and autograd agree step for step."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundup.engines import OptimizerSpec, make_engine
from groundup.errors import DataError, GroundupError
from groundup.gradcheck import check_engine
from groundup.models import (
    Activation,
    AvgPool2d,
    Conv2d,
    Dropout,
    Flatten,
    Head,
    Linear,
    ModelSpec,
    mean_loss,
    predictions,
    probabilities,
)

OPTIMIZERS = [
    OptimizerSpec("sgd", 0.1),
    OptimizerSpec("sgd", 0.05, momentum=0.9),
    OptimizerSpec("adam", 0.01),
    OptimizerSpec("adamw", 0.01),
    OptimizerSpec("rmsprop", 0.01),
]
SPECS = [
    ModelSpec.for_model("logistic", 6, 2),
    ModelSpec.for_model("softmax", 6, 3),
    ModelSpec.for_model("mlp", 6, 3, (8, 5), "tanh"),
    ModelSpec.for_model("mlp", 6, 2, (8,), "relu"),  # binary head: one logit
    ModelSpec.for_model("mlp", 6, 3, (8, 5), ("linear", "gelu")),  # no non-linearity, then one
    # convolutions: images of 1 x 4 x 4 (rows of 16 values), max and average pooling
    ModelSpec.for_model("cnn", (1, 4, 4), 3, channels=(2, 3), kernel_size=3, activation="tanh"),
    ModelSpec((2, 5, 5), (Conv2d(2, 3, 3, stride=2, padding=1), Activation("tanh"),
                          AvgPool2d(2, stride=1), Flatten(), Linear(12, 2)), Head(2)),  # fmt: skip
]
DROPOUT = ModelSpec((6,), (Linear(6, 8), Activation("tanh"), Dropout(0.4), Linear(8, 3)), Head(3))


def data(spec, n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, spec.n_inputs)).astype(np.float32)
    y = rng.integers(0, spec.n_classes, size=n).astype(np.int64)
    return X, y


def train(engine, X, y, steps, batch=10):
    losses = []
    for s in range(steps):
        i = (s * batch) % len(X)
        losses.append(engine.train_step(X[i : i + batch], y[i : i + batch])[0])
    return losses


def test_model_spec_shapes_and_heads():
    mnist = ModelSpec.for_model("mlp", 784, 10, (128,))
    assert mnist.parameter_shapes() == {"0.weight": (128, 784), "0.bias": (128,),
                                        "2.weight": (10, 128), "2.bias": (10,)}
    assert mnist.n_parameters == 101_770  # the primer's count: 784*128 + 128 + 128*10 + 10
    assert ModelSpec.for_model("logistic", 30, 2).parameter_shapes()["0.weight"] == (1, 30)
    assert ModelSpec.for_model("mlp", 30, 2, (64, 32)).binary  # 2 classes: one logit
    assert not ModelSpec.for_model("softmax", 4, 2).binary  # softmax keeps C logits
    assert math.isclose(mnist.chance_loss, math.log(10))
    spec = ModelSpec.for_model("mlp", 4, 3, (5,), "gelu")
    assert ModelSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize(
    "args, match",
    [
        (("logistic", 4, 3), "2 classes"),
        (("mlp", 4, 3, ()), "hidden"),
        (("mlp", 4, 3, (0,)), "positive"),
        (("mlp", 4, 3, (5,), "swish"), "activation"),
        (("perceptron", 4, 3), "unknown model"),
        (("softmax", 4, 1), "2 classes"),
    ],
)
def test_model_spec_rejects_bad_models(args, match):
    with pytest.raises(GroundupError, match=match):
        ModelSpec.for_model(*args)


def test_optimizer_spec_validates_and_defaults():
    with pytest.raises(GroundupError, match="learning rate"):
        OptimizerSpec("sgd", -1.0)
    with pytest.raises(GroundupError, match="unknown optimizer"):
        OptimizerSpec("lbfgs", 0.1)
    assert OptimizerSpec("adamw", 1e-3).decay == 0.01  # PyTorch's AdamW default
    assert OptimizerSpec("adam", 1e-3).decay == 0.0
    with pytest.raises(GroundupError, match="unknown engine"):
        make_engine("jax", SPECS[0], SPECS[0].init_state(0), OptimizerSpec())


def test_initial_weights_are_drawn_once_and_reproducible():
    spec = SPECS[2]
    a, b = spec.init_state(3), spec.init_state(3)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["0.weight"], spec.init_state(4)["0.weight"])
    bound = 1 / math.sqrt(6)  # PyTorch's U(-1/sqrt(n_in), 1/sqrt(n_in))
    assert np.abs(a["0.weight"]).max() <= bound and a["0.weight"].dtype == np.float32


def test_loss_helpers_by_hand():
    # zero logits: the network knows nothing, loss = ln C (ln 2 for one logit)
    assert math.isclose(mean_loss(np.zeros((4, 10)), np.arange(4), False), math.log(10))
    assert math.isclose(mean_loss(np.zeros((4, 1)), np.array([0, 1, 0, 1]), True), math.log(2))
    # one logit z = 2, y = 1: log(1 + e^-2) = 0.126928...
    assert math.isclose(mean_loss(np.array([[2.0]]), np.array([1]), True), 0.1269280110429725)
    # huge logits stay finite (log-sum-exp with the max subtracted)
    assert math.isfinite(mean_loss(np.array([[1000.0, -1000.0]]), np.array([1]), False))
    P = probabilities(np.array([[0.0], [50.0], [-50.0]]), True)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(P[0], [0.5, 0.5])
    assert list(predictions(np.array([[0.1], [-0.1]]), True)) == [1, 0]
    assert list(predictions(np.array([[0.1, 0.3], [2.0, -1.0]]), False)) == [1, 0]


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: f"{o.name}-{o.momentum}")
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.summary())
def test_scratch_and_autograd_agree_step_by_step(spec, opt):
    X, y = data(spec)
    init = spec.init_state(0)
    engines = [make_engine(name, spec, init, opt) for name in ("scratch", "autograd")]
    losses = [train(e, X, y, 12) for e in engines]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    a, b = (e.state_dict() for e in engines)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-5, atol=1e-6)
        assert a[k].dtype == b[k].dtype == np.float32
    np.testing.assert_allclose(engines[0].logits(X), engines[1].logits(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("engine_name", ["scratch", "autograd"])
@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: f"{o.name}-{o.momentum}")
def test_optimizer_state_round_trip_is_exact(engine_name, opt):
    """Save after 5 steps, load into a fresh engine, 5 more: the same bits as 10 straight."""
    spec = SPECS[2]
    X, y = data(spec)
    straight = make_engine(engine_name, spec, spec.init_state(1), opt)
    train(straight, X, y, 10)
    first = make_engine(engine_name, spec, spec.init_state(1), opt)
    train(first, X, y, 5)
    arrays, counters = first.optimizer_state()
    resumed = make_engine(engine_name, spec, first.state_dict(), opt)
    resumed.load_optimizer_state(arrays, counters)
    for s in range(5, 10):  # the same batches the straight run saw
        i = (s * 10) % len(X)
        resumed.train_step(X[i : i + 10], y[i : i + 10])
    a, b = straight.state_dict(), resumed.state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_train_step_counts_correct_predictions():
    spec = SPECS[1]
    X, y = data(spec)
    engine = make_engine("scratch", spec, spec.init_state(0), OptimizerSpec("sgd", 1e-9))
    expected = int(np.sum(engine.predict(X) == y))
    _, correct = engine.train_step(X, y)
    assert correct == expected


@pytest.mark.parametrize("engine_name", ["scratch", "autograd"])
@pytest.mark.parametrize("shift", [10, -4])
def test_labels_outside_the_classes_get_a_data_error_naming_the_fix(engine_name, shift):
    """Labels 0..C-1 shifted out of range: the hand-derived loss refuses them as F.cross_entropy
    does (it raised NumPy's IndexError, or for a negative label took a class from the end)."""
    spec = SPECS[1]
    X, y = data(spec)
    engine = make_engine(engine_name, spec, spec.init_state(0), OptimizerSpec("sgd", 0.1))
    with pytest.raises(DataError, match=r"class indices must lie in \[0, 2\].*LabelEncoder"):
        engine.train_step(X, y + shift)


@settings(max_examples=25, deadline=None)
@given(
    n_inputs=st.integers(1, 9),
    hidden=st.lists(st.integers(1, 7), min_size=0, max_size=3),
    n_classes=st.integers(2, 5),
    m=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
def test_engines_give_the_same_logits_for_any_shape(n_inputs, hidden, n_classes, m, seed):
    model = "mlp" if hidden else "softmax"
    spec = ModelSpec.for_model(model, n_inputs, n_classes, tuple(hidden))
    init = spec.init_state(seed)
    X = np.random.default_rng(seed).normal(size=(m, n_inputs)).astype(np.float32)
    z = [make_engine(n, spec, init, OptimizerSpec()).logits(X) for n in ("scratch", "autograd")]
    assert z[0].shape == (m, spec.n_outputs)
    np.testing.assert_allclose(z[0], z[1], rtol=1e-5, atol=1e-6)


def test_batched_logits_match_one_pass():
    spec = SPECS[2]
    X, _ = data(spec, n=2500)
    engine = make_engine("autograd", spec, spec.init_state(0), OptimizerSpec())
    np.testing.assert_array_equal(engine.batched_logits(X, 1000), np.concatenate(
        [engine.logits(X[:1000]), engine.logits(X[1000:2000]), engine.logits(X[2000:])]
    ))


@pytest.mark.parametrize("engine_name", ["scratch", "autograd"])
@pytest.mark.parametrize("spec", [*SPECS, DROPOUT], ids=lambda s: s.summary())
def test_loss_and_grads_of_the_contract_match_central_differences(engine_name, spec):
    X, y = data(spec, n=12)
    engine = make_engine(engine_name, spec, spec.init_state(2, dtype=np.float64),
                         OptimizerSpec(), seed=3)  # fmt: skip
    before = engine.state_dict()
    errors = check_engine(engine, X.astype(np.float64), y)
    assert set(errors) == set(spec.parameter_shapes())
    assert max(errors.values()) < 1e-6, errors
    assert all(np.array_equal(before[k], v) for k, v in engine.state_dict().items())


@pytest.mark.parametrize("engine_name", ["scratch", "autograd"])
def test_train_step_is_loss_and_grads_plus_one_update(engine_name):
    spec, opt = SPECS[2], OptimizerSpec("sgd", 0.5)
    X, y = data(spec, n=10)
    engine = make_engine(engine_name, spec, spec.init_state(0), opt)
    w0 = engine.state_dict()
    loss, grads = engine.loss_and_grads(X, y)
    assert engine.train_step(X, y)[0] == loss and engine.steps == 1
    for name, w in engine.state_dict().items():  # plain SGD: w1 = w0 - lr g
        np.testing.assert_allclose(w, w0[name] - np.float32(0.5) * grads[name], rtol=1e-6,
                                   atol=1e-7)  # fmt: skip


def test_dropout_masks_are_the_same_in_every_engine_and_off_for_logits():
    X, y = data(DROPOUT)
    init = DROPOUT.init_state(0)
    opt = OptimizerSpec("adam", 0.01)
    engines = [make_engine(n, DROPOUT, init, opt, seed=5) for n in ("scratch", "autograd")]
    losses = [train(e, X, y, 8) for e in engines]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    a, b = (e.state_dict() for e in engines)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-5, atol=1e-6)
    # training drops units (another seed, another loss); logits never do (equal on every call)
    other = make_engine("scratch", DROPOUT, init, opt, seed=6)
    fresh = make_engine("scratch", DROPOUT, init, opt, seed=5)
    assert other.loss_and_grads(X, y)[0] != fresh.loss_and_grads(X, y)[0]
    no_dropout = ModelSpec((6,), (DROPOUT.layers[0], DROPOUT.layers[1], DROPOUT.layers[3]),
                           Head(3))  # fmt: skip
    renamed = {"0.weight": init["0.weight"], "0.bias": init["0.bias"],
               "2.weight": init["3.weight"], "2.bias": init["3.bias"]}  # fmt: skip
    plain = make_engine("autograd", no_dropout, renamed, opt)
    for e in (fresh, engines[1]):
        np.testing.assert_array_equal(e.logits(X), e.logits(X))
    np.testing.assert_allclose(fresh.logits(X), plain.logits(X), rtol=1e-6, atol=1e-7)
