"""Run folders: every file written, and runs killed (SIGKILL) or interrupted (Ctrl-C) resume to
exactly the weights of a run never interrupted."""

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from groundup.errors import DataError, GroundupError
from groundup.io import load_safetensors
from groundup.runs import build_config, open_run, resume_run, train_run
from groundup.train import load_checkpoint

CLI = "import sys; from groundup.cli import main; sys.exit(main(sys.argv[1:]))"


def quiet(_msg):
    pass


def test_blobs_run_folder_has_every_file(tmp_path):
    config = build_config(recipe="blobs-logreg", epochs=120)
    result = train_run(config, out=tmp_path / "run", log=quiet)
    run = tmp_path / "run"
    names = {p.name for p in run.iterdir()}
    assert names == {"config.json", "history.jsonl", "metrics.json", "model.safetensors",
                     "checkpoint", "plots"}  # fmt: skip
    plots = {p.name for p in (run / "plots").iterdir()}
    assert plots == {"curves.png", "confusion_matrix.png", "decision_boundary.png",
                     "boundary_snapshots.png"}  # fmt: skip
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["run"]["recipe"] == "blobs-logreg" and cfg["spec"]["binary"]
    assert len((run / "history.jsonl").read_text().splitlines()) == 120
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.95 and metrics["accuracy"] == result.metrics["accuracy"]
    assert set(metrics["per_class"]["0"]) == {"precision", "recall", "f1", "support"}
    cm = np.array(metrics["confusion_matrix"])
    assert cm.shape == (2, 2) and cm.sum() == metrics["n"] == 40
    assert np.trace(cm) / cm.sum() == pytest.approx(metrics["accuracy"])
    state = load_safetensors(run / "model.safetensors")
    assert set(state) == {"0.weight", "0.bias"} and state["0.weight"].shape == (1, 2)
    assert not list(run.rglob("*.tmp"))  # atomic writes leave no temporary files


def test_same_seed_same_bits_in_model_safetensors(tmp_path):
    config = build_config(recipe="penguins-mlp", epochs=30)
    for name in ("a", "b"):
        train_run(config, out=tmp_path / name, log=quiet, plots=False)
    a = (tmp_path / "a" / "model.safetensors").read_bytes()
    assert a == (tmp_path / "b" / "model.safetensors").read_bytes()
    config.seed = 1
    train_run(config, out=tmp_path / "c", log=quiet, plots=False)
    assert a != (tmp_path / "c" / "model.safetensors").read_bytes()


def test_image_run_draws_weights_and_mistakes(tmp_path):
    config = build_config("digits", hidden=(16,), epochs=2)
    train_run(config, out=tmp_path / "run", log=quiet)
    plots = {p.name for p in (tmp_path / "run" / "plots").iterdir()}
    assert {"first_layer_weights.png", "misclassified.png", "curves.png"} <= plots
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["preprocess"]["kind"] == "pixels" and cfg["image_shape"] == [8, 8]


def test_open_run_reproduces_the_metrics(tmp_path):
    from groundup.runs import load_data
    from groundup.train.report import classification_metrics

    config = build_config(recipe="penguins-softmax", epochs=30)
    result = train_run(config, out=tmp_path / "run", log=quiet, plots=False)
    opened = open_run(tmp_path / "run", engine="scratch")
    prep = load_data(config)
    again = classification_metrics(opened.engine, prep.X_test, prep.y_test, opened.classes)
    assert again["confusion_matrix"] == result.metrics["confusion_matrix"]
    assert opened.classes == ["Adelie", "Chinstrap", "Gentoo"]


def test_bad_configurations_are_groundup_errors(tmp_path):
    with pytest.raises(GroundupError, match="unknown recipe"):
        build_config(recipe="mnist-lbfgs")
    with pytest.raises(GroundupError, match="--hidden does not apply"):
        build_config(recipe="penguins-softmax", hidden=(3,), model="softmax")
    with pytest.raises(GroundupError, match="2 classes"):
        train_run(build_config("penguins", model="logistic"), out=tmp_path / "a", log=quiet)
    with pytest.raises(DataError, match="no such CSV file"):
        train_run(build_config(str(tmp_path / "x.csv")), out=tmp_path / "b", log=quiet)
    (tmp_path / "x.csv").write_text("a,b,label\n1,2,x\n3,4,y\n")
    with pytest.raises(DataError, match="--target"):
        train_run(build_config(str(tmp_path / "x.csv")), out=tmp_path / "b", log=quiet)
    with pytest.raises(DataError, match="not a run folder"):
        open_run(tmp_path)
    config = build_config(recipe="penguins-softmax", epochs=1)
    train_run(config, out=tmp_path / "c", log=quiet, plots=False)
    with pytest.raises(GroundupError, match="already holds a run"):
        train_run(config, out=tmp_path / "c", log=quiet, plots=False)


