"""optim without torch: steps worked by hand, state dicts, schedulers, training converges."""

import math

import numpy as np
import pytest

import groundup
import groundup.nn.functional as F
from groundup import nn, optim
from groundup.errors import GroundupError
from groundup.optim.foreach import contiguous_run


def _param(values):
    return nn.Parameter(np.array(values, dtype=np.float64))


def test_sgd_step_by_hand():
    p = _param([1.0, 2.0])
    p.grad = np.array([0.5, -1.0])
    opt = optim.SGD([p], lr=0.1)
    opt.step()  # θ - lr·g = [1 - 0.05, 2 + 0.1]
    np.testing.assert_allclose(p.data, [0.95, 2.1])
    opt.zero_grad()
    assert p.grad is None
    opt.step()  # no gradient: no change
    np.testing.assert_allclose(p.data, [0.95, 2.1])


def test_sgd_momentum_by_hand():
    p = _param([0.0])
    opt = optim.SGD([p], lr=1.0, momentum=0.5)
    p.grad = np.array([1.0])
    opt.step()  # b = 1, θ = -1
    p.grad = np.array([1.0])
    opt.step()  # b = 0.5·1 + 1 = 1.5, θ = -2.5
    np.testing.assert_allclose(p.data, [-2.5])
    assert opt.state_dict()["state"][0]["momentum_buffer"].tolist() == [1.5]


def test_adam_first_step_is_lr_times_sign():
    # after one step m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε) ≈ lr·sign(g)
    p = _param([1.0, 1.0])
    p.grad = np.array([3.0, -0.2])
    optim.Adam([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.9, 1.1], rtol=1e-6)


def test_adamw_decays_weights_without_gradient_signal():
    p = _param([2.0])
    p.grad = np.array([0.0])
    optim.AdamW([p], lr=0.1, weight_decay=0.5).step()  # θ (1 - lr·wd) = 2 · 0.95
    np.testing.assert_allclose(p.data, [1.9])


def test_state_dict_round_trip_resumes_identically():
    rng = np.random.default_rng(0)
    X = groundup.tensor(rng.standard_normal((16, 3)))
    y = rng.integers(0, 2, 16)

    def run(model, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            F.cross_entropy(model(X), y).backward()
            opt.step()

    groundup.manual_seed(0)
    a = nn.Linear(3, 2)
    opt_a = optim.RMSprop(a.parameters(), lr=0.01, momentum=0.9)
    run(a, opt_a, 5)
    b = nn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    opt_b = optim.RMSprop(b.parameters(), lr=0.01, momentum=0.9)
    opt_b.load_state_dict(opt_a.state_dict())
    run(a, opt_a, 5)
    run(b, opt_b, 5)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)


