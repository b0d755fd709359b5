"""Run folders: one training run, everything it produced, written atomically.

``groundup train`` (and :func:`train_run`) writes::

    runs/<recipe>-<engine>-<time>/
      config.json        what was run: recipe, data, model spec, optimizer, seed, preprocessing
      history.jsonl      one JSON row per epoch (loss, train_acc, test_loss, test_acc, seconds)
      metrics.json       test accuracy, loss, per-class precision / recall / F1, confusion matrix
      model.safetensors  final weights, PyTorch names ("0.weight", ...), loadable by torch
      checkpoint/        the latest checkpoint (see groundup.train.checkpoint); --resume uses it
      plots/             curves.png, confusion_matrix.png; 2-D data: decision_boundary.png and
                         boundary_snapshots.png; images: first_layer_weights.png, misclassified.png

Every file goes through :func:`groundup.io.atomic_write`, so a run killed at any moment leaves
complete files (the old version or the new one) and a checkpoint to resume from. ``config.json``
is written first and marks the folder as a run (:mod:`groundup.run_folder`: a new run goes only
into a new or empty folder); a run killed before its first checkpoint is started again from
epoch 0 by :func:`resume_run`. Reading a folder back checks every key of ``config.json`` and every
tensor of ``model.safetensors`` (:mod:`groundup.run_schema`), and a run whose numbers became NaN
or infinite stops with the divergence message (:mod:`groundup.train.guards`), never with a
model or a ``metrics.json`` full of NaN.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from groundup import checks
from groundup.engines import ENGINES, OptimizerSpec, make_engine
from groundup.errors import DataError, GroundupError
from groundup.io import atomic_write_json, load_safetensors, save_safetensors
from groundup.models import ModelSpec, get_model
from groundup.models.memory import check_fits
from groundup.recipes import DEFAULT_RECIPE, Recipe, get_recipe, recipe_for_dataset
from groundup.run_folder import check_new_folder, read_config_json
from groundup.run_schema import MONITORS, RUN, check_section, check_weights
from groundup.train import (
    Checkpointer,
    EarlyStopping,
    History,
    Snapshots,
    Trainer,
    has_checkpoint,
    load_checkpoint,
)
from groundup.train.guards import DEFAULT_LR, check_finite, diverged
from groundup.train.prepare import Prepared, prepare

__all__ = [
    "RunConfig",
    "RunResult",
    "build_config",
    "load_data",
    "open_run",
    "resume_run",
    "train_run",
]

# DEFAULT_LR (PyTorch's learning rates, used when --optimizer changes and --lr is not given) and
# MONITORS (the history columns early stopping can watch) are re-exported from their homes.


@dataclass
class RunConfig:
    """Everything that determines a run (written to ``config.json``)."""

    recipe: str
    dataset: str  # registry name or path to a CSV file
    model: str
    hidden: tuple[int, ...]  # an mlp's widths; () for the other models
    activation: str | tuple[str, ...]  # one name for every layer, or one per layer if they differ
    optimizer: OptimizerSpec
    epochs: int
    batch_size: int | None
    engine: str = "autograd"
    seed: int = 0
    preprocess: str = "standardize"
    target: str | None = None
    data_dir: str | None = None
    snapshot_steps: tuple[int, ...] = (0, 100, 500, 2000)
    patience: int | None = None  # early stopping: epochs without improvement of `monitor`
    monitor: str = "test_loss"  # test_loss (lower is better) or test_acc (higher is better)
    delimiter: str | None = None  # of a CSV file; None: detected (see groundup.data.csv_table)
    channels: tuple[int, ...] = ()  # a cnn's output channels per block; () for the other models
    kernel_size: int | None = None  # a cnn's convolution kernel size
    device: str = "cpu"  # the torch engine's: cpu, cuda, cuda:K, mps
    processes: int = 1  # data-parallel processes (groundup.train.distributed)

    def to_dict(self) -> dict:
        return {
            "recipe": self.recipe, "dataset": self.dataset, "model": self.model,
            "hidden": list(self.hidden),
            "activation": self.activation if isinstance(self.activation, str)
            else list(self.activation),
            "optimizer": self.optimizer.to_dict(), "epochs": self.epochs,
            "batch_size": self.batch_size, "engine": self.engine, "seed": self.seed,
            "preprocess": self.preprocess, "target": self.target, "data_dir": self.data_dir,
            "snapshot_steps": list(self.snapshot_steps), "patience": self.patience,
            "monitor": self.monitor, "delimiter": self.delimiter,
            "channels": list(self.channels), "kernel_size": self.kernel_size,
            "device": self.device, "processes": self.processes,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict, source: str = "the run configuration") -> RunConfig:
        """The inverse of :meth:`to_dict`; every key checked (:data:`groundup.run_schema.RUN`),
        a :class:`DataError` naming ``source`` and the key otherwise."""
        d = check_section(d, RUN, "run", source)
        act = d["activation"]
        return cls(
            d["recipe"], d["dataset"], d["model"], tuple(d["hidden"]),
            act if isinstance(act, str) else tuple(act),
            OptimizerSpec.from_dict(d["optimizer"]), d["epochs"], d["batch_size"],
            d["engine"], d["seed"], d["preprocess"], d["target"], d["data_dir"],
            tuple(d["snapshot_steps"]), d["patience"], d["monitor"], d["delimiter"],
            tuple(d["channels"]), d["kernel_size"], d["device"], d["processes"],
        )  # fmt: skip


def is_csv_path(dataset: str) -> bool:
    """Whether ``dataset`` names a CSV file rather than a registry data set: a .csv / .tsv / .txt
    name (or its .gz), a path with a folder in it, or an existing file or folder whose name is
    not a registry name (so a folder called ``mnist`` does not hide the MNIST set)."""
    from groundup.data.registry import REGISTRY

    suffixes = tuple(s + gz for s in (".csv", ".tsv", ".txt") for gz in ("", ".gz"))
    if dataset.lower().endswith(suffixes) or os.sep in dataset:
        return True
    return os.path.exists(dataset) and dataset.lower().replace("_", "-") not in REGISTRY


def build_config(
    dataset: str | None = None, *, recipe: str | None = None, model: str | None = None,
    hidden: tuple[int, ...] | None = None, activation: str | tuple[str, ...] | None = None,
    optimizer: str | None = None, lr: float | None = None, momentum: float | None = None,
    lr_decay: float | None = None,
    epochs: int | None = None, batch_size: int | None = None, engine: str | None = None,
    seed: int | None = None, target: str | None = None, data_dir: str | None = None,
    full_batch: bool = False, patience: int | None = None, monitor: str | None = None,
    delimiter: str | None = None, channels: tuple[int, ...] | None = None,
    kernel_size: int | None = None, device: str | None = None,
) -> RunConfig:
    """Resolve a recipe, a data set and overrides into a :class:`RunConfig`.

    Precedence: explicit options > the recipe (``recipe``, else the data set's own recipe, else a
    generic MLP for a CSV file) > PyTorch's defaults. ``groundup train`` with nothing given runs
    :data:`groundup.recipes.DEFAULT_RECIPE`. ``patience`` adds early stopping on ``monitor``
    (``test_loss``, the default, or ``test_acc``). ``activation`` is one name for every hidden
    layer (a cnn: every convolution block), or a sequence of one name per layer, as Keras gives
    each ``Dense`` layer its own; names that are all the same are kept as one.
    """
    if recipe is not None:
        base = get_recipe(recipe)
    elif dataset is not None:
        base = recipe_for_dataset(dataset) or Recipe(
            "custom", dataset, "mlp", "adam", 1e-3, 100, 32, hidden=(64, 32),
            preprocess="auto", summary="generic MLP for a CSV or registry data set",
        )
    else:
        base = get_recipe(DEFAULT_RECIPE)
    data = dataset or base.dataset
    if target and not is_csv_path(data):
        raise GroundupError(
            f"--target names the label column of a CSV file; {data!r} is a built-in data set "
            f"with its own labels: drop --target"
        )
    if is_csv_path(data):  # absolute, so evaluate / predict / --resume work from any folder
        data = str(Path(data).expanduser().absolute())
    preprocess = base.preprocess if data == base.dataset else "auto"  # auto: by the data's kind
    if model is None and (hidden or channels or kernel_size):
        model = "mlp" if hidden else "cnn"
    model = model or base.model
    shape = _shape_options(model, base, hidden=hidden, channels=channels,
                           kernel_size=kernel_size)  # fmt: skip
    activation = _activation(model, activation or base.activation, shape)
    opt_name = optimizer or base.optimizer
    if lr is None:
        lr = base.lr if opt_name == base.optimizer else DEFAULT_LR.get(opt_name, 0.01)
    if momentum is None:
        momentum = base.momentum if opt_name == base.optimizer else 0.0
    if lr_decay is None:
        lr_decay = base.lr_decay if opt_name == base.optimizer else 1.0
    engine = engine or "autograd"
    if engine not in ENGINES:
        raise GroundupError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    epochs = checks.check("epochs", base.epochs if epochs is None else epochs)
    if full_batch:
        batch_size = None
    elif batch_size is None:
        batch_size = base.batch_size
    if batch_size is not None:
        checks.check("batch_size", batch_size)
    if patience is not None:
        checks.check("patience", patience)
    monitor = monitor or "test_loss"
    if monitor not in MONITORS:
        raise GroundupError(f"--monitor must be one of {', '.join(MONITORS)}, got {monitor!r}")
    if seed is not None:
        checks.check("seed", seed)
    device = checks.check("device", device or "cpu")
    if device != "cpu":  # refused before a folder is made: another engine, a GPU not there
        if engine != "torch":
            raise GroundupError(f"--device {device} needs --engine torch: the {engine} engine "
                                f"computes with NumPy, on the CPU")  # fmt: skip
        from groundup.engines.torch import torch_device

        torch_device(device)
    if delimiter is not None:
        if not is_csv_path(data):
            raise GroundupError(f"--delimiter applies to CSV files, not to the data set {data!r}")
        from groundup.data.csv_table import parse_delimiter

        delimiter = parse_delimiter(delimiter)
    return RunConfig(
        recipe=base.name, dataset=data, model=model, hidden=shape["hidden"],
        activation=activation,
        optimizer=OptimizerSpec(opt_name, float(lr), float(momentum), lr_decay=float(lr_decay)),
        epochs=int(epochs), batch_size=batch_size, engine=engine,
        seed=0 if seed is None else int(seed), preprocess=preprocess,
        target=target or base.target, data_dir=data_dir, snapshot_steps=base.snapshot_steps,
        patience=patience, monitor=monitor, delimiter=delimiter, channels=shape["channels"],
        kernel_size=shape["kernel_size"], device=device,
    )  # fmt: skip


#: The options that size a model, what a model not taking one records, and the model that does.
_SHAPE_OPTIONS = {"hidden": ((), "mlp"), "channels": ((), "cnn"), "kernel_size": (None, "cnn")}


def _shape_options(model: str, base: Recipe, **given) -> dict:
    """``hidden``, ``channels`` and ``kernel_size`` for ``model``: the option given, else the
    recipe's when it is this model, else the model's default; refused for a model without it."""
    arch = get_model(model)
    out = {}
    for name, (absent, owner) in _SHAPE_OPTIONS.items():
        value = given[name]
        if name not in arch.options:
            if value:
                flag = "--" + name.replace("_", "-")
                raise GroundupError(f"{flag} does not apply to --model {model}; use --model "
                                    f"{owner}")  # fmt: skip
            out[name] = absent
            continue
        if not value:
            value = getattr(base, name) if base.model == model else None
        value = value or arch.defaults[name]
        out[name] = checks.check(name, tuple(value) if isinstance(value, list | tuple) else value)
    return out


def _activation(model: str, activation, shape: dict):
    """The activation checked against the layers that have one (:func:`groundup.checks.per_layer`):
    the mlp's hidden layers, the cnn's convolution blocks; a list is refused for a model with
    none (logistic, softmax), where one name is kept and unused, as before."""
    per = get_model(model).activation_per
    if per is None:
        return checks.per_layer("activation", activation, 0, "hidden layer",
                                f"--model {model} has none")  # fmt: skip
    option, layer = per
    sizes = ",".join(map(str, shape[option]))
    return checks.per_layer("activation", activation, len(shape[option]), layer,
                            f"--{option} {sizes}")  # fmt: skip


def load_data(config: RunConfig, log=None) -> Prepared:
    """Load and preprocess the run's data set (registry name or CSV path); ``log`` gets notes."""
    from groundup import data

    if is_csv_path(config.dataset):
        if Path(config.dataset).is_dir():
            raise DataError(f"{config.dataset} is a folder; give the CSV file itself")
        if not Path(config.dataset).is_file():
            raise DataError(f"no such CSV file: {config.dataset}")
        if not config.target:
            raise DataError(
                f"which column of {config.dataset} is the label? Name it with --target COLUMN"
            )
        ds = data.load_csv(config.dataset, target=config.target, delimiter=config.delimiter,
                           log=log)  # fmt: skip
    else:
        ds = data.load(config.dataset, data_dir=config.data_dir)
    return prepare(ds, config.preprocess, channels_first=get_model(config.model).images)


