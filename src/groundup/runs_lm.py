"""Language-model runs: the ``shakespeare-char`` recipe, run folders, resume, generation.

``groundup train shakespeare`` (or ``groundup train FILE.txt``: any UTF-8 text, its characters
the vocabulary) trains a character-level GPT and writes a run folder::

    config.json          recipe, spec, optimizer, the vocabulary (generation needs no data)
    history.jsonl        one row per evaluation: iter, train_loss, val_loss, lr, seconds
    metrics.json         the final evaluation (``final_eval_iters`` batches per split)
    model.safetensors    the weights (nanoGPT names, the tied head once)
    checkpoint/          weights, AdamW buffers, schedule clock, sampler state (exact resume)
    sample.txt           text drawn at the end;  plots/loss.png, plots/attention.png

The recipe is nanoGPT's CPU baby GPT (``config/train_shakespeare_char.py`` with its README's
CPU settings): 4 layers, 4 heads, d_model 128, block 64, batch 12, no biases, dropout 0, AdamW
lr 1e-3 betas (0.9, 0.99) weight decay 0.1 on ≥2-D tensors, warm-up 100 then cosine to 1e-4
at 2,000 iterations, clipping at 1.0; evaluation every 250 iterations on 20 batches per split,
a final one on 200.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from groundup.checks import check
from groundup.data.text import CharTokenizer, TextDataset
from groundup.engines.lm import LM_ENGINES, LMOptimizer, make_lm_engine
from groundup.errors import GroundupError
from groundup.models.gpt import GPTSpec
from groundup.run_folder import CONFIG, MARKER, check_new_folder

__all__ = ["LM_RECIPES", "LMConfig", "check_lm_memory", "is_lm_dataset", "is_lm_run",
           "load_lm_data", "open_lm_run", "resume_lm_run", "train_lm_run"]

KIND = "language-model"
TEXT_NAMES = ("shakespeare", "tinyshakespeare")


@dataclass(frozen=True)
class LMConfig:
    """One language-model run: what data, which model, how trained."""

    dataset: str = "tinyshakespeare"
    recipe: str = "shakespeare-char"
    engine: str = "autograd"
    seed: int = 1337
    block_size: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = False
    batch_size: int = 12
    max_iters: int = 2000
    eval_interval: int = 250
    eval_iters: int = 20
    final_eval_iters: int = 200
    optimizer: LMOptimizer = LMOptimizer()
    data_dir: str | None = None

    def spec(self, vocab_size: int) -> GPTSpec:
        return GPTSpec(vocab_size, self.block_size, self.n_layer, self.n_head, self.n_embd,
                       self.dropout, self.bias)

    def to_dict(self) -> dict:
        return {**asdict(self), "optimizer": self.optimizer.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> LMConfig:
        d = {k: d[k] for k in cls.__dataclass_fields__}
        return cls(**{**d, "optimizer": LMOptimizer.from_dict(d["optimizer"])})


LM_RECIPES = {"shakespeare-char": LMConfig()}


def is_lm_dataset(name: str | None) -> bool:
    """Whether ``groundup train NAME`` means a language model: a text set, its recipe, a .txt."""
    return bool(name) and (name in TEXT_NAMES or name in LM_RECIPES
                           or name.lower().endswith(".txt"))


def build_lm_config(dataset: str, **given) -> LMConfig:
    """The recipe's config for ``dataset`` with the options given (None: the recipe's)."""
    base = LM_RECIPES["shakespeare-char"]
    data = "tinyshakespeare" if dataset in TEXT_NAMES or dataset in LM_RECIPES else dataset
    cfg = replace(base, dataset=data, **{k: v for k, v in given.items() if v is not None})
    if cfg.engine not in LM_ENGINES:
        raise GroundupError(f"engine {cfg.engine!r} does not train language models yet; "
                            f"choose one of {', '.join(LM_ENGINES)} (--engine)")
    check("iters", cfg.max_iters)
    check("block_size", cfg.block_size)
    if cfg.optimizer.decay_iters != cfg.max_iters:  # the cosine ends where the run ends
        cfg = replace(cfg, optimizer=replace(cfg.optimizer, decay_iters=cfg.max_iters,
                      warmup_iters=min(cfg.optimizer.warmup_iters, cfg.max_iters - 1)))
    return cfg


def load_lm_data(cfg: LMConfig) -> TextDataset:
    """The text of ``cfg.dataset``; a one-line error when it cannot fill one block."""
    if cfg.dataset == "tinyshakespeare":
        from groundup.data import load

        data = load("tinyshakespeare", data_dir=cfg.data_dir)
    else:
        from groundup.data.text import load_text

        data = load_text(cfg.dataset)
    for split in ("train", "val"):
        if len(data.ids(split)) <= cfg.block_size:
            raise GroundupError(
                f"{cfg.dataset}: the {split} split has {len(data.ids(split))} characters, fewer "
                f"than block size {cfg.block_size} + 1; use a smaller --block-size or a longer "
                f"text")
    return data


def check_lm_memory(cfg: LMConfig, spec: GPTSpec, available: int | None = None) -> None:
    """Refuse, with the figure and the longest block that fits, a context whose attention
    weights (:meth:`GPTSpec.attention_floats`, float32) need more than this machine's memory
    (``available`` bytes, default :func:`~groundup.models.memory.physical_memory`)."""
    from groundup.models.memory import gib, physical_memory

    available = physical_memory() if available is None else available
    need = 4 * spec.attention_floats(cfg.batch_size)
    if available is None or need <= available:
        return
    per_t2 = need // spec.block_size**2  # bytes per block_size²
    longest = math.isqrt(available // per_t2)
    fix = (f"use --block-size {longest} or less" if longest else
           "use a smaller batch, fewer layers or fewer heads")
    raise GroundupError(
        f"block size {spec.block_size} needs {gib(need):,.1f} GiB for the attention weights of "
        f"one training step ({cfg.batch_size} sequences x {spec.n_head} heads x "
        f"{spec.block_size}² per layer, {spec.n_layer} layers, float32), more than this "
        f"machine's {gib(available):.1f} GiB of memory; {fix}")


def is_lm_run(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` is a language-model run folder."""
    try:
        return json.loads((Path(folder) / CONFIG).read_text("utf-8")).get("kind") == KIND
    except (OSError, ValueError, AttributeError):
        return False


