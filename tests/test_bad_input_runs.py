"""Bad run folders, one row each: hand-edited ``config.json`` and ``model.safetensors`` (read by
``evaluate``, ``predict`` and ``train --resume``), ``--out`` over other files, weights files of
another format, ``--target`` with a built-in data set, and diverging learning rates. Every row
must end with one line on stderr naming the cause (the key and the file) and a non-zero exit.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from badinput import Case, check_case
from groundup.io import load_safetensors, save_safetensors
from groundup.runs import build_config, train_run

FEATURES = "bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g\n39.1,18.7,181,3750\n"
# The smallest PNG header there is: its first bytes are all a reader looks at.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    """A finished penguins MLP run ([4, 8, 3]), trained once for the whole table."""
    folder = tmp_path_factory.mktemp("good") / "run"
    config = build_config("penguins", hidden=(8,), epochs=1)
    train_run(config, out=folder, log=lambda _m: None, plots=False)
    return folder


# -- what a command does with the folder ------------------------------------------------------
def _evaluate(run: Path) -> list[str]:
    return ["evaluate", run]


def _predict(run: Path) -> list[str]:
    (run.parent / "new.csv").write_text(FEATURES)
    return ["predict", run, run.parent / "new.csv"]


def _resume(run: Path) -> list[str]:
    return ["train", "--resume", run, "--quiet", "--no-plots"]


COMMANDS = {"evaluate": _evaluate, "predict": _predict, "resume": _resume}


# -- config.json edits: (id, edit of the parsed dict, words of the error) ----------------------
def _set(path: str, value):
    def edit(cfg):
        *parents, last = path.split(".")
        for p in parents:
            cfg = cfg[p]
        cfg[last] = value

    return edit


def _drop(path: str):
    def edit(cfg):
        *parents, last = path.split(".")
        for p in parents:
            cfg = cfg[p]
        del cfg[last]

    return edit


def _layer(index: int, **fields):
    def edit(cfg):
        cfg["spec"]["layers"][index].update(fields)

    return edit


CONFIG_EDITS = [
    ("missing-run-epochs", _drop("run.epochs"), ("'run.epochs'", "missing")),
    ("missing-classes", _drop("classes"), ("'classes'", "missing")),
    ("missing-spec-input-shape", _drop("spec.input_shape"), ("'spec.input_shape'", "missing")),
    ("missing-optimizer-lr", _drop("run.optimizer.lr"), ("'run.optimizer.lr'", "missing")),
    ("missing-run-section", _drop("run"), ("'run'", "missing")),
    ("epochs-is-text", _set("run.epochs", "ten"), ("'run.epochs'", "integer", "'ten'")),
    ("epochs-is-zero", _set("run.epochs", 0), ("'run.epochs'", "positive integer")),
    ("seed-is-float", _set("run.seed", 1.5), ("'run.seed'", "whole number")),
    ("lr-is-text", _set("run.optimizer.lr", "fast"), ("'run.optimizer.lr'", "positive number")),
    ("lr-is-negative", _set("run.optimizer.lr", -1), ("'run.optimizer.lr'", "positive number")),
    ("layers-is-text", _set("spec.layers", "8"), ("'spec.layers'", "list of layers")),
    ("n-classes-is-null", _set("spec.n_classes", None), ("'spec.n_classes'", "integer")),
    ("batch-size-is-text", _set("run.batch_size", "big"), ("'run.batch_size'", "or null")),
    ("unknown-engine", _set("run.engine", "jax"), ("'run.engine'", "'jax'", "autograd")),
    ("unknown-model", _set("run.model", "perceptron"), ("'run.model'", "'perceptron'", "mlp")),
    ("unknown-optimizer", _set("run.optimizer.name", "lbfgs"), ("'run.optimizer.name'", "adam")),
    ("unknown-activation", _layer(1, name="swish"), ("'spec.layers'", "swish", "relu")),
    ("unknown-layer-kind", _layer(1, kind="conv9"), ("'spec.layers'", "'conv9'")),
    ("layers-do-not-fit", _layer(2, in_features=5), ("'spec.layers'", "takes 5 features")),
    ("unknown-preprocessing", _set("preprocess.kind", "magic"), ("'preprocess.kind'",)),
    ("fewer-classes", _set("classes", ["Adelie", "Gentoo"]), ("'classes'", "3 class names")),
    ("more-classes", _set("classes", ["a", "b", "c", "d"]), ("'classes'", "3 class names")),
    ("class-not-text", _set("classes", [1, 2, 3]), ("'classes'", "class names")),
    ("binary-with-3-classes", _set("spec.binary", True), ("'spec.binary'",)),
    ("spec-not-run-hidden", lambda c: _layer(0, out_features=16)(c) or _layer(2, in_features=16)(c),
     ("'spec'", "run.hidden", "Linear(4, 8)")),
    ("mlp-without-hidden", _set("run.hidden", []), ("'run.hidden'",)),
    ("activations-more-than-hidden", _set("run.activation", ["relu", "tanh"]),
     ("'run.activation'", "list of 1 name,", "one per hidden layer (run.hidden [8])")),
    ("activation-unknown-in-list", _set("run.activation", ["swish"]),
     ("'run.activation'", "list of such names", "['swish']")),
    ("activation-is-a-number", _set("run.activation", 3), ("'run.activation'", "got 3")),
    ("activation-empty-list", _set("run.activation", []), ("'run.activation'", "got []")),
    ("activation-list-of-lists", _set("run.activation", [["relu"]]), ("'run.activation'",)),
    ("activation-list-not-the-spec", _set("run.activation", ["tanh"]),
     ("'spec'", "run.activation describe", "Linear(4, 8) -> Tanh")),
    ("activation-list-for-softmax", lambda c: _set("run.model", "softmax")(c)
     or _set("run.hidden", [])(c) or _set("run.activation", ["relu"])(c),
     ("'run.activation'", "one name (run.model softmax has no hidden layers)")),
    ("mean-too-short", _set("preprocess.mean", [0.0]), ("'preprocess.mean'", "4")),
    ("scale-zero", _set("preprocess.scale", [1, 1, 0, 1]), ("'preprocess.scale'", "positive")),
    ("feature-names-short", _set("feature_names", ["a"]), ("'feature_names'", "4 names")),
    ("no-marker", _drop("groundup_version"), ("not written by groundup", "groundup_version")),
    ("top-level-list", lambda cfg: cfg.clear() or cfg.update(x=1), ("not written by groundup",)),
]
RESUME_EDITS = [  # keys valid on their own that no longer describe the checkpoint
    ("optimizer-changed", _set("run.optimizer.name", "rmsprop"), ("'run.optimizer'", "adam")),
    ("momentum-changed", _set("run.optimizer.momentum", 0.5), ("'run.optimizer'", "momentum")),
    ("spec-not-the-data", lambda c: c["spec"].update(input_shape=[5]) or _layer(0, in_features=5)(c)
     or c.update(feature_names=None) or c["preprocess"].update(mean=[0] * 5, scale=[1] * 5),
     ("'spec'", "Linear(5, 8)", "Linear(4, 8)")),
]  # fmt: skip
OLD_EDITS = [  # the MLP-only "spec" of a run written by groundup 0.1.0, still checked key by key
    ("missing-spec-n-inputs", _drop("spec.n_inputs"), ("'spec.n_inputs'", "missing")),
    ("hidden-is-text", _set("spec.hidden", "8"), ("'spec.hidden'", "list of integers")),
    ("unknown-activation", _set("spec.activation", "swish"), ("'spec.activation'", "relu")),
    ("binary-with-3-classes", _set("spec.binary", True), ("'spec.binary'",)),
    ("spec-hidden-not-run-hidden", _set("spec.hidden", [16]), ("'spec.hidden'", "run.hidden")),
]
OLD_RUN = Path(__file__).parent / "data" / "runs" / "penguins-mlp-0.1.0"
CONFIG_TEXTS = [  # config.json replaced by text that is not a groundup config at all
    ("not-json", "{\"run\": {\"epochs\": 3,,}", ("config.json", "not valid JSON")),
    ("empty-file", "", ("config.json", "not valid JSON")),
    ("json-array", "[1, 2, 3]", ("config.json", "not written by groundup")),
]


def _config_case(cmd: str, case_id: str, edit, says, old: bool = False) -> Case:
    def make(tmp_path):
        run = Path(shutil.copytree(OLD_RUN, tmp_path / "run")) if old else _copy_good(tmp_path)
        path = run / "config.json"
        cfg = json.loads(path.read_text())
        edit(cfg)
        path.write_text(json.dumps(cfg))
        return COMMANDS[cmd](run)

    return Case(f"{cmd}-config{'-0.1.0' if old else ''}-{case_id}", make, ("config.json", *says))


def _config_text_case(cmd: str, case_id: str, text: str, says) -> Case:
    def make(tmp_path):
        run = _copy_good(tmp_path)
        (run / "config.json").write_text(text)
        return COMMANDS[cmd](run)

    return Case(f"{cmd}-config-{case_id}", make, says)


# -- model.safetensors edits: the final model (evaluate, predict) or the checkpoint's (resume) ---
def _tensors(edit):
    def apply(path: Path):
        state = load_safetensors(path)
        edit(state)
        save_safetensors(state, path)

    return apply


def _replace(data: bytes):
    def apply(path: Path):
        path.write_bytes(data)

    return apply


def _make_folder(path: Path):
    path.unlink()
    path.mkdir()


WEIGHT_EDITS = [
    ("tensor-missing", _tensors(lambda s: s.pop("2.weight")), ("'2.weight'", "missing")),
    ("tensor-wrong-shape", _tensors(lambda s: s.update({"0.weight": np.zeros((3, 4),
                                                                              np.float32)})),
     ("'0.weight'", "(3, 4)", "(8, 4)")),  # fmt: skip
    ("tensor-extra", _tensors(lambda s: s.update(extra=np.zeros(2, np.float32))), ("'extra'",)),
    ("tensor-integer", _tensors(lambda s: s.update({"0.bias": np.zeros(8, np.int64)})),
     ("'0.bias'", "int64")),  # fmt: skip
    ("tensor-nan", _tensors(lambda s: s["0.weight"].__setitem__((0, 0), np.nan)),
     ("NaN", "diverged", "--lr")),  # fmt: skip
    ("tensor-inf", _tensors(lambda s: s["2.bias"].__setitem__(0, np.inf)), ("diverged",)),
    ("a-png", _replace(PNG), ("not a safetensors file", "PNG")),
    ("a-json", _replace(b'{"0.weight": [[1, 2]]}'), ("not a safetensors file", "JSON")),
    ("a-torch-zip", lambda p: _torch_like_zip(p), ("not a safetensors file", "zip", ".pt")),
    ("a-pickle", _replace(b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94."),
     ("not a safetensors file", "pickle")),  # fmt: skip
    ("truncated", lambda p: p.write_bytes(p.read_bytes()[:-7]), ("truncated",)),
    ("empty", _replace(b""), ("safetensors",)),
    ("a-folder", _make_folder, ("is a folder",)),
]


def _torch_like_zip(path: Path) -> None:
    """The layout ``torch.save`` writes (a zip holding ``archive/data.pkl``), without torch."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        z.writestr("archive/version", "3\n")


