"""Run folders keep what is not theirs and recover from what killed them: ``--out`` never writes
among a user's files, a run killed before its first checkpoint resumes from epoch 0, temporary
files of killed writes are cleaned, and a diverging run ends with the divergence message, a
non-zero exit and strict JSON (never a model or a ``metrics.json`` full of NaN)."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import groundup
from badinput import run_cli
from groundup import io
from groundup.engines.base import ModelSpec, OptimizerSpec, make_engine
from groundup.errors import DataError, TrainingError
from groundup.run_folder import is_run_folder
from groundup.runs import build_config, train_run
from groundup.train import Checkpointer, EarlyStopping, History, Trainer, load_checkpoint

TRAIN = ["train", "penguins", "--hidden", "8", "--epochs", "2", "--quiet", "--no-plots"]
FEATURES = "bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g\n39.1,18.7,181,3750\n"


def quiet(_msg):
    pass


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def strict_json(text: str):
    """``json.loads`` that refuses the bare NaN / Infinity Python's json would accept."""
    def refuse(name):
        raise ValueError(f"bare {name} in JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("good") / "run"
    train_run(build_config("penguins", hidden=(8,), epochs=2), out=folder, log=quiet, plots=False)
    return folder


# -- 1. --out never writes among the user's files ------------------------------------------------
def _user_files(folder: Path, with_config: bool) -> Path:
    (folder / "plots").mkdir(parents=True)
    (folder / "metrics.json").write_text('{"accuracy": 0.99, "mine": true}\n')
    (folder / "history.jsonl").write_text('{"epoch": 1, "loss": 0.1}\n')
    (folder / "plots" / "curves.png").write_bytes(b"\x89PNG\r\n\x1a\nmy figure")
    if with_config:
        (folder / "config.json").write_text('{"lr": 3}\n')  # a config.json, but not groundup's
    return folder


@pytest.mark.parametrize("with_config", [False, True], ids=["user-files", "user-config-too"])
def test_out_over_user_files_is_refused_and_leaves_them_byte_identical(tmp_path, capsys,
                                                                       with_config):  # fmt: skip
    out = _user_files(tmp_path / "results", with_config)
    before = snapshot(out)
    code, _, err = run_cli([*TRAIN, "--out", out], capsys)
    assert code != 0 and "not a groundup run folder" in err
    assert snapshot(out) == before  # same files, same bytes, nothing added
    with pytest.raises(groundup.errors.GroundupError, match="not empty"):
        train_run(build_config("penguins", epochs=1), out=out, log=quiet)
    assert snapshot(out) == before


def test_out_into_an_empty_or_new_folder_trains(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "empty", tmp_path / "new" / "deeper"):
        code, _, err = run_cli([*TRAIN, "--out", out], capsys)
        assert code == 0, err
        assert is_run_folder(out) and (out / "model.safetensors").is_file()


def test_a_run_folder_is_recognised_by_its_groundup_config(good_run, tmp_path):
    assert is_run_folder(good_run)
    for text in ('{"lr": 3}', "not json", '["groundup_version"]', '{"groundup_version": 1}'):
        (tmp_path / "config.json").write_text(text)
        assert not is_run_folder(tmp_path), text
    assert not is_run_folder(tmp_path / "nowhere")


# -- 2. a run killed before its first checkpoint can be resumed ----------------------------------
def _killed_before_first_checkpoint(good_run: Path, tmp_path: Path) -> Path:
    """What a run killed during its first epoch leaves: only its config.json."""
    run = tmp_path / "killed"
    run.mkdir()
    shutil.copy(good_run / "config.json", run / "config.json")
    return run


def test_resume_of_a_run_without_checkpoint_starts_it_from_epoch_0(good_run, tmp_path, capsys):
    run = _killed_before_first_checkpoint(good_run, tmp_path)
    # starting it again with the same --out points at --resume ...
    code, _, err = run_cli([*TRAIN, "--out", run], capsys)
    assert code != 0 and f"--resume {run}" in err
    # ... and --resume does start it again, rather than pointing back
    code, out, err = run_cli(["train", "--resume", run, "--quiet", "--no-plots"], capsys)
    assert code == 0, err
    assert "starting it again from epoch 0" in out
    # the same seed, the same data: bit for bit the run that was never killed
    assert (run / "model.safetensors").read_bytes() == (good_run / "model.safetensors").read_bytes()
    assert load_checkpoint(run / "checkpoint").state["loop"]["epoch"] == 2


def test_a_corrupted_checkpoint_names_a_way_out_that_works(good_run, tmp_path, capsys):
    run = Path(shutil.copytree(good_run, tmp_path / "run"))
    (run / "checkpoint" / "latest.json").write_text("{garbage")
    code, _, err = run_cli(["train", "--resume", run, "--quiet", "--no-plots"], capsys)
    assert code != 0 and "latest.json is corrupted" in err
    folder = re.search(r"delete the folder (\S+)", err)[1]
    assert Path(folder) == run / "checkpoint"
    shutil.rmtree(folder)  # follow the advice
    code, out, err = run_cli(["train", "--resume", run, "--quiet", "--no-plots"], capsys)
    assert code == 0 and "epoch 0" in out, err


def test_a_damaged_final_model_names_a_way_out_that_works(good_run, tmp_path, capsys):
    run = Path(shutil.copytree(good_run, tmp_path / "run"))
    model = run / "model.safetensors"
    model.write_bytes(model.read_bytes()[:-5])
    code, _, err = run_cli(["evaluate", run], capsys)
    assert code != 0 and "truncated" in err and f"--resume {run}" in err
    model.unlink()  # follow the advice
    code, _, err = run_cli(["train", "--resume", run, "--quiet", "--no-plots"], capsys)
    assert code == 0, err
    assert model.read_bytes() == (good_run / "model.safetensors").read_bytes()
    code, _, err = run_cli(["evaluate", run], capsys)
    assert code == 0, err


# -- 3. temporary files of killed writes ---------------------------------------------------------
def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_atomic_writes_name_their_temporary_file_with_the_pid(tmp_path):
    with io.atomic_path(tmp_path / "config.json") as tmp:
        match = io.TEMP_NAME.match(tmp.name)
        assert match and int(match["pid"]) == os.getpid() and match["target"] == "config.json"


def test_a_write_killed_by_sigkill_leaves_a_temp_file_that_is_then_removed(tmp_path):
    script = (
        "import os, signal, sys; from groundup import io\n"
        "with io.atomic_path(sys.argv[1]) as tmp:\n"
        "    tmp.write_bytes(b'half')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "metrics.json")])
    assert proc.returncode == -signal.SIGKILL
    (left,) = tmp_path.iterdir()  # kill -9: nothing could clean up
    assert io.TEMP_NAME.match(left.name) and not (tmp_path / "metrics.json").exists()
    assert io.remove_stale_temps(tmp_path) == [left]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["evaluate", "resume", "predict"])
def test_opening_a_run_removes_stale_temp_files_and_nothing_else(good_run, tmp_path, capsys,
                                                                  command):  # fmt: skip
    run = Path(shutil.copytree(good_run, tmp_path / "run"))
    dead = _dead_pid()
    tag = json.loads((run / "checkpoint" / "latest.json").read_text())["checkpoint"]
    stale = [
        run / f".config.json.{dead}.abcdefgh.tmp",
        run / f".model.safetensors.{dead}.x_1y2z3w.tmp",
        run / "checkpoint" / f".latest.json.{dead}.a1b2c3d4.tmp",
        run / "checkpoint" / tag / f".state.json.{dead}.qwertyui.tmp",
    ]
    kept = [
        run / f".config.json.{os.getpid()}.abcdefgh.tmp",  # its writer is alive: in use
        run / "notes.tmp",
        run / ".mine.tmp",
        run / ".config.json.abcdefgh.tmp",  # no pid: not a name groundup gives
        run / f".config.json.{dead}.ABCDEFGH.tmp",  # mkstemp draws lower case only
        run / f".config.json.{dead}.abcdefgh.tmp.bak",
    ]
    for path in stale + kept:
        path.write_bytes(b"leftover")
    (run / f".dir.{dead}.abcdefgh.tmp").mkdir()  # a folder is never groundup's temp file
    (tmp_path / "new.csv").write_text(FEATURES)
    argv = {"evaluate": ["evaluate", run], "predict": ["predict", run, tmp_path / "new.csv"],
            "resume": ["train", "--resume", run, "--quiet", "--no-plots"]}[command]  # fmt: skip
    code, _, err = run_cli(argv, capsys)
    assert code == 0, err
    assert [p for p in stale if p.exists()] == []
    assert [p for p in kept if not p.exists()] == []
    assert (run / f".dir.{dead}.abcdefgh.tmp").is_dir()


def test_out_into_a_folder_holding_only_stale_temps_trains(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / f".config.json.{_dead_pid()}.abcdefgh.tmp").write_text("{")  # killed while writing
    code, _, err = run_cli([*TRAIN, "--out", out], capsys)
    assert code == 0, err


# -- 4. divergence ends with the message, a non-zero exit and strict JSON ------------------------
@pytest.mark.parametrize("epochs", ["1", "3"])
def test_a_diverging_run_exits_non_zero_and_leaves_no_nan(tmp_path, capsys, epochs):
    out = tmp_path / "run"
    code, _, err = run_cli(["train", "penguins", "--optimizer", "adam", "--lr", "1e308",
                            "--epochs", epochs, "--out", out, "--quiet"], capsys)  # fmt: skip
    assert code != 0 and "diverged" in err and len(err.strip().splitlines()) == 1
    assert not (out / "model.safetensors").exists()
    for path in out.rglob("*.json"):
        strict_json(path.read_text())  # metrics.json, if written at all, is valid JSON
    for path in out.rglob("*.jsonl"):
        for line in path.read_text().splitlines():
            strict_json(line)


def _lr_hint(err: str) -> str:
    return re.search(r"--lr (\S+?),", err)[1]


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_following_the_divergence_hint_trains(tmp_path, capsys, optimizer):
    args = ["train", "penguins", "--optimizer", optimizer, "--epochs", "3", "--quiet", "--no-plots"]
    code, _, err = run_cli([*args, "--lr", "1e308", "--out", tmp_path / "a"], capsys)
    assert code != 0 and "diverged" in err
    lr = _lr_hint(err)
    code, _, err = run_cli([*args, "--lr", lr, "--out", tmp_path / "b"], capsys)
    assert code == 0, f"the hint --lr {lr} diverges too: {err}"
    metrics = strict_json((tmp_path / "b" / "metrics.json").read_text())
    assert math.isfinite(metrics["loss"]) and metrics["loss"] < math.log(3) + 1


def test_the_weights_are_checked_after_each_epoch(tmp_path):
    # Adam's first step moves every weight by about lr: at 1e308 they overflow, while the loss
    # that step reports (computed before it) is still finite, so no loss check can see it.
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 2)).astype(np.float32), rng.integers(0, 2, 40)
    spec = ModelSpec.for_model("mlp", 2, 2, (4,))  # one logit: 2 classes
    eng = make_engine("scratch", spec, spec.init_state(0), OptimizerSpec("adam", 1e308))
    ckpt = Checkpointer(tmp_path / "ckpt", min_seconds=0)
    t = Trainer(eng, X, y, epochs=1, batch_size=None, callbacks=[ckpt], log=None)
    with pytest.raises(TrainingError, match=r"weights became NaN or inf.* epoch 1.*--lr 0\.001"):
        t.fit()
    assert not (tmp_path / "ckpt" / "latest.json").exists()  # no checkpoint keeps them


