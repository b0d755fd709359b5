"""The three engines agree with PyTorch: same initial weights, same batches, same numbers."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from groundup.engines.base import ModelSpec, OptimizerSpec, make_engine  # noqa: E402
from groundup.errors import MissingExtraError  # noqa: E402
from test_engines import OPTIMIZERS, SPECS, data, train  # noqa: E402

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: f"{o.name}-{o.momentum}")
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.summary())
def test_three_engines_agree_with_torch(spec, opt):
    X, y = data(spec)
    init = spec.init_state(0)
    engines = {n: make_engine(n, spec, init, opt) for n in ("scratch", "autograd", "torch")}
    losses = {n: train(e, X, y, 15) for n, e in engines.items()}
    ref = engines["torch"].state_dict()
    for name in ("scratch", "autograd"):
        np.testing.assert_allclose(losses[name], losses["torch"], rtol=1e-5, atol=1e-7)
        state = engines[name].state_dict()
        for k in ref:  # float32 rounding: a few ulps of the weights' size
            np.testing.assert_allclose(state[k], ref[k], rtol=1e-5, atol=2e-6)


def test_torch_engine_matches_a_plain_torch_loop():
    """The adapter does what the primer's loop does: nn.Sequential, cross_entropy, SGD."""
    spec = ModelSpec.for_model("mlp", 6, 3, (8,))
    X, y = data(spec)
    init = spec.init_state(0)
    engine = make_engine("torch", spec, init, OptimizerSpec("sgd", 0.1))
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in init.items()})
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for i in range(0, 40, 10):
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(X[i:i+10])),
                                                 torch.from_numpy(y[i:i+10]))  # fmt: skip
        opt.zero_grad()
        loss.backward()
        opt.step()
        ours, _ = engine.train_step(X[i : i + 10], y[i : i + 10])
        assert ours == loss.item()
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(engine.state_dict()[k], v.numpy())


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: f"{o.name}-{o.momentum}")
def test_torch_optimizer_state_round_trip_is_exact(opt):
    spec = SPECS[2]
    X, y = data(spec)
    straight = make_engine("torch", spec, spec.init_state(1), opt)
    train(straight, X, y, 10)
    first = make_engine("torch", spec, spec.init_state(1), opt)
    train(first, X, y, 5)
    arrays, counters = first.optimizer_state()
    resumed = make_engine("torch", spec, first.state_dict(), opt)
    resumed.load_optimizer_state(arrays, counters)
    for s in range(5, 10):
        i = (s * 10) % len(X)
        resumed.train_step(X[i : i + 10], y[i : i + 10])
    a, b = straight.state_dict(), resumed.state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_missing_torch_names_the_extra(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "torch", None)  # import torch -> ImportError
    spec = SPECS[0]
    with pytest.raises(MissingExtraError, match=r"pip install 'groundup\[torch\]'"):
        make_engine("torch", spec, spec.init_state(0), OptimizerSpec())


def test_dropout_masks_agree_with_torch():
    from test_engines import DROPOUT

    X, y = data(DROPOUT)
    init = DROPOUT.init_state(0)
    opt = OptimizerSpec("adam", 0.01)
    engines = {n: make_engine(n, DROPOUT, init, opt, seed=5) for n in ("scratch", "torch")}
    losses = {n: train(e, X, y, 8) for n, e in engines.items()}
    np.testing.assert_allclose(losses["scratch"], losses["torch"], rtol=1e-5)
    ref = engines["torch"].state_dict()
    for k, v in engines["scratch"].state_dict().items():
        np.testing.assert_allclose(v, ref[k], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(engines["scratch"].logits(X), engines["torch"].logits(X),
                               rtol=1e-5, atol=1e-6)  # fmt: skip


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.summary())
def test_torch_loss_and_grads_match_central_differences_in_float64(spec):
    from groundup.gradcheck import check_engine

    X, y = data(spec, n=12)
    engine = make_engine("torch", spec, spec.init_state(2, dtype=np.float64), OptimizerSpec())
    errors = check_engine(engine, X.astype(np.float64), y)
    assert max(errors.values()) < 1e-6, errors