def model_spec(config: RunConfig, prep: Prepared) -> ModelSpec:
    """The network ``config`` asks for, sized to the prepared data: images with their channels
    (C, H, W) for a model that takes images, rows of features otherwise; the classes."""
    shape = prep.n_features
    if get_model(config.model).images:
        if prep.image_chw is None:
            raise GroundupError(f"--model {config.model} needs images, and {config.dataset} is "
                                f"a table of features; use --model mlp")  # fmt: skip
        shape = prep.image_chw
    return ModelSpec.for_model(
        config.model, shape, prep.n_classes, config.hidden, config.activation,
        channels=config.channels, kernel_size=config.kernel_size,
    )  # fmt: skip


def check_memory(spec: ModelSpec, optimizer: OptimizerSpec) -> None:
    """Refuse, with the figure, a model whose training copies cannot fit in memory: the initial
    weights, the engine's parameters, their gradients and the optimizer's buffers."""
    copies = 3 + optimizer.n_buffers
    n = optimizer.n_buffers
    buffers = f" and {optimizer.name}'s {n} buffer{'s' * (n > 1)}" if n else ""
    check_fits(spec.n_parameters, np.float32, copies,
               f"training (initial weights, weights, gradients{buffers})")  # fmt: skip


@dataclass
class RunResult:
    """What :func:`train_run` returns."""

    folder: Path
    config: RunConfig
    history: object
    engine: object
    metrics: dict = field(default_factory=dict)
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)
    already_finished: bool = False  # resume_run of a finished run: nothing was trained


