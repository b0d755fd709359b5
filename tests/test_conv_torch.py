"""Convolution and pooling against torch: forward values and the gradients of input, weight and
bias, for both groundup engines (autograd's F.conv2d / F.max_pool2d / F.avg_pool2d and the
scratch layers), over batch, channels, sizes, kernels, strides and paddings drawn by hypothesis;
then nn.Conv2d's initialisation and names, and a whole CNN moved into torch through a
safetensors file.

Tolerances as in test_torch_parity_ops.py: float64 relative 1e-10 (absolute 1e-12 for values
that cancel to ~0), float32 relative 1e-5 (absolute 1e-5)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import groundup
import groundup.nn.functional as F
from groundup import nn, scratch

torch = pytest.importorskip("torch")
from test_conv import conv_cases, pool_cases  # noqa: E402 - the shapes the torch-free tests draw
from torch_check import TOL, TORCH_DTYPE  # noqa: E402 - needs torch

pytestmark = pytest.mark.torch
torch.set_num_threads(1)  # small tensors: threads only add contention
TF = torch.nn.functional

FAST = settings(max_examples=15, deadline=None, derandomize=True)
dtypes = st.sampled_from([np.float64, np.float32])
ENGINES = ["autograd", "scratch"]


def _torch(a, dtype):
    return torch.tensor(a, dtype=TORCH_DTYPE[dtype], requires_grad=True)


def _close(ours, theirs, dtype):
    np.testing.assert_allclose(ours, theirs.detach().numpy(), **TOL[dtype])


def _engine_conv(engine, X, W, b, stride, padding, dY):
    """(Y, dX, dW, db) from one of groundup's engines (db None without a bias)."""
    if engine == "scratch":
        layer = scratch.Conv2d(W.shape[1], W.shape[0], W.shape[2:], stride, padding,
                               bias=b is not None, dtype=W.dtype)
        layer.load_state_dict({"weight": W} if b is None else {"weight": W, "bias": b})
        Y = layer.forward(X)
        dX = layer.backward(dY.astype(W.dtype))
        return Y, dX, layer.dW, layer.grads.get("bias")
    x, w = (groundup.tensor(a, dtype=W.dtype, requires_grad=True) for a in (X, W))
    bt = None if b is None else groundup.tensor(b, dtype=W.dtype, requires_grad=True)
    out = F.conv2d(x, w, bt, stride, padding)
    out.backward(dY.astype(W.dtype))
    return out.data, x.grad, w.grad, None if bt is None else bt.grad


@pytest.mark.parametrize("engine", ENGINES)
@FAST
@given(case=conv_cases(max_side=9), dtype=dtypes, bias=st.booleans(), seed=st.integers(0, 10**6))
def test_conv2d_matches_torch(engine, case, dtype, bias, seed):
    N, C, O, H, W, kernel, stride, padding = case
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, C, H, W)).astype(dtype)
    Wt = rng.standard_normal((O, C, *kernel)).astype(dtype)
    b = rng.standard_normal(O).astype(dtype) if bias else None
    tx, tw = _torch(X, dtype), _torch(Wt, dtype)
    tb = None if b is None else _torch(b, dtype)
    t_out = TF.conv2d(tx, tw, tb, stride, padding)
    dY = rng.standard_normal(tuple(t_out.shape))
    t_out.backward(torch.tensor(dY, dtype=TORCH_DTYPE[dtype]))
    Y, dX, dW, db = _engine_conv(engine, X, Wt, b, stride, padding, dY)
    assert Y.shape == tuple(t_out.shape) and Y.dtype == dtype
    _close(Y, t_out, dtype)
    assert dX.dtype == dtype and dW.dtype == dtype
    _close(dX, tx.grad, dtype)
    _close(dW, tw.grad, dtype)
    if bias:
        _close(db, tb.grad, dtype)


def _engine_pool(engine, kind, X, kernel, stride, padding, count_include_pad, dY):
    """(Y, dX) of max or average pooling from one of groundup's engines."""
    if engine == "scratch":
        layer = (scratch.MaxPool2d(kernel, stride, padding) if kind == "max" else
                 scratch.AvgPool2d(kernel, stride, padding, count_include_pad))
        Y = layer.forward(X)
        return Y, layer.backward(dY.astype(X.dtype))
    x = groundup.tensor(X, dtype=X.dtype, requires_grad=True)
    out = (F.max_pool2d(x, kernel, stride, padding) if kind == "max" else
           F.avg_pool2d(x, kernel, stride, padding, count_include_pad))
    out.backward(dY.astype(X.dtype))
    return out.data, x.grad


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", ["max", "avg"])
@FAST
@given(case=pool_cases(max_side=9), dtype=dtypes, ties=st.booleans(),
       default_stride=st.booleans(), count_include_pad=st.booleans(),
       seed=st.integers(0, 10**6))
