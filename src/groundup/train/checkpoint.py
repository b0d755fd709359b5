"""Checkpoints: everything needed to continue a run exactly where it stopped, without pickle.

A checkpoint is a folder ``checkpoint/<tag>/`` holding

* ``model.safetensors``     the parameters (PyTorch names),
* ``optimizer.safetensors`` the optimizer's per-parameter buffers (``"0.weight.exp_avg"``, ...),
* ``extra.safetensors``     arrays kept by callbacks (decision-boundary snapshots, ...),
* ``state.json``            counters: epoch, batch within the epoch, step, running sums, optimizer
                            step counts, the history so far, callback state;

and ``checkpoint/latest.json`` names the newest complete one. Each checkpoint is first written to
a hidden temporary folder, then renamed into place, and only then does ``latest.json`` (itself
written atomically) point at it. A process killed at any instant therefore leaves ``latest.json``
naming a complete checkpoint (or no ``latest.json`` at all), never a half-written one.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from groundup.errors import DataError
from groundup.io import atomic_write_json, load_safetensors, save_safetensors

__all__ = ["Checkpoint", "has_checkpoint", "load_checkpoint", "save_checkpoint"]

LATEST = "latest.json"


@dataclass
class Checkpoint:
    """The contents of one checkpoint folder."""

    model: dict[str, np.ndarray]
    optimizer: dict[str, np.ndarray]
    counters: dict[str, int]
    state: dict
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    path: Path | None = None  # the folder it was read from (None for one made in memory)


def save_checkpoint(folder: str | os.PathLike, tag: str, ckpt: Checkpoint) -> Path:
    """Write ``ckpt`` to ``folder/tag/`` and point ``folder/latest.json`` at it; return the path.

    Older checkpoints in ``folder`` are removed once the new one is in place.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{tag}"
    if tmp.exists():
        shutil.rmtree(tmp)
    save_safetensors(ckpt.model, tmp / "model.safetensors")
    save_safetensors(ckpt.optimizer, tmp / "optimizer.safetensors")
    save_safetensors(ckpt.extra, tmp / "extra.safetensors")
    atomic_write_json(tmp / "state.json", {"counters": ckpt.counters, "state": ckpt.state})
    final = folder / tag
    if final.exists():  # saving the same tag again (after a resume): move the old one aside
        old = folder / f".old-{tag}"
        if old.exists():
            shutil.rmtree(old)
        final.rename(old)
    tmp.rename(final)
    atomic_write_json(folder / LATEST, {"checkpoint": tag})
    for other in folder.iterdir():
        if other.is_dir() and other.name != tag:
            shutil.rmtree(other, ignore_errors=True)
    return final


def has_checkpoint(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a complete checkpoint (its ``latest.json``)."""
    return (Path(folder) / LATEST).is_file()


def load_checkpoint(folder: str | os.PathLike) -> Checkpoint:
    """Read the checkpoint ``folder/latest.json`` names.

    A process killed while saving the same tag again (between moving the old folder aside as
    ``.old-<tag>`` and renaming the new one into place) leaves ``latest.json`` naming a folder
    that is not there yet; the ``.old-<tag>`` copy, complete, is read then.

    Raises
    ------
    DataError
        If there is no complete checkpoint or one of its files is unreadable.
    """
    folder = Path(folder)
    restart = (f"delete the folder {folder} and resume again: the run then starts over from "
               f"epoch 0")  # fmt: skip
    try:
        tag = json.loads((folder / LATEST).read_text(encoding="utf-8"))["checkpoint"]
        if not isinstance(tag, str) or "/" in tag or tag.startswith("."):
            raise ValueError(f"'checkpoint' must name a folder, got {tag!r}")
    except FileNotFoundError:
        raise DataError(
            f"no checkpoint in {folder}: the run stopped before its first checkpoint was saved; "
            f"train from the start instead"
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{folder / LATEST} is corrupted ({exc}); {restart}") from exc
    path = folder / tag
    if not path.is_dir() and (folder / f".old-{tag}").is_dir():
        path = folder / f".old-{tag}"
    try:
        meta = json.loads((path / "state.json").read_text(encoding="utf-8"))
        counters = {str(k): int(v) for k, v in meta["counters"].items()}
        state = meta["state"]
        missing = [k for k in _STATE_KEYS if k not in state["loop"]]
        if missing or not isinstance(state["history"], list):
            raise ValueError(f"'state' lacks {missing or 'history'}")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataError(f"checkpoint {path} is unreadable ({exc}); {restart}") from exc
    fix = f"It is part of checkpoint {path}: {restart}."
    model, optimizer, extra = (load_safetensors(path / f"{name}.safetensors", fix=fix)
                               for name in ("model", "optimizer", "extra"))  # fmt: skip
    return Checkpoint(model, optimizer, counters, state, extra, path=path)


#: The loop counters :meth:`groundup.train.Trainer.restore` reads from ``state.json``.
_STATE_KEYS = ("epoch", "batch", "step", "loss_sum", "correct", "seen", "stop")
