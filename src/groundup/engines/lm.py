"""The language-model engine contract, and its autograd row.

Why a contract of its own beside :class:`groundup.engines.base.Engine`: the classifier contract
takes rows of features and class indices, counts correct examples, and leaves the learning rate
fixed; a language model takes token windows (B, T) and next-token targets (B, T), returns logits
(B, T, V), and nanoGPT's step clips the gradient norm and sets the learning rate of each
iteration (warm-up, then cosine). Forcing that through ``train_step(xb, yb) -> (loss,
n_correct)`` would hide half of it. The shape is kept: one spec (:class:`GPTSpec`), one initial
state dict loaded into every engine, engine-neutral optimizer state.

One step, at iteration t (``steps``)::

    lr_t = lr · warmup_cosine(t, warmup, decay_iters, min_lr / lr)       (nanoGPT's get_lr)
    loss = mean cross-entropy of logits(x) against y;  backward
    g ← g · min(1, clip / ‖g‖₂)                                          (clip_grad_norm_)
    AdamW(lr_t, betas, weight_decay on tensors of dimension ≥ 2 only)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass

import numpy as np

from groundup.engines.optimizers import flatten_optimizer_state, nest_optimizer_state
from groundup.errors import GroundupError
from groundup.models.gpt import GPTSpec
from groundup.optim.lr_scheduler import warmup_cosine

__all__ = ["LM_ENGINES", "LMEngine", "LMOptimizer", "make_lm_engine"]

LM_ENGINES = ("autograd", "torch")


@dataclass(frozen=True)
class LMOptimizer:
    """nanoGPT's AdamW, schedule and clipping (defaults: the shakespeare-char recipe)."""

    lr: float = 1e-3
    min_lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.99)
    weight_decay: float = 0.1
    warmup_iters: int = 100
    decay_iters: int = 2000
    grad_clip: float = 1.0

    def lr_at(self, t: int) -> float:
        """The learning rate of iteration ``t`` (from 0)."""
        return self.lr * warmup_cosine(t, self.warmup_iters, self.decay_iters,
                                       self.min_lr / self.lr)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> LMOptimizer:
        d = {k: d[k] for k in cls.__dataclass_fields__}
        return cls(**{**d, "betas": tuple(d["betas"])})


class LMEngine(ABC):
    """A GPT plus its optimizer. Token ids go in as int64 (B, T); arrays come out as NumPy.

    ``train_step(x, y) -> loss`` (mean loss before the update), ``loss(x, y)`` (no graph, no
    update), ``loss_and_grads(x, y)``, ``logits(idx) -> (B, T, V)``, ``attention(idx) ->
    (n_layer, n_head, T, T)`` (each head's softmax weights for one sequence ``idx`` (T,)),
    ``state_dict()`` / ``load_state_dict()``, ``optimizer_state()`` /
    ``load_optimizer_state()`` (as the classifier engines'), ``steps`` (the schedule's clock).
    """

    name = "lm"

    def __init__(self, spec: GPTSpec, state: dict, optimizer: LMOptimizer):
        spec.check_state(state, "the initial weights")
        self.spec, self.opt = spec, optimizer
        self.dtype = np.asarray(next(iter(state.values()))).dtype
        self.steps = 0

    @abstractmethod
    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One step of nanoGPT's loop (module docstring); the mean loss before the update."""

    @abstractmethod
    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean next-token cross-entropy, no graph recorded, dropout off."""

    @abstractmethod
    def loss_and_grads(self, x, y) -> tuple[float, dict[str, np.ndarray]]:
        """Mean loss and each parameter's gradient, no update."""

    @abstractmethod
    def logits(self, idx: np.ndarray) -> np.ndarray:
        """Logits (B, T, V) for ids (B, T), no graph recorded, dropout off."""

    @abstractmethod
    def attention(self, idx: np.ndarray) -> np.ndarray:
        """Attention weights (n_layer, n_head, T, T) for one sequence of ids (T,)."""

    @abstractmethod
    def state_dict(self) -> dict[str, np.ndarray]: ...

    @abstractmethod
    def load_state_dict(self, state: dict[str, np.ndarray]) -> None: ...

    @abstractmethod
    def _per_param_state(self) -> dict[str, dict]: ...

    @abstractmethod
    def _load_per_param_state(self, per_param: dict[str, dict]) -> None: ...

    def optimizer_state(self) -> tuple[dict[str, np.ndarray], dict[str, int]]:
        """AdamW's ``exp_avg`` / ``exp_avg_sq`` per parameter, and its step counters."""
        return flatten_optimizer_state(self._per_param_state())

    def load_optimizer_state(self, arrays, counters) -> None:
        self._load_per_param_state(nest_optimizer_state(arrays, counters))

    def generate(self, prompt: np.ndarray, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, seed: int = 0) -> np.ndarray:
        """``prompt`` ids (T0,) extended by sampled tokens (:func:`groundup.sampling.generate`)."""
        from groundup.sampling import generate

        ids = generate(self.logits, np.asarray(prompt, np.int64)[None], max_new_tokens,
                       self.spec.block_size, temperature, top_k, seed)
        return ids[0]

    def _check_ids(self, idx) -> np.ndarray:
        idx = np.asarray(idx)
        if idx.ndim != 2 or idx.shape[1] > self.spec.block_size:
            raise GroundupError(f"a GPT takes ids of shape (B, T) with T <= block_size "
                                f"{self.spec.block_size}, got shape {idx.shape}")
        return idx.astype(np.int64, copy=False)