def _weights_case(cmd: str, case_id: str, edit, says) -> Case:
    def make(tmp_path):
        run = _copy_good(tmp_path)
        if cmd == "resume":
            tag = json.loads((run / "checkpoint" / "latest.json").read_text())["checkpoint"]
            path = run / "checkpoint" / tag / "model.safetensors"
        else:
            path = run / "model.safetensors"
        edit(path)
        return COMMANDS[cmd](run)

    return Case(f"{cmd}-weights-{case_id}", make, ("model.safetensors", *says))


# -- the run folder itself -----------------------------------------------------------------------
FOLDER_CASES = [
    ("no-such-folder", lambda t: t / "nowhere", ("nowhere", "not a run folder")),
    ("a-file", lambda t: _copy_good(t) / "model.safetensors", ("is a file", "its folder")),
    ("an-unrelated-file", lambda t: _write(t / "notes.txt", "hi"), ("is a file", "run folder")),
    ("folder-without-config", lambda t: _mkdir(t / "empty"), ("not a run folder", "config.json")),
]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def _folder_case(cmd: str, case_id: str, where, says) -> Case:
    return Case(f"{cmd}-{case_id}", lambda t: COMMANDS[cmd](where(t)), says)


# -- --out, --target and diverging runs ------------------------------------------------------------
def _user_folder(tmp_path: Path) -> Path:
    out = tmp_path / "mine"
    (out / "plots").mkdir(parents=True)
    (out / "metrics.json").write_text('{"mine": true}\n')
    (out / "history.jsonl").write_text('{"epoch": 1}\n')
    (out / "plots" / "curves.png").write_bytes(PNG)
    return out


