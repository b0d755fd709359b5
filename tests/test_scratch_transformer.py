"""The scratch transformer layers (hand-derived backward) against central differences in float64
(every gradient within 1e-6), against numbers worked by hand, and against the autograd engine:
one block and a whole GPT equal to float64 rounding."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import groundup
import groundup.nn.functional as F
from groundup import scratch
from groundup.gradcheck import gradcheck
from groundup.nn.gpt import GPT, GPTConfig

FAST = settings(max_examples=10, deadline=None, derandomize=True)
ROUNDING = dict(rtol=1e-11, atol=1e-13)  # float64: the same sums in a different order


def _gradcheck_layer(layer, X, seed=0, need_dx=True):
    """Central differences of E = Σ layer(X) ∘ R for every parameter and (if asked) the input."""
    R = np.random.default_rng(seed + 1).standard_normal(layer.forward(X).shape)
    params = dict(layer.params)
    if need_dx:
        params["input"] = X

    def loss_and_grads():
        Y = layer.forward(params.get("input", X))
        dX, grads = layer.backward(R)
        return float((Y * R).sum()), ({**grads, "input": dX} if need_dx else grads)

    errors = gradcheck(loss_and_grads, params)
    assert max(errors.values()) < 1e-6, errors


def _randomise(layer, rng, scale=0.5):
    for v in layer.params.values():
        v[...] = rng.standard_normal(v.shape) * scale + (1.0 if v.ndim == 1 else 0.0)


@FAST
@given(shape=st.sampled_from([(5, 4), (2, 3, 6)]), bias=st.booleans(), seed=st.integers(0, 99))
def test_layer_norm_gradcheck(shape, bias, seed):
    rng = np.random.default_rng(seed)
    ln = scratch.LayerNorm(shape[-1], bias=bias, dtype=np.float64)
    _randomise(ln, rng)
    _gradcheck_layer(ln, rng.standard_normal(shape) * 3 + 1, seed)


def test_layer_norm_input_gradient_is_orthogonal_to_shift_and_stretch():
    """Σ_j dx_j = 0 and, with ε = 0, Σ_j dx_j x̂_j = 0 in every row (module docstring)."""
    rng = np.random.default_rng(0)
    ln = scratch.LayerNorm(7, eps=0.0, dtype=np.float64)
    _randomise(ln, rng)
    X = rng.standard_normal((4, 7)) * 2 + 3
    ln.forward(X)
    dX, _ = ln.backward(rng.standard_normal((4, 7)))
    xhat = (X - X.mean(1, keepdims=True)) / X.std(1, keepdims=True)
    np.testing.assert_allclose(dX.sum(1), 0, atol=1e-13)
    np.testing.assert_allclose((dX * xhat).sum(1), 0, atol=1e-12)


def test_embedding_gradients_add_up_for_repeated_ids():
    emb = scratch.Embedding(4, 2, dtype=np.float64)
    emb.params["weight"][...] = np.arange(8.0).reshape(4, 2)
    ids = np.array([[1, 3, 1]])
    np.testing.assert_array_equal(emb.forward(ids)[0], [[2, 3], [6, 7], [2, 3]])
    _, grads = emb.backward(np.array([[[1.0, 10.0], [2.0, 20.0], [4.0, 40.0]]]))
    # row 1 is used twice: (1, 10) + (4, 40); row 3 once; rows 0 and 2 never
    np.testing.assert_array_equal(grads["weight"], [[0, 0], [5, 50], [0, 0], [2, 20]])


def test_embedding_gradcheck():
    rng = np.random.default_rng(0)
    emb = scratch.Embedding(5, 3, dtype=np.float64)
    _randomise(emb, rng)
    ids = rng.integers(0, 5, (2, 6))
    R = rng.standard_normal((2, 6, 3))

    def loss_and_grads():
        return float((emb.forward(ids) * R).sum()), emb.backward(R)[1]

    assert gradcheck(loss_and_grads, emb.params)["weight"] < 1e-6


@FAST
@given(T=st.integers(1, 6), d=st.integers(1, 4), causal=st.booleans(), seed=st.integers(0, 99))
def test_one_head_gradcheck_and_autograd(T, d, causal, seed):
    rng = np.random.default_rng(seed)
    params = {k: rng.standard_normal((2, T, d)) for k in "QKV"}
    R = rng.standard_normal((2, T, d))

    def loss_and_grads():
        Y, cache = scratch.attention_forward(params["Q"], params["K"], params["V"], causal)
        return float((Y * R).sum()), dict(zip("QKV", scratch.attention_backward(R, cache),
                                              strict=True))

    assert max(gradcheck(loss_and_grads, params).values()) < 1e-6
    Y, cache = scratch.attention_forward(params["Q"], params["K"], params["V"], causal)
    ts = {k: groundup.tensor(v, dtype=np.float64, requires_grad=True) for k, v in params.items()}
    out = F.scaled_dot_product_attention(ts["Q"], ts["K"], ts["V"], is_causal=causal)
    out.backward(R)
    np.testing.assert_allclose(Y, out.data, **ROUNDING)
    for k, g in zip("QKV", scratch.attention_backward(R, cache), strict=True):
        np.testing.assert_allclose(g, ts[k].grad, **ROUNDING)


def test_one_head_by_hand():
    """q = k = [1, 2] (d = 1, so the scale is 1), v = [10, 20]: row 0 sees itself only, row 1
    weighs [e², e⁴] / (e² + e⁴) = [0.1192, 0.8808]: y = [10, 18.808]."""
    t = np.array([[1.0], [2.0]])
    Y, _ = scratch.attention_forward(t, t, np.array([[10.0], [20.0]]))
    w = 1 / (1 + math.exp(2))
    np.testing.assert_allclose(Y.ravel(), [10, 10 * w + 20 * (1 - w)], rtol=1e-14)


@pytest.mark.parametrize("bias", [True, False])
def test_multi_head_attention_gradcheck(bias):
    rng = np.random.default_rng(1)
    attn = scratch.CausalSelfAttention(6, 3, bias=bias, dtype=np.float64)
    _randomise(attn, rng)
    _gradcheck_layer(attn, rng.standard_normal((2, 4, 6)))


@pytest.mark.parametrize("bias", [True, False])
def test_block_gradcheck(bias):
    rng = np.random.default_rng(2)
    block = scratch.Block(4, 2, bias=bias, dtype=np.float64)
    _randomise(block, rng)
    _gradcheck_layer(block, rng.standard_normal((2, 3, 4)))


@pytest.mark.parametrize("bias", [True, False])
def test_scratch_block_equals_the_autograd_block(bias):
    config = GPTConfig(block_size=8, vocab_size=5, n_layer=1, n_head=2, n_embd=8, bias=bias)
    auto = GPT(config, dtype=np.float64, generator=0).transformer.h[0]
    rng = np.random.default_rng(3)
    for p in auto.parameters():
        p.data[...] += rng.standard_normal(p.shape) * 0.3
    block = scratch.Block(8, 2, bias=bias, dtype=np.float64)
    block.load_state_dict(auto.state_dict())
    X, dY = rng.standard_normal((3, 7, 8)), rng.standard_normal((3, 7, 8))
    x = groundup.tensor(X, dtype=np.float64, requires_grad=True)
    out = auto(x)
    out.backward(dY)
    np.testing.assert_allclose(block.forward(X), out.data, **ROUNDING)
    dX, grads = block.backward(dY)
    np.testing.assert_allclose(dX, x.grad, **ROUNDING)
    assert set(grads) == {n for n, _ in auto.named_parameters()}
    for name, p in auto.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad, **ROUNDING)


def test_scratch_gpt_gradcheck_and_equals_the_autograd_gpt():
    config = GPTConfig(block_size=6, vocab_size=7, n_layer=2, n_head=2, n_embd=4, bias=True)
    auto = GPT(config, dtype=np.float64, generator=0)
    rng = np.random.default_rng(4)
    for p in auto.parameters():
        p.data[...] += rng.standard_normal(p.shape) * 0.3
    model = scratch.GPT(config, dtype=np.float64)
    model.load_state_dict(auto.state_dict())
    ids, targets = rng.integers(0, 7, (2, 5)), rng.integers(0, 7, (2, 5))
    loss, grads = model.loss_and_grads(ids, targets)
    _, auto_loss = auto(ids, targets)
    auto_loss.backward()
    np.testing.assert_allclose(loss, auto_loss.item(), **ROUNDING)
    for name, p in auto.named_parameters():  # the tied table: head + lookup
        np.testing.assert_allclose(grads[name], p.grad, **ROUNDING)
    errors = gradcheck(lambda: model.loss_and_grads(ids, targets), model.params)
    assert max(errors.values()) < 1e-6, errors
