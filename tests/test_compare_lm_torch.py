"""The language-model engines agree step for step: autograd (groundup's GPT) and torch (nanoGPT's
model in torch.nn, engines/lm_torch.py) from one set of initial weights on the same batches,
nanoGPT's step with clipping and the warm-up/cosine schedule. float32: relative difference of the
training loss <= 1e-4 at every step (the issue's criterion); float64: <= 1e-9."""

from __future__ import annotations

import numpy as np
import pytest

from groundup.cli import main
from groundup.data.text import TextDataset
from groundup.engines.lm import LMOptimizer, make_lm_engine
from groundup.models.gpt import GPTSpec
from groundup.train.compare_lm import compare_lm_engines

pytest.importorskip("torch")
pytestmark = pytest.mark.torch

DATA = TextDataset.from_text("t", "".join(f"line {i}: the cat sat on the mat.\n"
                                          for i in range(200)))
SPEC = GPTSpec(DATA.vocab_size, 16, 2, 2, 32)
OPT = LMOptimizer(lr=3e-3, warmup_iters=3, decay_iters=20, grad_clip=0.5)  # clipping active


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-4), (np.float64, 1e-9)])
def test_autograd_and_torch_losses_agree_per_step(dtype, tol):
    losses = compare_lm_engines(SPEC, OPT, DATA, 20, 4, seed=0, dtype=dtype)
    a, t = losses["autograd"], losses["torch"]
    assert a[-1] < a[0] - 0.5  # it learned: the comparison is not of two frozen models
    np.testing.assert_allclose(a, t, rtol=tol)


def test_engines_share_gradients_attention_and_optimizer_state():
    state = SPEC.init_state(1, np.float64)
    a, t = (make_lm_engine(n, SPEC, state, OPT) for n in ("autograd", "torch"))
    x, y = DATA.get_batch("train", 3, 16, 0)
    (la, ga), (lt, gt) = a.loss_and_grads(x, y), t.loss_and_grads(x, y)
    assert la == pytest.approx(lt, rel=1e-12)
    assert set(ga) == set(gt) == set(SPEC.parameter_shapes())
    for n in ga:
        np.testing.assert_allclose(ga[n], gt[n], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(a.attention(x[0]), t.attention(x[0]), rtol=1e-10, atol=1e-14)
    for _ in range(3):
        a.train_step(x, y), t.train_step(x, y)
    (aa, ca), (at, ct) = a.optimizer_state(), t.optimizer_state()
    assert ca == ct == {n: 3 for n in SPEC.parameter_shapes()}
    for n in aa:
        np.testing.assert_allclose(aa[n], at[n], rtol=1e-8, atol=1e-14)


@pytest.mark.real_data("tinyshakespeare")
def test_compare_command_quick(capsys):
    assert main(["compare", "shakespeare-char", "--iters", "3"]) == 0
    out = capsys.readouterr().out
    assert "804,096 parameters" in out and "within 1e-4" in out


@pytest.mark.slow
@pytest.mark.real_data("tinyshakespeare")
def test_compare_command_200_iterations(capsys):
    assert main(["compare", "shakespeare-char", "--iters", "200"]) == 0
    assert "within 1e-4" in capsys.readouterr().out
