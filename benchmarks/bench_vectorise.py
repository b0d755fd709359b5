"""Loops versus vectors: one forward + backward pass of logistic regression on the cat shape.

The cat lesson claims vectorisation is "over 300x" faster than the naive double loop. This script
times ``propagate_naive`` (Python loops over 209 examples x 12,288 features) against
``propagate`` (two matrix products) on arrays of exactly the cat set's shape, checks they agree,
and prints the speed-up. Pixel values are random (the timing does not depend on them), so no data
files are needed. Exits 1 unless the two agree (to 1e-12) and the speed-up is at least
``--min-speedup`` (30x: far below the primer's "over 300x" and this machine's ~145x, so only a
broken vectorised path or a pathological machine fails it). This is where that timing is checked;
the lesson and its test only check that the two agree.

    python benchmarks/bench_vectorise.py                 # 1 naive pass, best of 20 vectorised
    python benchmarks/bench_vectorise.py --naive-repeats 3
"""

from __future__ import annotations

import os

# One core for both versions, so the ratio measures vectorisation (compiled SIMD loops instead of
# the interpreter), not multithreading; set before NumPy loads its BLAS. Override from the shell.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from _criteria import Criteria  # noqa: E402

from groundup.scratch import propagate, propagate_naive  # noqa: E402


def best_time(fn, repeats: int) -> float:
    """Fastest wall-clock time of ``repeats`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-x", type=int, default=12288, help="features per example (64*64*3)")
    parser.add_argument("--m", type=int, default=209, help="examples (the cat training set)")
    parser.add_argument("--naive-repeats", type=int, default=1, help="timed naive passes")
    parser.add_argument("--vector-repeats", type=int, default=20, help="timed vectorised passes")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random pixels")
    parser.add_argument("--min-speedup", type=float, default=30.0,
                        help="fail (exit 1) below this speed-up of vectors over loops")
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    X = rng.integers(0, 256, size=(args.n_x, args.m)) / 255.0  # (n_x, m), like pixels / 255
    Y = rng.integers(0, 2, size=(1, args.m))
    w = rng.normal(0, 0.01, size=(args.n_x, 1))
    b = 0.1

    g_vec, cost_vec = propagate(w, b, X, Y)
    g_loop, cost_loop = propagate_naive(w, b, X, Y)
    gap = float(np.max(np.abs(g_vec["dw"] - g_loop["dw"])))
    cost_gap = abs(cost_vec - cost_loop)

    t_naive = best_time(lambda: propagate_naive(w, b, X, Y), args.naive_repeats)
    t_vec = best_time(lambda: propagate(w, b, X, Y), args.vector_repeats)
    speedup = t_naive / t_vec
    print(f"shape X = ({args.n_x}, {args.m}); cost {cost_vec:.6f}")
    print(f"naive loops : {t_naive * 1e3:10.1f} ms per pass (best of {args.naive_repeats})")
    print(f"vectorised  : {t_vec * 1e3:10.3f} ms per pass (best of {args.vector_repeats})")
    print(f"speed-up    : {speedup:10.0f}x  (the primer says over 300x)")
    criteria = Criteria()
    criteria.check("loops and vectors agree", gap < 1e-12 and cost_gap < 1e-12,
                   f"max |dw gap| {gap:.1e}, |cost gap| {cost_gap:.1e}, each must be < 1e-12")
    criteria.check("vectorised speed-up", speedup >= args.min_speedup,
                   f"{speedup:.0f}x, must be >= {args.min_speedup:g}x")
    return criteria.exit_code()


if __name__ == "__main__":
    sys.exit(main())
