"""The training loop: determinism, history, callbacks, guards, checkpoints and exact resumes."""

import json
import math

import numpy as np
import pytest

from groundup.engines import OptimizerSpec, make_engine
from groundup.errors import DataError, TrainingError
from groundup.models import Activation, Dropout, Head, Linear, ModelSpec
from groundup.train import (
    Callback,
    Checkpointer,
    EarlyStopping,
    History,
    Snapshots,
    Trainer,
    format_row,
    guards,
    has_checkpoint,
    load_checkpoint,
)
from groundup.train.loop import evaluate
from groundup.train.threads import blas_threads


def problem(n=300, d=5, C=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, size=(C, d))
    y = rng.integers(0, C, size=n)
    X = (centers[y] + rng.normal(size=(n, d))).astype(np.float32)
    return X[:240], y[:240], X[240:], y[240:]


SPEC = ModelSpec.for_model("mlp", 5, 3, (16,))
# dropout draws a mask per step: a resume must draw the masks the straight run drew
DROPOUT = ModelSpec((5,), (Linear(5, 16), Activation("relu"), Dropout(0.3), Linear(16, 3)),
                    Head(3))  # fmt: skip
ADAM = OptimizerSpec("adam", 0.01)


def trainer(engine="autograd", opt=ADAM, epochs=4, seed=0, spec=SPEC, **kw):
    Xtr, ytr, Xte, yte = problem()
    eng = make_engine(engine, spec, spec.init_state(seed), opt, seed)
    kw.setdefault("log", None)
    return Trainer(eng, Xtr, ytr, Xte, yte, epochs=epochs, batch_size=32, seed=seed, **kw)


def same_state(a, b):
    return all(np.array_equal(a[k], b[k]) for k in a)


def test_same_seed_gives_bit_identical_weights():
    runs = [trainer() for _ in range(2)]
    for t in runs:
        t.fit()
    assert same_state(runs[0].engine.state_dict(), runs[1].engine.state_dict())
    other = trainer(seed=1)
    other.fit()
    assert not same_state(runs[0].engine.state_dict(), other.engine.state_dict())


def test_history_rows_and_the_primers_line():
    lines = []
    t = trainer(log=lines.append)
    history = t.fit()
    assert len(history) == 4 and history.last["step"] == 4 * 8  # 240 / 32 -> 8 batches
    row = history[0]
    assert set(row) >= {"epoch", "step", "loss", "train_acc", "test_loss", "test_acc", "seconds"}
    assert 0 <= row["train_acc"] <= 1 and row["loss"] > history.last["loss"]
    assert lines[0] == format_row(row, 4)
    line = format_row({"epoch": 1, "loss": 1.28474, "train_acc": 0.784, "test_acc": 0.873}, 5)
    assert line == "Epoch 1/5: loss=1.2847, train_acc=78.4%, test_acc=87.3%"  # primer's format


def test_history_saves_and_loads_jsonl(tmp_path):
    h = History([{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25}])
    h.save(tmp_path / "history.jsonl")
    text = (tmp_path / "history.jsonl").read_text()
    assert text.count("\n") == 2 and json.loads(text.splitlines()[1])["loss"] == 0.25
    assert History.load(tmp_path / "history.jsonl").column("loss") == [0.5, 0.25]


def test_the_epoch_order_is_the_data_loaders_seeded_permutation():
    seen = []

    class Spy(Callback):
        def on_step_end(self, trainer):
            seen.append(trainer.step)

    Xtr, ytr, _, _ = problem()
    t = trainer(epochs=1)
    batches = list(t.batches(1))
    order = np.random.default_rng([0, 1]).permutation(240)
    np.testing.assert_array_equal(batches[0][0], Xtr[order[:32]])
    t = trainer(epochs=2, callbacks=[Spy()])
    t.fit()
    assert seen == list(range(1, 17))