def _new_folder(config: RunConfig, out: str | os.PathLike | None) -> Path:
    if out is not None:
        return check_new_folder(out)
    label = config.recipe if config.recipe != "custom" else Path(config.dataset).stem
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = Path("runs") / f"{label}-{config.engine}-{stamp}"
    k = 2
    while folder.exists():
        folder = Path("runs") / f"{label}-{config.engine}-{stamp}-{k}"
        k += 1
    return folder


def _trainer(config, prep, engine, folder, log, progress, snapshots, group):
    callbacks = []
    if group is None or group.is_main:  # rank 0 alone writes
        callbacks.append(Checkpointer(folder / "checkpoint",
                                      history_path=folder / "history.jsonl"))  # fmt: skip
        if snapshots is not None:
            callbacks.append(snapshots)
    if config.patience:
        callbacks.append(EarlyStopping(config.monitor, config.patience))
    return Trainer(
        engine, prep.X_train, prep.y_train, prep.X_test, prep.y_test, epochs=config.epochs,
        batch_size=config.batch_size, seed=config.seed, callbacks=callbacks, log=log,
        progress=progress, distributed=group,
    )  # fmt: skip


def _main_only(group, log, progress, plots):
    """(log, progress, plots) of this process: rank 0's own, nothing on the other ranks."""
    if group is None or group.is_main:
        return log, progress, plots
    return (lambda message: None), False, False


