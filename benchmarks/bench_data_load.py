"""How long loading MNIST takes: first with an empty cache, then from the .npy cache.

    GROUNDUP_DATA_DIR=../shared/data python benchmarks/bench_data_load.py

The first load finds the four .gz files (or downloads them), decompresses them, checks the SHA-256
of the decompressed bytes, parses the IDX format and writes the parsed arrays to the cache. A
second load reads the four .npy files and nothing else. The cache directory is a fresh temporary
folder, so the first load is always a cold one; the second is timed both in this process and in a
new Python process (what a user sees when running a script twice).

Exits 1 unless the cached load returns exactly the arrays of the first load and is faster than
it (the cache is worth having); exits 2 with one line when MNIST cannot be loaded at all.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time

import numpy as np
from _criteria import Criteria

SECOND_LOAD = """
import sys, time
from groundup.data import load
t = time.perf_counter()
load("mnist", data_dir=sys.argv[2] or None, cache_dir=sys.argv[1], download=False)
print(time.perf_counter() - t)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="where the MNIST .gz files are")
    parser.add_argument("--repeat", type=int, default=3, help="timed cached loads (best is shown)")
    args = parser.parse_args()

    from groundup.data import load
    from groundup.errors import GroundupError

    with tempfile.TemporaryDirectory() as cache:
        t = time.perf_counter()
        try:
            ds = load("mnist", data_dir=args.data_dir, cache_dir=cache)
        except GroundupError as exc:
            print(f"bench_data_load: no MNIST to time: {exc}", file=sys.stderr)
            return 2
        first = time.perf_counter() - t
        seconds = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            cached = load("mnist", data_dir=args.data_dir, cache_dir=cache, download=False)
            seconds.append(time.perf_counter() - t)
        fresh = float(
            subprocess.run(
                [sys.executable, "-c", SECOND_LOAD, cache, args.data_dir or ""],
                capture_output=True, text=True, check=True,
            ).stdout
        )  # fmt: skip
    print(f"mnist: X_train {ds.X_train.shape} {ds.X_train.dtype}, X_test {ds.X_test.shape}")
    print(f"first load (empty cache: gunzip + SHA-256 + parse + write cache): {first:.3f} s")
    print(
        f"second load (from .npy cache, same process, best of {args.repeat}): {min(seconds):.3f} s"
    )
    print(f"second load (from .npy cache, new process):                  {fresh:.3f} s")
    criteria = Criteria()
    same = all(np.array_equal(getattr(ds, k), getattr(cached, k))
               for k in ("X_train", "y_train", "X_test", "y_test"))
    criteria.check("the cache gives back the same arrays", same, "X and y, train and test, "
                   "must be equal element for element")
    criteria.check("the cache is faster", min(seconds) < first and fresh < first,
                   f"second loads {min(seconds):.3f} s and {fresh:.3f} s must be below the "
                   f"first, {first:.3f} s")
    return criteria.exit_code()


if __name__ == "__main__":
    sys.exit(main())