def _write_config(folder: Path, cfg: LMConfig, spec: GPTSpec, data: TextDataset) -> None:
    from groundup import __version__
    from groundup.io import atomic_write_json

    atomic_write_json(folder / CONFIG, {MARKER: __version__, "kind": KIND,
                                        "config": cfg.to_dict(), "spec": spec.to_dict(),
                                        "vocab": data.tokenizer.vocab})


def _read_config(folder: Path) -> dict:
    if not is_lm_run(folder):
        raise GroundupError(f"{folder} is not a language-model run folder (no config.json of "
                            f"kind {KIND!r}); give the folder 'groundup train shakespeare' wrote")
    return json.loads((folder / CONFIG).read_text("utf-8"))


def train_lm_run(cfg: LMConfig, out=None, log=print, plots: bool = True,
                 sample_tokens: int = 300) -> dict:
    """Train ``cfg`` into a new run folder; returns the final metrics."""
    data = load_lm_data(cfg)
    spec = cfg.spec(data.vocab_size)
    check_lm_memory(cfg, spec)  # before anything is written or allocated
    folder = Path(out) if out else Path("runs") / (
        f"{cfg.recipe}-{cfg.engine}-{time.strftime('%Y%m%d-%H%M%S')}")
    check_new_folder(folder).mkdir(parents=True, exist_ok=True)
    _write_config(folder, cfg, spec, data)
    engine = make_lm_engine(cfg.engine, spec, spec.init_state(cfg.seed), cfg.optimizer)
    log(f"{cfg.recipe} on {cfg.dataset} ({cfg.engine}): {spec.summary()}")
    return _train(folder, cfg, engine, data, None, log, plots, sample_tokens)


def resume_lm_run(folder, log=print, plots: bool = True, sample_tokens: int = 300) -> dict:
    """Continue ``folder`` from its latest checkpoint (exactly: same batches, same numbers).

    A run that has done all its iterations and written its outputs has nothing to continue: one
    line says so, and its metrics are returned as they are.
    """
    from groundup.train.checkpoint import load_checkpoint

    folder = Path(folder)
    saved = _read_config(folder)
    cfg = LMConfig.from_dict(saved["config"])
    data = load_lm_data(cfg)
    spec = GPTSpec.from_dict(saved["spec"])
    check_lm_memory(cfg, spec)
    ckpt = load_checkpoint(folder / "checkpoint")
    step = ckpt.state["loop"]["step"]
    if step >= cfg.max_iters and (folder / "model.safetensors").is_file():
        try:  # a damaged metrics.json is written again below
            metrics = json.loads((folder / "metrics.json").read_text("utf-8"))
        except (OSError, ValueError):
            metrics = None
        if isinstance(metrics, dict):
            log(f"{folder} has already finished its {cfg.max_iters} iterations: nothing to "
                f"resume; to train further, start a new run with more --iters")
            return metrics
    engine = make_lm_engine(cfg.engine, spec, ckpt.model, cfg.optimizer)
    log(f"resuming {folder} at iteration {step}")
    return _train(folder, cfg, engine, data, ckpt, log, plots, sample_tokens)


