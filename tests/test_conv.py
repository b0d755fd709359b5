"""Convolution and pooling without torch: the vectorised scratch layers against their loop
versions, scratch against autograd, both against central differences, output sizes against
numbers worked by hand, and the errors bad input gets."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import groundup
import groundup.nn.functional as F
from groundup import nn
from groundup.errors import GroundupError
from groundup.gradcheck import gradcheck
from groundup.im2col import output_size
from groundup.scratch import AvgPool2d, Conv2d, MaxPool2d
from groundup.scratch.conv_naive import (
    avg_pool2d_naive,
    conv2d_backward_naive,
    conv2d_naive,
    max_pool2d_naive,
)

FAST = settings(max_examples=15, deadline=None, derandomize=True)
EXACT = dict(rtol=1e-12, atol=1e-12)  # float64: the same sums in another order


@st.composite
def conv_cases(draw, max_side=7):
    """(N, C, O, H, W, kernel, stride, padding) with at least one window that fits."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    H = draw(st.integers(max(1, kernel[0] - 2 * padding[0]), max_side))
    W = draw(st.integers(max(1, kernel[1] - 2 * padding[1]), max_side))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), H, W,
            kernel, stride, padding)


@st.composite
def pool_cases(draw, max_side=7):
    """(N, C, H, W, kernel, stride, padding); padding at most half the kernel."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    H = draw(st.integers(max(1, kernel[0] - 2 * padding[0]), max_side))
    W = draw(st.integers(max(1, kernel[1] - 2 * padding[1]), max_side))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return draw(st.integers(1, 2)), draw(st.integers(1, 3)), H, W, kernel, stride, padding


def _conv(case, seed, bias=True, dtype=np.float64):
    N, C, O, H, W, kernel, stride, padding = case
    layer = Conv2d(C, O, kernel, stride, padding, bias=bias, seed=seed, dtype=dtype)
    X = np.random.default_rng(seed).standard_normal((N, C, H, W)).astype(dtype)
    return layer, X


# ---------------------------------------------------------------------------- output sizes
def test_output_size_worked_by_hand():
    assert output_size(28, 3, 1, 1) == 28  # (28 + 2 - 3) / 1 + 1: "same" padding
    assert output_size(28, 2, 2, 0) == 14  # (28 - 2) / 2 + 1: pooling halves
    assert output_size(7, 3, 2, 0) == 3  # ⌊(7 - 3) / 2⌋ + 1
    assert output_size(5, 3, 2, 1) == 3  # ⌊(5 + 2 - 3) / 2⌋ + 1
    assert output_size(6, 3, 2, 0) == 2  # ⌊(6 - 3) / 2⌋ + 1: the last column is never read


@FAST
@given(case=conv_cases(), seed=st.integers(0, 10**6))
def test_layers_give_the_formula_output_size(case, seed):
    N, C, O, H, W, kernel, stride, padding = case
    layer, X = _conv(case, seed)
    expected = tuple((n + 2 * p - k) // s + 1 for n, k, s, p in
                     zip((H, W), kernel, stride, padding, strict=True))
    assert layer.forward(X).shape == (N, O, *expected)
    out = F.conv2d(groundup.tensor(X), groundup.tensor(layer.params["weight"]), None, stride,
                   padding)
    assert out.shape == (N, O, *expected)


# ---------------------------------------------------------------------------- scratch vs loops
@FAST
@given(case=conv_cases(max_side=6), seed=st.integers(0, 10**6), bias=st.booleans())
def test_scratch_conv_equals_the_loops(case, seed, bias):
    layer, X = _conv(case, seed, bias)
    Y = layer.forward(X)
    dY = np.random.default_rng(seed + 1).standard_normal(Y.shape)
    dX = layer.backward(dY)
    W, b = layer.params["weight"], layer.params.get("bias")
    np.testing.assert_allclose(Y, conv2d_naive(X, W, b, layer.stride, layer.padding), **EXACT)
    dX_loop, dW_loop, db_loop = conv2d_backward_naive(dY, X, W, layer.stride, layer.padding)
    np.testing.assert_allclose(dX, dX_loop, **EXACT)
    np.testing.assert_allclose(layer.dW, dW_loop, **EXACT)
    if bias:
        np.testing.assert_allclose(layer.db, db_loop, **EXACT)
    else:
        assert set(layer.grads) == {"weight"}


@FAST
@given(case=pool_cases(), seed=st.integers(0, 10**6), ties=st.booleans(),
       count_include_pad=st.booleans())
def test_scratch_pools_equal_the_loops(case, seed, ties, count_include_pad):
    N, C, H, W, kernel, stride, padding = case
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, C, H, W))
    if ties:  # integers: many windows hold their maximum twice
        X = np.round(X)
    for layer, loops, extra in [
        (MaxPool2d(kernel, stride, padding), max_pool2d_naive, {}),
        (AvgPool2d(kernel, stride, padding, count_include_pad), avg_pool2d_naive,
         {"count_include_pad": count_include_pad}),
    ]:
        Y = layer.forward(X)
        dY = rng.standard_normal(Y.shape)
        Y_loop, dX_loop = loops(X, dY, kernel, stride, padding, **extra)
        np.testing.assert_allclose(Y, Y_loop, **EXACT)
        np.testing.assert_allclose(layer.backward(dY), dX_loop, **EXACT)


def test_max_pool_sends_a_tie_to_the_first_maximum():
    # window [[1, 3], [3, 0]]: the 3 at (0, 1) comes first in row-major order
    X = np.array([[[[1.0, 3.0], [3.0, 0.0]]]])
    pool = MaxPool2d(2)
    assert pool.forward(X)[0, 0, 0, 0] == 3.0
    np.testing.assert_array_equal(pool.backward(np.array([[[[5.0]]]]))[0, 0],
                                  [[0.0, 5.0], [0.0, 0.0]])


def test_average_counts_the_padding_unless_told_not_to():
    # a 2x2 image of ones, 3x3 windows with padding 1: every window holds the 4 real pixels
    # and 5 padded zeros, so its mean is 4/9 with the padding counted and 4/4 without
    X = np.ones((1, 1, 2, 2))
    for count_include_pad, expected in [(True, 4 / 9), (False, 1.0)]:
        layer = AvgPool2d(3, 1, 1, count_include_pad)
        np.testing.assert_allclose(layer.forward(X), np.full((1, 1, 2, 2), expected), **EXACT)
        out = F.avg_pool2d(groundup.tensor(X, dtype=np.float64), 3, 1, 1, count_include_pad)
        np.testing.assert_allclose(out.data, np.full((1, 1, 2, 2), expected), **EXACT)


def test_conv_by_hand():
    # a vertical-edge kernel [[1, -1]] on one row [0, 0, 1, 1]: the only response is at the
    # step, 0·1 + 1·(-1) = -1 at column 1; padding 1 adds a column of zeros on each side
    X = np.array([[[[0.0, 0.0, 1.0, 1.0]]]])
    layer = Conv2d(1, 1, (1, 2), padding=(0, 1), bias=False, dtype=np.float64)
    layer.load_state_dict({"weight": np.array([[[[1.0, -1.0]]]])})
    np.testing.assert_array_equal(layer.forward(X)[0, 0, 0], [0.0, 0.0, -1.0, 0.0, 1.0])
    # dW = Σ δ ⋆ X: with δ = 1 everywhere, dW[q] = Σ_j Xp[j + q] = 2 for both taps
    layer.backward(np.ones((1, 1, 1, 5)))
    np.testing.assert_array_equal(layer.dW[0, 0, 0], [2.0, 2.0])


# ---------------------------------------------------------------------------- scratch vs autograd
@FAST
@given(case=conv_cases(), seed=st.integers(0, 10**6), bias=st.booleans())
def test_scratch_conv_equals_autograd(case, seed, bias):
    layer, X = _conv(case, seed, bias)
    x, w = (groundup.tensor(a, requires_grad=True, dtype=np.float64)
            for a in (X, layer.params["weight"]))
    b = None
    if bias:
        b = groundup.tensor(layer.params["bias"], requires_grad=True, dtype=np.float64)
    out = F.conv2d(x, w, b, layer.stride, layer.padding)
    Y = layer.forward(X)
    np.testing.assert_allclose(out.data, Y, **EXACT)
    dY = np.random.default_rng(seed + 1).standard_normal(Y.shape)
    out.backward(dY)
    np.testing.assert_allclose(x.grad, layer.backward(dY), **EXACT)
    np.testing.assert_allclose(w.grad, layer.dW, **EXACT)
    if bias:
        np.testing.assert_allclose(b.grad, layer.db, **EXACT)


@FAST
@given(case=pool_cases(), seed=st.integers(0, 10**6), count_include_pad=st.booleans())
def test_scratch_pools_equal_autograd(case, seed, count_include_pad):
    N, C, H, W, kernel, stride, padding = case
    rng = np.random.default_rng(seed)
    X = np.round(rng.standard_normal((N, C, H, W)) * 2)  # with ties
    for layer, op in [
        (MaxPool2d(kernel, stride, padding), lambda t: F.max_pool2d(t, kernel, stride, padding)),
        (AvgPool2d(kernel, stride, padding, count_include_pad),
         lambda t: F.avg_pool2d(t, kernel, stride, padding, count_include_pad)),
    ]:
        x = groundup.tensor(X, requires_grad=True, dtype=np.float64)
        out = op(x)
        np.testing.assert_allclose(out.data, layer.forward(X), **EXACT)
        dY = rng.standard_normal(out.shape)
        out.backward(dY)
        np.testing.assert_allclose(x.grad, layer.backward(dY), **EXACT)


def test_float32_stays_float32():
    layer, X = _conv((2, 3, 4, 6, 5, (3, 3), (1, 1), (1, 1)), 0, dtype=np.float32)
    Y = layer.forward(X)
    assert Y.dtype == np.float32
    assert layer.backward(Y).dtype == np.float32 and layer.dW.dtype == np.float32
    for pool in (MaxPool2d(2), AvgPool2d(2)):
        assert pool.forward(Y).dtype == np.float32
    x = groundup.tensor(X, requires_grad=True)
    conv = nn.Conv2d(3, 4, 3, padding=1)
    out = F.avg_pool2d(F.max_pool2d(conv(x), 2, 1), 2)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    assert conv.weight.grad.dtype == np.float32 and conv.bias.grad.dtype == np.float32


# ---------------------------------------------------------------------------- central differences
def _half_squared_error(Y, T):
    """E = ½ Σ (Y − T)², dE/dY = Y − T: a loss that is not linear in the layer's output."""
    return 0.5 * float(np.sum((Y - T) ** 2)), Y - T


