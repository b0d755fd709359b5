"""The transformer's layers against torch: forward values and every gradient, shapes drawn by
hypothesis. layer_norm (gain and bias optional, one or two normalised dims), scaled dot-product
attention (causal, boolean and float masks, explicit scale), batched matmul over broadcast
leading dims, masked_fill, split, GELU on MLP-sized float32 arrays, nn.LayerNorm's names and
start, a Block and the whole GPT (logits, loss and the gradient of every parameter, the tied one
included) against nanoGPT's model (tests/torch_gpt.py), clip_grad_norm_.

Tolerances as in test_torch_parity_ops.py: float64 relative 1e-10 (absolute 1e-12), float32
relative 1e-5 (absolute 1e-5)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import groundup
import groundup.nn.functional as F
from groundup import nn
from groundup.nn.gpt import GPT, GPTConfig
from groundup.nn.transformer import Block

torch = pytest.importorskip("torch")
import torch_gpt  # noqa: E402 - needs torch
from torch_check import TOL, TORCH_DTYPE, check  # noqa: E402 - needs torch

pytestmark = pytest.mark.torch
torch.set_num_threads(1)
TF = torch.nn.functional

FAST = settings(max_examples=20, deadline=None, derandomize=True)
dtypes = st.sampled_from([np.float64, np.float32])


def _x(shape, dtype, rng, scale=1.0, shift=0.0):
    return (rng.standard_normal(shape) * scale + shift).astype(dtype)


# ---------------------------------------------------------------------------- layer norm
@FAST
@given(lead=st.lists(st.integers(1, 4), max_size=2), norm=st.lists(st.integers(1, 6), min_size=1,
       max_size=2), affine=st.sampled_from(["both", "gain", "none"]), dtype=dtypes,
       eps=st.sampled_from([1e-5, 1e-2]), seed=st.integers(0, 10**6))
def test_layer_norm(lead, norm, affine, dtype, eps, seed):
    rng = np.random.default_rng(seed)
    shape = (*lead, *norm)
    arrays = [_x(shape, dtype, rng, scale=3.0, shift=2.0)]  # off-centre: the mean matters
    if affine != "none":
        arrays.append(_x(norm, dtype, rng, shift=1.0))
    if affine == "both":
        arrays.append(_x(norm, dtype, rng))
    ns = tuple(norm)

    def ours(x, w=None, b=None):
        return F.layer_norm(x, ns, w, b, eps)

    def theirs(x, w=None, b=None):
        return TF.layer_norm(x, ns, w, b, eps)

    check(ours, theirs, arrays, dtype, seed)


def test_layer_norm_module_names_start_and_no_bias():
    for bias in (True, False):
        ours = nn.LayerNorm(8, bias=bias)
        theirs = torch.nn.LayerNorm(8, bias=bias)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for k, v in ours.state_dict().items():
            np.testing.assert_array_equal(v, theirs.state_dict()[k].numpy())
    assert list(nn.LayerNorm(3, elementwise_affine=False).state_dict()) == []


# ---------------------------------------------------------------------------- attention
@st.composite
def attention_cases(draw):
    lead = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    L, S = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    E, Ev = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    mask = draw(st.sampled_from(["causal", "bool", "float", "none"]))
    return lead, L, S, E, Ev, mask, draw(st.sampled_from([None, 0.3]))


@FAST
@given(case=attention_cases(), dtype=dtypes, seed=st.integers(0, 10**6))
def test_scaled_dot_product_attention(case, dtype, seed):
    lead, L, S, E, Ev, mask, scale = case
    rng = np.random.default_rng(seed)
    if mask == "causal":
        S = max(S, L)  # torch's causal mask is top-left aligned: every row keeps key 0
    arrays = [_x((*lead, L, E), dtype, rng, 2.0), _x((*lead, S, E), dtype, rng, 2.0),
              _x((*lead, S, Ev), dtype, rng)]
    kwargs = dict(scale=scale)
    if mask == "causal":
        kwargs["is_causal"] = True
    elif mask == "bool":
        kwargs["attn_mask"] = rng.random((L, S)) < 0.6  # rows with no key: 0 in both
    elif mask == "float":
        kwargs["attn_mask"] = _x((L, S), dtype, rng)

    def theirs(q, k, v):
        kw = dict(kwargs)
        if "attn_mask" in kw:
            kw["attn_mask"] = torch.tensor(kw["attn_mask"])
        return TF.scaled_dot_product_attention(q, k, v, **kw)

    check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kwargs), theirs, arrays,
          dtype, seed)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_attention_composed_from_primitives_matches_torch(dtype):
    """nanoGPT's explicit path: (q @ kᵀ) / √d, masked_fill(-inf), softmax(dim=-1), @ v."""
    rng = np.random.default_rng(0)
    B, h, T, d = 2, 3, 5, 4
    arrays = [_x((B, h, T, d), dtype, rng) for _ in range(3)]
    future = ~np.tri(T, dtype=bool)

    def explicit(q, k, v, lib):
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d))
        mask = future if lib is groundup else torch.tensor(future)
        att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
        return att @ v

    check(lambda *a: explicit(*a, groundup), lambda *a: explicit(*a, torch), arrays, dtype)
    check(lambda *a: explicit(*a, groundup),
          lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=True), arrays, dtype)