def train_run(
    config: RunConfig, out: str | os.PathLike | None = None, *, log=print, progress: bool = False,
    plots: bool = True, group=None,
) -> RunResult:
    """Train ``config`` from its seeded initial weights and write the run folder.

    ``out`` must be a new or an empty folder (see :func:`groundup.run_folder.check_new_folder`);
    by default ``runs/<recipe>-<engine>-<time>``. ``group``
    (:func:`groundup.train.distributed.from_env`): train data-parallel in this process group,
    rank 0 alone writing the folder and printing.
    """
    log, progress, plots = _main_only(group, log, progress, plots)
    main = group is None or group.is_main
    folder = _new_folder(config, out) if main else None
    if group is not None:  # rank 0's name (its clock's time) for every rank
        folder = Path(group.broadcast_text(str(folder)))
        config.processes = group.world_size
    prep = load_data(config, log)
    spec = model_spec(config, prep)
    check_memory(spec, config.optimizer)  # before anything is written or allocated
    if main:
        atomic_write_json(folder / "config.json", config_json(config, spec, prep))
    log(
        f"{config.recipe}: {config.dataset} ({len(prep.X_train)} train / {len(prep.X_test)} "
        f"test), {spec.summary()}, {config.optimizer.summary()}, "
        f"{config.engine} engine -> {folder}"
    )
    return _train(folder, config, spec, prep, None, log, progress, plots, group)