def test_a_non_finite_final_evaluation_writes_no_model_and_no_metrics(tmp_path, monkeypatch):
    # finite weights whose logits overflow on some training example give an infinite train
    # loss only in the final evaluation (the epochs report the running mean and the test loss)
    from groundup.train import report

    real = report.run_metrics

    def overflowing(engine, prep, history):
        return {**real(engine, prep, history), "train_loss": float("inf")}

    monkeypatch.setattr(report, "run_metrics", overflowing)
    out = tmp_path / "run"
    with pytest.raises(TrainingError, match=r"final train loss became inf.*--lr"):
        train_run(build_config("penguins", hidden=(8,), epochs=1), out=out, log=quiet)
    assert not (out / "model.safetensors").exists() and not (out / "metrics.json").exists()


def _huge_weights_run(good_run: Path, tmp_path: Path) -> Path:
    """A run whose weights are finite but whose logits overflow float32 to infinity."""
    run = Path(shutil.copytree(good_run, tmp_path / "run"))
    state = {k: np.zeros_like(v) for k, v in io.load_safetensors(run / "model.safetensors").items()}
    state["0.weight"][:, 1] = 3e38  # hidden units 3e38 * bill depth (standardized: 0.8 in FEATURES)
    state["2.weight"][:] = 3e38  # logits 8 * 2.4e38 * 3e38: beyond float32's 3.4e38
    io.save_safetensors(state, run / "model.safetensors")
    return run


