"""MNIST figures for the README: accuracy of the primer's recipes, the engines side by side, and
the time of ``groundup train mnist`` against the primer's own PyTorch loop, in one run.

    GROUNDUP_DATA_DIR=../shared/data python benchmarks/bench_train_mnist.py [--seeds 3] [--epochs 5]

1. ``groundup train mnist`` (mnist-sgd on the autograd engine, 5 epochs), timed as a whole
   process: start, data (already cached), training, evaluation, run folder and plots.
2. The primer's PyTorch loop, timed the same way: ``torch.utils.data.DataLoader`` over a
   per-example ``Dataset`` (each image turned into a PIL image and then a tensor, as
   ``torchvision.datasets.MNIST`` + ``ToTensor`` do), batch 64, shuffle, SGD lr 0.01, 5 epochs.
3. Test accuracy of both over ``--seeds`` seeds; mnist-adam (5 epochs) on the autograd engine.
4. ``compare mnist-sgd``: scratch, autograd and torch from the same weights and batches.

Each figure the README quotes is judged by a printed criterion, and the script exits 1 if one fails:
groundup's whole run at most 0.4x the primer's loop (``--time-only`` measures just that,
``--repeats`` times alternating, keeping each one's best); the engines within 0.2 points of test
accuracy, 1e-3 of relative weight difference after the run and 1e-6 after one step; with the
primer's 5 epochs, mnist-sgd >= 90.5% and within 0.5 points of the primer's loop (means over the
seeds) and mnist-adam >= 97%. Without GROUNDUP_DATA_DIR it measures nothing and exits 2.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from _criteria import Criteria

CLI = "import sys; from groundup.cli import main; sys.exit(main(sys.argv[1:]))"
MAX_RATIO = 0.4  # the criterion: whole process <= 0.4x the primer's loop as a process

# The primer's loop, with torchvision's MNIST + ToTensor replaced by the same per-example work
# (uint8 array -> PIL image -> float tensor / 255), since torchvision is not a dependency.
PRIMER_LOOP = r"""
import sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from groundup import data

seed, epochs = int(sys.argv[1]), int(sys.argv[2])
torch.manual_seed(seed)
ds = data.load("mnist")

class MNISTLike(torch.utils.data.Dataset):
    def __init__(self, images, labels):
        self.images, self.labels = torch.from_numpy(images), torch.from_numpy(labels)
    def __len__(self):
        return len(self.labels)
    def __getitem__(self, i):
        img = Image.fromarray(self.images[i].numpy(), mode="L")   # as torchvision.datasets.MNIST
        x = torch.from_numpy(np.array(img, np.uint8, copy=True)).view(1, 28, 28)
        return x.float().div(255), int(self.labels[i])            # as transforms.ToTensor

class DigitClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)
    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x.view(-1, 784))))

train_data = MNISTLike(ds.X_train, ds.y_train)
test_data = MNISTLike(ds.X_test, ds.y_test)
train_loader = torch.utils.data.DataLoader(train_data, batch_size=64, shuffle=True)
test_loader = torch.utils.data.DataLoader(test_data, batch_size=1000)
model = DigitClassifier()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
for epoch in range(epochs):
    model.train()
    total_loss, correct_train = 0.0, 0
    for images, labels in train_loader:
        logits = model(images)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
        correct_train += (logits.argmax(1) == labels).sum().item()
    model.eval()
    correct_test = 0
    with torch.no_grad():
        for images, labels in test_loader:
            correct_test += (model(images).argmax(dim=1) == labels).sum().item()
    print(f"Epoch {epoch+1}/{epochs}: loss={total_loss / len(train_loader):.4f}, "
          f"train_acc={correct_train / len(train_data) * 100:.1f}%, "
          f"test_acc={correct_test / len(test_data) * 100:.2f}%", flush=True)