GRADCHECK_CASES = [  # (N, C, O, H, W, kernel, stride, padding)
    (2, 3, 4, 6, 5, (3, 3), (1, 1), (1, 1)),
    (2, 2, 3, 7, 6, (3, 2), (2, 1), (1, 2)),
    (1, 1, 2, 5, 5, (5, 5), (1, 1), (2, 2)),
]


@pytest.mark.parametrize("case", GRADCHECK_CASES)
def test_scratch_conv_gradcheck(case):
    layer, X = _conv(case, 3)
    T = np.random.default_rng(4).standard_normal(layer.forward(X).shape)

    def loss_and_grads():
        E, dY = _half_squared_error(layer.forward(X), T)
        dX = layer.backward(dY)
        return E, {"X": dX, **layer.grads}

    errors = gradcheck(loss_and_grads, {"X": X, **layer.params})
    assert set(errors) == {"X", "weight", "bias"}
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("case", GRADCHECK_CASES)
def test_autograd_conv_gradcheck(case):
    N, C, O, H, W, kernel, stride, padding = case
    rng = np.random.default_rng(5)
    conv = nn.Conv2d(C, O, kernel, stride, padding, dtype=np.float64)
    x = groundup.tensor(rng.standard_normal((N, C, H, W)), requires_grad=True,
                        dtype=np.float64)
    T = rng.standard_normal(conv(x).shape)
    leaves = {"x": x, "weight": conv.weight, "bias": conv.bias}

    def loss_and_grads():
        for t in leaves.values():
            t.grad = None
        loss = 0.5 * ((conv(x) - groundup.tensor(T, dtype=np.float64)) ** 2).sum()
        loss.backward()
        return loss.item(), {name: t.grad for name, t in leaves.items()}

    errors = gradcheck(loss_and_grads, {name: t.data for name, t in leaves.items()})
    assert max(errors.values()) < 1e-6, errors


