"""Array update rules: numbers worked by hand, dtypes, state, argument checks (no torch needed)."""

import math

import numpy as np
import pytest

from groundup.optim.rules import adam_step, rmsprop_step, sgd_step


def test_sgd_plain_and_weight_decay_by_hand():
    p = np.array([1.0, -2.0])
    sgd_step(p, np.array([0.5, 0.5]), {}, lr=0.1)
    np.testing.assert_allclose(p, [0.95, -2.05], rtol=1e-15)
    # g = 0.5 + 0.1 * 0.95 = 0.595 -> 0.95 - 0.1 * 0.595
    sgd_step(p, np.array([0.5, 0.5]), {}, lr=0.1, weight_decay=0.1)
    np.testing.assert_allclose(p[0], 0.95 - 0.0595, rtol=1e-15)


def test_sgd_momentum_and_nesterov_by_hand():
    # grads 1, 1, 1 with μ = 0.9: buffers 1, 1.9, 2.71 -> θ = -lr (1 + 1.9 + 2.71)
    p, state = np.zeros(1), {}
    for _ in range(3):
        sgd_step(p, np.ones(1), state, lr=0.1, momentum=0.9)
    np.testing.assert_allclose(p, [-0.561], rtol=1e-14)
    np.testing.assert_allclose(state["momentum_buffer"], [2.71], rtol=1e-14)
    # Nesterov steps with g + μ b: 1.9, 2.71, 3.439
    p, state = np.zeros(1), {}
    for _ in range(3):
        sgd_step(p, np.ones(1), state, lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(p, [-(0.19 + 0.271 + 0.3439)], rtol=1e-14)
    # dampening 0.5: buffers 1, 0.9 + 0.5 = 1.4
    p, state = np.zeros(1), {}
    for _ in range(2):
        sgd_step(p, np.ones(1), state, lr=1.0, momentum=0.9, dampening=0.5)
    np.testing.assert_allclose(p, [-2.4], rtol=1e-14)


def test_adam_first_step_moves_by_lr_times_sign():
    # after bias correction m̂ = g and v̂ = g², so the first step is lr · g / (|g| + ε)
    p = np.array([0.0, 0.0, 0.0])
    g = np.array([3.0, -0.2, 0.0])
    adam_step(p, g, {}, lr=0.01)
    np.testing.assert_allclose(p, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adam_two_steps_by_hand():
    p, state = np.array([1.0]), {}
    adam_step(p, np.array([1.0]), state, lr=0.1)
    adam_step(p, np.array([2.0]), state, lr=0.1)
    m = 0.9 * 0.1 * 1 + 0.1 * 2  # 0.29
    v = 0.999 * 0.001 * 1 + 0.001 * 4  # 0.004999
    step = 0.1 / (1 - 0.81) * m / (math.sqrt(v) / math.sqrt(1 - 0.999**2) + 1e-8)
    expected = 1.0 - 0.1 / (1 + 1e-8) - step
    np.testing.assert_allclose(p, [expected], rtol=1e-14)
    assert state["step"] == 2
    np.testing.assert_allclose(state["exp_avg"], [m], rtol=1e-15)
    np.testing.assert_allclose(state["exp_avg_sq"], [v], rtol=1e-15)


def test_adamw_decays_before_the_adam_step():
    p = np.array([2.0])
    adam_step(p, np.array([0.0]), {}, lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)
    np.testing.assert_allclose(p, [2.0 * (1 - 0.05)], rtol=1e-15)  # zero grad: only decay
    q = np.array([2.0])
    adam_step(q, np.array([0.0]), {}, lr=0.1, weight_decay=0.5)  # L2: g = 1, step ≈ lr
    np.testing.assert_allclose(q, [1.9], rtol=1e-7)


def test_amsgrad_keeps_the_max_second_moment():
    p, state = np.array([0.0]), {}
    adam_step(p, np.array([10.0]), state, amsgrad=True)
    adam_step(p, np.array([0.0]), state, amsgrad=True)
    assert state["max_exp_avg_sq"][0] == pytest.approx(0.1, rel=1e-12)
    assert state["exp_avg_sq"][0] < state["max_exp_avg_sq"][0]


def test_rmsprop_first_step_by_hand():
    # s = 0.01 g², so θ = -lr g / (0.1 |g| + ε) = -0.1 · sign(g) (up to ε)
    p = np.array([0.0, 0.0])
    rmsprop_step(p, np.array([2.0, -4.0]), {}, lr=0.01)
    np.testing.assert_allclose(p, [-0.1, 0.1], rtol=1e-7)
    # centered: ḡ = 0.01 g, d = √(0.01 g² - 0.0001 g²) = |g| √0.0099
    p = np.array([0.0])
    rmsprop_step(p, np.array([2.0]), {}, lr=0.01, centered=True)
    np.testing.assert_allclose(p, [-0.01 / math.sqrt(0.0099)], rtol=1e-7)


@pytest.mark.parametrize(
    "rule, kwargs",
    [
        (sgd_step, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
        (adam_step, dict(lr=0.1, amsgrad=True, weight_decay=0.01)),
        (adam_step, dict(lr=0.1, weight_decay=0.01, decoupled_weight_decay=True)),
        (rmsprop_step, dict(lr=0.1, momentum=0.9, centered=True, weight_decay=0.01)),
    ],
)
def test_float32_stays_float32_in_place(rule, kwargs):
    rng = np.random.default_rng(0)
    p = rng.normal(size=(3, 4)).astype(np.float32)
    before = p.copy()
    alias, state = p, {}
    for _ in range(5):
        rule(p, rng.normal(size=(3, 4)), state, **kwargs)  # float64 grad is cast down
    assert p is alias and p.dtype == np.float32
    assert all(v.dtype == np.float32 for v in state.values() if isinstance(v, np.ndarray))
    assert not np.array_equal(p, before)


def test_maximize_ascends():
    p = np.array([0.0])
    sgd_step(p, np.array([1.0]), {}, lr=0.5, maximize=True)
    assert p[0] == 0.5


def test_invalid_arguments_are_rejected():
    p = np.zeros(2)
    with pytest.raises(ValueError, match="lr"):
        sgd_step(p, np.zeros(2), {}, lr=-1.0)
    with pytest.raises(ValueError, match="Nesterov"):
        sgd_step(p, np.zeros(2), {}, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        adam_step(p, np.zeros(2), {}, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="shape"):
        rmsprop_step(p, np.zeros(3), {})