def test_pooling_matches_torch(kind, engine, case, dtype, ties, default_stride,
                               count_include_pad, seed):
    N, C, H, W, kernel, stride, padding = case
    if default_stride:
        stride = None
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, C, H, W))
    X = (np.round(X) if ties else X).astype(dtype)  # integers: maxima tie in many windows
    tx = _torch(X, dtype)
    if kind == "max":
        t_out = TF.max_pool2d(tx, kernel, stride, padding)
    else:
        t_out = TF.avg_pool2d(tx, kernel, stride, padding, count_include_pad=count_include_pad)
    dY = rng.standard_normal(tuple(t_out.shape))
    t_out.backward(torch.tensor(dY, dtype=TORCH_DTYPE[dtype]))
    Y, dX = _engine_pool(engine, kind, X, kernel, stride, padding, count_include_pad, dY)
    assert Y.shape == tuple(t_out.shape) and Y.dtype == dtype and dX.dtype == dtype
    _close(Y, t_out, dtype)
    _close(dX, tx.grad, dtype)


# ---------------------------------------------------------------------------- nn.Conv2d
def test_conv2d_names_shapes_and_init_match_torch():
    ours, theirs = nn.Conv2d(16, 32, 3, padding=1), torch.nn.Conv2d(16, 32, 3, padding=1)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    for mod in (nn, torch.nn):
        assert repr(mod.Conv2d(3, 8, (3, 5), stride=(2, 1), bias=False)).startswith("Conv2d(3,")
    assert repr(nn.Conv2d(3, 8, (3, 5), stride=(2, 1), bias=False)) == repr(
        torch.nn.Conv2d(3, 8, (3, 5), stride=(2, 1), bias=False))
    for ours_pool, theirs_pool in [(nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
                                   (nn.MaxPool2d((3, 2), 1, 1), torch.nn.MaxPool2d((3, 2), 1, 1)),
                                   (nn.AvgPool2d(3, 2, 1), torch.nn.AvgPool2d(3, 2, 1))]:
        assert repr(ours_pool) == repr(theirs_pool)
    # the same distribution: both inside ±1/√fan_in, both with variance bound²/3 (4,608 draws
    # each: the sample variance lies within 8% of it), and the bias bound the same
    bound = 1 / np.sqrt(16 * 3 * 3)
    for w, b in [(ours.weight.data, ours.bias.data),
                 (theirs.weight.detach().numpy(), theirs.bias.detach().numpy())]:
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
        assert abs(w.var() / (bound**2 / 3) - 1) < 0.08
        assert np.abs(b).max() <= bound


def _cnn(mod):
    return mod.Sequential(mod.Conv2d(1, 16, 3, padding=1), mod.ReLU(), mod.MaxPool2d(2),
                          mod.Conv2d(16, 32, 3, padding=1), mod.ReLU(), mod.MaxPool2d(2),
                          mod.Flatten(), mod.Linear(32 * 7 * 7, 10))


def _mnist_batch(n=32):
    """n MNIST-shaped images (real ones when GROUNDUP_DATA_DIR has them) and labels."""
    from groundup import data

    if data.is_available(next(i for i in data.list_datasets() if i.name == "mnist")):
        ds = data.load("mnist")
        return ((ds.X_train[:n].reshape(n, 1, 28, 28) / np.float32(255)).astype(np.float32),
                ds.y_train[:n].astype(np.int64))
    rng = np.random.default_rng(0)
    return rng.random((n, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, n)


def test_cnn_moves_to_torch_with_the_same_logits_and_gradients(tmp_path):
    st_torch = pytest.importorskip("safetensors.torch")
    groundup.manual_seed(0)
    ours = _cnn(nn)
    path = tmp_path / "cnn.safetensors"
    groundup.save(ours, path)
    theirs = _cnn(torch.nn)
    theirs.load_state_dict(st_torch.load_file(str(path)), strict=True)
    X, y = _mnist_batch()
    logits = ours(groundup.tensor(X))
    t_logits = theirs(torch.from_numpy(X))
    _close(logits.data, t_logits, np.float32)
    F.cross_entropy(logits, y).backward()
    TF.cross_entropy(t_logits, torch.from_numpy(y)).backward()
    for (name, p), (t_name, tp) in zip(ours.named_parameters(), theirs.named_parameters(),
                                       strict=True):
        assert name == t_name
        # float32: within 1e-5 of each entry or of the gradient's largest entry (entries that
        # cancel to ~0 carry the rounding of the large terms they are sums of)
        expected = tp.grad.numpy()
        np.testing.assert_allclose(p.grad, expected, rtol=1e-5,
                                   atol=1e-5 * np.abs(expected).max(), err_msg=name)