POOL_CASES = [  # (kernel, stride, padding): tiling, overlapping, padded
    ((2, 2), (2, 2), (0, 0)),
    ((3, 3), (1, 1), (1, 1)),
    ((3, 2), (2, 1), (1, 0)),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("geometry", POOL_CASES)
def test_pool_gradcheck_scratch_and_autograd(kind, geometry):
    kernel, stride, padding = geometry
    # distinct values at least 0.01 apart: central differences with ε = 1e-6 never swap a max
    X = np.random.default_rng(6).permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) / 100.0
    if kind == "max":
        layer = MaxPool2d(kernel, stride, padding)
        op = lambda t: F.max_pool2d(t, kernel, stride, padding)  # noqa: E731
    else:
        layer = AvgPool2d(kernel, stride, padding)
        op = lambda t: F.avg_pool2d(t, kernel, stride, padding)  # noqa: E731
    T = np.random.default_rng(7).standard_normal(layer.forward(X).shape)

    def scratch():
        E, dY = _half_squared_error(layer.forward(X), T)
        return E, {"X": layer.backward(dY)}

    x = groundup.tensor(X, requires_grad=True, dtype=np.float64)

    def autograd():
        x.grad = None
        loss = 0.5 * ((op(x) - groundup.tensor(T, dtype=np.float64)) ** 2).sum()
        loss.backward()
        return loss.item(), {"X": x.grad}

    assert gradcheck(scratch, {"X": X})["X"] < 1e-6
    assert gradcheck(autograd, {"X": x.data})["X"] < 1e-6


