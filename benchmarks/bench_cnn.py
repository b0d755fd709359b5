"""One training step of the mnist-cnn network, three ways, timed in one run:

    a block per channel count C: conv (KxK, padding K//2) -> ReLU -> maxpool 2, then flatten ->
    linear -> 10, cross-entropy, Adam (lr 1e-3), batch 64 of (1, 28, 28) float32

with the recipe's channels and kernel size (``groundup.recipes``: 32, 64, 128 and 3; change them
with ``--channels`` and ``--kernel-size``, e.g. ``--channels 32,64 --kernel-size 5``).

  scratch   groundup.scratch Conv2d / MaxPool2d, ReLU from groundup.numerics, the linear layer and
            the fused softmax-cross-entropy of scratch.MLP, Adam from groundup.optim.rules, the
            backward pass written out layer by layer
  autograd  groundup's nn.Sequential, F.cross_entropy and optim.Adam
  torch     PyTorch eager (the same model, torch.optim.Adam)

All three start from the same float32 weights and see the same batches. One BLAS thread
(threadpoolctl) and torch.set_num_threads(1). Each of ``--repeats`` rounds runs ``--steps`` steps
of every engine in turn (the order rotates, so load on a shared machine hits all alike) and keeps
each engine's mean ms per step; best and median over rounds are printed, of CPU time (the
criterion: with one thread per engine it leaves out the time a busy machine makes the process
wait) and of wall time. Then: peak traced memory
(tracemalloc; NumPy's allocations are visible to it, torch's are not), the FLOPs of a step (GEMM
multiply-adds × 2; backward ≈ 2 × forward, so a step ≈ 3 × forward) against the machine's float32
GEMM rate (one large np.matmul measured in the same run), and the largest weight difference
between the engines after one step from the same weights.

Exits 1 unless autograd/torch <= 1.5 and scratch/autograd <= 1.1, each the median over rounds of
the round's ratio of CPU ms (a round runs the engines back to back, so its ratio sees one level
of load; best/best and median/median are printed beside it).

    GROUNDUP_DATA_DIR=/path/to/data python benchmarks/bench_cnn.py    # random images without it
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np

from groundup.recipes import get_recipe

sys.path.insert(0, os.path.dirname(__file__))
from _threads import one_thread_each  # noqa: E402 - beside this script

AUTOGRAD_VS_TORCH = 1.5  # target; stretch 1.0
SCRATCH_VS_AUTOGRAD = 1.1
LR = 1e-3
RECIPE = get_recipe("mnist-cnn")


@dataclass(frozen=True)
class Net:
    """The network timed: a block per entry of ``channels`` (``--channels``), ``kernel`` x
    ``kernel`` convolutions (``--kernel-size``) padded by kernel // 2 to keep H x W."""

    channels: tuple[int, ...] = RECIPE.channels
    kernel: int = RECIPE.kernel_size

    def gemms(self) -> list[tuple]:
        """(kind, in, out, H_in, W_in) of each layer with weights: a conv per block at the
        block's resolution (each pooling halves it, rounding down), then the linear layer."""
        out, c, size = [], 1, 28
        for ch in self.channels:
            out.append(("conv", c, ch, size, size))
            c, size = ch, size // 2
        return out + [("linear", c * size * size, 10, 1, 1)]

    def convs(self) -> list[tuple[int, int]]:
        """(in, out) channels of each convolution."""
        return [(c_in, c_out) for _, c_in, c_out, _, _ in self.gemms()[:-1]]

    def features(self) -> int:
        """The linear layer's inputs: the last block's output, flattened."""
        return self.gemms()[-1][1]

    def __str__(self) -> str:
        blocks = " -> ".join(f"{self.kernel}x{self.kernel} conv {c} -> pool"
                             for c in self.channels)
        return f"{blocks} -> linear {self.features()} -> 10"