def test_optimizer_errors():
    with pytest.raises(GroundupError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([_param([1.0])], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="lr=-1"):
        optim.SGD([_param([1.0])], lr=-1)


# each refused by torch.optim at construction too (tests/test_optim_rules_torch.py)
BAD_HYPERPARAMETERS = [
    ("Adam", dict(betas=(1.0, 0.999)), r"betas=\(1.0, 0.999\).*index 0.*\[0, 1\)"),
    ("Adam", dict(betas=(0.9, 1.0)), "index 1"),
    ("Adam", dict(betas=(-0.1, 0.999)), "index 0"),
    ("Adam", dict(betas=(0.9, float("nan"))), "index 1"),
    ("Adam", dict(betas=(0.9,)), "two numbers"),
    ("Adam", dict(lr=-1e-3), "lr=-0.001"),
    ("Adam", dict(eps=-1e-8), "eps"),
    ("Adam", dict(weight_decay=-0.1), "weight_decay"),
    ("AdamW", dict(betas=(0.9, 1.5)), "index 1"),
    ("AdamW", dict(weight_decay=-0.01), "weight_decay"),
    ("RMSprop", dict(alpha=-0.5), "alpha"),
    ("RMSprop", dict(eps=-1.0), "eps"),
    ("RMSprop", dict(momentum=-0.9), "momentum"),
    ("SGD", dict(lr=float("nan")), "lr=nan"),
    ("SGD", dict(lr=0.1, momentum=-0.9), "momentum"),
]


@pytest.mark.parametrize(("name", "kwargs", "words"), BAD_HYPERPARAMETERS)
def test_optimizers_refuse_bad_hyperparameters_at_construction(name, kwargs, words):
    with pytest.raises(ValueError, match=words):
        getattr(optim, name)([_param([1.0])], **kwargs)


def test_optimizers_accept_the_edges_torch_accepts():
    for kwargs in (dict(lr=0.0, betas=(0.0, 0.0), eps=0.0), dict(betas=(0.999999, 0.5))):
        optim.Adam([_param([1.0])], **kwargs)
        optim.AdamW([_param([1.0])], **kwargs)


def test_schedulers_by_hand():
    opt = optim.SGD([_param([0.0])], lr=1.0)
    step = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(6):
        lrs.append(step.get_last_lr()[0])
        opt.step()
        step.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    opt = optim.SGD([_param([0.0])], lr=1.0)
    cos = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    lrs = []
    for _ in range(5):
        lrs.append(cos.get_last_lr()[0])
        opt.step()
        cos.step()
    expected = [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]  # 1, .854, .5, .146, 0
    assert lrs == pytest.approx(expected, abs=1e-12)


def test_training_a_small_network_converges():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)  # XOR-like quadrants
    groundup.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    opt = optim.Adam(model.parameters(), lr=0.05)
    Xt = groundup.tensor(X)
    for _ in range(300):
        opt.zero_grad()
        loss = F.cross_entropy(model(Xt), y)
        loss.backward()
        opt.step()
    accuracy = (model(Xt).argmax(1).numpy() == y).mean()
    assert loss.item() < 0.2 and accuracy > 0.95


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_a_scheduler_leaves_the_update_rule_working(name):
    """A scheduler writes initial_lr into each group (as PyTorch's do); the optimizer must not
    hand that key to its update rule (it did: TypeError on the first step)."""
    p = nn.Parameter(np.ones(3))
    opt = getattr(optim, name)([p], lr=0.1, **({"momentum": 0.9} if name == "SGD" else {}))
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(2):
        p.grad = np.ones(3)
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == 0.025 and np.all(p.data < 1)


def _mlp_and_data(seed=0):
    groundup.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 4))
    rng = np.random.default_rng(seed)
    return model, groundup.tensor(rng.standard_normal((16, 3)).astype(np.float32)), \
        rng.integers(0, 4, 16)


def _train(model, opt, X, y, steps=5):
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(X), y).backward()
        opt.step()


def test_flat_sgd_gives_the_numbers_of_the_per_parameter_loop():
    model_a, X, y = _mlp_and_data()
    model_b, _, _ = _mlp_and_data()
    flat = optim.SGD(model_a.parameters(), lr=0.1, flat=True)
    _train(model_a, flat, X, y)
    _train(model_b, optim.SGD(model_b.parameters(), lr=0.1), X, y)
    for (name, p), q in zip(model_a.named_parameters(), model_b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
    params = list(model_a.parameters())
    theta = contiguous_run([p.data for p in params])  # the parameters lie end to end ...
    grads = contiguous_run([p.grad for p in params])  # ... and backward wrote every gradient home
    assert theta is not None and grads is not None
    np.testing.assert_array_equal(grads[:15], model_a[0].weight.grad.ravel())


FLAT_RULES = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
]


