"""One MNIST epoch of 784 -> 128 (ReLU) -> 10, SGD lr 0.01, batch 64 (938 steps), four ways:

  (a) numpy     a hand-fused NumPy loop (forward, softmax-cross-entropy gradient, backward, step)
  (b) scratch   groundup.scratch.MLP (hand-derived backward, the shared optimizer rules)
  (c) autograd  groundup's Tensor / nn.Sequential / F.cross_entropy / optim.SGD
  (d) torch     PyTorch eager on tensors preloaded once (skipped if torch is not installed)

All four start from the same float32 weights (PyTorch's defaults, drawn by groundup.models) and see
the same batches in the same order. Each trains a whole epoch ``--repeats`` times; within a repeat
the engines run interleaved in slices of PAUSE_EVERY steps (so load on a shared machine hits all
alike), and the best total per engine is kept; peak memory is measured afterwards over
``--memory-steps`` steps with tracemalloc (NumPy's allocations are visible to it, torch's are not).
The final weights of every engine are compared with (a)'s, so a fast but wrong engine shows up.

    python benchmarks/bench_mnist_epoch.py             # GROUNDUP_DATA_DIR=/path/to/data

Exits 1 unless every engine ends the epoch where (a) does (weights within ``WEIGHT_TOLERANCE``:
the same float32 arithmetic, only the order of a few sums may differ; the same mean loss to 1e-4)
and, when torch runs, autograd's best epoch is faster than PyTorch eager's (the README's claim,
under its conditions: one thread each, batch 64, this network); exits 2 when MNIST is missing.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from _criteria import Criteria

from groundup.models.mlp import from_sizes

SIZES = [784, 128, 10]
PAUSE_EVERY = 94  # steps; each engine's epoch is a generator that pauses here so that the harness
                  # can interleave the engines in slices, and a burst of load on a shared machine
                  # hits all of them alike
# largest |weight - (a)'s weight| after one epoch (weights are ~0.1): autograd repeats (a)'s
# float32 operations (0 measured), scratch and torch order a few sums differently (~1e-7
# measured) and 938 steps carry those roundings along; a wrong gradient moves weights by ~1e-2
WEIGHT_TOLERANCE = {"scratch": 1e-6, "autograd": 1e-6, "torch": 1e-5}


# ---------------------------------------------------------------------------- data
def load_mnist(data_dir: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Training images as float32 (60000, 784) in [0, 1] and labels int64 (60000,)."""
    try:
        from groundup.data import load

        ds = load("mnist", data_dir=data_dir)
        X, y = ds.X_train, ds.y_train
    except ImportError:  # the data package is not there: read the IDX files directly
        root = Path(data_dir or os.environ.get("GROUNDUP_DATA_DIR", "")) / "mnist"
        with gzip.open(root / "train-images-idx3-ubyte.gz") as f:
            X = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
        with gzip.open(root / "train-labels-idx1-ubyte.gz") as f:
            y = np.frombuffer(f.read(), np.uint8, offset=8)
    X = X.reshape(len(X), -1).astype(np.float32) / 255
    return np.ascontiguousarray(X), y.astype(np.int64)