def test_optimizer_override_takes_its_default_learning_rate():
    config = build_config(recipe="mnist-sgd", optimizer="adam")
    assert config.optimizer.name == "adam" and config.optimizer.lr == 1e-3
    assert build_config(recipe="mnist-sgd").optimizer.lr == 0.01
    mnist = build_config("mnist")
    assert mnist.recipe == "mnist-sgd" and mnist.engine == "autograd"
    assert build_config().recipe == "penguins-mlp"  # the offline default


# -- kill -9 and Ctrl-C --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def csv_problem(tmp_path_factory):
    folder = tmp_path_factory.mktemp("killtest")
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 2, size=(3, 6))
    y = rng.integers(0, 3, size=2000)
    X = centers[y] + rng.normal(size=(2000, 6))
    lines = ["a,b,c,d,e,f,label"] + [
        ",".join(f"{v:.5f}" for v in row) + f",k{label}" for row, label in zip(X, y, strict=True)
    ]
    path = folder / "points.csv"
    path.write_text("\n".join(lines) + "\n")
    args = [str(path), "--target", "label", "--hidden", "16", "--optimizer", "adam",
            "--epochs", "500", "--batch-size", "32", "--quiet", "--no-plots"]  # fmt: skip
    config = build_config(str(path), target="label", hidden=(16,), optimizer="adam", epochs=500,
                          batch_size=32)  # fmt: skip
    reference = train_run(config, out=folder / "reference", log=quiet, plots=False)
    return args, reference


