"""groundup.optim.foreach: one rule call over a group of arrays laid end to end gives the numbers
of one call per array, and per-parameter state (checkpoints) reads and loads as before."""

import numpy as np
import pytest

from groundup.optim.foreach import FlatGroup, contiguous_run
from groundup.optim.rules import adam_step, rmsprop_step, sgd_step
from groundup.scratch.training import ArrayOptimizer

SHAPES = [(7, 5), (7,), (3, 7), (3,)]

RULES = [
    (adam_step, {"lr": 0.01}),
    (adam_step, {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    (adam_step, {"lr": 0.01, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    (sgd_step, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (rmsprop_step, {"lr": 0.01, "momentum": 0.5, "centered": True}),
]


def arrays(rng, dtype=np.float32):
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def end_to_end(values):
    """The arrays as consecutive views of one buffer, as Sequential stores parameters."""
    buffer = np.concatenate([v.reshape(-1) for v in values])
    views, at = [], 0
    for v in values:
        views.append(buffer[at : at + v.size].reshape(v.shape))
        at += v.size
    return views


@pytest.mark.parametrize("rule,hyper", RULES)
@pytest.mark.parametrize("layout", ["one buffer", "separate"])
def test_flat_steps_equal_per_array_steps_bit_for_bit(rule, hyper, layout):
    rng = np.random.default_rng(0)
    start = arrays(rng)
    ours = end_to_end(start) if layout == "one buffer" else [a.copy() for a in start]
    ref = [a.copy() for a in start]
    ref_states = [{} for _ in ref]
    group = FlatGroup()
    assert group.adopt([{} for _ in ours], [a.size for a in ours])
    for _ in range(4):
        grads = arrays(rng)
        group.step(rule, ours, grads, **hyper)
        for p, g, s in zip(ref, grads, ref_states, strict=True):
            rule(p, g, s, **hyper)
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_array_equal(a, b)
    for view, s in zip(group.views, ref_states, strict=True):
        assert view.keys() == s.keys() and view.get("step") == s.get("step")
        for k, v in s.items():
            if isinstance(v, np.ndarray):
                np.testing.assert_array_equal(view[k], v)


def test_contiguous_run_only_for_consecutive_views():
    rng = np.random.default_rng(1)
    views = end_to_end(arrays(rng))
    run = contiguous_run(views)
    assert run is not None and run.size == sum(v.size for v in views)
    run[0] = 42.0
    assert views[0][0, 0] == 42.0  # a view, not a copy
    assert contiguous_run(views[1:]) is not None
    assert contiguous_run([views[0], views[2]]) is None  # a gap
    assert contiguous_run([views[1], views[0]]) is None  # out of order
    assert contiguous_run([a.copy() for a in views]) is None


def test_array_optimizer_checkpoint_resumes_exactly():
    """State saved after 3 flat steps and loaded into a fresh optimizer (per-parameter dicts, as
    ScratchEngine.load_optimizer_state gives them) continues as if never interrupted."""
    rng = np.random.default_rng(2)
    names = ["0.weight", "0.bias", "2.weight", "2.bias"]
    start = dict(zip(names, end_to_end(arrays(rng)), strict=True))
    grads = [dict(zip(names, arrays(rng), strict=True)) for _ in range(6)]
    whole = {k: v.copy() for k, v in start.items()}
    opt = ArrayOptimizer("adam", lr=0.01)
    for g in grads:
        opt.step(whole, g)
    first = {k: v.copy() for k, v in start.items()}
    opt1 = ArrayOptimizer("adam", lr=0.01)
    for g in grads[:3]:
        opt1.step(first, g)
    saved = {n: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in st.items()}
             for n, st in opt1.state.items()}  # fmt: skip
    opt2 = ArrayOptimizer("adam", lr=0.01)
    opt2.state = saved
    second = {k: v.copy() for k, v in first.items()}
    for g in grads[3:]:
        opt2.step(second, g)
    for k in names:
        np.testing.assert_array_equal(second[k], whole[k])
        np.testing.assert_array_equal(opt2.state[k]["exp_avg"], opt.state[k]["exp_avg"])
        assert opt2.state[k]["step"] == 6