def _train(folder, cfg, engine, data, ckpt, log, plots, sample_tokens) -> dict:
    from groundup.io import atomic_write, atomic_write_json, save_safetensors
    from groundup.train.checkpoint import save_checkpoint
    from groundup.train.history import History
    from groundup.train.lm import LMLoop, estimate_loss

    def save(c):
        save_checkpoint(folder / "checkpoint", f"iter-{c.state['loop']['step']}", c)
        History(c.state["history"]).save(folder / "history.jsonl")

    loop = LMLoop(engine, data, cfg.max_iters, cfg.batch_size, cfg.eval_interval,
                  cfg.eval_iters, cfg.seed, log=log, save=save)
    if ckpt is not None:
        loop.restore(ckpt)
    history = loop.run()
    final = estimate_loss(engine, data, cfg.final_eval_iters, cfg.batch_size,
                          np.random.default_rng([cfg.seed, 2]))
    metrics = {"iters": cfg.max_iters, "final_eval_iters": cfg.final_eval_iters,
               "train_loss": final["train"], "val_loss": final["val"],
               "seconds": loop.seconds}
    log(f"final evaluation ({cfg.final_eval_iters} batches per split): train loss "
        f"{final['train']:.4f}, val loss {final['val']:.4f}; {loop.seconds:.0f} s of training")
    save_safetensors(engine.state_dict(), folder / "model.safetensors")
    atomic_write_json(folder / "metrics.json", metrics)
    ids = engine.generate(data.tokenizer.encode("\n"), sample_tokens, 0.8, 200, cfg.seed)
    sample = data.tokenizer.decode(ids)
    atomic_write(folder / "sample.txt", sample)
    log(f"sample:{sample}")
    if plots:
        from groundup.plot.lm import plot_attention, plot_lm_losses

        plot_lm_losses(history, data.vocab_size, folder / "plots" / "loss.png")
        prompt = data.text[:min(32, engine.spec.block_size)]
        plot_attention(engine.attention(data.tokenizer.encode(prompt)), list(prompt),
                       folder / "plots" / "attention.png")
    log(f"run folder: {folder}")
    return metrics


@dataclass
class OpenLMRun:
    """A trained run, ready to generate."""

    folder: Path
    engine: object
    tokenizer: CharTokenizer

    def generate(self, prompt: str, tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, seed: int = 0) -> str:
        """``prompt`` followed by ``tokens`` sampled characters (same seed, same text)."""
        check("tokens", tokens)
        check("temperature", temperature)
        if top_k is not None:
            check("top_k", top_k)
        if not prompt:
            raise GroundupError("the prompt is empty; give at least one character "
                                "(--prompt \"ROMEO:\")")
        outside = sorted(set(prompt) - set(self.tokenizer.vocab))
        if outside:
            raise GroundupError(
                f"the prompt has characters outside the model's vocabulary: "
                f"{', '.join(map(repr, outside))}; use only characters of its training text")
        ids = self.engine.generate(self.tokenizer.encode(prompt), tokens, temperature, top_k,
                                   seed)
        return self.tokenizer.decode(ids)


def open_lm_run(folder, engine: str | None = None) -> OpenLMRun:
    """Load a language-model run folder's weights into an engine (its own by default)."""
    from groundup.io import load_safetensors

    folder = Path(folder)
    saved = _read_config(folder)
    cfg = LMConfig.from_dict(saved["config"])
    spec = GPTSpec.from_dict(saved["spec"])
    path = folder / "model.safetensors"
    if not path.is_file():
        raise GroundupError(f"{folder} has no model.safetensors: the run has not finished; "
                            f"finish it with 'groundup train --resume {folder}'")
    state = load_safetensors(path)
    return OpenLMRun(folder, make_lm_engine(engine or cfg.engine, spec, state, cfg.optimizer),
                     CharTokenizer(saved["vocab"]))
