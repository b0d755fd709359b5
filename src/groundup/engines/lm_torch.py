"""The torch row of the language-model engines: nanoGPT's GPT in ``torch.nn``, the reference.

The same module tree and names as :class:`groundup.nn.gpt.GPT` (see
:mod:`groundup.models.gpt`), causal attention through ``F.scaled_dot_product_attention``, the
tied head; torch lists the tied weight under two names, groundup under
``transformer.wte.weight`` only. torch is imported when this engine is built, never before.
"""

from __future__ import annotations

import numpy as np

from groundup.engines.lm import LMEngine, decay_split
from groundup.engines.torch import _torch

__all__ = ["TorchLM"]


def _gpt_module(spec):
    """nanoGPT's ``GPT`` for ``spec`` as a ``torch.nn.Module``."""
    torch = _torch()
    nn, F = torch.nn, torch.nn.functional
    C, h, b, p = spec.n_embd, spec.n_head, spec.bias, spec.dropout

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn, self.c_proj = nn.Linear(C, 3 * C, bias=b), nn.Linear(C, C, bias=b)
            self.resid_dropout = nn.Dropout(p)

        def qkv(self, x):
            B, T, _ = x.shape
            return [a.view(B, T, h, C // h).transpose(1, 2) for a in self.c_attn(x).split(C, 2)]

        def forward(self, x):
            B, T, _ = x.shape
            q, k, v = self.qkv(x)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                               dropout_p=p if self.training else 0.0)
            return self.resid_dropout(self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C)))

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_fc, self.gelu = nn.Linear(C, 4 * C, bias=b), nn.GELU()
            self.c_proj, self.dropout = nn.Linear(4 * C, C, bias=b), nn.Dropout(p)

        def forward(self, x):
            return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.attn = nn.LayerNorm(C, bias=b), Attention()
            self.ln_2, self.mlp = nn.LayerNorm(C, bias=b), MLP()

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(spec.vocab_size, C), wpe=nn.Embedding(spec.block_size, C),
                drop=nn.Dropout(p), h=nn.ModuleList(Block() for _ in range(spec.n_layer)),
                ln_f=nn.LayerNorm(C, bias=b)))
            self.lm_head = nn.Linear(C, spec.vocab_size, bias=False)
            self.lm_head.weight = self.transformer.wte.weight  # weight tying

        def embed(self, idx):
            pos = torch.arange(idx.shape[1])
            return self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))

        def forward(self, idx):
            x = self.embed(idx)
            for block in self.transformer.h:
                x = block(x)
            return self.lm_head(self.transformer.ln_f(x))

    return GPT()


class TorchLM(LMEngine):
    """nanoGPT's model, ``torch.optim.AdamW`` and ``torch.nn.utils.clip_grad_norm_``."""

    name = "torch"

    def __init__(self, spec, state, optimizer):
        super().__init__(spec, state, optimizer)
        torch = self._t = _torch()
        self.model = _gpt_module(spec).to(torch.float64 if self.dtype == np.float64
                                          else torch.float32)
        self.load_state_dict(state)
        params = dict(self.model.named_parameters())  # the tied weight once, as wte
        decay, no_decay = decay_split(spec.parameter_shapes())
        self.names = decay + no_decay
        self.optimizer = torch.optim.AdamW(
            [{"params": [params[n] for n in decay], "weight_decay": optimizer.weight_decay},
             {"params": [params[n] for n in no_decay], "weight_decay": 0.0}],
            lr=optimizer.lr, betas=optimizer.betas)

    def _loss_tensor(self, x, y):
        t = self._t
        z = self.model(t.from_numpy(self._check_ids(x)))
        return t.nn.functional.cross_entropy(z.view(-1, z.shape[-1]),
                                             t.from_numpy(np.asarray(y, np.int64)).view(-1))

    def train_step(self, x, y):
        for group in self.optimizer.param_groups:
            group["lr"] = self.opt.lr_at(self.steps)
        loss = self._loss_tensor(x, y)
        self.optimizer.zero_grad()
        loss.backward()
        self._t.nn.utils.clip_grad_norm_(self.model.parameters(), self.opt.grad_clip)
        self.optimizer.step()
        self.steps += 1
        return float(loss.item())

    def _eval(self, fn):
        was = self.model.training
        self.model.eval()
        try:
            with self._t.no_grad():
                return fn()
        finally:
            self.model.train(was)

    def loss(self, x, y):
        return self._eval(lambda: float(self._loss_tensor(x, y).item()))

    def loss_and_grads(self, x, y):
        loss = self._loss_tensor(x, y)
        self.optimizer.zero_grad()
        loss.backward()
        grads = {n: p.grad.detach().numpy().copy() for n, p in self.model.named_parameters()}
        self.optimizer.zero_grad()
        return float(loss.item()), grads

    def logits(self, idx):
        t = self._t
        return self._eval(lambda: self.model(t.from_numpy(self._check_ids(idx))).numpy())

    def attention(self, idx):
        t = self._t
        ids = t.from_numpy(self._check_ids(np.asarray(idx)[None]))
        T = ids.shape[1]
        d = self.spec.n_embd // self.spec.n_head

        def run():
            x, maps = self.model.embed(ids), []
            mask = t.triu(t.ones(T, T, dtype=t.bool), 1)
            for block in self.model.transformer.h:
                q, k, _ = block.attn.qkv(block.ln_1(x))
                scores = (q @ k.transpose(-2, -1) / d ** 0.5).masked_fill(mask, float("-inf"))
                maps.append(t.softmax(scores, -1)[0].numpy())
                x = block(x)
            return np.stack(maps)

        return self._eval(run)

    def state_dict(self):
        return {n: p.detach().numpy().copy() for n, p in self.model.named_parameters()}

    def load_state_dict(self, state):
        self.spec.check_state(state)
        with self._t.no_grad():
            for n, p in self.model.named_parameters():
                p.copy_(self._t.from_numpy(np.asarray(state[n], self.dtype)))

    def _per_param_state(self):
        return {self.names[i]: {k: (v if k == "step" else v.detach().numpy())
                                for k, v in st.items()}
                for i, st in self.optimizer.state_dict()["state"].items()}

    def _load_per_param_state(self, per_param):
        t = self._t
        sd = self.optimizer.state_dict()
        sd["state"] = {i: {k: t.tensor(float(v)) if k == "step" else t.from_numpy(v)
                           for k, v in per_param[n].items()}
                       for i, n in enumerate(self.names) if n in per_param}
        self.optimizer.load_state_dict(sd)
