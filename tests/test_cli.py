"""The command line: every sub-command end to end, and one-line errors (never a traceback)."""

import gzip
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from groundup.cli import main

CLI = "import sys; from groundup.cli import main; sys.exit(main(sys.argv[1:]))"


def run_cli(argv, capsys):
    """(exit status, stdout, stderr) of ``groundup argv`` run in this process."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own exits (--help, bad choices)
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_train_with_no_arguments_runs_the_default_recipe_offline(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GROUNDUP_DATA_DIR", raising=False)
    code, out, err = run_cli(["train", "--quiet"], capsys)
    assert code == 0, err
    assert "penguins-mlp" in out and "Epoch 200/200: loss=" in out
    assert re.search(r"test accuracy (\d+\.\d+)%", out)
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("penguins-mlp-autograd-")
    assert (run / "model.safetensors").is_file() and (run / "plots" / "curves.png").is_file()


def test_train_help_documents_every_option(capsys):
    code, out, _ = run_cli(["train", "--help"], capsys)
    assert code == 0
    for option in ("--recipe", "--model", "--hidden", "--activation", "--optimizer", "--lr",
                   "--momentum", "--epochs", "--batch-size", "--engine", "--seed", "--target",
                   "--data-dir", "--out", "--resume", "--patience", "--monitor"):  # fmt: skip
        assert option in out
    words = " ".join(out.split())  # argparse wraps the lines
    assert "--activation F|F1,F2" in words and "or one per hidden layer" in words
    assert "--hidden 64,32 --activation relu,tanh" in words


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--recipe", "mnist-lbfgs"], "invalid choice"),
        (["train", "penguins", "--lr", "-1"], "positive number"),
        (["train", "penguins", "--hidden", "64,x"], "layer widths"),
        (["train", "penguins", "--epochs", "0"], "positive integer"),
        (["train", "penguins", "--engine", "jax"], "invalid choice"),
        (["train", "penguins", "--model", "logistic"], "2 classes"),
        (["train", "no_such_set"], "no_such_set"),
        (["train", "missing.csv"], "no such CSV file"),
        (["train", "--resume", "nowhere"], "not a run folder"),
        (["train", "--resume", "nowhere", "--lr", "0.1"], "drop --lr"),
        (["evaluate", "nowhere"], "not a run folder"),
        (["predict", "nowhere", "x.png"], "not a run folder"),
        (["compare", "penguins-mlp", "--engines", "scratch,jax"], "unknown engine"),
        (["compare", "penguins-mlp", "--engines", ","], "no engine given"),
        (["compare", "penguins-mlp", "--engines", "scratch"],
         "a comparison needs at least two different engines, got only scratch"),
        (["compare", "penguins-mlp", "--engines", "scratch,scratch"], "got only scratch"),
        (["compare", "penguins-mlp", "--engines", "scratch,,torch"], "an empty entry"),
        (["compare", "xor-mlp", "--iters", "5"], "xor-mlp is a classifier, which takes --epochs"),
        (["compare", "shakespeare-char", "--epochs", "5"], "--epochs does not apply"),
        (["compare", "shakespeare-char", "--engines", "scratch,torch"], "--engines does not apply"),
        (["train", "penguins", "--seed", "-1"], "whole number >= 0"),
        (["compare", "penguins-mlp", "--seed", "-1"], "whole number >= 0"),
        (["gradcheck", "--seed", "-1"], "whole number >= 0"),
        (["train", "penguins", "--lr", "abc"], "positive number"),
        (["train", "penguins", "--lr", "inf"], "positive number"),
        (["train", "penguins", "--lr", "nan"], "positive number"),
        (["train", "penguins", "--hidden", "0"], "positive integers"),
        (["train", "penguins", "--batch-size", "0"], "positive integer"),
        (["train", "penguins", "--momentum", "1"], "[0, 1)"),
        (["train", "penguins", "--patience", "0"], "positive integer"),
        (["train", "penguins", "--monitor", "loss"], "invalid choice"),
        (["train", "--resume", "nowhere", "--patience", "3"], "drop --patience"),
        (["train", "--resume", "nowhere", "--seed", "0"], "drop --seed"),
        (["train", "penguins", "--data-dir", "no/such/folder"], "no such folder"),
        (["evaluate", "nowhere", "--data-dir", "no/such/folder"], "no such folder"),
        (["lesson", "run", "mnist", "--data-dir", "no/such/folder"], "no such folder"),
        (["train", "data.csv"], "no such CSV file"),
        (["predict", "nowhere", "x.png", "--top", "0"], "positive integer"),
        (["train", "penguins", "--model", "cnn"], "needs images"),
        (["train", "digits", "--model", "mlp", "--channels", "8"], "--channels does not apply"),
        (["train", "digits", "--hidden", "8", "--kernel-size", "3"], "does not apply"),
        (["train", "digits", "--kernel-size", "2"], "odd"),
        (["train", "digits", "--channels", "8,0"], "positive integers"),
        (["train", "digits", "--channels", "8,8,8,8"], "below one pixel"),
        (["train", "penguins", "--activation", "swish"], "one such name per layer"),
        (["train", "penguins", "--activation", "relu,,tanh"], "got 'relu,,tanh'"),
        (["train", "penguins", "--activation", "relu,tanh,gelu"],
         "3 names for 2 hidden layers (--hidden 64,32); give one per hidden layer"),
        (["train", "digits", "--model", "cnn", "--activation", "relu,tanh,gelu"],
         "3 names for 2 convolution blocks (--channels 16,32)"),
        (["train", "--resume", "nowhere", "--activation", "relu,tanh"], "drop --activation"),
    ],
)
def test_bad_arguments_give_one_line_and_a_nonzero_exit(argv, message, capsys, tmp_path,
                                                        monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(argv, capsys)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def _fake_mnist(folder):
    (folder / "mnist").mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):  # fmt: skip
        blob = gzip.compress(np.arange(3000, dtype=np.uint8).tobytes())
        (folder / "mnist" / f"{name}.gz").write_bytes(blob[: len(blob) // 2])  # cut in half


def test_corrupted_mnist_gz_is_one_clear_line(tmp_path):
    _fake_mnist(tmp_path / "data")
    env = {k: v for k, v in os.environ.items() if k != "GROUNDUP_DATA_DIR"}
    env["GROUNDUP_CACHE_DIR"] = str(tmp_path / "cache")
    proc = subprocess.run(
        [sys.executable, "-c", CLI, "train", "mnist", "--data-dir", str(tmp_path / "data"),
         "--out", str(tmp_path / "run")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "corrupted" in proc.stderr or "truncated" in proc.stderr
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def penguins_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "penguins"
    assert main(["train", "penguins", "--recipe", "penguins-softmax", "--epochs", "60",
                 "--out", str(out), "--quiet", "--no-plots"]) == 0  # fmt: skip
    return out


def test_evaluate_prints_report_and_confusion_matrix(penguins_run, capsys):
    code, out, err = run_cli(["evaluate", str(penguins_run)], capsys)
    assert code == 0, err
    assert re.search(r"accuracy \d+\.\d+%", out) and "f1-score" in out
    assert "Adelie" in out and "confusion matrix" in out


def evaluate_on_rows(run, rows: str, capsys, tmp_path) -> str:
    """``groundup evaluate RUN --data CSV --target species`` on penguin ``rows``; its output."""
    csv = tmp_path / "rows.csv"
    csv.write_text("species,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g\n" + rows)
    code, out, err = run_cli(["evaluate", str(run), "--data", str(csv), "--target", "species"],
                             capsys)  # fmt: skip
    assert code == 0, err
    return out


def test_evaluate_on_a_csv_matches_classes_by_name(penguins_run, capsys, tmp_path):
    out = evaluate_on_rows(penguins_run, "Gentoo,46.1,13.2,211,4500\nAdelie,39.1,18.7,181,3750\n",
                           capsys, tmp_path)  # fmt: skip
    assert "(2 examples)" in out


def test_evaluate_on_rows_of_a_single_class(penguins_run, capsys, tmp_path):
    # A trained model may be tested on one class alone: "a classifier needs at least two
    # classes" is a check for training data, not for evaluation.
    out = evaluate_on_rows(penguins_run, "Adelie,39.1,18.7,181,3750\n", capsys, tmp_path)
    assert "(1 examples)" in out and re.search(r"accuracy (0|100)\.00%", out)
    report = out.split("confusion matrix")[0]
    assert re.search(r"Adelie +\d\.\d{3} +\d\.\d{3} +\d\.\d{3} +1\n", report)
    # only the classes present or predicted get a row (scikit-learn's report does the same)
    assert sum(name in report for name in ("Adelie", "Chinstrap", "Gentoo")) <= 2


def test_a_csv_run_is_evaluated_and_resumed_from_another_folder(capsys, tmp_path, monkeypatch):
    from groundup import data

    ds = data.load("penguins")
    rows = [",".join(ds.feature_names + ["species"])] + [
        ",".join(f"{v:g}" for v in x) + f",{ds.classes[y]}"
        for x, y in zip(ds.X_train, ds.y_train, strict=True)
    ]
    (tmp_path / "birds.csv").write_text("\n".join(rows) + "\n")
    monkeypatch.chdir(tmp_path)  # the CSV is given relative to here ...
    code, _, err = run_cli(["train", "birds.csv", "--target", "species", "--epochs", "2",
                            "--out", "run", "--quiet", "--no-plots"], capsys)  # fmt: skip
    assert code == 0, err
    monkeypatch.chdir(tmp_path.parent)  # ... and found again from elsewhere
    code, out, err = run_cli(["evaluate", str(tmp_path / "run")], capsys)
    assert code == 0, err
    assert "birds.csv (test rows)" in out
    code, out, err = run_cli(["train", "--resume", str(tmp_path / "run"), "--epochs", "3",
                              "--quiet", "--no-plots"], capsys)  # fmt: skip
    assert code == 0, err


def test_predict_csv_rows(penguins_run, capsys, tmp_path):
    csv = tmp_path / "new.csv"
    csv.write_text("bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g\n"
                   "46.1,13.2,211,4500\n39.1,18.7,181,3750\n")  # fmt: skip
    code, out, err = run_cli(["predict", str(penguins_run), str(csv), "--top", "2"], capsys)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("new.csv row 1: Gentoo (") and lines[1].startswith(
        "new.csv row 2: Adelie (")
    bad = tmp_path / "bad.csv"
    bad.write_text("bill_length_mm,bill_depth_mm\n1,2\n")
    code, _, err = run_cli(["predict", str(penguins_run), str(bad)], capsys)
    assert code == 2 and "lacks the model's feature columns" in err
    png = tmp_path / "x.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))  # not text, not a CSV
    code, _, err = run_cli(["predict", str(penguins_run), str(png)], capsys)
    assert code == 2 and "takes CSV files" in err and len(err.strip().splitlines()) == 1


def test_predict_image_files_are_resized_to_the_model(tmp_path, capsys):
    from PIL import Image

    from groundup import data

    out = tmp_path / "digits"
    assert main(["train", "digits", "--hidden", "32", "--epochs", "15", "--out", str(out),
                 "--quiet", "--no-plots"]) == 0  # fmt: skip
    capsys.readouterr()
    from groundup.runs import open_run
    from groundup.train.prepare import apply_preprocess

    ds = data.load("digits")
    opened = open_run(out, engine="scratch")
    right = opened.engine.predict(apply_preprocess(ds.X_test, opened.preprocess)) == ds.y_test
    k = int(np.flatnonzero(right)[0])  # an example the model gets right from the array itself
    image = np.round(ds.X_test[k] * (255 / 16)).astype(np.uint8)  # 8x8, 0..16 -> 0..255
    big = Image.fromarray(image).resize((32, 32), Image.Resampling.NEAREST).convert("RGB")
    big.save(tmp_path / "digit.png")  # a 32x32 RGB file: converted to 8x8 grey by predict
    code, stdout, err = run_cli(["predict", str(out), str(tmp_path / "digit.png")], capsys)
    assert code == 0, err
    assert re.fullmatch(rf".*digit\.png: {ds.classes[ds.y_test[k]]} \(\d+\.\d%\)\n", stdout)
    (tmp_path / "junk.png").write_bytes(b"not an image")
    code, _, err = run_cli(["predict", str(out), str(tmp_path / "junk.png")], capsys)
    assert code == 2 and "not an image" in err and "takes image files" in err


def test_compare_prints_a_table_with_weight_differences(capsys):
    code, out, err = run_cli(["compare", "penguins-softmax", "--epochs", "20",
                              "--engines", "scratch,autograd"], capsys)  # fmt: skip
    assert code == 0, err
    assert "scratch" in out and "autograd" in out and "max |Δw|" in out
    diff = float(re.search(r"largest weight difference (\S+)", out).group(1))
    assert diff < 1e-5


def test_gradcheck_passes_for_every_model(capsys):
    code, out, err = run_cli(["gradcheck"], capsys)
    assert code == 0, err
    assert "all gradients agree" in out
    for model in ("logistic", "softmax", "mlp", "cnn"):
        assert f"{model} [" in out
    assert "Conv2d(1, 2, 3, padding=1)" in out


def test_resume_a_finished_run_rewrites_its_outputs(penguins_run, capsys):
    code, out, err = run_cli(["train", "--resume", str(penguins_run), "--epochs", "70",
                              "--quiet", "--no-plots"], capsys)  # fmt: skip
    assert code == 0, err
    assert "resuming" in out and "Epoch 70/70" in out


def test_patience_stops_early_and_is_kept_for_resume(tmp_path, capsys):
    out_dir = tmp_path / "run"
    # Adam at lr 0.1 reaches its best test accuracy within a few epochs, then plateaus
    code, out, err = run_cli(["train", "penguins", "--lr", "0.1", "--epochs", "200",
                              "--patience", "3", "--monitor", "test_acc", "--out", str(out_dir),
                              "--quiet", "--no-plots"], capsys)  # fmt: skip
    assert code == 0, err
    assert "early stopping after epoch" in out and "test_acc has not improved" in out
    config = json.loads((out_dir / "config.json").read_text())["run"]
    assert config["patience"] == 3 and config["monitor"] == "test_acc"
    epochs = len((out_dir / "history.jsonl").read_text().splitlines())
    assert epochs < 200
    code, out, err = run_cli(["train", "--resume", str(out_dir), "--quiet", "--no-plots"], capsys)
    assert code == 0, err  # the stopped run stays stopped, and says so
    assert out.strip() == (f"{out_dir} stopped early after epoch {epochs} (test_acc did not "
                           f"improve for --patience 3 epochs): nothing to resume; to train "
                           f"further, start a new run with a larger --patience")
    assert len((out_dir / "history.jsonl").read_text().splitlines()) == epochs


def test_resume_of_a_finished_run_says_there_is_nothing_to_resume(tmp_path, capsys):
    run = tmp_path / "run"
    assert run_cli(["train", "penguins", "--epochs", "1", "--out", str(run), "--quiet",
                    "--no-plots"], capsys)[0] == 0  # fmt: skip
    files = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    for extra in ([], ["--epochs", "1"]):
        code, out, err = run_cli(["train", "--resume", str(run), *extra], capsys)
        assert code == 0 and err == "", err
        # was "resuming ... at epoch 2 (step 2)", then nothing trained
        assert out == (f"{run} has already finished its 1 epoch: nothing to resume; to train "
                       f"it further, raise its epochs (groundup train --resume {run} --epochs "
                       f"2)\n")
        assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == files
    code, out, err = run_cli(["train", "--resume", str(run), "--epochs", "2", "--quiet",
                              "--no-plots"], capsys)  # the way it names
    assert code == 0 and "resuming" in out and "Epoch 2/2" in out, err


def test_resume_cannot_shrink_a_run(penguins_run, capsys):
    before = (penguins_run / "config.json").read_text()
    code, _, err = run_cli(["train", "--resume", str(penguins_run), "--epochs", "1"], capsys)
    assert code == 2 and "can only extend" in err and len(err.strip().splitlines()) == 1
    assert (penguins_run / "config.json").read_text() == before  # nothing rewritten


def test_list_recipes(capsys):
    code, out, _ = run_cli(["train", "--list-recipes"], capsys)
    assert code == 0
    for name in ("mnist-sgd", "mnist-adam", "cat-logreg", "blobs-logreg", "xor-mlp",
                 "cancer-logistic", "cancer-mlp", "penguins-softmax", "penguins-mlp",
                 "mnist-cnn", "digits-cnn"):  # fmt: skip
        assert name in out
    assert out.count("expect:") == 11


def test_progress_bar_in_a_terminal(monkeypatch, capsys):
    from groundup.train.progress import ProgressBar

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    bar = ProgressBar(1000, enabled=True)
    assert bar.active and bar.every == 5  # touched every 5 steps of 1000, not every step
    bar.update(500, "epoch 1/2")
    bar.print("Epoch 1/2: loss=0.5000")
    bar.close()
    assert not bar.active and "Epoch 1/2: loss=0.5000" in capsys.readouterr().out


def test_a_cnn_run_draws_its_filters_and_feature_maps_and_predicts(tmp_path, capsys):
    out = tmp_path / "cnn"
    code, stdout, err = run_cli(["train", "digits", "--model", "cnn", "--channels", "4,8",
                                 "--kernel-size", "3", "--epochs", "2", "--out", str(out),
                                 "--quiet"], capsys)  # fmt: skip
    assert code == 0, err
    assert "Conv2d(1, 4, 3, padding=1)" in stdout and "Linear(32, 10)" in stdout  # 8 x 2 x 2
    plots = {p.name for p in (out / "plots").iterdir()}
    assert {"first_layer_filters.png", "feature_maps.png", "misclassified.png"} <= plots
    assert "first_layer_weights.png" not in plots
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["run"]["channels"] == [4, 8] and cfg["spec"]["layers"][0]["kind"] == "conv2d"
    code, stdout, err = run_cli(["evaluate", str(out)], capsys)
    assert code == 0 and "Conv2d(4, 8, 3, padding=1)" in stdout, err
    from PIL import Image

    from groundup import data

    ds = data.load("digits")
    Image.fromarray(np.round(ds.X_test[0] * (255 / 16)).astype(np.uint8)).save(tmp_path / "d.png")
    code, stdout, err = run_cli(["predict", str(out), str(tmp_path / "d.png")], capsys)
    assert code == 0 and re.fullmatch(r".*d\.png: \d \(\d+\.\d%\)\n", stdout), err
    code, stdout, err = run_cli(["train", "--resume", str(out), "--epochs", "3", "--quiet",
                                 "--no-plots"], capsys)  # fmt: skip
    assert code == 0 and "Epoch 3/3" in stdout, err


def test_compare_a_cnn_recipe(capsys):
    code, out, err = run_cli(["compare", "digits-cnn", "--epochs", "1",
                              "--engines", "scratch,autograd"], capsys)  # fmt: skip
    assert code == 0, err
    assert "Conv2d(1, 16, 3, padding=1)" in out
    assert float(re.search(r"largest weight difference (\S+)", out).group(1)) < 1e-5