def test_full_batch_is_one_step_per_epoch():
    Xtr, ytr, Xte, yte = problem()
    eng = make_engine("scratch", SPEC, SPEC.init_state(0), OptimizerSpec("sgd", 0.1))
    t = Trainer(eng, Xtr, ytr, Xte, yte, epochs=3, batch_size=None, log=None)
    assert t.fit().last["step"] == 3


def test_nan_loss_stops_with_a_hint_about_the_learning_rate():
    t = trainer(opt=OptimizerSpec("sgd", 1e30), epochs=3)
    with pytest.raises(TrainingError, match="smaller learning rate"):
        with np.errstate(all="ignore"):
            t.fit()


def test_initial_loss_far_from_ln_c_is_reported():
    Xtr, ytr, Xte, yte = problem()
    eng = make_engine("scratch", SPEC, SPEC.init_state(0), OptimizerSpec("sgd", 1e-6))
    notes = []
    t = Trainer(eng, Xtr * 255, ytr, Xte * 255, yte, epochs=1, log=notes.append)
    with np.errstate(all="ignore"):
        t.fit()
    assert any("far from ln(3)" in n and "pixels 0..255" in n for n in t.history.notes)
    assert any(line.startswith("note: the initial loss") for line in notes)
    # a well-scaled problem gets no such note
    t = trainer(epochs=1)
    t.fit()
    assert not any("initial loss" in n for n in t.history.notes)
    assert guards.initial_loss_note(math.log(10) + 0.3, 10) is None
    assert guards.initial_loss_note(float("nan"), 10) is not None


def test_divergence_note_for_a_finite_blow_up():
    # mnist-sgd at --lr 1e6 ends epoch 1 at a mean loss of 5.8e28, finite: no NaN guard fires
    sgd = OptimizerSpec("sgd", 0.01)
    note = guards.divergence_note(5.8e28, 10, 1, OptimizerSpec("sgd", 1e6))
    assert "diverging" in note and "--lr 0.01" in note  # not 1e6 / 10: it diverges as well
    assert guards.divergence_note(2.0, 10, 1, sgd) is None  # below ln 10 + ln 10 = 4.6
    assert guards.divergence_note(4.7, 10, 2, sgd) is not None
    assert guards.divergence_note(9.0, 10, 3, sgd, previous=8.0) is None  # reported once
    t = trainer(opt=OptimizerSpec("sgd", 5.0), epochs=3)  # losses 4e4, 3e3, 9e2: finite
    t.fit()
    notes = [n for n in t.history.notes if "diverging" in n]
    assert len(notes) == 1 and "epoch 1" in notes[0]
    assert trainer(epochs=2).fit().notes == []  # a healthy run gets none


def test_overfitting_note():
    assert guards.overfitting_note(0.99, 0.72) is not None  # the cat run: 99% vs 72%
    assert "overfitting" in guards.overfitting_note(0.99, 0.72)
    assert guards.overfitting_note(0.93, 0.936) is None  # the primer's MNIST: no gap
    rng = np.random.default_rng(0)  # random labels: only memorising can fit them
    X = rng.normal(size=(80, 20)).astype(np.float32)
    y = rng.integers(0, 2, size=80)
    spec = ModelSpec.for_model("mlp", 20, 2, (128,))
    eng = make_engine("autograd", spec, spec.init_state(0), OptimizerSpec("adam", 0.01))
    t = Trainer(eng, X[:40], y[:40], X[40:], y[40:], epochs=200, batch_size=None, log=None)
    t.fit()
    assert any("overfitting" in n for n in t.history.notes)
    assert guards.overfitting_note(0.6555, 0.34, baseline=0.6555) is None  # all one class


