"""Scratch MLP against torch.nn.Sequential from the same weights: forward, loss, grads, training."""

import numpy as np
import pytest

from groundup.scratch import MLP, ArrayOptimizer

torch = pytest.importorskip("torch")
nn = torch.nn

TORCH_ACT = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh,
             "sigmoid": nn.Sigmoid, "gelu": nn.GELU, "linear": nn.Identity}


def _torch_twin(net: MLP):
    layers = []
    for k in range(len(net.sizes) - 1):
        if k:
            layers.append(TORCH_ACT[net.activation]())
        layers.append(nn.Linear(net.sizes[k], net.sizes[k + 1]))
    model = nn.Sequential(*layers).to(torch.float64 if net.dtype == np.float64 else torch.float32)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    return model


def _torch_loss(model, X, y, head):
    logits = model(torch.from_numpy(X))
    if head == "binary":
        target = torch.from_numpy(y.astype(X.dtype)).reshape(-1, 1)
        return nn.functional.binary_cross_entropy_with_logits(logits, target), logits
    return nn.functional.cross_entropy(logits, torch.from_numpy(y)), logits


def _tol(dtype):
    return dict(rtol=1e-10, atol=1e-13) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", sorted(TORCH_ACT))
@pytest.mark.parametrize("n_out", [1, 4])
def test_loss_and_grads_match_torch(activation, n_out, dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 5)).astype(dtype)
    y = rng.integers(0, 2 if n_out == 1 else n_out, size=16)
    net = MLP([5, 7, 6, n_out], activation=activation, seed=4, dtype=dtype)
    model = _torch_twin(net)
    loss_t, logits_t = _torch_loss(model, X, y, net.head)
    loss_t.backward()
    loss, grads = net.loss_and_grads(X, y)
    np.testing.assert_allclose(net.forward(X), logits_t.detach().numpy(), **_tol(dtype))
    np.testing.assert_allclose(loss, loss_t.item(), **_tol(dtype))
    for name, p in model.named_parameters():
        assert grads[name].dtype == dtype
        np.testing.assert_allclose(grads[name], p.grad.numpy(), **_tol(dtype), err_msg=name)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "name, torch_cls, hyper",
    [
        ("sgd", torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
        ("adam", torch.optim.Adam, dict(lr=0.01)),
        ("adamw", torch.optim.AdamW, dict(lr=0.01)),
    ],
)
def test_training_steps_match_torch(name, torch_cls, hyper, dtype):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 6)).astype(dtype)
    y = rng.integers(0, 3, size=64)
    net = MLP([6, 10, 3], activation="tanh", seed=2, dtype=dtype)
    model = _torch_twin(net)
    opt_t = torch_cls(model.parameters(), **hyper)
    opt = ArrayOptimizer(name, **hyper)
    for k in range(20):
        batch = slice(16 * (k % 4), 16 * (k % 4 + 1))
        loss = net.step(X[batch], y[batch], opt)
        opt_t.zero_grad()
        loss_t, _ = _torch_loss(model, X[batch], y[batch], "multiclass")
        loss_t.backward()
        opt_t.step()
        np.testing.assert_allclose(loss, loss_t.item(), **_tol(dtype))
    tol = _tol(dtype) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    for pname, p in model.named_parameters():
        np.testing.assert_allclose(net.params[pname], p.detach().numpy(), **tol, err_msg=pname)
