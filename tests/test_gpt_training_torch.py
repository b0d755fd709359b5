"""Training a GPT in groundup and in PyTorch (nanoGPT's model, tests/torch_gpt.py) from the same
initial weights on the same batches, nanoGPT's loop step for step: forward, backward,
clip_grad_norm_(1.0), AdamW with decay only on tensors of dimension >= 2, warm-up then cosine.
The loss of every step must agree: float64 within 1e-9 relative over 20 steps, float32 within
1e-4 relative at each step (the issue's criterion; measured 2.3e-7 over 200 steps of the
shakespeare-char configuration). The quick tests use a small model; the ``slow`` ones the recipe's
baby GPT on real Tiny Shakespeare."""


import numpy as np
import pytest

from groundup import nn, optim
from groundup.data import TextDataset, load
from groundup.nn.gpt import GPT, GPTConfig
from groundup.optim.lr_scheduler import warmup_cosine

torch = pytest.importorskip("torch")
import torch_gpt  # noqa: E402 - needs torch

pytestmark = pytest.mark.torch
torch.set_num_threads(1)

# nanoGPT's config/train_shakespeare_char.py with the README's CPU settings
BABY = GPTConfig(block_size=64, vocab_size=65, n_layer=4, n_head=4, n_embd=128, dropout=0.0,
                 bias=False)
SMALL = GPTConfig(block_size=16, vocab_size=65, n_layer=2, n_head=2, n_embd=32, dropout=0.0,
                  bias=False)
LR, MIN_LR, BETAS, WEIGHT_DECAY, WARMUP, DECAY, CLIP = 1e-3, 1e-4, (0.9, 0.99), 0.1, 100, 2000, 1.0


def _losses_both(config, dtype, batches, warmup=WARMUP, seed=0):
    """Per-step training losses of groundup and torch from one set of initial weights."""
    ours = GPT(config, dtype=dtype, generator=seed)
    theirs = torch_gpt.load_groundup_state(
        torch_gpt.GPT(config).to(torch.float64 if dtype == np.float64 else torch.float32),
        ours.state_dict())
    opt = optim.AdamW(optim.decay_groups(ours.named_parameters(), WEIGHT_DECAY), lr=LR,
                      betas=BETAS)
    sched = optim.lr_scheduler.WarmupCosineLR(opt, warmup, DECAY, MIN_LR)
    opt_t = torch_gpt.adamw(theirs, LR, BETAS, WEIGHT_DECAY)
    sched_t = torch.optim.lr_scheduler.LambdaLR(
        opt_t, lambda it: warmup_cosine(it, warmup, DECAY, MIN_LR / LR))
    losses, losses_t = [], []
    for x, y in batches:
        _, loss = ours(x, y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(ours.parameters(), CLIP)
        opt.step()
        sched.step()
        losses.append(loss.item())
        _, loss_t = theirs(torch.from_numpy(x), torch.from_numpy(y))
        opt_t.zero_grad()
        loss_t.backward()
        torch.nn.utils.clip_grad_norm_(theirs.parameters(), CLIP)
        opt_t.step()
        sched_t.step()
        losses_t.append(loss_t.item())
    return np.array(losses), np.array(losses_t)


def _toy_batches(config, n, batch_size=4, seed=0):
    """Windows of a seeded random text over all 65 Tiny-Shakespeare characters."""
    rng = np.random.default_rng(seed)
    from groundup.data.shakespeare import VOCAB

    ds = TextDataset.from_text("toy", "".join(rng.choice(list(VOCAB), 5000)))
    return [ds.get_batch("train", batch_size, config.block_size, rng) for _ in range(n)]


def _relative(a, b):
    return np.abs(a - b) / np.abs(b)


def test_float64_losses_agree_over_20_steps():
    ours, theirs = _losses_both(SMALL, np.float64, _toy_batches(SMALL, 20), warmup=5)
    assert _relative(ours, theirs).max() <= 1e-9
    assert ours[-1] < ours[0]  # it trains


def test_float32_losses_agree_at_every_step():
    ours, theirs = _losses_both(SMALL, np.float32, _toy_batches(SMALL, 60), warmup=10)
    assert _relative(ours, theirs).max() <= 1e-4
    assert ours[-1] < ours[0]


needs_real = pytest.mark.real_data("tinyshakespeare")  # skipped without it; an error in CI


def _shakespeare_batches(n):
    rng = np.random.default_rng(1337)
    ds = load("tinyshakespeare")
    return [ds.get_batch("train", 12, BABY.block_size, rng) for _ in range(n)]


@pytest.mark.slow
@needs_real
def test_baby_gpt_float32_200_iterations_on_shakespeare():
    """The issue's criterion: ≤ 1e-4 relative at each of the first 200 steps."""
    ours, theirs = _losses_both(BABY, np.float32, _shakespeare_batches(200))
    assert _relative(ours, theirs).max() <= 1e-4
    assert ours[0] == pytest.approx(np.log(65), abs=0.1) and ours[-1] < 2.7


@pytest.mark.slow
@needs_real
def test_baby_gpt_float64_20_iterations_on_shakespeare():
    ours, theirs = _losses_both(BABY, np.float64, _shakespeare_batches(20))
    assert _relative(ours, theirs).max() <= 1e-9
