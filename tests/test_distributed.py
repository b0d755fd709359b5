"""Data parallelism (groundup.train.distributed): 2 processes on gloo against 1 process.

The reference is independent of the code under test: one process trained with the plain loop on
the same global batches (no shards, no all-reduce). Two processes must end with those weights
(float64 within 1e-10 relative, float32 within 1e-6), every rank with bitwise the same weights,
and a run killed mid-way and resumed (in another number of processes) with the weights of an
uninterrupted one. Each launch starts real processes (torch.distributed.run), ~10-20 s each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

import distributed_worker as worker  # noqa: E402
from groundup.cli import main  # noqa: E402
from groundup.errors import GroundupError  # noqa: E402
from groundup.io import load_safetensors  # noqa: E402
from groundup.train import distributed  # noqa: E402

pytestmark = pytest.mark.torch
ROOT = Path(__file__).resolve().parents[1]
TOL = {"float64": 1e-10, "float32": 1e-6}


def _env() -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")])
    env.pop("WORLD_SIZE", None)
    return env


def _groundup(*args, timeout=180, **kw):
    return subprocess.Popen([sys.executable, "-m", "groundup", *args], env=_env(), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _rel(a: dict, b: dict) -> float:
    return max(float(np.abs(a[k] - b[k]).max() / np.abs(b[k]).max()) for k in b)


@pytest.mark.slow
def test_two_processes_end_with_the_weights_of_one_on_the_same_global_batches(tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
           str(ROOT / "tests" / "distributed_worker.py"), str(tmp_path)]  # fmt: skip
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for name, dtype in worker.CASES:
        one = worker.train(name, dtype).state_dict()  # one process, whole batches
        initial = worker.problem(dtype)[1]
        ranks = [load_safetensors(tmp_path / f"{name}-{dtype}-rank{r}.safetensors")
                 for r in (0, 1)]  # fmt: skip
        assert _rel(one, initial) > 0.1  # 12 steps moved the weights: the check has teeth
        assert _rel(ranks[0], one) <= TOL[dtype], (name, dtype)
        for k in one:  # every rank holds the same weights, bit for bit
            np.testing.assert_array_equal(ranks[0][k], ranks[1][k])


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout  # fmt: skip
    return [int(p) for p in out.split()]


@pytest.mark.slow
def test_a_killed_distributed_run_ends_with_one_line_and_resumes_to_the_same_weights(tmp_path):
    run, ref = tmp_path / "run", tmp_path / "ref"
    common = ["blobs", "--batch-size", "32", "--no-plots", "--quiet", "--seed", "1"]
    proc = _groundup("train", *common, "--epochs", "80", "--nproc", "2", "--out", str(run))
    ckpt = run / "checkpoint"
    deadline = time.monotonic() + 120
    while not (ckpt.is_dir() and any(ckpt.iterdir())) and proc.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be killed: give it more epochs"
    # The launcher's children are the workers (the launcher starts them rank by rank).
    workers = sorted(_children(proc.pid))
    assert len(workers) == 2, workers
    os.kill(workers[1], signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and "process 1 of 2 was killed by signal 9" in lines[-1], err[-2000:]
    assert "Traceback" not in err, err[-2000:]
    assert not (run / "model.safetensors").exists()

    # Resume in ONE process (the state is the same), and an uninterrupted one-process run.
    resumed = _groundup("train", "--resume", str(run))
    uninterrupted = _groundup("train", *common, "--epochs", "80", "--out", str(ref))
    for p in (resumed, uninterrupted):
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-2000:]
    a = load_safetensors(run / "model.safetensors")
    b = load_safetensors(ref / "model.safetensors")
    for k in b:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-6, atol=0)


def test_the_run_folder_records_the_device_and_the_processes(tmp_path):
    import json

    assert main(["train", "blobs", "--epochs", "1", "--engine", "torch", "--device", "cpu",
                 "--no-plots", "--quiet", "--out", str(tmp_path / "r")]) == 0  # fmt: skip
    run = json.loads((tmp_path / "r" / "config.json").read_text())["run"]
    assert (run["device"], run["processes"]) == ("cpu", 1)


def test_a_batch_that_does_not_split_into_equal_shards_is_refused_in_one_line():
    group = distributed.Group(rank=0, world_size=4)
    with pytest.raises(GroundupError, match=r"--batch-size 30 does not split into 4 equal "
                       r"shards.*multiple of 4, e.g. 32"):  # fmt: skip
        group.check_batch_size(30, n=100)
    group.check_batch_size(32, n=100)
    group.check_batch_size(100, n=100)  # full batch: the one batch is trimmed instead


def test_shards_are_equal_consecutive_slices_and_a_ragged_batch_is_trimmed_with_one_note():
    X, y = np.arange(22.0).reshape(11, 2), np.arange(11)
    notes = []
    parts = [distributed.Group(rank=r, world_size=3).shard(X, y, notes.append) for r in range(3)]
    # 11 rows over 3 ranks: rows 0-2, 3-5, 6-8; rows 9 and 10 are left out, said once per rank
    assert [list(ys) for _, ys in parts] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert all(np.shares_memory(xs, X) for xs, _ in parts)
    assert len(notes) == 3 and "its last 2 examples are left out" in notes[0]


def test_device_needs_the_torch_engine_and_a_real_device():
    for argv, words in [
        (["--device", "cuda"], "needs --engine torch"),
        (["--engine", "torch", "--device", "gpu"], "--device: expected cpu, cuda"),
    ]:
        proc = _groundup("train", "blobs", "--epochs", "1", *argv)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 2 and words in err, err
        assert len(err.strip().splitlines()) == 1


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def test_cuda_without_a_gpu_is_one_line_naming_cpu(tmp_path):
    if _has_cuda():
        pytest.skip("this machine has a CUDA GPU; the message is for machines without one")
    with pytest.raises(GroundupError, match="sees no CUDA GPU.*use --device cpu"):
        from groundup.runs import build_config

        build_config("blobs", engine="torch", device="cuda")


@pytest.mark.gpu
@pytest.mark.skipif(not _has_cuda(), reason="needs a CUDA GPU")
def test_weights_trained_on_a_gpu_load_on_the_cpu_and_match_a_cpu_run(tmp_path):
    args = ["train", "blobs", "--engine", "torch", "--epochs", "3", "--no-plots", "--quiet"]
    assert main([*args, "--device", "cuda", "--out", str(tmp_path / "gpu")]) == 0
    assert main([*args, "--out", str(tmp_path / "cpu")]) == 0
    from groundup.runs import open_run

    gpu = open_run(tmp_path / "gpu", engine="torch")  # loaded on the CPU
    cpu = load_safetensors(tmp_path / "cpu" / "model.safetensors")
    for k, v in gpu.engine.state_dict().items():
        np.testing.assert_allclose(v, cpu[k], rtol=1e-4, atol=1e-6)  # float32, other kernels