# ---------------------------------------------------------------------------- shape ops
@FAST
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=2, max_dims=4, max_side=3,
                                            base_shape=()),
       inner=st.integers(1, 4), dtype=dtypes, seed=st.integers(0, 10**6))
def test_batched_matmul_broadcasts_leading_dims(shapes, inner, dtype, seed):
    (a, b), _ = shapes
    a_shape, b_shape = (*a[:-1], inner), (*b[:-2], inner, b[-1])
    rng = np.random.default_rng(seed)
    check(lambda x, y: x @ y, lambda x, y: x @ y,
          [_x(a_shape, dtype, rng), _x(b_shape, dtype, rng)], dtype, seed)


def _weighted(pieces, lib):
    """The pieces side by side again, piece i times i + 1: each gradient must land in its part."""
    return lib.cat([p * (i + 1) for i, p in enumerate(pieces)], 1)


@FAST
@given(rows=st.integers(1, 4), sizes=st.lists(st.integers(1, 4), min_size=1, max_size=4),
       dtype=dtypes, seed=st.integers(0, 10**6), data=st.data())
def test_split_and_masked_fill(rows, sizes, dtype, seed, data):
    rng = np.random.default_rng(seed)
    x = _x((rows, sum(sizes)), dtype, rng)
    check(lambda a: _weighted(a.split(sizes, dim=1), groundup),
          lambda a: _weighted(a.split(sizes, dim=1), torch), [x], dtype, seed)
    size = data.draw(st.integers(1, sum(sizes) + 1))  # the last piece may be shorter
    check(lambda a: _weighted(a.split(size, 1), groundup),
          lambda a: _weighted(a.split(size, 1), torch), [x], dtype, seed)
    mask = rng.random((1, x.shape[1])) < 0.5  # broadcast over the rows
    check(lambda a: a.masked_fill(mask, -2.5), lambda a: a.masked_fill(torch.tensor(mask), -2.5),
          [x], dtype, seed)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_on_an_mlp_activation_float32(approximate):
    """(12, 64, 512): the baby GPT's MLP width, through the float32 erf."""
    x = _x((12, 64, 512), np.float32, np.random.default_rng(0), scale=3.0)
    check(lambda a: F.gelu(a, approximate), lambda a: TF.gelu(a, approximate=approximate), [x],
          np.float32)


# ---------------------------------------------------------------------------- block and GPT
SMALL = GPTConfig(block_size=8, vocab_size=11, n_layer=2, n_head=2, n_embd=8, bias=True)


