"""The array rules against torch.optim over 100 steps on a noisy quadratic, float64 and float32."""

import numpy as np
import pytest

from groundup.optim.rules import adam_step, rmsprop_step, sgd_step
from test_optim import BAD_HYPERPARAMETERS

torch = pytest.importorskip("torch")

CASES = [
    (sgd_step, torch.optim.SGD, dict(lr=0.05)),
    (sgd_step, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    (sgd_step, torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    (sgd_step, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    (sgd_step, torch.optim.SGD, dict(lr=0.05, momentum=0.5, maximize=True)),
    (adam_step, torch.optim.Adam, dict(lr=0.01)),
    (adam_step, torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    (adam_step, torch.optim.Adam, dict(lr=0.01, amsgrad=True)),
    (adam_step, torch.optim.Adam, dict(lr=0.01, betas=(0.3, 0.9))),  # lerp weight >= 0.5 branch
    (adam_step, torch.optim.Adam, dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    (adam_step, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.05, amsgrad=True)),
    (rmsprop_step, torch.optim.RMSprop, dict(lr=0.01)),
    (rmsprop_step, torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, weight_decay=0.1, eps=1e-6)),
    (rmsprop_step, torch.optim.RMSprop, dict(lr=0.01, momentum=0.9, centered=True)),
    (rmsprop_step, torch.optim.RMSprop, dict(lr=0.01, alpha=0.3, centered=True)),
]


def _run_both(rule, torch_cls, kwargs, dtype, n_steps=100):
    rng = np.random.default_rng(0)
    shape = (4, 3)
    target = rng.normal(size=shape)
    noise = rng.normal(scale=0.3, size=(n_steps, *shape))
    ours = rng.normal(size=shape).astype(dtype)
    theirs = torch.nn.Parameter(torch.from_numpy(ours.copy()))
    rule_kwargs = dict(kwargs)
    if torch_cls is torch.optim.AdamW:
        rule_kwargs["decoupled_weight_decay"] = True
    opt = torch_cls([theirs], **kwargs)
    state = {}
    for k in range(n_steps):
        # gradient of the quadratic ½|θ - target|² (cubed a little), plus fixed noise
        g_ours = (ours - target + 0.1 * ours**3 + noise[k]).astype(dtype)
        if kwargs.get("maximize"):
            g_ours = -g_ours  # ascend on -f, so the run stays bounded
        g_theirs = g_ours.copy()
        rule(ours, g_ours, state, **rule_kwargs)
        theirs.grad = torch.from_numpy(g_theirs)
        opt.step()
    return ours, theirs.detach().numpy(), state, opt.state[theirs]


@pytest.mark.parametrize("rule, torch_cls, kwargs", CASES)
def test_float64_matches_torch_to_1e_10(rule, torch_cls, kwargs):
    ours, theirs, state, torch_state = _run_both(rule, torch_cls, kwargs, np.float64)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)
    for key, value in torch_state.items():
        if key == "step":
            assert state["step"] == int(value)
        else:
            np.testing.assert_allclose(state[key], value.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("rule, torch_cls, kwargs", CASES)
def test_float32_matches_torch_at_float32_rounding(rule, torch_cls, kwargs):
    ours, theirs, _, _ = _run_both(rule, torch_cls, kwargs, np.float32)
    assert ours.dtype == np.float32
    # 100 steps through a feedback loop, and torch fuses some multiply-adds (one rounding where
    # NumPy has two), so a few float32 ulps grow to ~1e-5; centered RMSprop's √(s - ḡ²) cancels
    np.testing.assert_allclose(ours, theirs, rtol=5e-5, atol=1e-5)


@pytest.mark.parametrize(("name", "kwargs", "words"), BAD_HYPERPARAMETERS)
def test_torch_refuses_the_same_hyperparameters(name, kwargs, words):
    """The list groundup refuses (tests/test_optim.py) is torch's list, with one exception:
    torch.optim.SGD tests ``lr < 0``, which NaN passes; groundup refuses a NaN lr too."""
    make = getattr(torch.optim, name)
    params = [torch.zeros(1, requires_grad=True)]
    if name == "SGD" and np.isnan(kwargs.get("lr", 0.0)):
        assert make(params, **kwargs).defaults["lr"] != kwargs["lr"]  # accepted: NaN != NaN
        return
    with pytest.raises((ValueError, TypeError, IndexError)):  # one beta: torch's IndexError
        make(params, **kwargs)
