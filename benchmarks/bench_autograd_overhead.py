"""The autograd engine's per-step overhead on small networks, against a hand-fused NumPy step.

Small networks are the playground's whole diet, and there the bookkeeping of a graph (one node
per op, the backward sweep, the optimizer loop) is not hidden behind big matrix products. For
each size below, one SGD training step on a batch of 64 is timed two ways from the same float32
weights on the same batch:

  numpy     forward, the fused head gradient, backward and update written out by hand for this
            network (the fastest plain-NumPy step we know how to write; ReLU, SGD), returning
            what the engine contract's train_step returns: the batch loss and the number of
            correct predictions
  autograd  groundup's AutogradEngine.train_step: nn.Sequential forward, F.cross_entropy (or
            BCE with logits for one output), zero_grad, backward, optim.SGD.step

The two alternate step for step (so load on a shared machine hits both alike), each step timed
on its own, and the median per engine is kept. The final weights of the two are compared, so a
fast but wrong step shows up. Criterion: autograd / numpy ≤ 1.15 at every size; the script
exits 1 if any size misses it.

    python benchmarks/bench_autograd_overhead.py [--steps 1000]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from groundup.engines import OptimizerSpec, make_engine
from groundup.models import build

SIZES = [[2, 8, 8, 1], [2, 8, 8, 3], [2, 32, 32, 32, 1], [784, 32, 10], [784, 128, 10],
         [784, 512, 10]]
BATCH = 64
LR = 0.01
LIMIT = 1.15


def numpy_step(params: list[np.ndarray], xb, yb, binary: bool):
    """A function doing one SGD step on the batch, by hand: ReLU between layers, the fused head
    gradient; it returns (loss, number correct) as ``train_step`` does. Setup is done here,
    once, so the step itself holds nothing but the math."""
    n = len(xb)
    rows = np.arange(n)
    yf = yb.astype(np.float32).reshape(-1, 1)
    Ws, bs = params[0::2], params[1::2]
    last = len(Ws) - 1

    def step():
        acts = [xb]
        a = xb
        for l, (W, b) in enumerate(zip(Ws, bs, strict=True)):
            z = a @ W.T                                   # (n, n_l)
            z += b
            if l < last:
                np.maximum(z, 0, out=z)                   # ReLU in place
                acts.append(z)
                a = z
        if binary:                                        # dz = (σ(z) - y) / n
            correct = np.count_nonzero((z[:, 0] > 0) == yb)
            loss = float(np.add.reduce(np.logaddexp(0, z) - yf * z, axis=None)) / n
            dz = 1 / (1 + np.exp(-z))
            dz -= yf
        else:                                             # dz = (softmax(z) - onehot(y)) / n
            correct = np.count_nonzero(z.argmax(axis=1) == yb)
            z -= np.maximum.reduce(z, axis=1, keepdims=True)
            dz = np.exp(z)
            s = np.add.reduce(dz, axis=1, keepdims=True)
            loss = float(np.add.reduce(np.log(s[:, 0]) - z[rows, yb])) / n  # (np.mean: +5 µs)
            dz /= s
            dz[rows, yb] -= 1
        dz *= np.float32(1 / n)
        for l in range(last, -1, -1):
            W = Ws[l]
            dW = dz.T @ acts[l]                           # (n_l, n_{l-1})
            db = np.add.reduce(dz, axis=0)
            if l:
                dz = dz @ W                               # (n, n_{l-1})
                dz *= acts[l] > 0                         # ReLU'
            W -= LR * dW
            bs[l] -= LR * db
        return loss, int(correct)

    return step


def measure(sizes: list[int], steps: int) -> tuple[float, float, float]:
    """(median µs per numpy step, median µs per autograd step, max |weight difference|), the
    two steps alternating one for one, so that a burst of load hits both alike."""
    n_classes = max(2, sizes[-1])
    spec = build("mlp", sizes[0], n_classes, hidden=tuple(sizes[1:-1]), activation="relu")
    state = spec.init_state(seed=0)
    rng = np.random.default_rng(0)
    xb = rng.standard_normal((BATCH, sizes[0])).astype(np.float32)
    yb = rng.integers(0, n_classes, BATCH).astype(np.int64)
    params = [state[k].copy() for k in state]
    by_hand = numpy_step(params, xb, yb, spec.head.binary)
    engine = make_engine("autograd", spec, state, OptimizerSpec("sgd", LR))
    clock = time.perf_counter_ns
    times = np.empty((steps, 2))
    for i in range(steps):
        t0 = clock()
        by_hand()
        t1 = clock()
        engine.train_step(xb, yb)
        times[i] = t1 - t0, clock() - t1
    trained = engine.state_dict()
    diff = max(float(np.abs(trained[k] - p).max()) for k, p in zip(state, params, strict=True))
    t_np, t_ag = np.median(times, axis=0) / 1000
    return t_np, t_ag, diff


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000, help="steps timed per engine and size")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    print(f"one SGD step, batch {BATCH}, float32, median of {args.steps} steps each, the two "
          f"alternating (1 BLAS thread)")
    print(f"{'network':>22} {'numpy µs':>9} {'autograd µs':>12} {'ratio':>6} {'max |ΔW|':>9}")
    ok = True
    with threadpool_limits(1):
        for sizes in SIZES:
            t_np, t_ag, diff = measure(sizes, args.steps)
            ratio = t_ag / t_np
            ok &= ratio <= LIMIT and diff < 1e-3
            name = " → ".join(map(str, sizes))
            print(f"{name:>22} {t_np:9.1f} {t_ag:12.1f} {ratio:6.2f} {diff:9.1e}")
    print(f"criterion: autograd / numpy ≤ {LIMIT} at every size (weights agree): "
          f"{'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
