"""What a run folder's ``config.json`` and ``model.safetensors`` must hold, checked in one place.

``config.json`` is read back by ``evaluate``, ``predict`` and ``train --resume``, and a user may
edit it by hand. Every key is declared once below (:data:`RUN`, :data:`OPTIMIZER`, :data:`SPEC`,
:data:`CONFIG`) with what it must be and, for keys that older runs did not write, its default.
:func:`check_config` walks that table and then the keys that must agree with each other (as many
class names as the model has classes, one mean per input, ...). A problem is reported as one
line naming the file and the key::

    runs/x/config.json: key 'run.epochs' must be an integer >= 1, got 'ten' ...

:func:`check_weights` does the same for the tensors of a ``model.safetensors`` against the
model the config describes: names, shapes, a floating dtype, and finite values (a model full of
NaN is a diverged run, and says so).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from groundup import checks
from groundup.engines import ENGINES, OPTIMIZERS
from groundup.errors import DataError, GroundupError
from groundup.models import MODELS, ModelSpec
from groundup.numerics import ACTIVATIONS
from groundup.train import guards
from groundup.train.prepare import PREPROCESSINGS

__all__ = [
    "CONFIG",
    "MONITORS",
    "OPTIMIZER",
    "RUN",
    "SPEC",
    "check_config",
    "check_section",
    "check_weights",
]

#: History columns early stopping can watch.
MONITORS = ("test_loss", "test_acc")
_REQUIRED = object()


@dataclass(frozen=True)
class Field:
    """One key: ``ok(value)`` says whether a value is acceptable, ``what`` describes one;
    ``fields``, for a JSON object, declares its own keys."""

    ok: Callable[[Any], bool]
    what: str
    default: Any = _REQUIRED
    fields: dict[str, Field] | None = None


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def integer(low: int, default=_REQUIRED) -> Field:
    """An integer ``>= low``."""
    return Field(lambda v: _is_int(v) and v >= low, f"an integer >= {low}", default)


def number(ok: Callable[[float], bool], what: str, default=_REQUIRED) -> Field:
    """A finite number passing ``ok``."""
    return Field(lambda v: _is_number(v) and ok(v), what, default)


def text(default=_REQUIRED) -> Field:
    """A string."""
    return Field(lambda v: isinstance(v, str), "a string", default)


def choice(options, default=_REQUIRED) -> Field:
    """One of ``options``."""
    return Field(lambda v: v in options, f"one of {', '.join(options)}", default)


def integers(low: int, default=_REQUIRED) -> Field:
    """A list of integers ``>= low``."""
    return Field(
        lambda v: isinstance(v, list) and all(_is_int(x) and x >= low for x in v),
        f"a list of integers >= {low}",
        default,
    )


def optional(field: Field) -> Field:
    """``field`` or null (None); missing means None."""
    return Field(lambda v: v is None or field.ok(v), f"{field.what} or null", None)


def value(name: str, default=_REQUIRED) -> Field:
    """A user-facing value, checked by its declaration in :data:`groundup.checks.VALUES` (the
    rule the command line and the Python API apply)."""
    row = checks.VALUES[name]
    return Field(lambda v: checks.passes(name, v), row.expected, default)


def section(schema: dict[str, Field]) -> Field:
    """A JSON object, itself checked key by key against ``schema``."""
    return Field(lambda v: isinstance(v, dict), "an object", _REQUIRED, schema)


OPTIMIZER = {
    "name": choice(OPTIMIZERS),
    "lr": value("lr"),
    "momentum": value("momentum", 0.0),
    "weight_decay": optional(number(lambda v: v >= 0, "a number >= 0")),
    "betas": Field(
        lambda v: (
            isinstance(v, list) and len(v) == 2 and all(_is_number(b) and 0 <= b < 1 for b in v)
        ),
        "two numbers in [0, 1)",
        [0.9, 0.999],
    ),
    "eps": number(lambda v: v > 0, "a positive number", 1e-8),
    "alpha": number(lambda v: 0 <= v <= 1, "a number in [0, 1]", 0.99),
    "lr_decay": value("lr_decay", 1.0),
}
RUN = {
    "recipe": text(),
    "dataset": text(),
    "model": choice(MODELS),
    "hidden": integers(1),
    "activation": Field(  # one name for every layer, or one per layer (runs.build_config)
        lambda v: checks.passes("activation", v),
        f"one of {', '.join(ACTIVATIONS)}, or a list of such names, one per hidden layer",
    ),
    "optimizer": section(OPTIMIZER),
    "epochs": value("epochs"),
    "batch_size": optional(value("batch_size")),
    "engine": choice(ENGINES),
    "seed": value("seed"),
    "preprocess": choice(("auto", *PREPROCESSINGS)),
    "target": optional(text()),
    "data_dir": optional(text()),
    "snapshot_steps": integers(0, [0, 100, 500, 2000]),
    "patience": optional(value("patience")),
    "monitor": choice(MONITORS, "test_loss"),
    "delimiter": optional(text()),  # of a CSV file; null: detected (groundup.data.csv_table)
    "channels": integers(1, []),  # a cnn's; absent in runs of groundup 0.1.0
    "kernel_size": optional(value("kernel_size")),
    "device": value("device", "cpu"),  # the torch engine's; absent before data parallelism
    "processes": value("nproc", 1),  # data-parallel processes (a resume may use another number)
}
SPEC = {  # the model: layer specs and a head (groundup.models.ModelSpec.to_dict)
    "input_shape": Field(
        lambda v: isinstance(v, list) and len(v) > 0 and all(_is_int(s) and s >= 1 for s in v),
        "a list of integers >= 1 (one example's shape)",
    ),
    "layers": Field(
        lambda v: isinstance(v, list) and len(v) > 0 and all(isinstance(x, dict) for x in v),
        "a list of layers, each an object with a 'kind'",
    ),
    "n_classes": integer(2),
    "binary": Field(lambda v: isinstance(v, bool), "true or false", False),
}
SPEC_0_1 = {  # the MLP-only form groundup 0.1.0 wrote, still read
    "n_inputs": integer(1),
    "n_classes": integer(2),
    "hidden": integers(1, []),
    "activation": choice(ACTIVATIONS, "relu"),
    "binary": Field(lambda v: isinstance(v, bool), "true or false", False),
}
PREPROCESS = {"kind": choice(PREPROCESSINGS)}
CONFIG = {
    "groundup_version": text(),  # the marker of a run folder: see groundup.run_folder
    "run": section(RUN),
    "spec": Field(lambda v: isinstance(v, dict), "an object"),  # checked by _check_spec
    "classes": Field(
        lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v),
        "a list of class names",
    ),
    "feature_names": optional(
        Field(
            lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v), "a list of names"
        )
    ),
    "image_shape": optional(integers(1)),
    "preprocess": section(PREPROCESS),
}


def check_section(d: Any, schema: dict[str, Field], where: str, source) -> dict:
    """``d`` with defaults filled in, after checking every key of ``schema`` (and the keys of
    its sub-sections); :class:`DataError` naming ``source`` and the key otherwise."""
    if not isinstance(d, dict):
        raise _bad(source, where or "the top level", "an object", d)
    out = dict(d)
    for key, field in schema.items():
        name = f"{where}.{key}" if where else key
        if key not in d:
            if field.default is _REQUIRED:
                raise DataError(f"{source}: key '{name}' is missing{_FIX}")
            out[key] = field.default
        elif not field.ok(d[key]):
            raise _bad(source, name, field.what, d[key])
        elif field.fields is not None:
            out[key] = check_section(d[key], field.fields, name, source)
    return out


def check_config(cfg: Any, source) -> dict:
    """A ``config.json`` checked against :data:`CONFIG`, then for agreement between its keys."""
    cfg = check_section(cfg, CONFIG, "", source)
    run = cfg["run"]
    spec = cfg["spec"] = _check_spec_keys(cfg["spec"], source)
    n = math.prod(spec["input_shape"]) if "layers" in spec else spec["n_inputs"]
    takes_hidden = "hidden" in MODELS[run["model"]].options
    agree = [  # (key, whether it agrees, what it must be)
        ("classes", len(cfg["classes"]) == spec["n_classes"],
         f"{spec['n_classes']} class names (spec.n_classes), one per class the model outputs"),
        ("spec.binary", not spec["binary"] or spec["n_classes"] == 2,
         "false unless spec.n_classes is 2 (one logit is for two classes)"),
        ("run.hidden", takes_hidden == bool(run["hidden"]),
         "non-empty for an mlp and empty for logistic / softmax (run.model)"),
        _activation_agrees(run),
        *_spec_agrees(spec, run, source),
        ("feature_names", cfg["feature_names"] is None or len(cfg["feature_names"]) == n,
         f"{n} names, one per input (spec.n_inputs)"),
        ("image_shape", cfg["image_shape"] is None or math.prod(cfg["image_shape"]) == n,
         f"a shape of {n} pixel values (spec.n_inputs)"),
    ]  # fmt: skip
    for key, ok, what in agree:
        if not ok:
            raise _bad(source, key, what, _get(cfg, key))
    _check_preprocess(cfg["preprocess"], n, source)
    return cfg


def _check_spec_keys(spec: dict, source) -> dict:
    """The ``spec`` section's keys, in today's form (layers and a head) or groundup 0.1.0's."""
    if "layers" not in spec and "input_shape" not in spec:
        return check_section(spec, SPEC_0_1, "spec", source)
    return check_section(spec, SPEC, "spec", source)