def resume_run(
    folder: str | os.PathLike, *, epochs: int | None = None, log=print, progress: bool = False,
    plots: bool = True, group=None, device: str | None = None,
) -> RunResult:
    """Continue the run in ``folder`` from its latest checkpoint (``epochs`` may extend it).

    A run that has finished (all its epochs, or stopped early) and written its outputs has
    nothing to continue: one line says so and how to train further, and the result holds its
    final weights and history, no metrics (``already_finished``). One whose outputs are missing
    has them written again.

    A run stopped before its first checkpoint was saved has nothing to continue from: it is
    started again, in the same folder, from epoch 0. ``group``: continue data-parallel, in any
    number of processes (the checkpoint is the same); ``device``: the torch engine's device now.
    """
    log, progress, plots = _main_only(group, log, progress, plots)
    main = group is None or group.is_main
    folder = Path(folder)
    cfg, config = _read(folder)
    if device is not None:
        config.device = cfg["run"]["device"] = checks.check("device", device)
    config.processes = cfg["run"]["processes"] = 1 if group is None else group.world_size
    ckpt_dir = folder / "checkpoint"
    ckpt = load_checkpoint(ckpt_dir) if has_checkpoint(ckpt_dir) else None
    done = 0 if ckpt is None else int(ckpt.state["loop"]["epoch"])
    if epochs is not None and epochs < done:
        raise GroundupError(
            f"{folder} has already trained {done} epochs; --epochs can only extend a run "
            f"(give more than {done} to train it further, or start a new run)"
        )
    prep = load_data(config, log)
    spec = model_spec(config, prep)
    if ckpt is not None:  # every check before the first write
        _check_resumable(folder, cfg, config, spec, ckpt)
        source = ckpt.path / "model.safetensors" if ckpt.path else ckpt_dir
        check_weights(ckpt.model, spec.parameter_shapes(), source, config.optimizer)
    if epochs is not None:
        config.epochs = cfg["run"]["epochs"] = int(epochs)
    finished = ckpt is not None and (bool(ckpt.state["loop"]["stop"]) or done >= config.epochs)
    if finished and all((folder / f).is_file() for f in ("model.safetensors", "metrics.json")):
        log(_nothing_to_resume(folder, config, done, ckpt.state["loop"]["stop"]))
        engine = make_engine(config.engine, spec, ckpt.model, config.optimizer, config.seed,
                             config.device)  # fmt: skip
        history = History(ckpt.state["history"])
        history.notes = list(ckpt.state.get("notes", []))
        return RunResult(folder, config, history, engine, notes=history.notes,
                         already_finished=True)  # fmt: skip
    if ckpt is None:
        log(f"{folder} has no checkpoint (the run stopped before its first epoch ended): "
            f"starting it again from epoch 0")  # fmt: skip
        if main:
            atomic_write_json(folder / "config.json", config_json(config, spec, prep))
    else:
        if main:  # the epochs, the device and the processes of this part of the run
            atomic_write_json(folder / "config.json", cfg)
        log(f"{folder} has trained all its {done} epochs: writing its outputs again"
            if finished else f"resuming {folder} at epoch {done + 1} "
            f"(step {ckpt.state['loop']['step']})")  # fmt: skip
    return _train(folder, config, spec, prep, ckpt, log, progress, plots, group)


