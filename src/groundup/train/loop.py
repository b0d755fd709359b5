"""The one training loop, shared by the CLI and the Python API.

Per epoch: batches in a seeded order (``np.random.default_rng([seed, epoch]).permutation(n)``,
the same for every engine, and reproducible for any epoch so a resume needs no stored random
state), one ``engine.train_step`` per batch, then the test set evaluated in batches of 1,000::

    for epoch in range(epochs):
        for xb, yb in batches(epoch):
            loss, correct = engine.train_step(xb, yb)   # forward, backward, update
        row = {"loss": mean batch loss, "train_acc": ..., "test_acc": ...}

Everything the loop knows (epoch, batch within the epoch, step, the running sums) is plain
numbers, so :meth:`Trainer.checkpoint` can save it and :meth:`Trainer.fit` can continue from any
step with exactly the result an uninterrupted run would have. Ctrl-C does not kill the loop
mid-update: it sets a flag, the current step finishes, the callbacks save a checkpoint and
``fit`` returns with ``trainer.interrupted`` set.
"""

from __future__ import annotations

import math
import signal
import threading
import time

import numpy as np

from groundup.engines.base import Engine
from groundup.train import guards
from groundup.train.checkpoint import Checkpoint
from groundup.train.history import History, format_row
from groundup.train.progress import ProgressBar
from groundup.train.threads import blas_threads

__all__ = ["Trainer", "evaluate"]


def evaluate(engine: Engine, X: np.ndarray, y: np.ndarray, batch_size: int = 1000):
    """(mean loss, accuracy) of ``engine`` on ``(X, y)``, in batches of ``batch_size``."""
    z = engine.batched_logits(X, batch_size)
    head = engine.spec.head
    return head.loss(z, y), float(np.mean(head.predictions(z) == y))


