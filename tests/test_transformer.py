"""The transformer in groundup alone (no torch): the new ops against central differences, the
GPT's structure, initialisation, causality and untrained loss, generation, and the errors bad
input gets."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import groundup
import groundup.nn.functional as F
from groundup import nn
from groundup.errors import GroundupError, ShapeError
from groundup.gradcheck import gradcheck
from groundup.nn.gpt import GPT, GPTConfig
from groundup.nn.transformer import CausalSelfAttention
from groundup.sampling import generate, sample_next

FAST = settings(max_examples=10, deadline=None, derandomize=True)
TINY = GPTConfig(block_size=8, vocab_size=13, n_layer=2, n_head=2, n_embd=8, bias=True)


def _check_op(fn, arrays, seed=0):
    """Gradients of sum(fn(*inputs) * R) for a fixed random R, against central differences."""
    params = {str(i): a.astype(np.float64) for i, a in enumerate(arrays)}
    tensors = {k: groundup.tensor(v, dtype=np.float64, requires_grad=True)
               for k, v in params.items()}
    out = fn(*tensors.values())
    R = np.random.default_rng(seed + 1).standard_normal(out.shape)  # not the inputs' draws

    def loss_and_grads():
        ts = [groundup.tensor(v, dtype=np.float64, requires_grad=True) for v in params.values()]
        loss = (fn(*ts) * R).sum()
        loss.backward()
        return loss.item(), {k: t.grad for k, t in zip(params, ts, strict=True)}

    errors = gradcheck(loss_and_grads, params)
    assert max(errors.values()) < 1e-6, errors


@FAST
@given(rows=st.integers(1, 4), width=st.integers(3, 6), seed=st.integers(0, 10**6))
def test_layer_norm_gradients_by_central_differences(rows, width, seed):
    # width >= 3: two values normalise to ±1 whatever they are, a gradient of ~0 that central
    # differences cannot resolve relative to its own size
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((rows, 2, width)) * 2 + 1, rng.standard_normal(width), \
        rng.standard_normal(width)
    _check_op(lambda x, w, b: F.layer_norm(x, width, w, b), [x, w, b], seed)
    _check_op(lambda x: F.layer_norm(x, (2, width)), [x], seed)


@FAST
@given(L=st.integers(1, 5), E=st.integers(1, 4), causal=st.booleans(), seed=st.integers(0, 10**6))
def test_attention_gradients_by_central_differences(L, E, causal, seed):
    rng = np.random.default_rng(seed)
    q, k, v = (rng.standard_normal((2, L, E)) for _ in range(3))
    _check_op(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=causal),
              [q, k, v], seed)


def test_attention_dropout_gradients_with_a_fixed_mask():
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((3, 4, 2)) for _ in range(3))
    _check_op(lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, dropout_p=0.4, is_causal=True, generator=np.random.default_rng(5)), [q, k, v])


def test_gelu_gradient_by_central_differences():
    x = np.linspace(-5, 5, 41)
    _check_op(lambda a: F.gelu(a), [x])


def test_attention_by_hand():
    """Two tokens, one dimension: q = k = [1, 2], v = [10, 20], scale 1, causal.
    Row 0 sees only key 0: y_0 = 10. Row 1 scores [2·1, 2·2] = [2, 4]: weights
    [1, e²] / (1 + e²) = [0.1192, 0.8808], y_1 = 10·0.1192 + 20·0.8808 = 18.808."""
    t = groundup.tensor([[[1.0], [2.0]]], dtype=np.float64)
    v = groundup.tensor([[[10.0], [20.0]]], dtype=np.float64)
    y = F.scaled_dot_product_attention(t, t, v, is_causal=True, scale=1.0)
    w1 = 1 / (1 + math.exp(2))
    np.testing.assert_allclose(y.data.ravel(), [10.0, 10 * w1 + 20 * (1 - w1)], rtol=1e-14)
    # a boolean mask equal to the causal one gives the same; True means "may attend"
    same = F.scaled_dot_product_attention(t, t, v, attn_mask=np.tri(2, dtype=bool), scale=1.0)
    np.testing.assert_array_equal(same.data, y.data)


def test_bad_attention_and_norm_inputs():
    a = groundup.zeros(2, 3, 4)
    with pytest.raises(ShapeError, match="must share the last size"):
        F.scaled_dot_product_attention(a, groundup.zeros(2, 3, 5), a)
    with pytest.raises(GroundupError, match="not both"):
        F.scaled_dot_product_attention(a, a, a, attn_mask=np.ones((3, 3), bool), is_causal=True)
    with pytest.raises(ShapeError, match="does not end in normalized_shape"):
        F.layer_norm(a, 5)
    with pytest.raises(ShapeError, match="boolean mask"):
        a.masked_fill(np.zeros(4), 1.0)
    with pytest.raises(GroundupError, match="multiple of n_head"):
        CausalSelfAttention(10, 3)


# ---------------------------------------------------------------------------- the model
def test_gpt_names_count_and_initialisation():
    config = GPTConfig(block_size=64, vocab_size=65, n_layer=4, n_head=4, n_embd=128, bias=False)
    model = GPT(config, generator=0)
    names = [n for n, _ in model.named_parameters()]
    assert names[:2] == ["transformer.wte.weight", "transformer.wpe.weight"]
    assert names[2:8] == [f"transformer.h.0.{n}" for n in (
        "ln_1.weight", "attn.c_attn.weight", "attn.c_proj.weight", "ln_2.weight",
        "mlp.c_fc.weight", "mlp.c_proj.weight")]
    assert names[-1] == "transformer.ln_f.weight" and "lm_head.weight" not in names
    # nanoGPT prints "number of parameters: 0.80M" (without the 64 x 128 position embeddings)
    assert model.num_parameters() == 804_096 and model.num_parameters(True) == 795_904
    params = dict(model.named_parameters())
    assert params["transformer.wte.weight"].data.std() == pytest.approx(0.02, rel=0.05)
    residual = np.concatenate([params[f"transformer.h.{i}.{n}.c_proj.weight"].data.ravel()
                               for i in range(4) for n in ("attn", "mlp")])
    assert residual.std() == pytest.approx(0.02 / math.sqrt(8), rel=0.05)
    assert np.all(params["transformer.ln_f.weight"].data == 1)
    again = GPT(config, generator=0).state_dict()
    assert all(np.array_equal(v, again[k]) for k, v in model.state_dict().items())


def test_untrained_loss_is_about_ln_vocab():
    """Small weights give nearly uniform predictions: cross-entropy ≈ ln 65 = 4.174."""
    config = GPTConfig(block_size=16, vocab_size=65, n_layer=2, n_head=2, n_embd=32)
    rng = np.random.default_rng(0)
    _, loss = GPT(config, generator=1)(rng.integers(0, 65, (4, 16)), rng.integers(0, 65, (4, 16)))
    assert loss.item() == pytest.approx(math.log(65), abs=0.05)


def test_position_t_never_sees_the_future():
    """Changing token 5 changes no logits before position 5, and the loss gradient of position
    2's prediction reaches no embedding of a later token."""
    model = GPT(TINY, dtype=np.float64, generator=0)
    idx = np.random.default_rng(0).integers(0, 13, (1, 8))
    changed = idx.copy()
    changed[0, 5] = (idx[0, 5] + 1) % 13
    with groundup.no_grad():
        a, b = model(idx)[0].data, model(changed)[0].data
    np.testing.assert_array_equal(a[0, :5], b[0, :5])
    assert not np.allclose(a[0, 5:], b[0, 5:])
    logits, _ = model(idx)
    logits[0, 2].sum().backward()
    wpe_grad = model.transformer.wpe.weight.grad
    assert np.all(wpe_grad[3:] == 0) and np.any(wpe_grad[:3] != 0)