# ---------------------------------------------------------------------------- nn layers
def test_nn_conv2d_parameters_and_init():
    groundup.manual_seed(0)
    conv = nn.Conv2d(64, 32, 3)
    assert [name for name, _ in conv.named_parameters()] == ["weight", "bias"]
    assert conv.weight.shape == (32, 64, 3, 3) and conv.bias.shape == (32,)
    bound = 1 / np.sqrt(64 * 3 * 3)  # 1/24: fan_in = in_channels · kH · kW
    w = conv.weight.data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    # U(-a, a) has variance a²/3; 18,432 draws put the sample variance within 3% of it
    assert abs(w.var() / (bound**2 / 3) - 1) < 0.03
    assert abs(w.mean()) < 0.02 * bound
    assert np.abs(conv.bias.data).max() <= bound
    assert [n for n, _ in nn.Conv2d(1, 2, 3, bias=False).named_parameters()] == ["weight"]


def test_scratch_conv_init_has_the_same_bound():
    layer = Conv2d(64, 32, 3, seed=0)
    bound = 1 / np.sqrt(64 * 3 * 3)
    w = layer.params["weight"]
    assert w.shape == (32, 64, 3, 3) and np.abs(w).max() <= bound
    assert abs(w.var() / (bound**2 / 3) - 1) < 0.03


def test_reprs_read_like_pytorch():
    # strings printed by torch 2.x for the same layers
    assert repr(nn.Conv2d(1, 16, 3, padding=1)) == (
        "Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))")
    assert repr(nn.Conv2d(1, 16, (3, 5), stride=2, bias=False)) == (
        "Conv2d(1, 16, kernel_size=(3, 5), stride=(2, 2), bias=False)")
    assert repr(nn.MaxPool2d(2)) == (
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)")
    assert repr(nn.MaxPool2d((2, 3), 1, 1)) == (
        "MaxPool2d(kernel_size=(2, 3), stride=1, padding=1, dilation=1, ceil_mode=False)")
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"


def test_flatten_keeps_channel_row_column_order():
    x = groundup.tensor(np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5),
                        requires_grad=True)
    out = nn.Flatten()(x)
    np.testing.assert_array_equal(out.data, x.data.reshape(2, 60))
    (out * groundup.tensor(np.arange(120.0, dtype=np.float32).reshape(2, 60))).sum().backward()
    np.testing.assert_array_equal(x.grad, np.arange(120.0).reshape(2, 3, 4, 5))


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, words", [
    (lambda: nn.Conv2d(3, 4, 3)(groundup.zeros(2, 1, 8, 8)), "has 1 channels"),
    (lambda: nn.Conv2d(1, 4, 3)(groundup.zeros(2, 784)), "(N, C, H, W)"),
    (lambda: nn.Conv2d(1, 4, 5)(groundup.zeros(2, 1, 3, 3)), "does not fit"),
    (lambda: nn.Conv2d(1, 4, 3)(groundup.zeros(2, 1, 8, 8, dtype=groundup.float64)),
     "float64 but the weight is float32"),
    (lambda: nn.Conv2d(1, 4, 0), "kernel_size must be >= 1"),
    (lambda: nn.Conv2d(1, 4, 3, stride=(1, 2, 3)), "stride must be an int or a pair"),
    (lambda: nn.Conv2d(1, 4, 3, padding=-1), "padding must be >= 0"),
    (lambda: nn.MaxPool2d(3, padding=2), "at most half the kernel"),
    (lambda: F.avg_pool2d(groundup.zeros(1, 1, 4, 4), 2, padding=2), "at most half the kernel"),
    (lambda: F.max_pool2d(groundup.zeros(4, 4), 2), "x.unsqueeze(0)"),
    (lambda: Conv2d(1, 4, 3).forward(np.zeros((2, 3, 8, 8))), "has 3 channels"),
    (lambda: MaxPool2d(2).forward(np.zeros((1, 1, 4, 4), np.uint8)), "floating-point"),
    (lambda: Conv2d(1, 4, 3).backward(np.zeros((1, 4, 6, 6))), "forward() before"),
])
def test_bad_input_gets_one_clear_message(call, words):
    with pytest.raises((GroundupError, RuntimeError)) as info:
        call()
    assert words in str(info.value)