def _nothing_to_resume(folder: Path, config: RunConfig, done: int, stopped: bool) -> str:
    """What resuming a run that has finished and written its outputs says."""
    if stopped:
        return (f"{folder} stopped early after epoch {done} ({config.monitor} did not improve "
                f"for --patience {config.patience} epochs): nothing to resume; to train further, "
                f"start a new run with a larger --patience")
    return (f"{folder} has already finished its {done} epoch{'s' * (done != 1)}: nothing to "
            f"resume; to train it "
            f"further, raise its epochs (groundup train --resume {folder} --epochs {2 * done})")


def _check_resumable(folder: Path, cfg: dict, config: RunConfig, spec: ModelSpec, ckpt) -> None:
    """config.json still describes the checkpoint: the model the data gives, the optimizer."""
    path = folder / "config.json"
    written = ModelSpec.from_dict(cfg["spec"])
    if written != spec:
        raise DataError(
            f"{path}: key 'spec' ({written.summary()}) does not match the model "
            f"{config.dataset} gives ({spec.summary()}); restore config.json, or, if "
            f"the data changed, train a new run"
        )
    saved = ckpt.state.get("optimizer")  # absent in checkpoints of groundup 0.1.0
    now = {"name": config.optimizer.name, "momentum": config.optimizer.momentum}
    if saved is not None and saved != now:
        raise DataError(
            f"{path}: key 'run.optimizer' ({now['name']}, momentum {now['momentum']:g}) is not "
            f"what the checkpoint was saved with ({saved['name']}, momentum "
            f"{saved['momentum']:g}); restore it, or train a new run"
        )


def _train(folder, config, spec, prep, ckpt, log, progress, plots, group) -> RunResult:
    """Fit from the seeded initial weights, or from ``ckpt``; then write the run's outputs."""
    state = spec.init_state(config.seed) if ckpt is None else ckpt.model
    device = config.device
    if group is not None and device == "cuda":  # one GPU per process on a machine
        device = f"cuda:{group.local_rank}"
    engine = make_engine(config.engine, spec, state, config.optimizer, config.seed, device)
    snapshots = Snapshots(config.snapshot_steps) if spec.n_inputs == 2 else None
    trainer = _trainer(config, prep, engine, folder, log, progress, snapshots, group)
    trainer.fit(resume=ckpt)
    if group is not None and not group.is_main:  # rank 0 writes the outputs
        return RunResult(folder, config, trainer.history, engine, notes=trainer.history.notes,
                         interrupted=trainer.interrupted)  # fmt: skip
    return _finish(folder, config, spec, prep, trainer, snapshots, log, plots)


def config_json(config: RunConfig, spec: ModelSpec, prep: Prepared) -> dict:
    """The ``config.json`` of a run folder (the playground's "save run" writes one too)."""
    from groundup import __version__

    return {
        "groundup_version": __version__,
        "run": config.to_dict(),
        "spec": spec.to_dict(),
        "classes": prep.classes,
        "feature_names": prep.feature_names,
        "image_shape": list(prep.image_shape) if prep.image_shape else None,
        "preprocess": prep.preprocess,
        "n_train": len(prep.X_train),
        "n_test": len(prep.X_test),
    }


