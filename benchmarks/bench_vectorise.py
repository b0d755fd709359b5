"""Loops versus vectors: one forward + backward pass of logistic regression on the cat shape.

The cat lesson claims vectorisation is "over 300x" faster than the naive double loop. This script
times ``propagate_naive`` (Python loops over 209 examples x 12,288 features) against
``propagate`` (two matrix products) on arrays of exactly the cat set's shape, checks they agree,
and prints the speed-up. Pixel values are random (the timing does not depend on them), so no data
files are needed.

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
import time  # noqa: E402

import numpy as np  # noqa: E402

from groundup.scratch import propagate, propagate_naive  # noqa: E402


def best_time(fn, repeats: int) -> float:
    """Fastest wall-clock time of ``repeats`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-x", type=int, default=12288, help="features per example (64*64*3)")
    parser.add_argument("--m", type=int, default=209, help="examples (the cat training set)")
    parser.add_argument("--naive-repeats", type=int, default=1, help="timed naive passes")
    parser.add_argument("--vector-repeats", type=int, default=20, help="timed vectorised passes")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random pixels")
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    X = rng.integers(0, 256, size=(args.n_x, args.m)) / 255.0  # (n_x, m), like pixels / 255
    Y = rng.integers(0, 2, size=(1, args.m))
    w = rng.normal(0, 0.01, size=(args.n_x, 1))
    b = 0.1

    g_vec, cost_vec = propagate(w, b, X, Y)
    g_loop, cost_loop = propagate_naive(w, b, X, Y)
    gap = float(np.max(np.abs(g_vec["dw"] - g_loop["dw"])))
    assert gap < 1e-12 and abs(cost_vec - cost_loop) < 1e-12, "loops and vectors disagree"

    t_naive = best_time(lambda: propagate_naive(w, b, X, Y), args.naive_repeats)
    t_vec = best_time(lambda: propagate(w, b, X, Y), args.vector_repeats)
    print(f"shape X = ({args.n_x}, {args.m}); same cost {cost_vec:.6f}, max |dw gap| {gap:.1e}")
    print(f"naive loops : {t_naive * 1e3:10.1f} ms per pass (best of {args.naive_repeats})")
    print(f"vectorised  : {t_vec * 1e3:10.3f} ms per pass (best of {args.vector_repeats})")
    print(f"speed-up    : {t_naive / t_vec:10.0f}x  (the primer says over 300x)")


if __name__ == "__main__":
    main()