def _start(args, out):
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "train", *args, "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for_checkpoint(proc, out, n_distinct=1, timeout=120):
    """Poll until the run has written ``n_distinct`` different checkpoints; return the last tag."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            tag = json.loads((out / "checkpoint" / "latest.json").read_text())["checkpoint"]
        except (FileNotFoundError, ValueError, KeyError):
            tag = None
        if tag and tag not in seen:
            seen.append(tag)
            if len(seen) >= n_distinct:
                return tag
        assert proc.poll() is None, f"the run ended before it was stopped: {proc.stderr.read()}"
        time.sleep(0.005)
    pytest.fail("no checkpoint appeared")


def _assert_same_as_reference(out, reference):
    ref = load_safetensors(reference.folder / "model.safetensors")
    got = load_safetensors(out / "model.safetensors")
    assert set(ref) == set(got)
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k])  # bit for bit
    rows = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert len(rows) == 500
    for a, b in zip(rows, reference.history, strict=True):
        assert a["loss"] == b["loss"] and a["test_acc"] == b["test_acc"]


def test_sigkill_mid_run_then_resume_gives_identical_weights(tmp_path, csv_problem):
    args, reference = csv_problem
    out = tmp_path / "run"
    proc = _start(args, out)
    _wait_for_checkpoint(proc, out, n_distinct=2)
    proc.kill()  # SIGKILL: no handler runs, no cleanup
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "model.safetensors").exists()  # it really was stopped mid-way
    stopped_at = load_checkpoint(out / "checkpoint").state["loop"]["epoch"]
    assert 0 < stopped_at < 500
    result = resume_run(out, log=quiet, plots=False)
    assert not result.interrupted
    _assert_same_as_reference(out, reference)


def test_ctrl_c_saves_a_checkpoint_and_exits_cleanly(tmp_path, csv_problem):
    args, reference = csv_problem
    out = tmp_path / "run"
    proc = _start(args, out)
    _wait_for_checkpoint(proc, out, n_distinct=1)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "groundup train --resume" in stdout
    ckpt = load_checkpoint(out / "checkpoint")
    assert ckpt.state["loop"]["step"] > 0 and not (out / "model.safetensors").exists()
    resume = subprocess.run([sys.executable, "-c", CLI, "train", "--resume", str(out), "--quiet",
                             "--no-plots"], capture_output=True, text=True)  # fmt: skip
    assert resume.returncode == 0, resume.stderr
    _assert_same_as_reference(out, reference)


OLD_RUN = Path(__file__).parent / "data" / "runs" / "penguins-mlp-0.1.0"  # by groundup 0.1.0


def test_a_run_written_before_models_had_layers_still_opens_and_resumes(tmp_path):
    # its config.json and model.safetensors describe the model in the old MLP-only form
    cfg = json.loads((OLD_RUN / "config.json").read_text())
    assert "layers" not in cfg["spec"] and cfg["spec"]["hidden"] == [8]
    recorded = json.loads((OLD_RUN / "metrics.json").read_text())
    from groundup.runs import load_data
    from groundup.train.report import classification_metrics

    for engine in ("scratch", "autograd"):
        opened = open_run(OLD_RUN, engine=engine)
        assert list(opened.spec.parameter_shapes()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
        prep = load_data(opened.config)
        m = classification_metrics(opened.engine, prep.X_test, prep.y_test, opened.classes)
        assert m["accuracy"] == recorded["accuracy"]
        assert m["loss"] == pytest.approx(recorded["loss"], rel=1e-6)
    # resuming it for 5 more epochs ends where 45 straight epochs of today's code end, to float32
    # rounding: the first 40 epochs were trained by 0.1.0, which summed the bias gradients with
    # NumPy's row-by-row reduction; today's F.linear sums them as a BLAS product (1ᵀ g), which
    # rounds differently (3e-8 apart after 45 epochs). A broken resume lands far away.
    run = tmp_path / "old"
    shutil.copytree(OLD_RUN, run)
    resume_run(run, epochs=45, log=quiet, plots=False)
    config = build_config(recipe="penguins-mlp", hidden=(8,), epochs=45)
    train_run(config, out=tmp_path / "new", log=quiet, plots=False)
    old, new = (load_safetensors(p / "model.safetensors") for p in (run, tmp_path / "new"))
    for k in new:
        np.testing.assert_allclose(old[k], new[k], rtol=0, atol=1e-6, err_msg=k)


def test_pixels_are_scaled_by_the_data_sets_own_largest_value():
    from groundup import data
    from groundup.train.prepare import prepare

    digits = prepare(data.load("digits"), "pixels")  # stored as 0..16, not 0..255
    assert digits.preprocess["max"] == 16 and digits.X_train.max() == 1.0
    X = np.array([[[0, 4]], [[2, 1]]], dtype=np.uint8)  # a made-up 1x2 image set, values 0..4
    ds = data.Dataset("four-levels", X, np.array([0, 1]), X[:0], np.array([], np.int64),
                      ["a", "b"], image_shape=(1, 2), pixel_max=4)  # fmt: skip
    np.testing.assert_array_equal(prepare(ds, "pixels").X_train, [[0, 1], [0.5, 0.25]])


def test_colour_images_are_flattened_channels_first_for_a_cnn():
    from groundup import data
    from groundup.train.prepare import apply_preprocess, prepare

    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (6, 4, 5, 3), dtype=np.uint8)  # (N, H, W, RGB) as loaders give
    ds = data.Dataset("rgb", X, np.arange(6) % 2, X[:2], np.array([0, 1]), ["a", "b"],
                      image_shape=(4, 5, 3))  # fmt: skip
    chw = prepare(ds, "pixels", channels_first=True)
    assert chw.image_chw == (3, 4, 5)
    want = X.transpose(0, 3, 1, 2).reshape(6, -1).astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(chw.X_train, want)  # row = red plane, green plane, blue plane
    np.testing.assert_array_equal(apply_preprocess(X, chw.preprocess), want)  # predict's path
    hwc = prepare(ds, "pixels")  # an mlp keeps the loaders' layout
    np.testing.assert_array_equal(hwc.X_train, X.reshape(6, -1) / np.float32(255))


# -- an activation per hidden layer (issue 11): groundup train --activation relu,tanh -----------
MIXED = ["train", "penguins", "--hidden", "64,32", "--activation", "relu,tanh", "--epochs", "2",
         "--batch-size", "16", "--quiet"]  # fmt: skip
MIXED_SUMMARY = "Linear(4, 64) -> ReLU -> Linear(64, 32) -> Tanh -> Linear(32, 3)"


def _mixed_run(folder: Path, engine: str, *extra: str) -> dict:
    from groundup.cli import main

    assert main([*MIXED, "--engine", engine, "--out", str(folder), *extra]) == 0
    return load_safetensors(folder / "model.safetensors")


def _assert_close(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-5, atol=1e-6)


def test_a_run_with_an_activation_per_hidden_layer_trains_alike_on_scratch_and_autograd(
    tmp_path, capsys
):
    from groundup.cli import main

    scratch = _mixed_run(tmp_path / "scratch", "scratch", "--no-plots")
    auto = _mixed_run(tmp_path / "autograd", "autograd")
    _assert_close(scratch, auto)  # 36 Adam steps of the hand-derived and the autograd engine
    relu = build_config("penguins", hidden=(64, 32), epochs=2, batch_size=16)
    train_run(relu, out=tmp_path / "relu", log=quiet, plots=False)
    assert not np.allclose(load_safetensors(tmp_path / "relu" / "model.safetensors")["4.weight"],
                           auto["4.weight"])  # the tanh layer made another network  # fmt: skip
    cfg = json.loads((tmp_path / "autograd" / "config.json").read_text())
    assert cfg["run"]["activation"] == ["relu", "tanh"]
    assert {"curves.png", "confusion_matrix.png"} <= {
        p.name for p in (tmp_path / "autograd" / "plots").iterdir()}  # fmt: skip
    # evaluate and predict read it back; every engine opens it to the same probabilities
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "autograd")]) == 0
    out = capsys.readouterr().out
    assert MIXED_SUMMARY in out
    accuracy = float(re.search(r"accuracy (\d+\.\d+)%", out).group(1))
    recorded = json.loads((tmp_path / "autograd" / "metrics.json").read_text())["accuracy"]
    assert accuracy == pytest.approx(100 * recorded, abs=0.005)
    rows = tmp_path / "rows.csv"
    rows.write_text("bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g\n"
                    "39.1,18.7,181,3750\n46.5,17.9,192,3500\n50.0,15.2,218,5700\n")  # fmt: skip
    assert main(["predict", str(tmp_path / "autograd"), str(rows)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    from groundup.runs import load_data

    X = load_data(open_run(tmp_path / "autograd").config).X_test
    P = open_run(tmp_path / "autograd", engine="autograd").probabilities(X)
    np.testing.assert_allclose(open_run(tmp_path / "autograd", "scratch").probabilities(X), P,
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    # resumed after its first epoch, it ends where the straight run ends, bit for bit
    assert main([*MIXED, "--epochs", "1", "--out", str(tmp_path / "half"), "--no-plots"]) == 0
    assert main(["train", "--resume", str(tmp_path / "half"), "--epochs", "2", "--quiet"]) == 0
    half = load_safetensors(tmp_path / "half" / "model.safetensors")
    assert all(np.array_equal(half[k], auto[k]) for k in auto)


@pytest.mark.torch
def test_a_run_with_an_activation_per_hidden_layer_trains_alike_on_torch(tmp_path):
    pytest.importorskip("torch")
    _assert_close(_mixed_run(tmp_path / "autograd", "autograd", "--no-plots"),
                  _mixed_run(tmp_path / "torch", "torch", "--no-plots"))  # fmt: skip
    assert open_run(tmp_path / "torch", engine="torch").spec.summary().count("Tanh") == 1


def test_one_activation_for_all_layers_writes_the_config_it_always_did(tmp_path):
    from groundup.cli import main

    base = ["train", "penguins", "--hidden", "8,8", "--epochs", "1", "--quiet", "--no-plots"]
    assert main([*base, "--activation", "tanh", "--out", str(tmp_path / "one")]) == 0
    assert main([*base, "--activation", "tanh,tanh", "--out", str(tmp_path / "each")]) == 0
    one, each = ((tmp_path / name / "config.json").read_text() for name in ("one", "each"))
    assert '"activation": "tanh"' in one and one == each  # the same bytes