def batch_order(n: int, batch_size: int, seed: int) -> list[np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    return [perm[i:i + batch_size] for i in range(0, n, batch_size)]


# ---------------------------------------------------------------------------- (a) NumPy by hand
def numpy_epoch(state, X, y, batches, lr):
    W1, b1, W2, b2 = (state[k].copy() for k in ("0.weight", "0.bias", "2.weight", "2.bias"))
    total = 0.0
    for i, idx in enumerate(batches, 1):
        xb, yb = X[idx], y[idx]
        n = len(idx)
        rows = np.arange(n)
        h = xb @ W1.T                                   # (n, 128)
        h += b1
        np.maximum(h, 0, out=h)                         # ReLU in place
        z = h @ W2.T                                    # (n, 10) logits
        z += b2
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        total += float((np.log(s[:, 0]) - z[rows, yb]).mean())
        dz = e / s                                      # softmax
        dz[rows, yb] -= 1
        dz *= 1 / n                                     # (p - onehot) / n
        dW2 = dz.T @ h
        db2 = dz.sum(axis=0)
        dh = dz @ W2
        dh *= h > 0
        dW1 = dh.T @ xb
        db1 = dh.sum(axis=0)
        W1 -= lr * dW1
        b1 -= lr * db1
        W2 -= lr * dW2
        b2 -= lr * db2
        if i % PAUSE_EVERY == 0:
            yield
    return {"0.weight": W1, "0.bias": b1, "2.weight": W2, "2.bias": b2}, total / len(batches)


# ---------------------------------------------------------------------------- (b) scratch MLP
def scratch_epoch(state, X, y, batches, lr):
    from groundup.scratch import MLP
    from groundup.scratch.training import ArrayOptimizer

    net = MLP(SIZES, activation="relu")
    net.load_state_dict(state)
    opt = ArrayOptimizer("sgd", lr=lr)
    total = 0.0
    for i, idx in enumerate(batches, 1):
        total += float(net.step(X[idx], y[idx], opt))
        if i % PAUSE_EVERY == 0:
            yield
    return net.state_dict(), total / len(batches)


# ---------------------------------------------------------------------------- (c) autograd
def autograd_epoch(state, X, y, batches, lr):
    import groundup.nn.functional as F
    from groundup import Tensor, nn, optim

    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    model.load_state_dict(state)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    total = 0.0
    for i, idx in enumerate(batches, 1):
        logits = model(Tensor(X[idx]))
        loss = F.cross_entropy(logits, y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
        if i % PAUSE_EVERY == 0:
            yield
    return model.state_dict(), total / len(batches)


# ---------------------------------------------------------------------------- (d) torch
def torch_epoch(state, X, y, batches, lr):
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)   # preloaded once, shared memory
    idx_t = [torch.from_numpy(idx) for idx in batches]
    total = 0.0
    for i, idx in enumerate(idx_t, 1):
        logits = model(Xt[idx])
        loss = torch.nn.functional.cross_entropy(logits, yt[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
        if i % PAUSE_EVERY == 0:
            yield
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}, \
        total / len(batches)


# ---------------------------------------------------------------------------- harness
def blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info

        info = [f"{d['internal_api']} {d['num_threads']} threads" for d in threadpool_info()
                if d.get("user_api") == "blas"]
        return ", ".join(info) or "unknown"
    except ImportError:
        return "unknown (threadpoolctl not installed)"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run(epoch):
    """Drive an engine's epoch generator to its end; returns (weights, mean loss)."""
    while True:
        try:
            next(epoch)
        except StopIteration as done:
            return done.value


def timed_epochs(engines: dict, state, X, y, batches, lr) -> tuple[dict, dict]:
    """One epoch of every engine, interleaved slice by slice; seconds and results per engine."""
    running = {name: fn(state, X, y, batches, lr) for name, fn in engines.items()}
    seconds = dict.fromkeys(engines, 0.0)
    results = {}
    while running:
        for name in list(running):
            t0 = time.perf_counter()
            try:
                next(running[name])
            except StopIteration as done:
                results[name] = done.value
                del running[name]
            seconds[name] += time.perf_counter() - t0
    return seconds, results


def peak_memory(fn, state, X, y, batches, lr) -> float:
    """Peak traced allocation in MiB while ``fn`` runs over ``batches``."""
    tracemalloc.start()
    run(fn(state, X, y, batches, lr))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="folder holding mnist/ (else "
                        "$GROUNDUP_DATA_DIR, else ~/.cache/groundup)")
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per engine")
    parser.add_argument("--lr", type=float, default=0.01, help="SGD learning rate")
    parser.add_argument("--batch-size", type=int, default=64, help="examples per step")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and batch order")
    parser.add_argument("--memory-steps", type=int, default=100, help="steps traced for memory")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads for NumPy (via threadpoolctl) and torch.set_num_threads;"
                        " 0 leaves each library's default. At batch 64 the matrices are small, "
                        "and one thread each keeps the timings steady on a busy machine")
    parser.add_argument("--engines", default="numpy,scratch,autograd,torch",
                        help="comma-separated subset to run (numpy is always run: it is the base)")
    args = parser.parse_args()

    try:
        X, y = load_mnist(args.data_dir)
    except (OSError, ValueError) as exc:  # groundup's DataError is a ValueError
        print(f"bench_mnist_epoch: no MNIST to train on: {exc}", file=sys.stderr)
        return 2
    batches = batch_order(len(X), args.batch_size, args.seed)
    state = from_sizes(SIZES).init_state(args.seed, dtype=np.float32)
    engines = {"numpy": numpy_epoch, "scratch": scratch_epoch, "autograd": autograd_epoch,
               "torch": torch_epoch}
    wanted = {"numpy", *args.engines.split(",")}
    engines = {k: v for k, v in engines.items() if k in wanted}
    notes = {}
    try:
        import groundup.scratch  # noqa: F401
    except ImportError:
        engines.pop("scratch", None)
        notes["scratch"] = "skipped: groundup.scratch is not installed"
    threads = args.threads or os.cpu_count()  # 0: NumPy's default, all cores
    if args.threads:
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=threads, user_api="blas")
        except ImportError:
            notes["numpy"] = "threadpoolctl missing: set OPENBLAS_NUM_THREADS for NumPy's threads"
    try:
        import torch

        torch.set_num_threads(threads)
        notes["torch"] = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    except ImportError:
        engines.pop("torch", None)
        notes["torch"] = "skipped: torch is not installed"

    print(f"machine: {cpu_name()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
          f"Python {platform.python_version()}, NumPy {np.__version__} (BLAS: {blas_threads()})")
    for name, note in notes.items():
        print(f"note: {name}: {note}")
    print(f"data: {X.shape} float32, {len(batches)} steps of {args.batch_size}, lr {args.lr}")

    for fn in engines.values():  # warm-up: imports, BLAS thread pools, caches
        run(fn(state, X, y, batches[:20], args.lr))
    times = {name: [] for name in engines}
    finals = {}
    names = list(engines)
    for r in range(args.repeats):
        order = names[r % len(names):] + names[:r % len(names)]  # rotate who goes first
        seconds, finals = timed_epochs({k: engines[k] for k in order}, state, X, y, batches,
                                       args.lr)
        for name, t in seconds.items():
            times[name].append(t)

    base = min(times["numpy"])
    ref = finals["numpy"][0]
    print(f"\n{'engine':<10}{'best s':>9}{'all s':>30}{'x numpy':>9}{'x torch':>9}"
          f"{'peak MiB':>10}{'max|dW|':>10}{'loss':>8}")
    for name, fn in engines.items():
        best = min(times[name])
        vs_torch = f"{best / min(times['torch']):9.2f}" if "torch" in times else f"{'-':>9}"
        mem = "n/a"  # torch allocates outside tracemalloc's sight
        if name != "torch":
            mem = f"{peak_memory(fn, state, X, y, batches[:args.memory_steps], args.lr):.1f}"
        weights, loss = finals[name]
        diff = max(float(np.abs(weights[k] - ref[k]).max()) for k in ref)
        all_s = " ".join(f"{t:.3f}" for t in times[name])
        print(f"{name:<10}{best:9.3f} {all_s:>29}{best / base:9.2f}{vs_torch}{mem:>10}"
              f"{diff:10.1e}{loss:8.4f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak RSS {rss:.0f} MiB; torch's allocations are not traced (n/a)")

    criteria = Criteria()
    ref_loss = finals["numpy"][1]
    for name in engines:
        if name == "numpy":
            continue
        weights, loss = finals[name]
        diff = max(float(np.abs(weights[k] - ref[k]).max()) for k in ref)
        criteria.check(f"{name} ends where numpy does",
                       diff <= WEIGHT_TOLERANCE[name] and abs(loss - ref_loss) <= 1e-4,
                       f"max|dW| {diff:.1e} must be <= {WEIGHT_TOLERANCE[name]:.0e}, mean loss "
                       f"{loss:.6f} within 1e-4 of {ref_loss:.6f}")
    if "autograd" in times and "torch" in times:
        ratio = min(times["autograd"]) / min(times["torch"])
        criteria.check("autograd faster than PyTorch eager", ratio < 1.0,
                       f"best epoch {ratio:.2f}x torch's, must be < 1 ({threads} thread(s) "
                       f"each, batch {args.batch_size})")
    return criteria.exit_code()


if __name__ == "__main__":
    sys.exit(main())
