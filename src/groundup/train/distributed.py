"""Data parallelism on ``torch.distributed``: N processes, one model each, one global batch.

Launched by ``torchrun`` (or ``groundup train --nproc N``, which runs the same launcher,
``torch.distributed.run``), every process reads its rank ``r`` and the world size ``N`` from the
environment torchrun sets (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``,
``MASTER_PORT``) and joins one process group: gloo on CPUs, NCCL on CUDA GPUs. groundup writes
no networking of its own; every byte goes through ``torch.distributed``'s collectives.

Per step, each of the N processes draws the same global batch of B examples (the same seeded
order as one process), takes its shard, rows ``r B/N .. (r+1) B/N - 1``, and computes the mean
loss of its shard and its gradient ``g_r``. With equal shards the global batch's mean loss is the
mean of the shards' mean losses, so its gradient is

    g = (1/B) sum_i grad l_i = (1/N) sum_r (N/B) sum_{i in shard r} grad l_i = (1/N) sum_r g_r,

an all-reduce (sum) divided by N, done between backward and the update
(:meth:`groundup.engines.Engine.data_parallel`): the torch engine by
``DistributedDataParallel``, the NumPy engines by :meth:`Group.average`, which all-reduces
zero-copy ``torch.from_numpy`` views of their gradient arrays. Every rank then applies the same
update to the same weights (broadcast from rank 0 at the start, and checked), so the replicas stay
equal. Hence B must be a multiple of N; a last batch of an epoch that is not loses its last
``m mod N`` examples, with one note.

Only rank 0 prints, draws and writes (the run folder, checkpoints); every collective waits at most
``timeout`` seconds, so a process that dies or stalls ends the run with one line, not a hang.
"""

from __future__ import annotations

import datetime
import os
import sys
import zlib
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from groundup.errors import GroundupError, require

__all__ = ["DEFAULT_TIMEOUT", "Group", "current", "from_env", "launch", "shutdown"]

#: Seconds a collective waits for the other processes before the run ends.
DEFAULT_TIMEOUT = 300.0
_GROUP: Group | None = None


def _dist():
    return require("torch.distributed", "torch", "Data-parallel training (torch.distributed)")


