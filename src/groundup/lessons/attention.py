"""Lesson: attention and a character-level transformer (the primer's last steps: "the dot
product is the foundation of attention", "next-token prediction is multiclass classification",
"transformer training is just the same rule chained deeper").

What it shows, with the numbers checked:

* dot products as similarity: a query scores keys pointing its way high, perpendicular keys 0,
  opposite keys negative (primer 001: [1, 2, 3]·[4, 5, 6] = 32);
* the 1/√d scale is a softmax temperature: q·k of random unit-variance vectors has variance d
  (64 for d = 64), so unscaled scores saturate the softmax (entropy 0.43 of ln 16 = 2.77 nats)
  while scaled ones keep it spread (2.36) whatever d is;
* the causal mask: query i sees keys 0..i, each row of weights sums to 1;
* one head by hand on four tokens — scores, weights and outputs worked out in the comments —
  by loops, by ``scratch.attention_forward``, by ``F.scaled_dot_product_attention`` and by the
  explicit masked softmax of autograd's primitives;
* the baby GPT (nanoGPT's shakespeare-char: 804,096 parameters): untrained, its logits are
  small (std ≈ 0.02·√128 = 0.23; only the current character's own logit stands out, ≈ 1, as
  the head is the token table) and its next-token cross-entropy ≈ ln 65 = 4.17, the loss of a
  uniform guess; a hundred AdamW iterations on Tiny Shakespeare bring it below 3 (skipped with
  ``quick``), then it writes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from groundup.lessons._figures import save
from groundup.lessons._report import Report

# four tokens with 2-d embeddings, used as their own queries, keys and values (W_q = W_k = W_v
# = I), so every number below can be worked by hand
TOKENS = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0]])
BABY = dict(block_size=64, vocab_size=65, n_layer=4, n_head=4, n_embd=128, dropout=0.0,
            bias=False)


def similarity(report: Report) -> None:
    report.section("dot products as similarity: a query against three keys")
    q = np.array([1.0, 0.0])
    keys = np.array([[2.0, 0.0], [0.0, 3.0], [-1.0, 0.0]])  # same way, perpendicular, opposite
    report.show("q · k for k = [2, 0], [0, 3], [-1, 0]", (keys @ q).tolist(),
                "NumPy's dot products of the literal vectors")
    report.show("primer 001: [1, 2, 3] · [4, 5, 6]", float(np.dot([1, 2, 3], [4, 5, 6])),
                "1·4 + 2·5 + 3·6")
    report.note("a query 'asks', a key 'answers'; their dot product says how well they match")


def temperature(report: Report, out_dir: Path | None) -> None:
    from groundup import numerics

    report.section("the 1/√d scale is a softmax temperature")
    rng = np.random.default_rng(0)
    d, n_keys = 64, 16
    q = rng.standard_normal((2000, d))
    k = rng.standard_normal((2000, n_keys, d))
    scores = np.einsum("nd,nkd->nk", q, k)  # 2,000 queries, 16 keys each
    # q·k = Σ_i q_i k_i: d independent terms of variance 1, so variance d
    report.close("variance of q·k for d = 64", float(scores.var()), 64.0, rtol=0.1)
    report.close("variance of q·k / √d", float((scores / math.sqrt(d)).var()), 1.0, rtol=0.1)
    scaled = numerics.softmax(scores / math.sqrt(d), axis=1)
    at_temperature = numerics.softmax(scores, axis=1, temperature=math.sqrt(d))
    report.close("largest |softmax(q·k / √d) - softmax(q·k) at temperature √d|",
                 float(np.abs(scaled - at_temperature).max()), 0.0, atol=1e-15)
    entropy = {}
    for name, z in (("unscaled", scores), ("scaled", scores / math.sqrt(d))):
        p = numerics.softmax(z, axis=1)
        entropy[name] = float(-(p * np.log(np.maximum(p, 1e-300))).sum(axis=1).mean())
    # ln 16 = 2.77 nats is a uniform spread; near 0 is one key taking all the weight, where the
    # softmax's gradient p (1 - p) vanishes and the query stops learning
    report.between("entropy of the weights, unscaled (nats, of ln 16 = 2.77)",
                   entropy["unscaled"], 0.0, 1.0)
    report.between("entropy of the weights, scaled", entropy["scaled"], 2.0, math.log(16))
    _draw_temperature(out_dir, rng)


def causal_mask(report: Report) -> None:
    from groundup.autograd.ops_attention import causal_mask as mask

    report.section("the causal mask: position i may look at 0..i only")
    allowed = mask(4)
    report.equal("mask (True = may attend)", allowed.astype(int).tolist(),
                 [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]])
    report.note("scores of future positions become -inf, e^-inf = 0: they get no weight, and "
                "every position can be trained on its next token in one pass")


def one_head_by_hand(report: Report, out_dir: Path | None) -> None:
    import groundup
    import groundup.nn.functional as F
    from groundup.scratch import attention_forward

    report.section("one head by hand: four tokens, q = k = v = x, d = 2, scale 1/√2")
    X = TOKENS
    # scores S_ij = x_i · x_j / √2, future masked; row 3 (x = [2, 0]) against keys 0..3:
    #   [2, 0, 2, 4] / √2 = [1.4142, 0, 1.4142, 2.8284]
    # weights: e^S / Σ e^S = [4.1133, 1, 4.1133, 16.9188] / 26.1454
    #        = [0.1573, 0.0382, 0.1573, 0.6471]
    # output row 3: 0.1573 [1, 0] + 0.0382 [0, 1] + 0.1573 [1, 1] + 0.6471 [2, 0]
    #        = [1.6089, 0.1956]
    # row 1 (x = [0, 1]): scores [0, 0.7071], weights [1, 2.0281] / 3.0281 = [0.3302, 0.6698]
    # row 2 (x = [1, 1]): scores [0.7071, 0.7071, 1.4142], weights [0.2483, 0.2483, 0.5035]
    by_hand_weights = np.array([[1.0, 0.0, 0.0, 0.0], [0.3302, 0.6698, 0.0, 0.0],
                                [0.2483, 0.2483, 0.5035, 0.0], [0.1573, 0.0382, 0.1573, 0.6471]])
    by_hand_out = np.array([[1.0, 0.0], [0.3302, 0.6698], [0.7517, 0.7517], [1.6089, 0.1956]])
    weights = np.zeros((4, 4))
    out = np.zeros((4, 2))
    for i in range(4):  # the definition, one query at a time
        scores = [float(X[i] @ X[j]) / math.sqrt(2) for j in range(i + 1)]
        exps = [math.exp(s) for s in scores]
        for j in range(i + 1):
            weights[i, j] = exps[j] / sum(exps)
            out[i] += weights[i, j] * X[j]
    report.close("attention weights by the loops", weights, by_hand_weights, atol=1e-4)
    report.close("each row sums to 1", weights.sum(axis=1), np.ones(4), atol=1e-12)
    report.close("outputs by the loops", out, by_hand_out, atol=1e-4)
    scratch_out, _ = attention_forward(X, X, X, causal=True)
    report.close("by scratch.attention_forward", scratch_out, out, atol=1e-12)
    t = groundup.tensor(X[None], dtype=np.float64)
    with groundup.no_grad():
        fused = F.scaled_dot_product_attention(t, t, t, is_causal=True).numpy()[0]
        att = (t @ t.transpose(-2, -1)) * (1 / math.sqrt(2))
        att = att.masked_fill(~np.tri(4, dtype=bool), float("-inf")).softmax(dim=-1)
        explicit = (att @ t).numpy()[0]
    report.close("by F.scaled_dot_product_attention", fused, out, atol=1e-12)
    report.close("by matmul, masked_fill(-inf), softmax, matmul", explicit, out, atol=1e-12)
    _draw_weights(out_dir, weights)


def untrained_gpt(report: Report) -> dict:
    """The baby GPT at its initial weights on one batch; returns the model and the batch."""
    import groundup
    from groundup.lessons import data_available
    from groundup.nn.gpt import GPT, GPTConfig

    report.section("the baby GPT untrained: next-token cross-entropy ≈ ln 65")
    model = GPT(GPTConfig(**BABY), generator=0)
    # per block 12 · 128² (attention 4 · 128², MLP 8 · 128²) + LayerNorm gains; embeddings
    # 65 · 128 + 64 · 128 (the head is the token table); nanoGPT prints 0.80M (without wpe)
    report.equal("parameters", model.num_parameters(), 804_096)
    rng = np.random.default_rng(1337)
    if data_available("tinyshakespeare"):
        from groundup.data import load

        ds = load("tinyshakespeare")
        report.equal("vocabulary: the distinct characters of Tiny Shakespeare", ds.vocab_size,
                     65)
        x, y = ds.get_batch("train", 12, 64, rng)
    else:
        ds = None
        report.note("Tiny Shakespeare not found: random tokens stand in for the text")
        x, y = (rng.integers(0, 65, (12, 64)) for _ in range(2))
    with groundup.no_grad():
        logits, loss = model(x, y)
    # weights ~ N(0, 0.02²) and unit-variance LayerNorm output h: a logit Σ_128 h_i w_i has std
    # 0.02 · √128 = 0.226, so the softmax is almost uniform over the 65 characters ...
    z = logits.numpy()
    own = np.take_along_axis(z, x[..., None], axis=-1)  # the logit of the current character
    others = np.ones(z.shape, dtype=bool)
    np.put_along_axis(others, x[..., None], False, axis=-1)
    report.close("std of the initial logits of the other characters", float(z[others].std()),
                 0.02 * math.sqrt(128), rtol=0.15)
    # ... except for the current character: the head *is* the token table, and h still carries
    # the token's own embedding, so h · wte[x_t] ≈ |wte[x_t]|² / std(x) > 0 (measured ≈ 1)
    report.between("mean logit of the current character itself", float(own.mean()), 0.5, 2.0)
    report.close("initial loss", loss.item(), math.log(65), atol=0.1)
    return {"model": model, "data": ds}


def training(report: Report, state: dict, iterations: int, out_dir: Path | None) -> None:
    from groundup import nn, optim

    model, ds = state["model"], state["data"]
    report.section(f"{iterations} iterations of nanoGPT's recipe: AdamW, warm-up, clipping")
    if ds is None:
        report.note("needs Tiny Shakespeare (GROUNDUP_DATA_DIR); skipped")
        return
    optimizer = optim.AdamW(optim.decay_groups(model.named_parameters(), 0.1), lr=1e-3,
                            betas=(0.9, 0.99))
    scheduler = optim.lr_scheduler.WarmupCosineLR(optimizer, 100, 2000, 1e-4)
    rng = np.random.default_rng(1337)
    losses = []
    for _ in range(iterations):
        _, loss = model(*ds.get_batch("train", 12, 64, rng))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    # measured: 4.18 at the start, about 2.6-2.7 after 100 iterations (PyTorch: the same)
    report.between("mean loss of the last 10 iterations", float(np.mean(losses[-10:])), 0.0, 3.0)
    prompt = ds.tokenizer.encode("ROMEO:")[None]
    a = model.generate(prompt, 80, temperature=0.8, top_k=20, generator=1)
    b = model.generate(prompt, 80, temperature=0.8, top_k=20, generator=1)
    report.holds("same seed, same text", np.array_equal(a, b), "generation is seeded")
    report.note("sample: " + repr(ds.tokenizer.decode(a[0])))
    _draw_losses(out_dir, losses)


def _draw_weights(out_dir: Path | None, weights: np.ndarray) -> None:
    if out_dir is None:
        return
    from groundup.plot._figure import new_figure

    fig, ax = new_figure(size=(4.2, 3.8), squeeze=True)
    ax.imshow(weights, cmap="Blues", vmin=0, vmax=1)
    for (i, j), v in np.ndenumerate(weights):
        ax.text(j, i, f"{v:.3f}" if j <= i else "-∞", ha="center", va="center", fontsize=9,
                color="white" if v > 0.6 else "black")
    ax.set_xticks(range(4), [f"key {j}" for j in range(4)])
    ax.set_yticks(range(4), [f"query {i}" for i in range(4)])
    ax.set_title("causal attention weights (rows sum to 1)")
    save(fig, out_dir, "attention_weights.png")


def _draw_temperature(out_dir: Path | None, rng: np.random.Generator) -> None:
    from groundup import numerics

    if out_dir is None:
        return
    dims = [1, 4, 16, 64, 256]
    curves = {"q·k": [], "q·k / √d": []}
    for d in dims:
        scores = np.einsum("nd,nkd->nk", rng.standard_normal((500, d)),
                           rng.standard_normal((500, 16, d)))
        for name, z in (("q·k", scores), ("q·k / √d", scores / math.sqrt(d))):
            p = numerics.softmax(z, axis=1)
            curves[name].append(float(-(p * np.log(np.maximum(p, 1e-300))).sum(axis=1).mean()))
    from groundup.plot._figure import new_figure

    fig, ax = new_figure(size=(5.5, 3.8), squeeze=True)
    for name, values in curves.items():
        ax.plot(dims, values, marker="o", label=name)
    ax.axhline(math.log(16), color="gray", linestyle=":", label="uniform (ln 16)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("head size d")
    ax.set_ylabel("entropy of the weights (nats)")
    ax.set_title("softmax over 16 keys: scaled scores stay spread")
    ax.legend()
    save(fig, out_dir, "temperature.png")


def _draw_losses(out_dir: Path | None, losses: list[float]) -> None:
    if out_dir is None:
        return
    from groundup.plot._figure import new_figure

    fig, ax = new_figure(size=(5.5, 3.8), squeeze=True)
    ax.plot(range(1, len(losses) + 1), losses)
    ax.axhline(math.log(65), color="gray", linestyle=":", label="ln 65 (uniform guess)")
    ax.set_xlabel("iteration")
    ax.set_ylabel("training loss (cross-entropy)")
    ax.set_title("the baby GPT on Tiny Shakespeare")
    ax.legend()
    save(fig, out_dir, "training_loss.png")


def run(out_dir: Path | None = None, verbose: bool = True, quick: bool = False) -> dict:
    """Run the lesson: a few seconds, plus about 15 s of training unless ``quick``."""
    report = Report("attention", verbose)
    similarity(report)
    temperature(report, out_dir)
    causal_mask(report)
    one_head_by_hand(report, out_dir)
    state = untrained_gpt(report)
    if not quick:
        training(report, state, 100, out_dir)
    return report.values
