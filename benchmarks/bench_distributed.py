"""Data parallelism on one machine: steps per second with 1 and 2 processes, and what the
communication costs.

For the mnist-sgd network (784 -> 128 ReLU -> 10, SGD, batch 64) and the default cnn
(3x3 conv 16, conv 32, linear 1568 -> 10, Adam, batch 64: ``--model cnn``), each on the
autograd engine, this script launches ``torch.distributed.run --standalone --nproc-per-node N``
for N = 1 and 2 (gloo, one BLAS / torch thread per process) on random MNIST-shaped batches.
Every process runs ``--steps`` global batches of 64 (32 rows each with 2 processes) through
:class:`groundup.train.Trainer` and times, per step, the whole step and the part spent in
``torch.distributed`` collectives (the gradient all-reduce and the loss/count all-reduce). Rank
0 prints one JSON line; this script prints, per network and N: global steps per second, the
speed-up over N = 1, and the communication share of a step.

Criterion (exit 1 when it fails): the communication share of the CNN step is below that of the
MLP step with 2 processes. The CNN does ~10x the MLP's multiply-adds per example with 1/5 of its
parameters (~20k vs ~100k floats all-reduced), so the time spent talking is a smaller share of
its step: that is the condition for data parallelism to pay, which the README states.

    python benchmarks/bench_distributed.py [--steps 60]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _criteria import Criteria  # noqa: E402

NETWORKS = {
    "mnist-sgd": dict(model="mlp", hidden=(128,), opt=("sgd", 0.01)),
    "cnn-16-32": dict(model="cnn", channels=(16, 32), kernel_size=3, opt=("adam", 1e-3)),
}
BATCH = 64


def worker(name: str, steps: int) -> None:
    """Under torchrun: time ``steps`` global batches of ``name`` and print rank 0's figures."""
    from groundup.engines import OptimizerSpec, make_engine
    from groundup.models import ModelSpec
    from groundup.train import Trainer, distributed

    net = NETWORKS[name]
    group = distributed.from_env()
    shape = (1, 28, 28) if net["model"] == "cnn" else 784
    options = {k: net[k] for k in ("hidden", "channels", "kernel_size") if k in net}
    spec = ModelSpec.for_model(net["model"], shape, 10, **options)
    engine = make_engine("autograd", spec, spec.init_state(0), OptimizerSpec(*net["opt"]))
    rng = np.random.default_rng(0)
    n = BATCH * steps
    X = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    comm = [0.0]
    if group.world_size > 1:  # time the collectives: the gradient average and the step's sums
        for method in ("average", "reduce_step"):
            inner = getattr(group, method)

            def timed(*args, _inner=inner):
                t = time.perf_counter()
                try:
                    return _inner(*args)
                finally:
                    comm[0] += time.perf_counter() - t

            setattr(group, method, timed)
    trainer = Trainer(engine, X, y, epochs=1, batch_size=BATCH, log=None, distributed=group,
                      handle_sigint=False)  # fmt: skip
    t0 = time.perf_counter()
    trainer.fit()
    seconds = time.perf_counter() - t0
    if group.is_main:
        print(json.dumps({"name": name, "nproc": group.world_size, "steps": steps,
                          "seconds": seconds, "comm": comm[0]}), flush=True)  # fmt: skip
    distributed.shutdown()


def launch(name: str, nproc: int, steps: int) -> dict:
    """Run :func:`worker` in ``nproc`` processes; rank 0's JSON line."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc-per-node={nproc}", __file__, "--worker", name, "--steps", str(steps)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        sys.exit(f"{name} with {nproc} processes failed:\n{done.stderr[-2000:]}")
    line = [s for s in done.stdout.splitlines() if s.startswith("{")][-1]
    return json.loads(line)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=60, help="global batches timed per run")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args.worker, args.steps)
        return 0
    print(f"{os.cpu_count()} CPUs; {args.steps} global batches of {BATCH}, autograd engine, gloo, "
          f"1 thread per process")  # fmt: skip
    print(f"{'network':<10} {'N':>2} {'steps/s':>9} {'speed-up':>9} {'comm share':>11}")
    share = {}
    for name in NETWORKS:
        base = None
        for nproc in (1, 2):
            r = launch(name, nproc, args.steps)
            rate = r["steps"] / r["seconds"]
            base = base or rate
            share[name, nproc] = r["comm"] / r["seconds"]
            print(f"{name:<10} {nproc:>2} {rate:>9.1f} {rate / base:>8.2f}x "
                  f"{100 * share[name, nproc]:>10.1f}%", flush=True)  # fmt: skip
    criteria = Criteria()
    mlp, cnn = share["mnist-sgd", 2], share["cnn-16-32", 2]
    criteria.check("communication weighs less on the CNN", cnn < mlp,
                   f"CNN {100 * cnn:.1f}% of a step vs MLP {100 * mlp:.1f}%, must be lower")
    return criteria.exit_code()


if __name__ == "__main__":
    sys.exit(main())