def test_dropout_acts_only_while_training():
    config = GPTConfig(block_size=8, vocab_size=13, n_layer=1, n_head=2, n_embd=8, dropout=0.5)
    model = GPT(config, generator=0)
    idx = np.zeros((1, 8), dtype=np.int64)
    groundup.manual_seed(0)
    t1, t2 = model(idx)[0].data, model(idx)[0].data
    model.eval()
    e1, e2 = model(idx)[0].data, model(idx)[0].data
    assert not np.array_equal(t1, t2) and np.array_equal(e1, e2)


def test_too_long_and_badly_shaped_inputs():
    model = GPT(TINY, generator=0)
    with pytest.raises(GroundupError, match="longer than the model's block_size 8"):
        model(np.zeros((1, 9), dtype=np.int64))
    with pytest.raises(GroundupError, match=r"shape \(B, T\)"):
        model(np.zeros(4, dtype=np.int64))


# ---------------------------------------------------------------------------- generation
def test_generation_is_seeded_and_crops_to_the_block():
    model = GPT(TINY, generator=0)
    prompt = np.array([[1, 2, 3]])
    a = model.generate(prompt, 20, temperature=0.8, top_k=5, generator=7)
    b = model.generate(prompt, 20, temperature=0.8, top_k=5, generator=7)
    c = model.generate(prompt, 20, temperature=0.8, top_k=5, generator=8)
    assert a.shape == (1, 23) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.array_equal(a[:, :3], prompt) and model.training  # mode restored