def _activation_agrees(run: dict) -> tuple[str, bool, str]:
    """A list of activations has one name per layer that has one (run.hidden's, a cnn's
    run.channels'); a model without such layers takes one name."""
    names, per = run["activation"], MODELS[run["model"]].activation_per
    if isinstance(names, str):
        return ("run.activation", True, "")
    if per is None:
        return ("run.activation", False, f"one name (run.model {run['model']} has no hidden "
                                         f"layers)")  # fmt: skip
    option, layer = per
    n = len(run[option])
    return ("run.activation", len(names) == n,
            f"one name, or a list of {n} name{'s' * (n != 1)}, one per {layer} "
            f"(run.{option} {run[option]})")


def _spec_agrees(spec: dict, run: dict, source) -> list[tuple[str, bool, str]]:
    """The spec is a model whose layers fit together, and the one run.model builds from
    run.hidden and run.activation (checked after the head's keys)."""
    if "layers" not in spec:  # groundup 0.1.0: the MLP's fields side by side
        return [
            ("spec.hidden", spec["hidden"] == run["hidden"],
             f"equal to run.hidden {run['hidden']}"),
            ("spec.activation", spec["activation"] == run["activation"],
             f"equal to run.activation {run['activation']!r}"),
        ]  # fmt: skip
    if spec["binary"] and spec["n_classes"] != 2:
        return []  # said first, as 'spec.binary'
    try:
        written = ModelSpec.from_dict(spec)
    except (GroundupError, TypeError) as exc:  # TypeError: a layer with unknown fields
        raise DataError(f"{source}: key 'spec.layers' does not describe a model ({exc})"
                        f"{_FIX}") from None  # fmt: skip
    try:
        wanted = ModelSpec.for_model(
            run["model"], written.input_shape, written.n_classes, tuple(run["hidden"]),
            run["activation"], channels=tuple(run["channels"]), kernel_size=run["kernel_size"],
        )  # fmt: skip
    except GroundupError as exc:
        return [("run", False, f"a model groundup can build ({exc})")]
    return [("spec", written == wanted,
             f"the {run['model']} that run.hidden, run.channels, run.kernel_size and "
             f"run.activation describe: {wanted.summary()}")]


