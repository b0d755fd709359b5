"""The three engines side by side: same initial weights, same batches, same numbers.

:func:`compare_engines` trains one configuration on each engine from one state dict (drawn once
from the seed) with the same seeded batch order, and reports per engine the final training loss,
the test accuracy, seconds per epoch, and the largest absolute difference between its final
weights and every other engine's. Differences of the order of float32 rounding (1e-6 relative)
show that hand-derived gradients, groundup's autograd and PyTorch compute the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from groundup.engines.base import ENGINES, make_engine
from groundup.errors import MissingExtraError
from groundup.train.loop import Trainer

__all__ = ["EngineResult", "compare_engines", "max_weight_difference"]


@dataclass
class EngineResult:
    """One engine's line of the comparison table, with its final weights."""
    engine: str
    final_loss: float
    test_loss: float | None
    test_acc: float | None
    seconds_per_epoch: float
    state: dict
    max_diff: float = 0.0  # largest |w_this - w_other| over the other engines
    weight_scale: float = 1.0  # largest |w| of this engine's weights

    @property
    def relative_diff(self) -> float:
        """``max_diff`` relative to the size of the weights (float32's epsilon is 1.2e-7)."""
        return self.max_diff / self.weight_scale


def max_weight_difference(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    """``max_k max |a[k] - b[k]|`` over every parameter (computed in float64)."""
    return max(float(np.max(np.abs(a[k].astype(np.float64) - b[k]))) for k in a)


def compare_engines(
    spec, optimizer, prep, *, epochs: int, batch_size: int | None, seed: int = 0,
    engines=ENGINES, log=None,
) -> tuple[list[EngineResult], list[str]]:
    """Train on each engine; returns (results, skipped-engine messages)."""
    init = spec.init_state(seed)
    results, skipped = [], []
    for name in engines:
        try:
            engine = make_engine(name, spec, init, optimizer, seed)
        except MissingExtraError as exc:
            skipped.append(f"{name}: {exc}")
            continue
        if log:
            log(f"training on the {name} engine ...")
        trainer = Trainer(
            engine, prep.X_train, prep.y_train, prep.X_test, prep.y_test, epochs=epochs,
            batch_size=batch_size, seed=seed, log=None, handle_sigint=False,
        )  # fmt: skip
        history = trainer.fit()
        last = history.last
        results.append(EngineResult(
            name, last["loss"], last.get("test_loss"), last.get("test_acc"),
            float(np.mean(history.column("seconds"))), engine.state_dict(),
        ))  # fmt: skip
        results[-1].weight_scale = max(float(np.abs(v).max()) for v in results[-1].state.values())
    for r in results:
        others = [max_weight_difference(r.state, o.state) for o in results if o is not r]
        r.max_diff = max(others) if others else 0.0
    return results, skipped