def test_overfitting_note_quotes_the_final_weights_and_needs_learning():
    """One full-batch step on `groundup train cat` said "train accuracy 45.9% vs test 34.0%:
    ... overfitting" (the step's accuracy before its update) beside a summary of 65.55%: the
    final weights answer the majority class everywhere, and the gap is the class balance."""
    # x = ±1; train: 7 of 10 labels 0, the initial weight matches 8 of 10; test: 3 of 10 are 0
    X_tr = np.array([1, 1, 1, 1, -1, -1, -1, 1, -1, -1], np.float32)[:, None]
    y_tr = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    X_te = np.array([-1, -1, -1, -1, -1, 1, 1, 1, 1, 1], np.float32)[:, None]
    y_te = np.array([1, 1, 1, 1, 1, 1, 1, 0, 0, 0])
    spec = ModelSpec.for_model("logistic", 1, 2)
    state = {"0.weight": np.array([[3.0]], np.float32), "0.bias": np.array([0.0], np.float32)}
    eng = make_engine("autograd", spec, state, OptimizerSpec("sgd", 100.0))
    t = Trainer(eng, X_tr, y_tr, X_te, y_te, epochs=1, batch_size=None, log=None)
    t.fit()  # the step's accuracy 80%; then the bias says 0 for all: train 70%, test 30%
    assert t.history.last["train_acc"] == 0.8 and t.history.last["test_acc"] == 0.3
    assert evaluate(eng, X_tr, y_tr)[1] == 0.7
    assert t.history.notes == []


def test_early_stopping():
    stopper = EarlyStopping(monitor="test_loss", patience=2)
    t = trainer(opt=OptimizerSpec("sgd", 1e-12), epochs=50, callbacks=[stopper])
    history = t.fit()  # a learning rate of 1e-12 cannot improve the test loss
    assert len(history) == 3 and t.stop
    assert any("early stopping" in n for n in history.notes)


class _Stoppable:
    """Just what EarlyStopping touches: ``stop`` and ``note``."""

    def __init__(self):
        self.stop, self.notes = False, []

    def note(self, message):
        self.notes.append(message)


@pytest.mark.parametrize(
    ("monitor", "values", "stopped_after"),
    [
        ("test_loss", [0.9, 0.8, 0.85, 0.79, 0.7], None),  # improves again within patience 2
        ("test_loss", [0.9, 0.8, 0.85, 0.81, 0.7], 4),  # 2 epochs not below 0.8
        ("test_acc", [0.5, 0.6, 0.6, 0.55, 0.9], 4),  # accuracy: higher is better
        ("test_acc", [0.5, 0.6, 0.55, 0.7, 0.65], None),
    ],
)
def test_early_stopping_min_and_max(monitor, values, stopped_after):
    stopper, t = EarlyStopping(monitor=monitor, patience=2), _Stoppable()
    for epoch, value in enumerate(values, start=1):
        stopper.on_epoch_end(t, {"epoch": epoch, monitor: value})
        if t.stop:
            break
    assert (epoch if t.stop else None) == stopped_after
    assert stopper.mode == ("max" if monitor == "test_acc" else "min")


def test_early_stopping_falls_back_to_training_columns():
    stopper, t = EarlyStopping(monitor="test_acc", patience=1), _Stoppable()
    stopper.on_epoch_end(t, {"epoch": 1, "loss": 0.5, "train_acc": 0.8})
    stopper.on_epoch_end(t, {"epoch": 2, "loss": 0.1, "train_acc": 0.7})  # no test set
    assert t.stop and stopper.best == 0.8
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")


def test_snapshots_at_given_steps():
    snaps = Snapshots(steps=(0, 3, 10, 1000))
    t = trainer(epochs=2, callbacks=[snaps])
    t.fit()
    assert sorted(snaps.snapshots) == [0, 3, 10]
    init = SPEC.init_state(0)
    assert same_state(snaps.snapshots[0], init)
    assert not same_state(snaps.snapshots[3], init)


class StopAt(Callback):
    """Simulate Ctrl-C after a given step (what the SIGINT handler does)."""

    def __init__(self, step):
        self.at = step

    def on_step_end(self, trainer):
        if trainer.step == self.at:
            trainer._sigint = True