# ---------------------------------------------------------------------------- data and weights
def batches(n_batches: int, batch_size: int) -> tuple[list, str]:
    """MNIST-shaped float32 batches (X (n, 1, 28, 28) in [0, 1], y int64) and where they came
    from: real MNIST when GROUNDUP_DATA_DIR holds it, else uniform noise."""
    n = n_batches * batch_size
    source = "random images (no MNIST in GROUNDUP_DATA_DIR)"
    X = y = None
    if os.environ.get("GROUNDUP_DATA_DIR"):
        from groundup import data

        info = next(i for i in data.list_datasets() if i.name == "mnist")
        if data.is_available(info):
            ds = data.load("mnist")
            X = ds.X_train[:n].reshape(n, 1, 28, 28).astype(np.float32) / np.float32(255)
            y = ds.y_train[:n].astype(np.int64)
            source = f"real MNIST (first {n} training images)"
    if X is None:
        rng = np.random.default_rng(0)
        X, y = rng.random((n, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, n)
    return [(np.ascontiguousarray(X[i:i + batch_size]), y[i:i + batch_size])
            for i in range(0, n, batch_size)], source


def cnn(mod, net: Net):
    """The network from ``groundup.nn`` or ``torch.nn`` (same names, same layout)."""
    layers = []
    for c_in, c_out in net.convs():
        layers += [mod.Conv2d(c_in, c_out, net.kernel, padding=net.kernel // 2), mod.ReLU(),
                   mod.MaxPool2d(2)]  # fmt: skip
    return mod.Sequential(*layers, mod.Flatten(), mod.Linear(net.features(), 10))


def initial_weights(net: Net, seed: int) -> dict[str, np.ndarray]:
    """PyTorch's default initialisation, drawn by groundup: names 0.*, 3.*, ... (a block is
    three layers), then the linear layer's."""
    import groundup
    from groundup import nn

    groundup.manual_seed(seed)
    return cnn(nn, net).state_dict()


# ---------------------------------------------------------------------------- the three engines
class ScratchCNN:
    """The network written out by hand; ``step`` is forward, backward and Adam on arrays."""

    def __init__(self, state: dict[str, np.ndarray], net: Net):
        from groundup.scratch import MLP, ArrayOptimizer, Conv2d, MaxPool2d

        convs = net.convs()
        self.blocks = [(Conv2d(c_in, c_out, net.kernel, padding=net.kernel // 2), MaxPool2d(2))
                       for c_in, c_out in convs]  # fmt: skip
        self.head = MLP([net.features(), 10])  # one linear layer with the softmax-CE head
        self.params = {}  # the layers' own arrays: the optimizer updates them in place
        for i, (conv, _) in enumerate(self.blocks):  # block i is layers 3i (conv) .. 3i + 2
            conv.load_state_dict({"weight": state[f"{3 * i}.weight"],
                                  "bias": state[f"{3 * i}.bias"]})  # fmt: skip
            self.params[f"{3 * i}.weight"] = conv.params["weight"]
            self.params[f"{3 * i}.bias"] = conv.params["bias"]
        self.head_name = str(3 * len(convs) + 1)  # after the blocks and the flatten
        self.head.load_state_dict({"0.weight": state[f"{self.head_name}.weight"],
                                   "0.bias": state[f"{self.head_name}.bias"]})  # fmt: skip
        self.params[f"{self.head_name}.weight"] = self.head.params["0.weight"]
        self.params[f"{self.head_name}.bias"] = self.head.params["0.bias"]
        self.optimizer = ArrayOptimizer("adam", lr=LR)

    def step(self, X, y) -> float:
        from groundup.numerics import relu, relu_chain

        A, P = [], X  # each block's convolution output (n, C, H, W), before the ReLU
        for conv, pool in self.blocks:
            A.append(conv.forward(P))
            P = pool.forward(relu(A[-1]))  # (n, C, H // 2, W // 2)
        Z = self.head.forward(P.reshape(len(X), -1))  # (n, 10) logits
        loss, dZ = self.head.loss_and_dlogits(Z, y)  # (softmax(Z) - onehot(y)) / n
        head = self.head.backward(dZ)
        dP = (dZ @ self.head.params["0.weight"]).reshape(P.shape)  # the head's input gradient
        grads = {f"{self.head_name}.weight": head["0.weight"],
                 f"{self.head_name}.bias": head["0.bias"]}  # fmt: skip
        for i in range(len(self.blocks) - 1, -1, -1):
            conv, pool = self.blocks[i]
            dA = relu_chain(pool.backward(dP), A[i])  # δ · relu'(A)
            dP = conv.backward(dA, input_grad=i > 0)  # the images need no gradient
            grads[f"{3 * i}.weight"], grads[f"{3 * i}.bias"] = conv.dW, conv.db
        self.optimizer.step(self.params, grads)
        return loss

    def state_dict(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.params.items()}


class AutogradCNN:
    def __init__(self, state, net: Net):
        from groundup import nn, optim

        self.model = cnn(nn, net)
        self.model.load_state_dict(state)
        self.optimizer = optim.Adam(self.model.parameters(), lr=LR)

    def step(self, X, y) -> float:
        import groundup.nn.functional as F
        from groundup import Tensor

        loss = F.cross_entropy(self.model(Tensor(X)), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def state_dict(self):
        return self.model.state_dict()


class TorchCNN:
    def __init__(self, state, net: Net):
        import torch

        self.torch = torch
        self.model = cnn(torch.nn, net)
        self.model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LR)

    def step(self, X, y) -> float:
        torch = self.torch
        loss = torch.nn.functional.cross_entropy(self.model(torch.from_numpy(X)),
                                                 torch.from_numpy(y))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def state_dict(self):
        return {k: v.detach().numpy().copy() for k, v in self.model.state_dict().items()}


ENGINES = {"scratch": ScratchCNN, "autograd": AutogradCNN, "torch": TorchCNN}


# ---------------------------------------------------------------------------- measurements
def step_flops(net: Net, batch_size: int) -> int:
    """Floating-point operations of one step: 3 × (2 × the forward GEMMs' multiply-adds)."""
    macs = 0
    for kind, n_in, n_out, H, W in net.gemms():
        per_example = n_out * H * W * n_in * (net.kernel**2 if kind == "conv" else 1)
        macs += batch_size * per_example
    return 3 * 2 * macs


def gemm_rate(n: int = 1024, repeats: int = 5) -> float:
    """The machine's float32 GEMM rate in FLOP/s: the best of ``repeats`` n x n products."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best


def _timed(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def peak_mib(engine, data, steps: int) -> float:
    """Peak traced allocation in MiB over ``steps`` steps (after a warm-up step)."""
    engine.step(*data[0])
    tracemalloc.start()
    for i in range(steps):
        engine.step(*data[i % len(data)])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds per engine")
    parser.add_argument("--steps", type=int, default=5, help="steps per engine per round")
    parser.add_argument("--batch-size", type=int, default=64, help="images per step")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights")
    parser.add_argument("--channels", default=",".join(map(str, Net.channels)),
                        help="the convolutions' output channels (default: the recipe's)")
    parser.add_argument("--kernel-size", type=int, default=Net.kernel,
                        help="default: the recipe's")
    args = parser.parse_args()
    net = Net(tuple(int(c) for c in args.channels.split(",")), args.kernel_size)
    torch = one_thread_each()
    if torch is None:
        return 1

    data, source = batches(8, args.batch_size)
    state = initial_weights(net, args.seed)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load "
          f"{os.getloadavg()[0]:.1f}; Python {platform.python_version()}, NumPy {np.__version__}"
          f", torch {torch.__version__}; 1 BLAS thread, 1 torch thread")
    print(f"network: {net}; data: {source}; batch {args.batch_size}, float32")

    engines = {name: cls(state, net) for name, cls in ENGINES.items()}
    for engine in engines.values():  # warm-up: imports, first allocations, caches
        for i in range(3):
            engine.step(*data[i % len(data)])
    cpu = {name: [] for name in engines}  # CPU seconds per step, one entry per round
    wall = {name: [] for name in engines}
    names = list(engines)
    k = 0
    for r in range(args.repeats):
        for name in names[r % 3:] + names[:r % 3]:
            engine = engines[name]
            c0, t0 = time.process_time(), time.perf_counter()
            for i in range(args.steps):
                engine.step(*data[(k + i) % len(data)])
            cpu[name].append((time.process_time() - c0) / args.steps)
            wall[name].append((time.perf_counter() - t0) / args.steps)
        k += args.steps

    rate = gemm_rate()
    flops = step_flops(net, args.batch_size)
    best = {name: min(t) for name, t in cpu.items()}
    median = {name: statistics.median(t) for name, t in cpu.items()}
    print(f"\nFLOPs per step: {flops / 1e6:.0f} M (GEMM multiply-adds x 2, step = 3 x forward); "
          f"float32 GEMM rate (1024^3 np.matmul, 1 thread, CPU time): {rate / 1e9:.1f} GFLOP/s")
    print(f"ms per step over {args.repeats} rounds of {args.steps} steps: CPU time (the "
          "criterion: one thread each, so a busy machine's waits do not count) and wall time")
    print(f"{'engine':<10}{'CPU best':>9}{'median':>8}{'wall best':>10}{'median':>8}"
          f"{'GFLOP/s':>9}{'of GEMM':>9}{'peak MiB':>10}")
    for name in names:
        achieved = flops / best[name]
        mem = "n/a" if name == "torch" else f"{peak_mib(engines[name], data, 3):.1f}"
        print(f"{name:<10}{best[name] * 1e3:9.2f}{median[name] * 1e3:8.2f}"
              f"{min(wall[name]) * 1e3:10.2f}{statistics.median(wall[name]) * 1e3:8.2f}"
              f"{achieved / 1e9:9.2f}{achieved / rate:9.1%}{mem:>10}")
    print("(torch allocates outside tracemalloc's sight: n/a)")

    one_step = {name: cls(state, net) for name, cls in ENGINES.items()}
    for engine in one_step.values():
        engine.step(*data[0])
    after = {name: e.state_dict() for name, e in one_step.items()}
    diff = max(float(np.abs(after[a][key] - after[b][key]).max())
               for a in names for b in names if a < b for key in state)
    print(f"largest weight difference between engines after one step: {diff:.1e}")

    failed = False
    print(f"\n{'ratio of CPU ms':<20}{'per-round median':>17}{'best/best':>10}"
          f"{'median/median':>14}")
    for a, b, target in [("autograd", "torch", AUTOGRAD_VS_TORCH),
                         ("scratch", "autograd", SCRATCH_VS_AUTOGRAD)]:
        # the rounds run the engines back to back, so a round's ratio sees one level of load
        per_round = statistics.median(x / y for x, y in zip(cpu[a], cpu[b], strict=True))
        ok = per_round <= target
        failed |= not ok
        print(f"{a + ' / ' + b:<20}{per_round:17.2f}{best[a] / best[b]:10.2f}"
              f"{median[a] / median[b]:14.2f}   target <= {target} (per-round median)  "
              f"{'ok' if ok else 'FAIL'}")
    if diff > 1e-4:
        print("FAIL: the engines do not compute the same step")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
