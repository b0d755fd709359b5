"""Errors that teach: every message names the likely cause and the fix.

The CLI catches :class:`GroundupError` and prints its message as one line with a non-zero exit,
so anything a user can cause (bad data, bad arguments, a missing extra) should raise one of these.
"""


class GroundupError(Exception):
    """Base class for every error groundup raises on purpose."""


class DataError(GroundupError, ValueError):
    """A data set is missing, corrupted, or not in the shape a model needs."""


class ShapeError(GroundupError, ValueError):
    """Two arrays or tensors whose shapes cannot be combined."""


class MissingExtraError(GroundupError, ImportError):
    """An optional dependency (torch, h5py, ...) is not installed."""

    def __init__(self, module: str, extra: str, purpose: str):
        super().__init__(
            f"{purpose} needs the '{module}' package, which is not installed. "
            f"Install it with: pip install 'groundup[{extra}]'"
        )
        self.module = module
        self.extra = extra


class TrainingError(GroundupError, RuntimeError):
    """Training went wrong in a way the user can fix (a diverging loss, say)."""


def require(module: str, extra: str, purpose: str):
    """Import an optional dependency, or raise :class:`MissingExtraError` naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(module, extra, purpose) from exc