@pytest.mark.parametrize("spec", [SPEC, DROPOUT], ids=["mlp", "dropout"])
@pytest.mark.parametrize("engine", ["scratch", "autograd"])
@pytest.mark.parametrize("stop_at", [8, 13], ids=["epoch-boundary", "mid-epoch"])
def test_interrupt_and_resume_is_exact(tmp_path, engine, stop_at, spec):
    straight = trainer(engine, epochs=4, spec=spec, callbacks=[Snapshots((0, 5, 20))])
    straight.fit()
    ckpt_dir = tmp_path / "checkpoint"
    first = trainer(engine, epochs=4, spec=spec, callbacks=[StopAt(stop_at),
                    Checkpointer(ckpt_dir), Snapshots((0, 5, 20))])  # fmt: skip
    first.fit()
    assert first.interrupted and first.step == stop_at and has_checkpoint(ckpt_dir)
    snaps = Snapshots((0, 5, 20))
    resumed = trainer(engine, epochs=4, seed=0, spec=spec,
                      callbacks=[Checkpointer(ckpt_dir), snaps])  # fmt: skip
    resumed.fit(resume=load_checkpoint(ckpt_dir))
    assert same_state(straight.engine.state_dict(), resumed.engine.state_dict())
    for a, b in zip(straight.history, resumed.history, strict=True):
        assert {k: v for k, v in a.items() if k != "seconds"} == {
            k: v for k, v in b.items() if k != "seconds"
        }
    assert sorted(snaps.snapshots) == [0, 5, 20]


def test_checkpoint_files_and_latest_pointer(tmp_path):
    t = trainer(epochs=3, callbacks=[Checkpointer(tmp_path, min_seconds=0)])
    t.fit()
    latest = json.loads((tmp_path / "latest.json").read_text())["checkpoint"]
    folders = [p.name for p in tmp_path.iterdir() if p.is_dir()]
    assert folders == [latest]  # older checkpoints removed
    names = {p.name for p in (tmp_path / latest).iterdir()}
    assert names == {"model.safetensors", "optimizer.safetensors", "extra.safetensors",
                     "state.json"}  # fmt: skip
    ckpt = load_checkpoint(tmp_path)
    assert ckpt.state["loop"]["epoch"] == 3 and ckpt.counters["0.weight"] == 24  # Adam steps
    assert "0.weight.exp_avg" in ckpt.optimizer


def test_missing_or_corrupted_checkpoint_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no checkpoint"):
        load_checkpoint(tmp_path)
    (tmp_path / "latest.json").write_text("{not json")
    with pytest.raises(DataError, match="corrupted"):
        load_checkpoint(tmp_path)


def test_blas_threads_restores_the_previous_count():
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_counts():
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    if not blas_counts():
        pytest.skip("no BLAS library that threadpoolctl knows is loaded")
    with threadpool_limits(limits=2, user_api="blas"):  # CI runs with one thread already
        before = blas_counts()
        with blas_threads(1):
            assert blas_counts() == [1] * len(before)
        assert blas_counts() == before == [2] * len(before)


def test_blas_threads_finds_the_libraries_again_only_after_imports(monkeypatch):
    """The memory map is read once, not per fit; a module imported since (a library may have
    come with it) makes the next call look again."""
    import sys
    import types

    from groundup.train import threads

    with blas_threads(1):
        pass
    first = threads._controller[1]
    with blas_threads(1):
        pass
    assert threads._controller[1] is first
    monkeypatch.setitem(sys.modules, "groundup_test_new_module", types.ModuleType("new"))
    with blas_threads(1):
        pass
    assert threads._controller[1] is not first


def test_a_checkpoint_caught_between_its_two_renames_is_still_read(tmp_path):
    # saving the same tag again moves the old folder to .old-<tag>, then renames the new one in;
    # kill -9 between the two leaves latest.json naming a folder that is not there
    t = trainer(epochs=2, callbacks=[Checkpointer(tmp_path, min_seconds=0)])
    t.fit()
    tag = json.loads((tmp_path / "latest.json").read_text())["checkpoint"]
    (tmp_path / tag).rename(tmp_path / f".old-{tag}")
    ckpt = load_checkpoint(tmp_path)
    assert same_state(ckpt.model, t.engine.state_dict())
    assert ckpt.state["loop"]["epoch"] == 2
