"""nanoGPT's optimisation against torch, each part on its own: AdamW over two parameter groups
(decay only on tensors of dimension >= 2), clip_grad_norm_, LambdaLR, and the warm-up + cosine
schedule (against nanoGPT's get_lr written out here, torch's LambdaLR and torch's
SequentialLR(LinearLR, CosineAnnealingLR)); 100 steps in float64 within 1e-10."""

import math

import numpy as np
import pytest

import groundup
import groundup.nn.functional as F
from groundup import nn, optim

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch
torch.set_num_threads(1)
TF = torch.nn.functional


def nanogpt_get_lr(it, learning_rate=1e-3, warmup_iters=100, lr_decay_iters=2000, min_lr=1e-4):
    """nanoGPT's train.py, verbatim in its arithmetic."""
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    if it > lr_decay_iters:
        return min_lr
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (learning_rate - min_lr)


def _lrs(scheduler_of, optimizer, n):
    sched = scheduler_of(optimizer)
    out = []
    for _ in range(n):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        sched.step()
    return np.array(out)


def test_warmup_cosine_is_nanogpts_get_lr_and_torchs_schedulers():
    n = 2100  # past the end of the decay: constant min_lr
    expected = np.array([nanogpt_get_lr(it) for it in range(n)])
    ours = _lrs(lambda o: optim.lr_scheduler.WarmupCosineLR(o, 100, 2000, 1e-4),
                optim.SGD([nn.Parameter(np.zeros(1))], lr=1e-3), n)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=0)
    lambda_t = _lrs(lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda it: nanogpt_get_lr(it)
                                                                / 1e-3),
                    torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3), n)
    np.testing.assert_allclose(ours, lambda_t, rtol=1e-12, atol=0)

    def sequential(o):  # torch's own pieces: lr (t+1)/(W+1) for t < W, then the cosine
        warm = torch.optim.lr_scheduler.LinearLR(o, 1 / 101, 1.0, total_iters=100)
        cos = torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=1900, eta_min=1e-4)
        return torch.optim.lr_scheduler.SequentialLR(o, [warm, cos], milestones=[100])

    seq_t = _lrs(sequential, torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3),
                 2001)
    np.testing.assert_allclose(ours[:2001], seq_t, rtol=1e-10, atol=0)


def test_lambda_lr_per_group_matches_torch():
    lambdas = [lambda t: 0.9**t, lambda t: 1 / (1 + t)]
    ours = optim.SGD([{"params": [nn.Parameter(np.zeros(1))]},
                      {"params": [nn.Parameter(np.zeros(1))], "lr": 0.5}], lr=0.1)
    theirs = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]},
                              {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.5}],
                             lr=0.1)
    sched = optim.lr_scheduler.LambdaLR(ours, lambdas)
    sched_t = torch.optim.lr_scheduler.LambdaLR(theirs, lambdas)
    for _ in range(10):
        ours.step()
        theirs.step()
        sched.step()
        sched_t.step()
        assert sched.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-14)


class Net:
    """Embedding -> LayerNorm -> Linear -> GELU -> Linear: every kind of parameter, in both."""

    @staticmethod
    def build(lib, dtype):
        nn_ = lib.nn
        kw = {"dtype": dtype}
        return nn_.Sequential(nn_.Embedding(7, 6, **kw), nn_.LayerNorm(6, **kw),
                              nn_.Linear(6, 16, **kw), nn_.GELU(), nn_.Linear(16, 7, **kw))


def test_adamw_two_groups_clipping_and_schedule_100_steps_match_torch():
    groundup.manual_seed(0)
    ours = Net.build(groundup, np.float64)
    for p in ours.parameters():  # LayerNorm starts at 1 and 0: move it so decay would show
        p.data[...] += np.random.default_rng(1).standard_normal(p.shape) * 0.1
    theirs = Net.build(torch, torch.float64)
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})
    groups = optim.decay_groups(ours.named_parameters(), 0.1)
    assert [len(g["params"]) for g in groups] == [3, 4]  # 2-D: embedding, two Linear weights
    opt = optim.AdamW(groups, lr=3e-2, betas=(0.9, 0.99))
    params_t = list(theirs.parameters())
    opt_t = torch.optim.AdamW([{"params": [p for p in params_t if p.dim() >= 2],
                                "weight_decay": 0.1},
                               {"params": [p for p in params_t if p.dim() < 2],
                                "weight_decay": 0.0}], lr=3e-2, betas=(0.9, 0.99))
    sched = optim.lr_scheduler.WarmupCosineLR(opt, 10, 100, 3e-3)
    sched_t = torch.optim.lr_scheduler.LambdaLR(
        opt_t, lambda it: nanogpt_get_lr(it, 3e-2, 10, 100, 3e-3) / 3e-2)
    rng = np.random.default_rng(2)
    clipped = 0
    for _ in range(100):
        x, y = rng.integers(0, 7, 16), rng.integers(0, 7, 16)
        loss = F.cross_entropy(ours(groundup.tensor(x)), y) * 5  # large grads: clipping acts
        opt.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(ours.parameters(), 1.0)
        opt.step()
        sched.step()
        loss_t = TF.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(y)) * 5
        opt_t.zero_grad()
        loss_t.backward()
        norm_t = torch.nn.utils.clip_grad_norm_(theirs.parameters(), 1.0)
        opt_t.step()
        sched_t.step()
        assert norm.item() == pytest.approx(norm_t.item(), rel=1e-10)
        clipped += norm.item() > 1.0
    assert 0 < clipped < 100  # both branches of the clip were taken
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(v, theirs.state_dict()[k].numpy(), rtol=1e-10, atol=1e-12)