@dataclass
class Group:
    """This process's place in the process group: rank ``rank`` of ``world_size``."""

    rank: int
    world_size: int
    local_rank: int = 0
    backend: str = "gloo"
    timeout: float = DEFAULT_TIMEOUT
    _trim_noted: bool = False

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that prints, draws and writes files."""
        return self.rank == 0

    # -- collectives, each turning a lost peer into one line -------------------------------
    @contextmanager
    def collective(self, what: str):
        """Run the block; a failed or timed-out collective becomes a :class:`GroundupError`."""
        try:
            yield
        except GroundupError:
            raise
        except RuntimeError as exc:  # DistBackendError, gloo's "Connection closed by peer", ...
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise GroundupError(
                f"process {self.rank} of {self.world_size} lost the others during {what}: one "
                f"of them died or stalled for more than {self.timeout:g} s ({first}); the run "
                f"ends here; continue it from its last checkpoint with --resume"
            ) from None

    def _tensor(self, a: np.ndarray):
        torch = sys.modules["torch"]
        return torch.from_numpy(a)

    def average(self, arrays: list[np.ndarray]) -> None:
        """Replace each array, in place, by its mean over the ranks: ``a <- (1/N) sum_r a_r``.

        The all-reduce runs on ``torch.from_numpy`` views (no copy) of contiguous arrays; all
        are started at once (``async_op``) and then awaited, so their latencies overlap.
        """
        dist, op = _dist(), _dist().ReduceOp.SUM
        views = [a if a.flags.c_contiguous and a.flags.writeable else np.ascontiguousarray(a)
                 for a in arrays]  # fmt: skip
        works = [dist.all_reduce(self._tensor(v), op=op, async_op=True) for v in views]
        for w in works:
            w.wait()
        for a, v in zip(arrays, views, strict=True):
            v /= self.world_size
            if v is not a:
                a[...] = v

    def reduce_step(self, loss: float, correct: int, m: int, stop: bool):
        """(mean of the ranks' shard losses, total correct, examples in the global batch,
        whether any rank asked to stop), from each rank's figures of its shard."""
        buf = np.array([loss, correct, m, stop], dtype=np.float64)
        _dist().all_reduce(self._tensor(buf), op=_dist().ReduceOp.SUM)
        total = [int(round(v)) for v in buf[1:]]
        return float(buf[0] / self.world_size), total[0], total[1], total[2] > 0

    def broadcast_text(self, text: str | None) -> str:
        """Rank 0's ``text`` on every rank (a run folder's name), as UTF-8 bytes, no pickle."""
        data = (text or "").encode() if self.is_main else b""
        size = np.array([len(data)], dtype=np.int64)
        with self.collective("the start of the run"):
            _dist().broadcast(self._tensor(size), src=0)
            buf = np.zeros(int(size[0]), dtype=np.uint8)
            if self.is_main:
                buf[:] = np.frombuffer(data, dtype=np.uint8)
            _dist().broadcast(self._tensor(buf), src=0)
        return buf.tobytes().decode()

    def replicate(self, engine) -> None:
        """Give every rank rank 0's weights (broadcast), check that they hold them, and have
        ``engine`` average its gradients across the ranks from now on."""
        state = engine.state_dict()
        with self.collective("the broadcast of the initial weights"):
            for name in sorted(state):
                _dist().broadcast(self._tensor(np.ascontiguousarray(state[name])), src=0)
        engine.load_state_dict(state)
        self.check_replicas(engine, "at the start")
        engine.data_parallel(self.average)

    def check_replicas(self, engine, when: str) -> None:
        """Raise unless every rank holds bitwise the same weights (a CRC-32 of each array,
        compared through an all-reduce of its maximum and its negated minimum)."""
        state = engine.state_dict()
        crc = np.array([zlib.crc32(np.ascontiguousarray(state[k]).tobytes())
                        for k in sorted(state)], dtype=np.float64)  # fmt: skip
        both = np.concatenate([crc, -crc])
        with self.collective(f"the check of the weights {when}"):
            _dist().all_reduce(self._tensor(both), op=_dist().ReduceOp.MAX)
        if not np.array_equal(both[: len(crc)], -both[len(crc) :]):
            names = [k for k, hi, lo in zip(sorted(state), both[: len(crc)], both[len(crc) :],
                                            strict=True) if hi != -lo]  # fmt: skip
            raise GroundupError(f"the {self.world_size} processes hold different weights {when} "
                                f"({', '.join(names[:3])}); this is a bug in groundup's data "
                                f"parallelism, please report it")  # fmt: skip

    # -- shards -----------------------------------------------------------------------------
    def check_batch_size(self, batch_size: int, n: int) -> None:
        """Refuse a global batch that does not split into ``world_size`` equal shards."""
        if batch_size < n and batch_size % self.world_size:
            k = self.world_size
            up = -(-batch_size // k) * k
            raise GroundupError(
                f"--batch-size {batch_size} does not split into {k} equal shards (one per "
                f"process): give a multiple of {k}, e.g. {up}"
            )

    def shard(self, xb: np.ndarray, yb: np.ndarray, note) -> tuple[np.ndarray, np.ndarray]:
        """This rank's rows of the global batch (views, no copy); a batch of ``m`` rows with
        ``m mod N != 0`` (the last of an epoch) loses its last ``m mod N`` rows, said once."""
        m, k = len(yb), self.world_size
        if m % k and not self._trim_noted:
            self._trim_noted = True
            note(f"a batch of {m} examples (the last of an epoch) does not split into {k} equal "
                 f"shards: its last {m % k} example{'s' * (m % k > 1)} are left out of that "
                 f"step; choose a training set size and --batch-size that {k} divides to use "
                 f"them")  # fmt: skip
        s = m // k
        lo = self.rank * s
        return xb[lo : lo + s], yb[lo : lo + s]


def from_env(backend: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Group | None:
    """Join the process group torchrun describes in the environment; None without torchrun
    (``WORLD_SIZE`` unset). ``backend``: ``gloo`` (CPU, the default) or ``nccl`` (CUDA)."""
    global _GROUP
    if "WORLD_SIZE" not in os.environ:
        return None
    if _GROUP is not None:
        return _GROUP
    dist = _dist()
    env = {k: os.environ.get(k) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    try:
        rank, world, local = int(env["RANK"]), int(env["WORLD_SIZE"]), int(env["LOCAL_RANK"] or 0)
    except (TypeError, ValueError):
        raise GroundupError(f"WORLD_SIZE is set but RANK / LOCAL_RANK are not integers ({env}): "
                            f"launch with torchrun, or unset WORLD_SIZE") from None  # fmt: skip
    backend = backend or "gloo"
    if not dist.is_initialized():
        try:
            dist.init_process_group(backend, rank=rank, world_size=world,
                                    timeout=datetime.timedelta(seconds=timeout))  # fmt: skip
        except (RuntimeError, ValueError) as exc:
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            raise GroundupError(f"process {rank} of {world} could not join the process group "
                                f"({backend}, MASTER_ADDR {os.environ.get('MASTER_ADDR')}, "
                                f"MASTER_PORT {os.environ.get('MASTER_PORT')}): {first}") from None
    _GROUP = Group(rank, world, local, backend, float(timeout))
    return _GROUP


def current() -> Group | None:
    """The group :func:`from_env` joined, or None in a single process."""
    return _GROUP


def shutdown() -> None:
    """Leave the process group (at the end of a run)."""
    global _GROUP
    if _GROUP is not None and _dist().is_initialized():
        _dist().destroy_process_group()
    _GROUP = None


def launch(argv: list[str], nproc: int) -> int:
    """Run ``python -m groundup *argv`` in ``nproc`` processes on this machine through
    ``torch.distributed.run`` (what ``torchrun --standalone --nproc-per-node N`` does) and
    return 0, or raise one line naming the first process that failed."""
    require("torch", "torch", "--nproc (torch.distributed)")
    import logging

    from torch.distributed import run as torchrun
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    os.environ.setdefault("OMP_NUM_THREADS", "1")  # what torchrun would set, without its banner
    logging.getLogger("torch.distributed.elastic").setLevel(logging.ERROR)
    args = torchrun.get_args_parser().parse_args(
        ["--standalone", f"--nproc-per-node={nproc}", "--module", "groundup", *argv]
    )
    try:
        torchrun.run(args)
    except ChildFailedError as exc:
        rank, failure = exc.get_first_failure()
        code = failure.exitcode
        how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
        raise GroundupError(f"process {rank} of {nproc} {how}, so the run was stopped (its "
                            f"message, if any, is above)") from None  # fmt: skip
    return 0
