"""optim without torch: steps worked by hand, state dicts, schedulers, training converges."""

import math

import numpy as np
import pytest

import groundup
import groundup.nn.functional as F
from groundup import nn, optim
from groundup.errors import GroundupError


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
