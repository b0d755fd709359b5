"""Peak memory and time of ``load_csv`` on a large numeric CSV; fails if memory >= 3x the file.

    python benchmarks/bench_load_csv.py              # 500,000 rows x 10 numeric columns (~45 MB)
    python benchmarks/bench_load_csv.py --rows 100000

The file (9 float features with 6 decimals and an integer label 0..2) is written to a temporary
folder. ``load_csv`` then runs in a fresh Python process, so the peak resident memory it reports
(``ru_maxrss``) belongs to this load alone: the peak after the load minus the peak before it
(after importing NumPy and groundup). The printed ratio is that extra memory over the file size;
the whole result (X float64 plus its train/test copies) is already about 1.6x the file, so the
reader itself must stay small. Exit status 1 when the ratio is 3 or more.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

LIMIT = 3.0  # peak extra memory / file size

LOAD = """
import resource, sys, time
from groundup.data import load_csv
scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
t = time.perf_counter()
ds = load_csv(sys.argv[1], target="label")
seconds = time.perf_counter() - t
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
print(after - before, seconds, len(ds.X_train) + len(ds.X_test), ds.X_train.shape[1])
"""


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    """``rows`` rows: 9 normal(0, 100) features with 6 decimals and a label in {0, 1, 2}."""
    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(f"f{j}" for j in range(9)) + ",label\n")
        for start in range(0, rows, 50_000):
            m = min(50_000, rows - start)
            block = np.column_stack([rng.normal(0, 100, (m, 9)), rng.integers(0, 3, m)])
            np.savetxt(f, block, fmt=["%.6f"] * 9 + ["%d"], delimiter=",")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000, help="rows in the CSV file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        write_csv(path, args.rows)
        size = path.stat().st_size
        out = subprocess.run([sys.executable, "-c", LOAD, str(path)], capture_output=True,
                             text=True, check=True).stdout.split()  # fmt: skip
    extra, seconds, n, d = int(out[0]), float(out[1]), int(out[2]), int(out[3])
    ratio = extra / size
    print(f"file: {n} rows x {d + 1} columns, {size / 2**20:.1f} MiB")
    print(f"load_csv: {seconds:.2f} s ({n / seconds:,.0f} rows/s), peak extra memory "
          f"{extra / 2**20:.1f} MiB = {ratio:.2f}x the file (must be < {LIMIT:g}x)")  # fmt: skip
    if ratio >= LIMIT:
        print(f"FAIL: load_csv needs {ratio:.2f}x the file size in memory")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