def _twins(config, dtype, seed=0):
    ours = GPT(config, dtype=dtype, generator=seed)
    theirs = torch_gpt.load_groundup_state(torch_gpt.GPT(config).to(TORCH_DTYPE[dtype]),
                                           ours.state_dict())
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
def test_block_matches_nanogpt(dtype, bias):
    config = GPTConfig(block_size=6, vocab_size=5, n_layer=1, n_head=2, n_embd=8, bias=bias)
    ours, theirs = _twins(config, dtype)
    block, block_t = ours.transformer.h[0], theirs.transformer.h[0]
    for p in block.parameters():  # away from the identity-like start, so every path counts
        p.data[...] += np.random.default_rng(1).standard_normal(p.shape) * 0.3
    block_t.load_state_dict({k: torch.from_numpy(v) for k, v in block.state_dict().items()})
    x = _x((3, 6, 8), dtype, np.random.default_rng(2))
    xg = groundup.tensor(x, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out, out_t = block(xg), block_t(xt)
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **TOL[dtype])
    g = _x(out.shape, dtype, np.random.default_rng(3))
    out.backward(g)
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(xg.grad, xt.grad.numpy(), **TOL[dtype])
    grads_t = dict(block_t.named_parameters())
    for name, p in block.named_parameters():
        np.testing.assert_allclose(p.grad, grads_t[name].grad.numpy(), **TOL[dtype])


def test_block_is_a_pre_norm_residual_block():
    block = Block(8, 2, bias=False)
    assert [n for n, _ in block.named_parameters()] == [
        "ln_1.weight", "attn.c_attn.weight", "attn.c_proj.weight", "ln_2.weight",
        "mlp.c_fc.weight", "mlp.c_proj.weight"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
def test_gpt_logits_loss_and_every_gradient_match_nanogpt(dtype, bias):
    config = GPTConfig(block_size=8, vocab_size=11, n_layer=2, n_head=2, n_embd=8, bias=bias)
    ours, theirs = _twins(config, dtype, seed=3)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    rng = np.random.default_rng(4)
    idx, targets = rng.integers(0, 11, (3, 7)), rng.integers(0, 11, (3, 7))
    logits, loss = ours(idx, targets)
    logits_t, loss_t = theirs(torch.from_numpy(idx), torch.from_numpy(targets))
    np.testing.assert_allclose(logits.data, logits_t.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(loss.item(), loss_t.item(), **TOL[dtype])
    loss.backward()
    loss_t.backward()
    grads_t = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():  # transformer.wte.weight: embedding + head
        np.testing.assert_allclose(p.grad, grads_t[name].grad.numpy(), **TOL[dtype])


def test_gpt_state_dict_moves_into_nanogpt_and_the_head_is_tied():
    ours, theirs = _twins(SMALL, np.float32)
    state_t = theirs.state_dict()
    assert set(state_t) == set(ours.state_dict()) | {"lm_head.weight"}
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(v, state_t[k].numpy())
    assert ours.lm_head.weight is ours.transformer.wte.weight
    assert ours.num_parameters() == sum(p.numel() for p in theirs.parameters())


# ---------------------------------------------------------------------------- clipping
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("max_norm", "norm_type"), [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0),
                                                      (0.3, math.inf), (0.7, 3.0)])
def test_clip_grad_norm_matches_torch(dtype, max_norm, norm_type):
    rng = np.random.default_rng(0)
    shapes = [(4, 3), (3,), (2, 2, 2)]
    ours = [nn.Parameter(np.zeros(s, dtype=dtype)) for s in shapes]
    theirs = [torch.nn.Parameter(torch.zeros(s, dtype=TORCH_DTYPE[dtype])) for s in shapes]
    for p, q in zip(ours, theirs, strict=True):
        g = _x(p.shape, dtype, rng)
        p.grad, q.grad = g.copy(), torch.tensor(g)
    norm = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    norm_t = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    np.testing.assert_allclose(norm.item(), norm_t.item(), **TOL[dtype])
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_attention_row_with_no_key_is_zero_as_in_torch(dtype):
    rng = np.random.default_rng(5)
    mask = np.array([[True, False, True], [False, False, False], [True, True, True]])
    arrays = [_x((2, 3, 4), dtype, rng) for _ in range(3)]
    check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
          lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask)),
          arrays, dtype)