"""


def timed(cmd: list[str], cwd: str) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd[:4])}...\n{proc.stderr}")
    return seconds, proc.stdout


def groundup_train(args: list[str], workdir: str) -> tuple[float, float, str]:
    """(seconds, test accuracy %, stdout) of one ``groundup train`` process."""
    seconds, out = timed([sys.executable, "-c", CLI, "train", *args, "--quiet"], workdir)
    acc = float(re.search(r"test accuracy (\d+\.\d+)%", out).group(1))
    return seconds, acc, out


def primer_loop(seed: int, epochs: int, workdir: str) -> tuple[float, float]:
    seconds, out = timed([sys.executable, "-c", PRIMER_LOOP, str(seed), str(epochs)], workdir)
    acc = float(re.findall(r"test_acc=(\d+\.\d+)%", out)[-1])
    return seconds, acc


def mean(xs):
    return sum(xs) / len(xs)


def main() -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--seeds", type=int, default=3, help="seeds for the accuracy figures")
    parser.add_argument("--epochs", type=int, default=5, help="epochs (the primer: 5)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--time-only", action="store_true",
                        help="only section 1: the two processes' times and their ratio")
    parser.add_argument("--repeats", type=int, default=1,
                        help="time each process this many times (alternating) and keep the best")
    args = parser.parse_args()
    if not os.environ.get("GROUNDUP_DATA_DIR"):
        print("bench_train_mnist: nothing measured: set GROUNDUP_DATA_DIR to a folder with "
              "mnist/*.gz (e.g. ../shared/data)", file=sys.stderr)
        return 2
    criteria = Criteria()
    primer_recipe = args.epochs == 5  # the accuracy floors hold for the primer's 5 epochs
    from groundup import data
    from groundup.runs import build_config, load_data, model_spec
    from groundup.train.compare import compare_engines

    data.load("mnist")  # parse once so every timed run starts from the cache
    work = tempfile.mkdtemp(prefix="bench_mnist_")
    ep = ["--epochs", str(args.epochs)]
    figures: dict = {"epochs": args.epochs, "cpus": os.cpu_count()}

    print(f"== time: whole process, {args.epochs} epochs, data cached ==")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    t_ours = t_primer = float("inf")
    for r in range(args.repeats):
        t, acc0, out = groundup_train(["mnist", *ep, "--out", f"{work}/sgd-0-{r}"], work)
        t_ours = min(t_ours, t)
        t, pacc0 = primer_loop(0, args.epochs, work)
        t_primer = min(t_primer, t)
    print(out.strip().splitlines()[-2])
    ratio = t_ours / t_primer
    figures.update(groundup_train_mnist_s=t_ours, primer_torch_loop_s=t_primer, ratio=ratio)
    print(f"groundup train mnist (autograd): {t_ours:6.1f} s")
    print(f"primer's PyTorch loop:           {t_primer:6.1f} s   ratio {ratio:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    criteria.check(f"groundup train mnist <= {MAX_RATIO}x the primer's loop", ratio <= MAX_RATIO,
                   f"ratio {ratio:.2f}, must be <= {MAX_RATIO}")
    if args.time_only:
        return criteria.exit_code()

    print(f"\n== mnist-sgd test accuracy over {args.seeds} seed(s) ==")
    ours, theirs = [acc0], [pacc0]
    for seed in range(1, args.seeds):
        ours.append(groundup_train(["mnist", *ep, "--seed", str(seed), "--no-plots",
                                    "--out", f"{work}/sgd-{seed}"], work)[1])  # fmt: skip
        theirs.append(primer_loop(seed, args.epochs, work)[1])
    figures.update(mnist_sgd_autograd=ours, mnist_sgd_primer_torch=theirs)
    print(f"groundup autograd: {' '.join(f'{a:.2f}' for a in ours)}  mean {mean(ours):.2f}%")
    print(f"primer PyTorch:    {' '.join(f'{a:.2f}' for a in theirs)}  mean {mean(theirs):.2f}%")
    print(f"difference of means: {mean(ours) - mean(theirs):+.2f} points (primer text: 93.6%)")
    if primer_recipe:
        criteria.check("mnist-sgd accuracy", mean(ours) >= 90.5,
                       f"mean {mean(ours):.2f}%, must be >= 90.5%")
        criteria.check("mnist-sgd as the primer's PyTorch loop",
                       abs(mean(ours) - mean(theirs)) <= 0.5,
                       f"{mean(ours) - mean(theirs):+.2f} points, must be within 0.5")

    print("\n== mnist-adam (autograd) ==")
    t_adam, adam, _ = groundup_train(["--recipe", "mnist-adam", *ep, "--no-plots",
                                      "--out", f"{work}/adam"], work)  # fmt: skip
    figures.update(mnist_adam_autograd=adam, mnist_adam_s=t_adam)
    print(f"test accuracy {adam:.2f}% in {t_adam:.1f} s")
    if primer_recipe:
        criteria.check("mnist-adam accuracy", adam >= 97.0, f"{adam:.2f}%, must be >= 97%")

    print("\n== compare mnist-sgd: same initial weights, same batches ==")
    config = build_config(recipe="mnist-sgd", epochs=args.epochs)
    prep = load_data(config)
    spec = model_spec(config, prep)
    results, skipped = compare_engines(spec, config.optimizer, prep, epochs=args.epochs,
                                       batch_size=config.batch_size)  # fmt: skip
    print(f"{'engine':<9} {'final loss':>11} {'test acc':>9} {'s/epoch':>8} {'max |dw|':>9} "
          f"{'relative':>9}")  # fmt: skip
    for r in results:
        print(f"{r.engine:<9} {r.final_loss:>11.6f} {100 * r.test_acc:>8.2f}% "
              f"{r.seconds_per_epoch:>8.2f} {r.max_diff:>9.1e} {r.relative_diff:>9.1e}")
    for msg in skipped:
        print("skipped", msg)
    accs = [100 * r.test_acc for r in results]
    if len(results) < 3:
        criteria.check("three engines compared", False, f"only {len(results)} ran")
    else:
        criteria.check("engines agree on test accuracy", max(accs) - min(accs) <= 0.2,
                       f"spread {max(accs) - min(accs):.2f} points, must be <= 0.2")
        worst = max(r.relative_diff for r in results)
        criteria.check("engines agree on the weights", worst <= 1e-3,
                       f"largest relative difference {worst:.1e}, must be <= 1e-3")
    figures["compare"] = [
        {"engine": r.engine, "final_loss": r.final_loss, "test_acc": 100 * r.test_acc,
         "s_per_epoch": r.seconds_per_epoch, "max_weight_diff": r.max_diff,
         "relative_weight_diff": r.relative_diff} for r in results
    ]  # fmt: skip
    print(f"accuracy spread {max(accs) - min(accs):.2f} points; "
          f"largest weight difference {max(r.max_diff for r in results):.1e}")  # fmt: skip
    # How the difference grows: one step is at float32 rounding (a few ulps); thousands of steps
    # of SGD carry those ulps along, as any two float32 implementations would.
    from groundup.engines.base import make_engine
    from groundup.train.compare import max_weight_difference

    init = spec.init_state(0)
    xb, yb = prep.X_train[:64], prep.y_train[:64]
    one = {}
    for name in ("scratch", "autograd", "torch"):
        engine = make_engine(name, spec, init, config.optimizer)
        engine.train_step(xb, yb)
        one[name] = engine.state_dict()
    step_diff = max(max_weight_difference(one[a], one[b])
                    for a in one for b in one if a < b)  # fmt: skip
    epoch1, _ = compare_engines(spec, config.optimizer, prep, epochs=1, batch_size=64)
    epoch_diff = max(r.max_diff for r in epoch1)
    figures.update(diff_after_1_step=step_diff, diff_after_1_epoch=epoch_diff)
    print(f"largest weight difference after 1 step {step_diff:.1e}, after 1 epoch "
          f"{epoch_diff:.1e}, after {args.epochs} epochs {max(r.max_diff for r in results):.1e} "
          f"(float32 epsilon 1.2e-7)")  # fmt: skip
    criteria.check("one step: the engines differ by float32 rounding", step_diff <= 1e-6,
                   f"{step_diff:.1e}, must be <= 1e-6")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=2)
    return criteria.exit_code()


if __name__ == "__main__":
    sys.exit(main())