def test_evaluate_and_predict_refuse_a_model_whose_outputs_overflow(good_run, tmp_path, capsys):
    run = _huge_weights_run(good_run, tmp_path)
    (tmp_path / "new.csv").write_text(FEATURES)
    for argv in (["evaluate", run], ["predict", run, tmp_path / "new.csv"]):
        code, out, err = run_cli(argv, capsys)
        assert code != 0 and "diverged" in err and "--lr" in err, (argv, out, err)
        assert "nan" not in out.lower()
        assert len(err.strip().splitlines()) == 1, err


def test_json_files_are_strict(tmp_path):
    path = io.atomic_write_json(tmp_path / "m.json", {"loss": 0.5})
    with pytest.raises(DataError, match=r"nan at \['per_class'\]\['a'\]\['f1'\]"):
        io.atomic_write_json(path, {"loss": 0.1, "per_class": {"a": {"f1": float("nan")}}})
    with pytest.raises(DataError, match=r"inf at \[1\]"):
        io.atomic_write_json(path, [1.0, np.float32("inf")])
    assert strict_json(path.read_text()) == {"loss": 0.5}  # untouched
    assert io.finite_or_none(float("nan")) is None and io.finite_or_none(2) == 2.0
    with pytest.raises(ValueError):
        History([{"epoch": 1, "loss": float("nan")}]).to_jsonl()