class Trainer:
    """Train ``engine`` on ``(X_train, y_train)``, reporting on ``(X_test, y_test)``.

    Parameters
    ----------
    engine : Engine
    X_train : ndarray of shape (n, d), float32
    y_train : ndarray of shape (n,), int64
    X_test, y_test : arrays or None
        Evaluated after every epoch when given.
    epochs : int
    batch_size : int or None
        None (or >= n) for full-batch gradient descent: one step per epoch, no shuffling.
    seed : int
        Seeds the batch order (the initial weights are the caller's business).
    callbacks : list of Callback
    log : callable
        Where epoch lines and notes go (``print`` by default).
    progress : bool
        Show a rich progress bar when stdout is a terminal.
    log_every : int or None
        Print every k-th epoch line (None: all when epochs <= 20, else about ten lines).
    threads : int or None
        BLAS threads while training (default 1, see :mod:`groundup.train.threads`).
    distributed : groundup.train.distributed.Group or None
        Data parallelism: this process trains on its shard of every global batch of
        ``batch_size`` and averages its gradients with the other processes (see
        :mod:`groundup.train.distributed`); losses and accuracies are those of the global batch.
    """

    def __init__(
        self, engine, X_train, y_train, X_test=None, y_test=None, *, epochs: int,
        batch_size: int | None = 64, seed: int = 0, callbacks=(), log=print,
        progress: bool = False, log_every: int | None = None, eval_batch_size: int = 1000,
        handle_sigint: bool = True, threads: int | None = 1, distributed=None,
    ):
        self.engine = engine
        self.X_train, self.y_train = X_train, y_train
        self.X_test, self.y_test = X_test, y_test
        self.epochs = int(epochs)
        n = len(X_train)
        self.batch_size = n if batch_size is None or batch_size >= n else int(batch_size)
        self.seed = int(seed)
        self.callbacks = sorted(callbacks, key=lambda cb: cb.order)
        self._step_callbacks = [cb for cb in self.callbacks if hasattr(cb, "on_step_end")]
        self._log = log
        self.progress = progress
        self.log_every = log_every or (1 if self.epochs <= 20 else max(1, self.epochs // 10))
        self.eval_batch_size = eval_batch_size
        self.handle_sigint = handle_sigint
        self.threads = threads
        self.distributed = distributed
        if distributed is not None:
            distributed.check_batch_size(self.batch_size, n)
        self.history = History()
        self.steps_per_epoch = math.ceil(n / self.batch_size)
        self._loader = None
        # loop counters: everything needed to resume
        self.epoch = 0  # completed epochs
        self.batch = 0  # batches done in the current epoch
        self.step = 0  # optimizer steps in total
        self.loss_sum = 0.0
        self.correct = 0
        self.seen = 0
        self.stop = False
        self.interrupted = False
        self._sigint = False
        self._bar = None

    # -- reporting --------------------------------------------------------------------------
    def log(self, message: str) -> None:
        if self._bar is not None:
            self._bar.print(message)
        elif self._log is not None:
            self._log(message)

    def note(self, message: str) -> None:
        """Record a guard's or callback's message in the history and print it."""
        self.history.notes.append(message)
        self.log(f"note: {message}")

    # -- batches ----------------------------------------------------------------------------
    def batches(self, epoch: int):
        """Iterator over epoch ``epoch``'s (xb, yb) batches, in its seeded order."""
        if self.batch_size >= len(self.X_train):
            return iter([(self.X_train, self.y_train)])
        if self._loader is None:
            from groundup.data import DataLoader, TensorDataset

            self._loader = DataLoader(
                TensorDataset(self.X_train, self.y_train), batch_size=self.batch_size,
                shuffle=True, seed=self.seed,
            )
        self._loader.set_epoch(epoch)
        return iter(self._loader)

    # -- checkpoints ------------------------------------------------------------------------
    def checkpoint(self) -> Checkpoint:
        """Everything needed to continue this run exactly: see :mod:`groundup.train.checkpoint`."""
        opt_arrays, counters = self.engine.optimizer_state()
        extra, cb_state = {}, {}
        for cb in self.callbacks:
            cb_state[cb.key] = cb.state_json()
            extra.update({f"{cb.key}/{k}": v for k, v in cb.state_arrays().items()})
        loop = {
            k: getattr(self, k)
            for k in ("epoch", "batch", "step", "loss_sum", "correct", "seen", "stop", "seed")
        }
        opt = self.engine.optimizer_spec  # its name and momentum decide which buffers exist
        state = {
            "loop": loop, "history": self.history.rows, "notes": self.history.notes,
            "callbacks": cb_state, "optimizer": {"name": opt.name, "momentum": opt.momentum},
        }
        return Checkpoint(self.engine.state_dict(), opt_arrays, counters, state, extra)

    def restore(self, ckpt: Checkpoint) -> None:
        """Load a checkpoint written by :meth:`checkpoint` (same engine kind)."""
        self.engine.load_state_dict(ckpt.model)
        self.engine.load_optimizer_state(ckpt.optimizer, ckpt.counters)
        loop = ckpt.state["loop"]
        for k in ("epoch", "batch", "step", "correct", "seen"):
            setattr(self, k, int(loop[k]))
        self.engine.steps = self.step  # dropout masks are drawn by step number
        self.loss_sum = float(loop["loss_sum"])
        self.stop = bool(loop["stop"])
        self.history = History(ckpt.state["history"])
        self.history.notes = list(ckpt.state.get("notes", []))
        for cb in self.callbacks:
            prefix = f"{cb.key}/"
            arrays = {k[len(prefix):]: v for k, v in ckpt.extra.items() if k.startswith(prefix)}
            cb.load_state(ckpt.state["callbacks"].get(cb.key, {}), arrays)

    # -- the loop ---------------------------------------------------------------------------
    def fit(self, resume: Checkpoint | None = None) -> History:
        """Train until ``epochs`` are done, a callback stops, or Ctrl-C; return the history."""
        # NaN and overflow are caught by the guards, which say what to do; NumPy's warnings
        # about them would only add lines of noise before that message.
        quiet = np.errstate(over="ignore", invalid="ignore", divide="ignore")
        with blas_threads(self.threads), quiet:
            return self._fit(resume)

    def _fit(self, resume: Checkpoint | None) -> History:
        if resume is not None:
            self.restore(resume)
        elif self.step == 0:
            self._check_initial_loss()
        if self.distributed is not None:
            self.distributed.replicate(self.engine)
        for cb in self.callbacks:
            cb.on_fit_start(self)
        previous = self._install_sigint()
        total = self.epochs * self.steps_per_epoch
        self._bar = ProgressBar(total, enabled=self.progress) if self.progress else None
        try:
            self._run()
        finally:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        if self.distributed is not None:
            self.distributed.check_replicas(self.engine, f"after step {self.step}")
        if self.interrupted:
            for cb in self.callbacks:
                cb.on_interrupt(self)
            return self.history
        for cb in self.callbacks:
            cb.on_fit_end(self)
        last = self.history.last
        if last is not None and last.get("test_acc") is not None:
            # The final weights on the training set, as the run's summary reports them: an
            # epoch's train_acc is a mean over its steps, each before its update.
            self.history.final_train = evaluate(self.engine, self.X_train, self.y_train,
                                                self.eval_batch_size)  # fmt: skip
            train_acc = self.history.final_train[1]
            baseline = np.bincount(self.y_train).max() / len(self.y_train)
            note = guards.overfitting_note(train_acc, last["test_acc"], baseline)
            if note:
                self.note(note)
        return self.history

    def _run(self) -> None:
        engine, step_cbs, bar = self.engine, self._step_callbacks, self._bar
        every = bar.every if bar is not None and bar.active else 0
        optimizer, dist = engine.optimizer_spec, self.distributed
        while self.epoch < self.epochs and not self.stop:
            t0 = time.perf_counter()
            if optimizer.lr_decay != 1:  # StepLR(step_size=1): the rate of this epoch
                engine.set_lr(optimizer.lr_at(self.epoch))
            skip = self.batch  # batches already done before a mid-epoch resume
            for i, (xb, yb) in enumerate(self.batches(self.epoch)):
                if i < skip:
                    continue
                if dist is None:
                    loss, correct = engine.train_step(xb, yb)
                    m = len(yb)
                else:  # this rank's shard; the loss and counts of the global batch
                    xs, ys = dist.shard(xb, yb, self.note)
                    with dist.collective(f"step {self.step + 1}"):
                        loss, correct = engine.train_step(xs, ys)
                        # Ctrl-C reaches every process, not always before the same step: all
                        # stop after the first step any of them saw it in.
                        loss, correct, m, self._sigint = dist.reduce_step(
                            loss, correct, len(ys), self._sigint
                        )
                if not math.isfinite(loss):
                    where = f"the loss at epoch {self.epoch + 1}, step {self.step + 1}"
                    guards.check_finite(loss, where, optimizer)
                self.loss_sum += loss
                self.correct += correct
                self.seen += m
                self.batch += 1
                self.step += 1
                for cb in step_cbs:
                    cb.on_step_end(self)
                if every and self.step % every == 0:
                    bar.update(self.step, f"epoch {self.epoch + 1}/{self.epochs}")
                if self._sigint:
                    self.interrupted = True
                    return
            self._end_epoch(time.perf_counter() - t0)

    def _end_epoch(self, seconds: float) -> None:
        epoch, optimizer = self.epoch + 1, self.engine.optimizer_spec
        row = {
            "epoch": epoch,
            "step": self.step,
            "loss": self.loss_sum / max(self.batch, 1),
            "train_acc": self.correct / max(self.seen, 1),
        }
        # A step reports its loss before its update, so an update that overflowed shows first
        # in the weights; checked before anything (a checkpoint) keeps them.
        guards.check_finite_weights(self.engine.state_dict(), f"in epoch {epoch}", optimizer)
        guards.check_finite(row["loss"], f"the mean training loss of epoch {epoch}", optimizer)
        if self.X_test is not None and len(self.X_test):
            row["test_loss"], row["test_acc"] = evaluate(
                self.engine, self.X_test, self.y_test, self.eval_batch_size
            )
            guards.check_finite(row["test_loss"], f"the test loss after epoch {epoch}", optimizer)
        row["seconds"] = seconds
        self.epoch += 1
        self.batch, self.loss_sum, self.correct, self.seen = 0, 0.0, 0, 0
        previous = self.history.last
        self.history.append(row)
        if self.epoch % self.log_every == 0 or self.epoch in (1, self.epochs):
            self.log(format_row(row, self.epochs))
        note = guards.divergence_note(
            row["loss"], self.engine.spec.n_classes, epoch, optimizer,
            None if previous is None else previous["loss"],
        )  # fmt: skip
        if note:
            self.note(note)
        for cb in self.callbacks:
            cb.on_epoch_end(self, row)

    def _check_initial_loss(self) -> None:
        X, y = self.X_train[:1000], self.y_train[:1000]
        loss, _ = evaluate(self.engine, X, y, self.eval_batch_size)
        note = guards.initial_loss_note(loss, self.engine.spec.n_classes)
        if note:
            self.note(note)

    def _install_sigint(self):
        if not self.handle_sigint or threading.current_thread() is not threading.main_thread():
            return None

        def handler(signum, frame):
            if self._sigint:  # a second Ctrl-C: stop at once
                raise KeyboardInterrupt
            self._sigint = True

        return signal.signal(signal.SIGINT, handler)