def decay_split(names_shapes: dict[str, tuple]) -> tuple[list[str], list[str]]:
    """Names of the parameters that get weight decay (dimension ≥ 2) and those that do not."""
    return ([n for n, s in names_shapes.items() if len(s) >= 2],
            [n for n, s in names_shapes.items() if len(s) < 2])


class AutogradLM(LMEngine):
    """``groundup.nn.gpt.GPT`` + ``groundup.optim.AdamW`` + ``nn.utils.clip_grad_norm_``."""

    name = "autograd"

    def __init__(self, spec, state, optimizer):
        super().__init__(spec, state, optimizer)
        from groundup import optim
        from groundup.nn.gpt import GPT, GPTConfig

        self.model = GPT(GPTConfig(**{k: v for k, v in spec.to_dict().items()}),
                         dtype=self.dtype, generator=0)
        self.load_state_dict(state)
        params = dict(self.model.named_parameters())
        decay, no_decay = decay_split(spec.parameter_shapes())
        self.names = decay + no_decay  # the optimizer's parameter order
        self.optimizer = optim.AdamW(
            [{"params": [params[n] for n in decay], "weight_decay": optimizer.weight_decay},
             {"params": [params[n] for n in no_decay], "weight_decay": 0.0}],
            lr=optimizer.lr, betas=optimizer.betas)

    def train_step(self, x, y):
        from groundup import nn

        for group in self.optimizer.param_groups:
            group["lr"] = self.opt.lr_at(self.steps)
        _, loss = self.model(self._check_ids(x), np.asarray(y))
        self.optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), self.opt.grad_clip)
        self.optimizer.step()
        self.steps += 1
        return float(loss.data)

    def _eval(self, fn):
        from groundup.autograd import no_grad

        was = self.model.training
        self.model.eval()
        try:
            with no_grad():
                return fn()
        finally:
            self.model.train(was)

    def loss(self, x, y):
        return self._eval(lambda: float(self.model(self._check_ids(x), np.asarray(y))[1].data))

    def loss_and_grads(self, x, y):
        _, loss = self.model(self._check_ids(x), np.asarray(y))
        self.model.zero_grad()
        loss.backward()
        grads = {n: p.grad.copy() for n, p in self.model.named_parameters()}
        self.model.zero_grad()
        return float(loss.data), grads

    def logits(self, idx):
        return self._eval(lambda: self.model(self._check_ids(idx))[0].data)

    def attention(self, idx):
        from groundup import numerics
        from groundup.autograd import Tensor

        ids = self._check_ids(np.asarray(idx)[None])
        T, h = ids.shape[1], self.spec.n_head
        d = self.spec.n_embd // h
        mask = np.triu(np.ones((T, T), bool), 1)

        def run():
            tr = self.model.transformer
            x = tr.wte(ids) + tr.wpe(np.arange(T))
            maps = []
            for block in tr.h:
                qkv = block.attn.c_attn(block.ln_1(x)).data[0]  # (T, 3C)
                q, k, _ = (a.reshape(T, h, d).transpose(1, 0, 2) for a in np.split(qkv, 3, 1))
                scores = np.where(mask, -np.inf, q @ k.transpose(0, 2, 1) / np.sqrt(d))
                maps.append(numerics.softmax(scores, axis=-1))
                x = block(x if isinstance(x, Tensor) else Tensor(x))
            return np.stack(maps)

        return self._eval(run)

    def state_dict(self):
        return self.model.state_dict()

    def load_state_dict(self, state):
        self.spec.check_state(state)
        self.model.load_state_dict({k: np.asarray(v, self.dtype) for k, v in state.items()})

    def _per_param_state(self):
        return {self.names[i]: st for i, st in self.optimizer.state_dict()["state"].items()}

    def _load_per_param_state(self, per_param):
        sd = self.optimizer.state_dict()
        sd["state"] = {i: per_param[n] for i, n in enumerate(self.names) if n in per_param}
        self.optimizer.load_state_dict(sd)


def make_lm_engine(name: str, spec: GPTSpec, state: dict, optimizer: LMOptimizer) -> LMEngine:
    """The language-model engine ``name`` (one of :data:`LM_ENGINES`)."""
    if name == "autograd":
        return AutogradLM(spec, state, optimizer)
    if name == "torch":
        from groundup.engines.lm_torch import TorchLM

        return TorchLM(spec, state, optimizer)
    raise GroundupError(f"engine {name!r} does not train language models yet; choose one of "
                        f"{', '.join(LM_ENGINES)}")
