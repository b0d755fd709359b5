"""groundup.numerics against PyTorch's functional ops, float64 and float32."""

import numpy as np
import pytest

from groundup import numerics as nx

torch = pytest.importorskip("torch")
F = torch.nn.functional

Z64 = np.concatenate([np.linspace(-30, 30, 6001), [-1000.0, 0.0, 1000.0]])


def _t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def _close(ours, theirs, dtype, tail=False):
    """Relative 1e-10 (float64) / 2e-6 (float32); ``tail`` adds an absolute floor for values
    where one library or the other cancels catastrophically (1 + tanh(u) or log(1 + tiny))."""
    theirs = theirs.detach().numpy()
    assert ours.dtype == theirs.dtype == dtype
    if dtype == np.float64:
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14 if tail else 1e-300)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-6 if tail else 1e-30)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "ours, theirs",
    [
        (nx.sigmoid, torch.sigmoid),
        (nx.log_sigmoid, F.logsigmoid),
        (nx.relu, torch.relu),
        (nx.leaky_relu, F.leaky_relu),
        (nx.tanh, torch.tanh),
        (nx.erf, torch.special.erf),
    ],
)
def test_elementwise_forward_matches_torch(ours, theirs, dtype):
    z = Z64.astype(dtype)
    _close(ours(z), theirs(_t(z)), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softplus_matches_torch_below_its_threshold(dtype):
    # torch returns z itself once z > threshold = 20; ours keeps log1p(e^-z) there
    z = Z64[np.abs(Z64) <= 20].astype(dtype)
    _close(nx.softplus(z), F.softplus(_t(z)), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tanh_gelu_matches_torch(dtype):
    z = Z64.astype(dtype)
    _close(nx.gelu(z, "tanh"), F.gelu(_t(z), approximate="tanh"), dtype, tail=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exact_gelu_matches_torch(dtype):
    # The exact GELU is z/2 (1 + erf(z/√2)): for z << 0 both libraries lose the tail to
    # cancellation in 1 + erf, so compare with an absolute floor there.
    z = Z64.astype(dtype)
    theirs = F.gelu(_t(z)).numpy()
    atol = 1e-15 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(nx.gelu(z), theirs, rtol=1e-10 if dtype == np.float64 else 2e-6,
                               atol=atol)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "tanh", "sigmoid", "gelu"])
def test_activation_derivatives_match_torch_autograd(name):
    z = np.concatenate([np.linspace(-8, 8, 1601), [0.0]])  # include the tie at exactly 0
    t = _t(z.copy()).requires_grad_(True)
    fn = {"relu": torch.relu, "leaky_relu": F.leaky_relu, "tanh": torch.tanh,
          "sigmoid": torch.sigmoid, "gelu": F.gelu}[name]
    fn(t).sum().backward()
    np.testing.assert_allclose(nx.get_activation(name).df(z), t.grad.numpy(), rtol=1e-10,
                               atol=1e-15)


def test_gelu_tanh_derivative_matches_torch():
    z = np.linspace(-8, 8, 1601)
    t = _t(z.copy()).requires_grad_(True)
    F.gelu(t, approximate="tanh").sum().backward()
    np.testing.assert_allclose(nx.gelu_grad(z, "tanh"), t.grad.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("temperature", [1.0, 0.5, 3.0])
def test_softmax_family_matches_torch(dtype, temperature):
    z = np.random.default_rng(0).normal(0, 20, size=(7, 5)).astype(dtype)
    z[0] = [1000, -1000, 0, 999, -5]
    for axis in (0, 1, -1):
        _close(nx.softmax(z, axis=axis, temperature=temperature),
               torch.softmax(_t(z) / temperature, dim=axis), dtype)
        _close(nx.log_softmax(z, axis=axis), torch.log_softmax(_t(z), dim=axis), dtype)
        _close(nx.logsumexp(z, axis=axis), torch.logsumexp(_t(z), dim=axis), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_losses_match_torch(dtype):
    rng = np.random.default_rng(1)
    z = rng.normal(0, 10, size=50).astype(dtype)
    z[:2] = [1000, -1000]
    y = rng.integers(0, 2, size=50).astype(dtype)
    _close(nx.bce_with_logits(z, y),
           F.binary_cross_entropy_with_logits(_t(z), _t(y), reduction="none"), dtype, tail=True)
    logits = rng.normal(0, 10, size=(50, 4)).astype(dtype)
    labels = rng.integers(0, 4, size=50)
    _close(nx.cross_entropy(logits, labels),
           F.cross_entropy(_t(logits), _t(labels), reduction="none"), dtype)
