"""Language-model runs end to end: the GPT spec's initial weights, training on a text file into a
run folder, exact resume after a crash, seeded generation, the plots, and (slow, real data) the
shakespeare-char recipe's Done-when figure: validation loss <= 1.92 after 2,000 iterations."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

import groundup.train.checkpoint as checkpoint_module
from groundup.cli import main
from groundup.errors import GroundupError
from groundup.io import load_safetensors
from groundup.models.gpt import GPTSpec
from groundup.nn.gpt import GPT, GPTConfig
from groundup.runs_lm import (
    LM_RECIPES,
    build_lm_config,
    check_lm_memory,
    open_lm_run,
    resume_lm_run,
    train_lm_run,
)

TEXT = "".join(f"{w} the quick brown fox jumps over the lazy dog {i % 7}.\n"
               for i, w in enumerate(["ROMEO:", "JULIET:", "Nurse:"] * 40))


def _tiny(path, **over):
    """A small GPT on a text file, evaluated every 4 iterations on 2 batches."""
    path.write_text(TEXT, encoding="utf-8")
    cfg = build_lm_config(str(path), max_iters=12, block_size=16)
    opt = replace(cfg.optimizer, lr=1e-2, min_lr=1e-3, warmup_iters=2)  # small: learns fast
    cfg = replace(cfg, n_layer=1, n_head=2, n_embd=16, batch_size=4, eval_interval=4,
                  eval_iters=2, final_eval_iters=3, **over)
    return replace(cfg, optimizer=replace(opt, decay_iters=cfg.max_iters))


@pytest.mark.parametrize("bias", [False, True])
def test_spec_init_state_is_what_nn_gpt_draws(bias):
    spec = GPTSpec(65, 16, 2, 2, 32, bias=bias)
    ours = spec.init_state(3)
    model = GPT(GPTConfig(block_size=16, vocab_size=65, n_layer=2, n_head=2, n_embd=32,
                          bias=bias), generator=3).state_dict()
    assert list(ours) == list(model)  # names and order (the tied head once, as wte)
    for name in model:
        np.testing.assert_array_equal(ours[name], model[name])
    assert spec.num_parameters() == sum(v.size for v in model.values())


def test_baby_gpt_has_nanogpts_parameter_count():
    # nanoGPT reports 0.80M for shakespeare-char with vocab 65: 804,096 counted once
    assert LM_RECIPES["shakespeare-char"].spec(65).num_parameters() == 804_096


def test_check_lm_memory_names_the_longest_block_that_fits():
    cfg = build_lm_config("t.txt", block_size=1024)
    spec = cfg.spec(65)
    # (4 layers kept + 2 in backward) x 12 x 4 heads x 1024² float32 values = 1.125 GiB
    assert 4 * spec.attention_floats(cfg.batch_size) == 6 * 12 * 4 * 1024**2 * 4
    check_lm_memory(cfg, spec, available=2 * 2**30)
    with pytest.raises(GroundupError, match=r"block size 1024 needs 1\.1 GiB .* 1\.0 GiB of "
                       r"memory; use --block-size 965 or less"):
        check_lm_memory(cfg, spec, available=2**30)  # isqrt(2³⁰ / 1152) = 965


def test_train_text_file_writes_a_run_folder(tmp_path, capsys):
    cfg = _tiny(tmp_path / "play.txt")
    metrics = train_lm_run(cfg, out=tmp_path / "run", sample_tokens=20)
    out = capsys.readouterr().out
    assert "iter     0: train loss" in out and "iter    12:" in out and "sample:" in out
    run = tmp_path / "run"
    rows = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    assert [r["iter"] for r in rows] == [0, 4, 8, 12]
    vocab = len(set(TEXT))
    assert abs(rows[0]["val_loss"] - np.log(vocab)) < 0.3  # untrained: about a uniform guess
    assert rows[-1]["train_loss"] < rows[0]["train_loss"] - 0.3
    assert metrics["val_loss"] == json.loads((run / "metrics.json").read_text())["val_loss"]
    for png in ("loss.png", "attention.png"):
        assert (run / "plots" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(load_safetensors(run / "model.safetensors")) == set(
        cfg.spec(vocab).parameter_shapes())


def test_resume_after_a_crash_continues_the_same_run(tmp_path, monkeypatch, capsys):
    cfg = _tiny(tmp_path / "play.txt")
    train_lm_run(cfg, out=tmp_path / "whole", plots=False, sample_tokens=20)
    real_save, saved = checkpoint_module.save_checkpoint, []

    def save_then_die(*args):
        real_save(*args)
        saved.append(args[1])
        if len(saved) == 2:  # killed right after the checkpoint of iteration 4
            raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint_module, "save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train_lm_run(cfg, out=tmp_path / "cut", plots=False, sample_tokens=20)
    monkeypatch.setattr(checkpoint_module, "save_checkpoint", real_save)
    assert saved == ["iter-0", "iter-4"]
    resume_lm_run(tmp_path / "cut", plots=False, sample_tokens=20)
    assert (tmp_path / "whole" / "sample.txt").read_text() == (
        tmp_path / "cut" / "sample.txt").read_text()
    m = [json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("whole", "cut")]
    assert (m[0]["train_loss"], m[0]["val_loss"]) == (m[1]["train_loss"], m[1]["val_loss"])
    rows = [[{k: v for k, v in json.loads(line).items() if k != "seconds"}
             for line in (tmp_path / d / "history.jsonl").read_text().splitlines()]
            for d in ("whole", "cut")]
    assert rows[0] == rows[1]
    w, c = (load_safetensors(tmp_path / d / "model.safetensors") for d in ("whole", "cut"))
    for name in w:
        np.testing.assert_array_equal(w[name], c[name])


def test_resume_of_a_finished_run_says_there_is_nothing_to_resume(tmp_path, capsys):
    cfg = _tiny(tmp_path / "play.txt", max_iters=4)
    metrics = train_lm_run(cfg, out=tmp_path / "run", plots=False, sample_tokens=5)
    capsys.readouterr()
    files = {p: p.read_bytes() for p in (tmp_path / "run").rglob("*") if p.is_file()}
    # was "resuming ... at iteration 4", a final evaluation and a new sample written over
    assert main(["train", "--resume", str(tmp_path / "run"), "--no-plots"]) == 0
    assert capsys.readouterr().out == (f"{tmp_path / 'run'} has already finished its 4 "
                                       f"iterations: nothing to resume; to train further, start "
                                       f"a new run with more --iters\n")
    assert {p: p.read_bytes() for p in (tmp_path / "run").rglob("*") if p.is_file()} == files
    assert resume_lm_run(tmp_path / "run", log=lambda s: None) == metrics
    # options it would ignore are refused (it ignored --iters), and nothing is written
    assert main(["train", "--resume", str(tmp_path / "run"), "--iters", "8", "--seed", "3"]) == 2
    assert "drop --seed, --iters" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in (tmp_path / "run").rglob("*") if p.is_file()} == files


def test_generate_same_seed_same_text(tmp_path, capsys):
    cfg = _tiny(tmp_path / "play.txt", max_iters=4)
    train_lm_run(cfg, out=tmp_path / "run", plots=False, sample_tokens=5)
    capsys.readouterr()
    texts = []
    for seed in (1, 1, 2):
        assert main(["generate", str(tmp_path / "run"), "--prompt", "ROMEO:", "--tokens", "50",
                     "--temperature", "0.8", "--top-k", "5", "--seed", str(seed)]) == 0
        texts.append(capsys.readouterr().out)
    assert texts[0] == texts[1] != texts[2]
    assert texts[0].startswith("ROMEO:") and len(texts[0]) == len("ROMEO:") + 50 + 1
    assert set(texts[0][:-1]) <= set(TEXT)


def test_attention_rows_are_causal_distributions(tmp_path, capsys):
    cfg = _tiny(tmp_path / "play.txt", max_iters=4)
    train_lm_run(cfg, out=tmp_path / "run", plots=False, sample_tokens=5)
    run = open_lm_run(tmp_path / "run")
    w = run.engine.attention(run.tokenizer.encode("ROMEO: the fox"))
    assert w.shape == (1, 2, 14, 14)
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-6)
    assert np.all(np.triu(w, 1) == 0)  # no position looks ahead


@pytest.mark.slow
@pytest.mark.real_data("tinyshakespeare")
def test_shakespeare_char_reaches_nanogpts_validation_loss(tmp_path, capsys):
    metrics = train_lm_run(build_lm_config("shakespeare"), out=tmp_path / "run")
    assert metrics["val_loss"] <= 1.92, metrics  # nanoGPT's baby GPT: 1.88 on its CPU run
    assert "sample:" in capsys.readouterr().out