def _check_preprocess(pre: dict, n_inputs: int, source) -> None:
    """The statistics a preprocessing needs: a mean and a positive scale per input."""
    if pre["kind"] == "standardize":
        for key, ok in (("mean", lambda v: True), ("scale", lambda v: v > 0)):
            values = pre.get(key)
            if not (
                isinstance(values, list)
                and len(values) == n_inputs
                and all(_is_number(v) and ok(v) for v in values)
            ):
                what = f"{n_inputs} {'positive ' if key == 'scale' else ''}numbers, one per input"
                raise _bad(source, f"preprocess.{key}", what, values)
    top = pre.get("max", 255)  # pixels: the largest raw value (255, or 16 for digits)
    if pre["kind"] == "pixels" and not (_is_number(top) and top > 0):
        raise _bad(source, "preprocess.max", "a positive number", top)


def check_weights(
    state: dict[str, np.ndarray], expected: dict[str, tuple], source, optimizer=None
) -> None:
    """Check a loaded state dict against the model's names and shapes
    (``spec.parameter_shapes()``): the same names, shapes, floating dtypes and, with ``optimizer``
    given, finite values (else: diverged)."""
    names = ", ".join(expected)
    for name, want in expected.items():
        if name not in state:
            raise DataError(
                f"{source}: tensor '{name}' is missing; the model in config.json has {names}{_FIX}"
            )
        got = state[name]
        if tuple(got.shape) != tuple(want):
            raise DataError(
                f"{source}: tensor '{name}' has shape {tuple(got.shape)}, the model "
                f"in config.json needs {tuple(want)}{_FIX}"
            )
        if not np.issubdtype(got.dtype, np.floating):
            raise DataError(
                f"{source}: tensor '{name}' holds {got.dtype}, weights are floating "
                f"point numbers{_FIX}"
            )
    extra = [name for name in state if name not in expected]
    if extra:
        raise DataError(
            f"{source}: tensor '{extra[0]}' is not part of the model in config.json ({names}){_FIX}"
        )
    bad = [name for name, w in state.items() if not np.isfinite(w).all()]
    if bad and optimizer is not None:
        raise guards.diverged(
            f"{source} holds NaN or infinite weights ({', '.join(bad)})", optimizer
        )


_FIX = " (was the file edited by hand? restore it, or train a new run)"


def _bad(source, key: str, what: str, value) -> DataError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return DataError(f"{source}: key '{key}' must be {what}, got {shown}{_FIX}")


def _get(cfg: dict, dotted: str):
    for part in dotted.split("."):
        cfg = cfg[part]
    return cfg