TRAIN = ["train", "penguins", "--hidden", "8", "--epochs", "1", "--quiet", "--no-plots"]
OTHER_CASES = [
    Case("out-over-user-files", lambda t: [*TRAIN, "--out", _user_folder(t)],
         ("--out", "not empty", "not a groundup run folder", "metrics.json")),
    Case("out-over-user-config",
         lambda t: [*TRAIN, "--out", _write(_mkdir(t / "cfg") / "config.json", "{}").parent],
         ("not a groundup run folder", "config.json")),
    Case("out-over-hidden-file", lambda t: [*TRAIN, "--out",
                                             _write(_mkdir(t / "h") / ".keep", "").parent],
         ("not empty", ".keep")),
    Case("out-is-a-file", lambda t: [*TRAIN, "--out", _write(t / "run.txt", "mine")],
         ("--out", "is a file")),
    Case("out-is-a-run", lambda t: [*TRAIN, "--out", _copy_good(t)],
         ("already holds a run", "--resume")),
    Case("activations-more-than-hidden", lambda t: [*TRAIN, "--activation", "relu,tanh"],
         ("--activation", "2 names for 1 hidden layer (--hidden 8)", "--activation relu")),
    Case("activations-fewer-than-hidden", lambda t: [*TRAIN, "--hidden", "8,8,8", "--activation",
                                                     "relu,tanh"],
         ("3 hidden layers", "--activation relu,tanh,tanh", "one for all")),
    Case("activation-unknown-in-list", lambda t: [*TRAIN, "--activation", "relu,swish"],
         ("argument --activation", "one such name per layer", "'relu,swish'")),
    Case("activations-for-softmax", lambda t: [*TRAIN[:2], "--model", "softmax",
                                               "--activation", "relu,tanh"],
         ("--model softmax", "drop --activation")),
    Case("target-with-builtin-data", lambda t: ["train", "penguins", "--target", "species"],
         ("--target", "CSV", "penguins")),
    Case("target-with-recipe", lambda t: ["train", "--recipe", "blobs-logreg", "--target", "y"],
         ("--target", "CSV")),
    Case("evaluate-target-with-builtin-data", lambda t: ["evaluate", _copy_good(t), "--target",
                                                         "species"], ("--target", "CSV")),
    # a run of a built-in set has no label column to fall back on: the file is checked first
    Case("evaluate-missing-csv-no-target", lambda t: ["evaluate", _copy_good(t), "--data",
                                                      t / "nofile.csv"], ("no such file",)),
    Case("evaluate-csv-no-target", lambda t: ["evaluate", _copy_good(t), "--data",
                                              _write(t / "few.csv", "species,bill\nAdelie,1\n")],
         ("which column of", "(species, bill)", "--target COL")),
    Case("adam-lr-1e308", lambda t: [*TRAIN, "--optimizer", "adam", "--lr", "1e308", "--out",
                                     t / "d"], ("diverged", "adam", "--lr 0.001")),
    Case("sgd-lr-1e308", lambda t: [*TRAIN, "--optimizer", "sgd", "--lr", "1e308", "--out",
                                    t / "d"], ("diverged", "sgd", "--lr 0.01")),
    Case("rmsprop-lr-1e300-two-epochs", lambda t: [*TRAIN, "--epochs", "2", "--optimizer",
                                                   "rmsprop", "--lr", "1e300", "--out", t / "d"],
         ("diverged", "--lr 0.01")),
]  # fmt: skip

_GOOD: dict[str, Path] = {}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _copy_good(tmp_path: Path) -> Path:
    """A fresh copy, under ``tmp_path``, of the module's good run."""
    return Path(shutil.copytree(_GOOD["run"], tmp_path / "run"))


@pytest.fixture(autouse=True)
def _register_good(good_run):
    _GOOD["run"] = good_run


CASES = [
    *(_config_case(c, i, e, s) for c in COMMANDS for i, e, s in CONFIG_EDITS),
    *(_config_text_case(c, i, t, s) for c in COMMANDS for i, t, s in CONFIG_TEXTS),
    *(_config_case("resume", i, e, s) for i, e, s in RESUME_EDITS),
    *(_config_case(c, i, e, s, old=True) for c in COMMANDS for i, e, s in OLD_EDITS),
    *(_weights_case(c, i, e, s) for c in COMMANDS for i, e, s in WEIGHT_EDITS),
    *(_folder_case(c, i, w, s) for c in COMMANDS for i, w, s in FOLDER_CASES),
    *OTHER_CASES,
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_run_input_is_one_clear_line(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)
