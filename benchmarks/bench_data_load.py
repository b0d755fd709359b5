"""How long loading MNIST takes: first with an empty cache, then from the .npy cache.

    GROUNDUP_DATA_DIR=../shared/data python benchmarks/bench_data_load.py

The first load finds the four .gz files (or downloads them), decompresses them, checks the SHA-256
of the decompressed bytes, parses the IDX format and writes the parsed arrays to the cache. A
second load reads the four .npy files and nothing else. The cache directory is a fresh temporary
folder, so the first load is always a cold one; the second is timed both in this process and in a
new Python process (what a user sees when running a script twice).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time

SECOND_LOAD = """
import sys, time
from groundup.data import load
t = time.perf_counter()
load("mnist", data_dir=sys.argv[2] or None, cache_dir=sys.argv[1], download=False)
print(time.perf_counter() - t)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="where the MNIST .gz files are")
    parser.add_argument("--repeat", type=int, default=3, help="timed cached loads (best is shown)")
    args = parser.parse_args()

    from groundup.data import load

    with tempfile.TemporaryDirectory() as cache:
        t = time.perf_counter()
        ds = load("mnist", data_dir=args.data_dir, cache_dir=cache)
        first = time.perf_counter() - t
        seconds = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            load("mnist", data_dir=args.data_dir, cache_dir=cache, download=False)
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


if __name__ == "__main__":
    main()