@pytest.mark.parametrize("name,hyper", FLAT_RULES)
def test_flat_rules_give_the_numbers_of_the_per_parameter_loop(name, hyper):
    """One rule call over the laid-out group (state kept flat, gradients read in place) ends
    where one call per parameter does, bit for bit; the per-parameter state reads the same and
    a state_dict saved from one loads into the other and goes on identically."""
    runs = []
    for flat in (True, False):
        model, X, y = _mlp_and_data()
        opt = getattr(optim, name)(model.parameters(), **hyper, flat=flat)
        _train(model, opt, X, y, steps=3)
        saved = opt.state_dict()
        runs.append((model, opt, X, y, saved))
    (flat_model, flat_opt, X, y, flat_saved), (loop_model, loop_opt, _, _, loop_saved) = runs
    for p, q in zip(flat_model.parameters(), loop_model.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    for i, s in loop_saved["state"].items():
        for k, v in s.items():
            np.testing.assert_array_equal(flat_saved["state"][i][k], v, err_msg=k)
    flat_opt.load_state_dict(loop_saved)  # swapped: each goes on from the other's state
    loop_opt.load_state_dict(flat_saved)
    _train(flat_model, flat_opt, X, y, steps=2)
    _train(loop_model, loop_opt, X, y, steps=2)
    for p, q in zip(flat_model.parameters(), loop_model.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("leave_one_out", [True, False])
@pytest.mark.parametrize("name,hyper", [("SGD", {"lr": 0.5}), ("Adam", {"lr": 0.05})])
def test_flat_falls_back_when_a_gradient_is_missing_or_added_twice(name, hyper, leave_one_out):
    # a layer used twice (its gradient is the sum of two, no longer the home view) and a layer
    # left out of the loss (no gradient): the loop's numbers, the unused layer untouched (and,
    # for Adam, its step count left behind, so the group is stepped parameter by parameter)
    def build():
        groundup.manual_seed(1)
        return nn.Linear(3, 3), nn.Linear(3, 2), nn.Linear(3, 2)

    rng = np.random.default_rng(1)
    X = groundup.tensor(rng.standard_normal((8, 3)).astype(np.float32))
    y = rng.integers(0, 2, 8)
    runs = []
    for flat in (True, False):
        shared, head, unused = build()
        params = [*shared.parameters(), *head.parameters()]
        if leave_one_out:  # else every gradient is there, one of them not in its home
            params += [*unused.parameters()]
        before = unused.weight.data.copy()
        opt = getattr(optim, name)(params, **hyper, flat=flat)
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(head(F.relu(shared(F.relu(shared(X))))), y).backward()
            assert unused.weight.grad is None
            opt.step()
        np.testing.assert_array_equal(unused.weight.data, before)
        runs.append([p.data.copy() for p in params])
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_flat_sgd_keeps_the_gradients_pytorch_gives():
    torch = pytest.importorskip("torch")
    model, X, y = _mlp_and_data(3)
    ref = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 4))
    with torch.no_grad():
        for p, q in zip(model.parameters(), ref.parameters(), strict=True):
            q.copy_(torch.from_numpy(p.data))
    opt = optim.SGD(model.parameters(), lr=0.2, flat=True)
    opt_ref = torch.optim.SGD(ref.parameters(), lr=0.2)
    for _ in range(4):
        opt.zero_grad()
        opt_ref.zero_grad()
        F.cross_entropy(model(X), y).backward()
        torch.nn.functional.cross_entropy(ref(torch.from_numpy(X.data)),
                                          torch.from_numpy(y)).backward()
        for p, q in zip(model.parameters(), ref.parameters(), strict=True):
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-5, atol=1e-6)
        opt.step()
        opt_ref.step()


def test_flat_needs_parameters_of_one_dtype():
    a = nn.Parameter(np.zeros(2, np.float32))
    b = nn.Parameter(np.zeros(2, np.float64))
    assert optim.SGD([a, b], lr=0.1, flat=True)._layouts == [None]
    plain = groundup.tensor([1.0, 2.0], requires_grad=True)  # not a Parameter: no home
    assert optim.SGD([plain], lr=0.1, flat=True)._layouts == [None]
