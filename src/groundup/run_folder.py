"""A run folder on disk: how groundup recognises one, where a new one may go, and reading it back.

**What a run folder is.** A folder whose ``config.json`` is a JSON object with the key
``"groundup_version"`` (a string, the version of groundup that wrote it). :func:`groundup.runs.
train_run` writes that file first, before any other, so a run killed at any moment is still
recognised as one. Nothing else makes a folder a run folder: a ``config.json`` of the user's own
does not.

**Where a new run may go** (:func:`check_new_folder`): a folder that does not exist yet, or an
empty one. A groundup run folder is refused (continue it with ``--resume``), and so is any other
folder that holds something: groundup never writes among a user's files, so nothing of theirs
(``metrics.json``, ``plots/curves.png``, ...) can be overwritten.

**Reading a run back** (:func:`read_config_json`): a folder that does not exist, a file given
instead of a folder, a folder without ``config.json``, a ``config.json`` that is not JSON or not
groundup's, and a key that does not pass :mod:`groundup.run_schema` each give one line saying
which. Opening a run also deletes the temporary files of writes that ``kill -9`` interrupted
(:func:`groundup.io.remove_stale_temps`: only groundup's own names, only of dead processes).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from groundup.errors import DataError, GroundupError
from groundup.io import remove_stale_temps
from groundup.run_schema import check_config

__all__ = ["CONFIG", "MARKER", "check_new_folder", "is_run_folder", "read_config_json"]

CONFIG = "config.json"
#: The key of ``config.json`` that marks a folder as groundup's run folder.
MARKER = "groundup_version"


def is_run_folder(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a ``config.json`` written by groundup (one with :data:`MARKER`).

    A ``config.json`` that is not JSON, or that has been edited beyond recognition, does not
    count: such a folder is then treated as the user's, and never written into.
    """
    try:
        cfg = json.loads((Path(folder) / CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(cfg, dict) and isinstance(cfg.get(MARKER), str)


def check_new_folder(folder: str | os.PathLike) -> Path:
    """``folder`` if a new run may be written there; a one-line :class:`GroundupError` if not.

    Allowed: a folder that does not exist (it is created) or an empty one. Refused: a file, a
    groundup run folder, and any folder holding anything else. Temporary files a killed run of
    groundup left behind (and nothing else) are removed first.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise GroundupError(f"--out {folder} is a file, not a folder; give a new folder")
    if not folder.exists():
        return folder
    if is_run_folder(folder):
        raise GroundupError(
            f"{folder} already holds a run; choose another --out, or continue it with "
            f"--resume {folder}"
        )
    remove_stale_temps(folder)
    names = sorted(p.name for p in folder.iterdir())
    if names:
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        raise GroundupError(
            f"--out {folder} is not empty and is not a groundup run folder (it holds {shown}); "
            f"groundup does not write among other files: give a new or empty folder"
        )
    return folder


def read_config_json(folder: str | os.PathLike) -> dict:
    """The checked contents of a run folder's ``config.json`` (see :mod:`groundup.run_schema`).

    Stale temporary files of killed writes are removed from the folder on the way.
    """
    folder = Path(folder)
    _check_is_run_folder(folder)
    path = folder / CONFIG
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a text file{_RESTORE}") from None
    except ValueError as exc:
        raise DataError(f"{path} is not valid JSON ({exc}){_RESTORE}") from None
    if not isinstance(cfg, dict) or MARKER not in cfg:
        raise DataError(f"{path} was not written by groundup (it has no '{MARKER}' key); give a "
                        f"run folder 'groundup train' wrote")  # fmt: skip
    cfg = check_config(cfg, path)
    remove_stale_temps(folder)
    return cfg


_RESTORE = " (was it edited by hand? restore it, or train a new run)"


def _check_is_run_folder(folder: Path) -> None:
    """A one-line error unless ``folder`` is a folder holding a ``config.json`` file."""
    where = "the folder 'groundup train' printed (runs/<recipe>-<engine>-<time>)"
    if not folder.exists():
        raise DataError(f"{folder} is not a run folder: there is no such folder; give {where}")
    if not folder.is_dir():
        parent = folder.parent
        where = f"its folder {parent}" if (parent / CONFIG).is_file() else where
        raise DataError(f"{folder} is a file, not a run folder; give {where}")
    if not (folder / CONFIG).is_file():
        raise DataError(f"{folder} is not a run folder (no {CONFIG}); give {where}")
