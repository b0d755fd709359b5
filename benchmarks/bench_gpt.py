"""One training iteration of nanoGPT's CPU "baby GPT" (recipe shakespeare-char), two ways, timed
in one run:

    4 layers, 4 heads, n_embd 128, block 64, batch 12, vocab 65, no biases, tied head, GELU;
    cross-entropy, backward, clip_grad_norm_(1.0), AdamW (lr 1e-3, betas (0.9, 0.99),
    weight decay 0.1 on tensors of dimension >= 2), warm-up 100 then cosine to 1e-4 at 2,000

  autograd  groundup.nn.gpt.GPT, groundup.optim.AdamW + WarmupCosineLR, nn.utils.clip_grad_norm_
  torch     PyTorch eager: nanoGPT's model (tests/torch_gpt.py), torch.optim.AdamW + LambdaLR

Both start from the same float32 weights and see the same batches (Tiny Shakespeare when
GROUNDUP_DATA_DIR holds it, else random tokens). One BLAS thread (threadpoolctl) and
torch.set_num_threads(1). glibc is told to keep freed memory (groundup.train.allocator, as
training does; --no-keep-memory leaves malloc as it is): a step frees tens of megabytes that
would otherwise come back as page faults. Each of ``--repeats`` rounds runs ``--steps``
iterations of each engine in turn (the order alternates) and keeps each engine's mean CPU and
wall ms per iteration; best and median over rounds are printed. Then tokens per second (12 x 64
per iteration), the FLOPs of an iteration (matrix-product multiply-adds x 2, backward = 2 x
forward) against the machine's float32 GEMM rate (one large np.matmul in the same run), and the
largest difference between the two engines' losses over the iterations both ran.

Exits 1 unless autograd / torch <= 1.3, the median over rounds of the round's ratio of CPU ms
(a round runs both engines back to back, so its ratio sees one level of load), or when the
losses differ by more than 1e-4 relative.

    GROUNDUP_DATA_DIR=../shared/data python benchmarks/bench_gpt.py
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

AUTOGRAD_VS_TORCH = 1.3
BATCH, BLOCK, VOCAB, LAYERS, HEADS, WIDTH = 12, 64, 65, 4, 4, 128
LR, MIN_LR, BETAS, WEIGHT_DECAY, WARMUP, DECAY, CLIP = 1e-3, 1e-4, (0.9, 0.99), 0.1, 100, 2000, 1.0
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # nanoGPT's torch model

from _criteria import Criteria  # noqa: E402 - beside this script
from _threads import one_thread_each  # noqa: E402


def config():
    from groundup.nn.gpt import GPTConfig

    return GPTConfig(block_size=BLOCK, vocab_size=VOCAB, n_layer=LAYERS, n_head=HEADS,
                     n_embd=WIDTH, dropout=0.0, bias=False)


def batches(n: int) -> tuple[list, str]:
    """``n`` (x, y) int64 batches of (12, 64) and where they came from."""
    rng = np.random.default_rng(1337)
    if os.environ.get("GROUNDUP_DATA_DIR"):
        from groundup import data

        info = next(i for i in data.list_datasets() if i.name == "tinyshakespeare")
        if data.is_available(info):
            ds = data.load("tinyshakespeare")
            return [ds.get_batch("train", BATCH, BLOCK, rng) for _ in range(n)], \
                "Tiny Shakespeare (train split, seeded windows)"
    out = []
    for _ in range(n):
        x = rng.integers(0, VOCAB, (BATCH, BLOCK + 1))
        out.append((x[:, :-1].copy(), x[:, 1:].copy()))  # contiguous, as get_batch's
    return out, "random tokens (no tinyshakespeare in GROUNDUP_DATA_DIR)"


class AutogradGPT:
    def __init__(self, state):
        from groundup import nn, optim
        from groundup.nn.gpt import GPT

        self.nn = nn
        self.model = GPT(config())
        self.model.load_state_dict(state)
        self.optimizer = optim.AdamW(optim.decay_groups(self.model.named_parameters(),
                                                        WEIGHT_DECAY), lr=LR, betas=BETAS)
        self.scheduler = optim.lr_scheduler.WarmupCosineLR(self.optimizer, WARMUP, DECAY, MIN_LR)

    def step(self, x, y) -> float:
        _, loss = self.model(x, y)
        self.optimizer.zero_grad()
        loss.backward()
        self.nn.utils.clip_grad_norm_(self.model.parameters(), CLIP)
        self.optimizer.step()
        self.scheduler.step()
        return loss.item()


class TorchGPT:
    def __init__(self, state):
        import torch

        import torch_gpt
        from groundup.optim.lr_scheduler import warmup_cosine

        self.torch = torch
        self.model = torch_gpt.load_groundup_state(torch_gpt.GPT(config()), state)
        self.optimizer = torch_gpt.adamw(self.model, LR, BETAS, WEIGHT_DECAY)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda it: warmup_cosine(it, WARMUP, DECAY, MIN_LR / LR))

    def step(self, x, y) -> float:
        torch = self.torch
        _, loss = self.model(torch.from_numpy(x), torch.from_numpy(y))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), CLIP)
        self.optimizer.step()
        self.scheduler.step()
        return loss.item()


ENGINES = {"autograd": AutogradGPT, "torch": TorchGPT}


def iteration_flops() -> int:
    """Matrix-product FLOPs of one iteration: 3 x forward (backward = two products per one).

    Per layer, with N = B·T tokens: the four Linear maps 2·N·(3C² + C² + 4C² + 4C²) = 24·N·C²,
    attention's Q Kᵀ and P V 2 · 2·B·T²·C (the full T x T, masked half included); the tied
    head 2·N·C·V.
    """
    N = BATCH * BLOCK
    forward = LAYERS * (24 * N * WIDTH**2 + 4 * BATCH * BLOCK**2 * WIDTH) + 2 * N * WIDTH * VOCAB
    return 3 * forward


def gemm_rate(n: int = 1024, repeats: int = 5) -> float:
    """The machine's float32 GEMM rate in FLOP/s: the best of ``repeats`` n x n products."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        a @ b
        best = min(best, time.process_time() - t0)
    return 2 * n**3 / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed rounds per engine")
    parser.add_argument("--steps", type=int, default=5, help="iterations per engine per round")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights")
    parser.add_argument("--no-keep-memory", action="store_true",
                        help="leave glibc's malloc returning freed memory to the system")
    args = parser.parse_args()
    torch = one_thread_each()
    if torch is None:
        return 1
    from groundup.nn.gpt import GPT
    from groundup.train.allocator import keep_freed_memory

    kept = False if args.no_keep_memory else keep_freed_memory()
    warmup = 3
    n = warmup + args.repeats * args.steps
    data, source = batches(n)
    state = GPT(config(), generator=args.seed).state_dict()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load "
          f"{os.getloadavg()[0]:.1f}; Python {platform.python_version()}, NumPy {np.__version__}"
          f", torch {torch.__version__}; 1 BLAS thread, 1 torch thread; freed memory kept: "
          f"{'yes' if kept else 'no'}")
    print(f"data: {source}; batch {BATCH} x block {BLOCK}, float32; model {LAYERS} layers, "
          f"{HEADS} heads, width {WIDTH}, {sum(v.size for v in state.values()):,} parameters")

    engines = {name: cls(state) for name, cls in ENGINES.items()}
    losses = {name: [] for name in engines}
    for i in range(warmup):  # imports, first allocations, caches
        for name, engine in engines.items():
            losses[name].append(engine.step(*data[i]))
    cpu = {name: [] for name in engines}  # CPU seconds per iteration, one entry per round
    wall = {name: [] for name in engines}
    names = list(engines)
    for r in range(args.repeats):
        first = warmup + r * args.steps
        for name in (names if r % 2 == 0 else names[::-1]):
            engine = engines[name]
            c0, t0 = time.process_time(), time.perf_counter()
            for i in range(first, first + args.steps):
                losses[name].append(engine.step(*data[i]))
            cpu[name].append((time.process_time() - c0) / args.steps)
            wall[name].append((time.perf_counter() - t0) / args.steps)

    rate = gemm_rate()
    flops = iteration_flops()
    tokens = BATCH * BLOCK
    print(f"\nFLOPs per iteration: {flops / 1e9:.2f} G (matrix products x 2, iteration = 3 x "
          f"forward); float32 GEMM rate (1024^3 np.matmul, 1 thread, CPU time): "
          f"{rate / 1e9:.1f} GFLOP/s")
    print(f"per iteration over {args.repeats} rounds of {args.steps}: CPU ms (the criterion: "
          "one thread each, so a busy machine's waits do not count) and wall ms")
    print(f"{'engine':<10}{'CPU best':>9}{'median':>8}{'wall best':>10}{'median':>8}"
          f"{'tokens/s':>10}{'GFLOP/s':>9}{'of GEMM':>9}")
    for name in names:
        best, median = min(cpu[name]), statistics.median(cpu[name])
        achieved = flops / median
        print(f"{name:<10}{best * 1e3:9.1f}{median * 1e3:8.1f}{min(wall[name]) * 1e3:10.1f}"
              f"{statistics.median(wall[name]) * 1e3:8.1f}{tokens / median:10,.0f}"
              f"{achieved / 1e9:9.2f}{achieved / rate:9.1%}")
    print("(tokens/s and GFLOP/s from the median CPU ms)")

    a, b = np.array(losses["autograd"]), np.array(losses["torch"])
    diff = float(np.max(np.abs(a - b) / np.abs(b)))
    print(f"losses: first {a[0]:.4f} / {b[0]:.4f}, last {a[-1]:.4f} / {b[-1]:.4f}; largest "
          f"relative difference over {len(a)} iterations: {diff:.1e}")
    per_round = statistics.median(x / y for x, y in zip(cpu["autograd"], cpu["torch"],
                                                        strict=True))
    best_ratio = min(cpu["autograd"]) / min(cpu["torch"])
    median_ratio = statistics.median(cpu["autograd"]) / statistics.median(cpu["torch"])
    print(f"\nautograd / torch (CPU ms): per-round median {per_round:.2f}, best/best "
          f"{best_ratio:.2f}, median/median {median_ratio:.2f}")
    criteria = Criteria()
    criteria.check("autograd / torch", per_round <= AUTOGRAD_VS_TORCH,
                   f"{per_round:.2f} (per-round median of CPU ms), must be <= "
                   f"{AUTOGRAD_VS_TORCH}")
    criteria.check("same iterations", diff <= 1e-4,
                   f"losses differ by {diff:.1e} relative at most, must be <= 1e-4")
    return criteria.exit_code()

if __name__ == "__main__":
    sys.exit(main())
