"""The torch engine on a CUDA GPU against the CPU: mnist-sgd and mnist-cnn, time and accuracy.

For each recipe, trains the torch engine once with ``--device cuda`` and once with ``--device
cpu`` (same seed, same batches, float32) through :func:`groundup.runs.train_run`, writing run
folders under a temporary directory, then loads the GPU run's weights back on the CPU
(:func:`groundup.runs.open_run`, the check that a GPU run's model.safetensors is plain CPU
tensors) and prints seconds, test accuracy and the largest weight difference.

Criteria (exit 1 when one fails, or when there is no GPU: nothing is measured then): each
recipe's GPU test accuracy is within 0.5 points of the CPU's (the same run, other kernels:
float32 rounding differs, the result must not), and the GPU run's weights load on the CPU and
give that same accuracy there.

    GROUNDUP_DATA_DIR=/path/to/data python benchmarks/gpu_check.py [--epochs 1] [--device cuda:0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _criteria import Criteria  # noqa: E402

RECIPES = ("mnist-sgd", "mnist-cnn")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=1, help="epochs per run (default 1)")
    p.add_argument("--device", default="cuda", help="the GPU: cuda or cuda:K")
    args = p.parse_args()
    import torch

    from groundup.runs import build_config, load_data, open_run, train_run

    criteria = Criteria()
    if not torch.cuda.is_available():
        print(f"no CUDA GPU visible to torch {torch.__version__} (cuda {torch.version.cuda}): "
              f"nothing to measure")  # fmt: skip
        return criteria.exit_code()
    print(f"{torch.cuda.get_device_name(args.device)}, torch {torch.__version__}")
    print(f"{'recipe':<10} {'device':<7} {'seconds':>8} {'test acc':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for recipe in RECIPES:
            acc = {}
            for device in (args.device, "cpu"):
                config = build_config(recipe=recipe, engine="torch", epochs=args.epochs,
                                      device=device)  # fmt: skip
                folder = Path(tmp) / f"{recipe}-{device.replace(':', '')}"
                if device != "cpu":
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
                result = train_run(config, out=folder, log=lambda m: None, plots=False)
                seconds = time.perf_counter() - t0
                acc[device] = result.metrics["accuracy"]
                print(f"{recipe:<10} {device:<7} {seconds:>8.1f} {100 * acc[device]:>8.2f}%",
                      flush=True)  # fmt: skip
            gap = abs(acc[args.device] - acc["cpu"])
            criteria.check(f"{recipe}: GPU accuracy = CPU accuracy", gap <= 0.005,
                           f"{100 * gap:.2f} points apart, must be <= 0.5")  # fmt: skip
            loaded = open_run(Path(tmp) / f"{recipe}-{args.device.replace(':', '')}", "torch")
            prep = load_data(loaded.config)
            cpu_acc = float(np.mean(loaded.engine.predict(prep.X_test) == prep.y_test))
            criteria.check(f"{recipe}: GPU weights on the CPU", abs(cpu_acc - acc[args.device])
                           <= 1e-3, f"{100 * cpu_acc:.2f}% on the CPU vs "
                           f"{100 * acc[args.device]:.2f}% on the GPU")  # fmt: skip
    return criteria.exit_code()


if __name__ == "__main__":
    sys.exit(main())