def test_early_stopping_state_round_trips_through_strict_json():
    for mode in ("min", "max"):
        fresh = EarlyStopping("test_loss", 3, mode=mode)
        state = strict_json(json.dumps(fresh.state_json(), allow_nan=False))
        again = EarlyStopping("test_loss", 3, mode=mode)
        again.best = 0.5
        again.load_state(state, {})
        assert again.best == fresh.best and math.isinf(again.best)


# -- 5. weights files of another format ----------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17), "PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
        (b'{\n  "accuracy": 0.9\n}\n', "JSON"),
        (b"PK\x03\x04" + bytes(26), "PyTorch .pt"),
        (b"\x80\x02}q\x00.", "pickle"),
        (b"a,b,label\n1,2,x\n", "text file"),
    ],
    ids=["png", "jpeg", "json", "zip", "pickle", "csv"],
)
def test_load_says_what_a_non_safetensors_file_is(tmp_path, data, says):
    path = tmp_path / "weights.safetensors"
    path.write_bytes(data)
    for read in (groundup.load, io.read_safetensors_metadata):
        with pytest.raises(DataError) as info:
            read(path)
        message = str(info.value)
        assert "not a safetensors file" in message and says in message, message
        assert "truncated" not in message and "Delete it" not in message


def test_load_of_a_folder_says_it_is_a_folder(good_run):
    with pytest.raises(DataError, match=r"is a folder.*model\.safetensors"):
        groundup.load(good_run)