def _read(folder: Path) -> tuple[dict, RunConfig]:
    """The checked ``config.json`` of a run folder and its :class:`RunConfig`."""
    cfg = read_config_json(folder)
    return cfg, RunConfig.from_dict(cfg["run"], source=str(folder / "config.json"))


def _finish(folder, config, spec, prep, trainer, snapshots, log, plots) -> RunResult:
    result = RunResult(folder, config, trainer.history, trainer.engine, notes=trainer.history.notes)
    if trainer.interrupted:
        result.interrupted = True
        log(f"interrupted at epoch {trainer.epoch + 1}, step {trainer.step}; checkpoint saved. "
            f"Continue with: groundup train --resume {folder}")  # fmt: skip
        return result
    engine = trainer.engine
    from groundup.train.report import run_metrics, write_plots

    # The final evaluation first: weights that are finite can still overflow the logits, and a
    # run whose losses are NaN or infinite writes no model and no metrics.json.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result.metrics = run_metrics(engine, prep, trainer.history)
    for key in ("loss", "train_loss"):
        if result.metrics[key] is not None:
            check_finite(result.metrics[key], f"the final {key.replace('_', ' ')}",
                         config.optimizer)  # fmt: skip
    state = engine.state_dict()
    # One metadata key: safetensors writes several in a random (hash) order, and the same run
    # must give the same bytes.
    meta = {"groundup": json.dumps({"spec": spec.to_dict(), "engine": engine.name}, sort_keys=True)}
    save_safetensors(state, folder / "model.safetensors", metadata=meta)
    trainer.history.save(folder / "history.jsonl")
    atomic_write_json(folder / "metrics.json", result.metrics)
    if plots:
        write_plots(folder / "plots", engine, prep, trainer.history, result.metrics, snapshots)
    return result


@dataclass
class OpenRun:
    """A finished run loaded back: its config, model and how to preprocess new inputs."""

    folder: Path
    config: RunConfig
    spec: ModelSpec
    engine: object
    classes: list[str]
    preprocess: dict
    feature_names: list[str] | None
    image_shape: tuple | None

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities of shape (m, C) for preprocessed inputs ``X`` of shape (m, d);
        the divergence message if the logits overflow (softmax would hide an infinity)."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            z = self.engine.batched_logits(X)  # (m, n_outputs)
        if not np.isfinite(z).all():
            raise diverged("the model's logits are NaN or infinite on these inputs",
                           self.config.optimizer)  # fmt: skip
        return self.spec.head.probabilities(z)


def open_run(folder: str | os.PathLike, engine: str | None = None) -> OpenRun:
    """Load a run folder's final model (``model.safetensors``) into an engine.

    ``config.json`` and the tensors are checked first (:mod:`groundup.run_schema`); a model
    holding NaN or infinite weights is refused with the divergence message.
    """
    folder = Path(folder)
    from groundup.runs_lm import is_lm_run

    if is_lm_run(folder):  # its config.json has no classifier keys to complain about
        raise DataError(f"{folder} is a language-model run, which evaluate and predict do not "
                        f"take (they take classifier runs); use groundup generate {folder} "
                        f"instead")  # fmt: skip
    meta, config = _read(folder)
    spec = ModelSpec.from_dict(meta["spec"])
    path = folder / "model.safetensors"
    if not path.exists():  # a folder of that name is load_safetensors' to explain
        raise DataError(
            f"{folder} has no model.safetensors: the run did not finish. Continue it with "
            f"groundup train --resume {folder}"
        )
    fix = f"Delete it and run groundup train --resume {folder}: that writes it again."
    state = load_safetensors(path, fix=fix)
    check_weights(state, spec.parameter_shapes(), path, config.optimizer)
    eng = make_engine(engine or "autograd", spec, state, config.optimizer, config.seed)
    image_shape = tuple(meta["image_shape"]) if meta["image_shape"] else None
    return OpenRun(folder, config, spec, eng, meta["classes"], meta["preprocess"],
                   meta["feature_names"], image_shape)  # fmt: skip