def test_top_k_1_is_greedy_and_top_k_limits_the_choices():
    logits = np.array([[0.1, 2.0, -1.0, 1.9], [3.0, 0.0, 0.0, 2.5]])
    for seed in range(5):
        assert sample_next(logits, 1.0, 1, seed).tolist() == [1, 0]
    draws = np.concatenate([sample_next(logits, 5.0, 2, s) for s in range(200)])
    assert set(draws[0::2]) == {1, 3} and set(draws[1::2]) == {0, 3}


def test_sampling_frequencies_follow_softmax_with_temperature():
    """p = softmax(z / T); 20,000 draws land within 2% of it."""
    z = np.array([[0.0, 1.0, 2.0]])
    rng = np.random.default_rng(0)
    draws = np.array([sample_next(z, 2.0, None, rng)[0] for _ in range(20000)])
    p = np.exp(z[0] / 2.0) / np.exp(z[0] / 2.0).sum()
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 20000, p, atol=0.02)


def test_generate_calls_the_model_on_at_most_a_block():
    seen = []

    def logits_fn(ids):
        seen.append(ids.shape[1])
        out = np.zeros((*ids.shape, 4))
        out[..., 2] = 10.0  # always token 2
        return out

    ids = generate(logits_fn, np.array([[0, 1]]), 6, block_size=4, top_k=1)
    assert ids.tolist() == [[0, 1, 2, 2, 2, 2, 2, 2]] and seen == [2, 3, 4, 4, 4, 4]


def test_bad_sampling_arguments():
    with pytest.raises(GroundupError, match="temperature must be > 0"):
        sample_next(np.zeros((1, 3)), 0.0)
    with pytest.raises(GroundupError, match="top_k must be at least 1"):
        sample_next(np.zeros((1, 3)), 1.0, 0)
    with pytest.raises(GroundupError, match=r"shape \(B, T\) with T >= 1"):
        generate(lambda ids: ids, np.zeros((1, 0), dtype=np.int64), 1, 4)


def test_layer_norm_module_repr_and_affine_off():
    ln = nn.LayerNorm(4, elementwise_affine=False)
    assert repr(ln) == "LayerNorm((4,), eps=1e-05, elementwise_affine=False)"
    y = ln(groundup.tensor(np.arange(8.0).reshape(2, 4)))
    np.testing.assert_allclose(y.data.mean(1), 0, atol=1e-6)
    np.testing.assert_allclose(y.data.var(1), 1, rtol=1e-4)  # 1.25 / (1.25 + 1e-5)


def test_attention_masks_broadcast_or_are_refused():
    rng = np.random.default_rng(0)
    q = groundup.tensor(rng.standard_normal((2, 3, 4)), dtype=np.float64)
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=np.array([True, True, False]))
    ref = F.scaled_dot_product_attention(q, q[:, :2], q[:, :2])  # key 2 masked away: (S,)
    np.testing.assert_allclose(out.data, ref.data, rtol=1e-14)
    column = np.array([[True], [True], [False]])  # (L, 1): query 2 may see no key at all
    np.testing.assert_array_equal(
        F.scaled_dot_product_attention(q, q, q, attn_mask=column).data[:, 2], 0)  # as PyTorch
    with pytest.raises(ShapeError, match="does not broadcast"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((2, 3), bool))
