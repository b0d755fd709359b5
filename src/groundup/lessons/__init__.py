"""Lessons: every demonstration of the primer, runnable, printing and checking its numbers.

Each lesson is a module with ``run(out_dir=None, verbose=True, quick=False) -> dict``: it prints
the values the primer states, raises :class:`AssertionError` if a checked one is wrong (the
returned dict's ``checked`` names them; the others are only shown, see ``_report``), saves its
figures as PNG files into ``out_dir`` (when given) and returns the values by name. ``quick``
shrinks the lessons that train on real data (fewer examples or epochs) so that the test suite
stays fast; the others ignore it.

>>> from groundup.lessons import run_lesson
>>> values = run_lesson("vectors", verbose=False)
>>> values["dot"]
32.0

The same lessons run from the shell (``groundup lesson list``, ``groundup lesson run vectors
--out figures/``) and as the notebooks in ``notebooks/``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from groundup.errors import GroundupError
from groundup.lessons._report import Report


@dataclass(frozen=True)
class LessonInfo:
    """One entry of the registry: where the lesson lives and what it shows."""

    name: str
    module: str
    primer: str  # which primer text it follows
    summary: str
    needs: str = ""  # data or extras it needs, for `groundup lesson list`


LESSONS: dict[str, LessonInfo] = {
    info.name: info
    for info in [
        LessonInfo(
            "vectors",
            "groundup.lessons.vectors",
            "first-principles",
            "magnitude, dot product 32, cosine 0.9746, 768-d near-orthogonality, matmul shapes, "
            "broadcasting",
        ),
        LessonInfo(
            "neurons",
            "groundup.lessons.neurons",
            "first-principles",
            "forward pass [0.45, 0.50, 0.10] -> [0.27, 0.42], parameter counts 62 and 101,770, "
            "XOR, activations, linear collapse",
        ),
        LessonInfo(
            "softmax",
            "groundup.lessons.softmax",
            "first-principles",
            "temperature, overflow vs the stable form, untrained loss ln 10, -log p",
        ),
        LessonInfo(
            "chain-rule",
            "groundup.lessons.chain_rule",
            "calculus-week",
            "sin(x^2), e^(2x+1), log(1+e^x) = sigmoid, gradient field [8, 7], J = 3(a+bc), "
            "2-layer MLP backward vs autograd",
        ),
        LessonInfo(
            "logistic-regression",
            "groundup.lessons.logistic_regression",
            "calculus-week",
            "dL/dz = sigmoid(z) - y, convexity, blobs boundary and snapshots, metrics, "
            "vectorisation speed-up",
        ),
        LessonInfo(
            "cat",
            "groundup.lessons.cat",
            "one-neuron",
            "12,288 features, training, cost curve, 99.04% / 70.0% (the figures deeplearning.ai's "
            "assignment publishes), misclassified, weights image",
            needs="cat data (GROUNDUP_DATA_DIR), h5py",
        ),
        LessonInfo(
            "classification",
            "groundup.lessons.classification",
            "classification",
            "exercises 1-7: gradient by hand, logistic neuron, MLP, penguins, BCELoss vs "
            "BCEWithLogitsLoss, softmax twice",
            needs="torch for exercise 3 and the PyTorch half of 6 (skipped without it)",
        ),
        LessonInfo(
            "mnist",
            "groundup.lessons.mnist",
            "first-principles",
            "the training loop per epoch, SGD vs Adam, the train/test gap",
            needs="MNIST (downloaded or GROUNDUP_DATA_DIR)",
        ),
        LessonInfo(
            "convolutions",
            "groundup.lessons.convolutions",
            "beyond-primer",
            "an edge kernel by hand [0, 3, 3, 0], output size (H + 2p - k)/s + 1, 20,490 CNN "
            "parameters vs 101,770, receptive field 10",
        ),
        LessonInfo(
            "attention",
            "groundup.lessons.attention",
            "beyond-primer",
            "dot products as similarity, 1/sqrt(d) as a softmax temperature, the causal mask, "
            "one head by hand on 4 tokens, untrained GPT loss ln 65 = 4.17, 100 iterations",
            needs="Tiny Shakespeare (GROUNDUP_DATA_DIR) for the training part",
        ),
    ]
}


class UnknownLessonError(GroundupError, KeyError):
    """A lesson name that is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def lesson_names() -> list[str]:
    """Every lesson's name, in the order of the curriculum."""
    return list(LESSONS)


def get_lesson(name: str):
    """The ``run`` function of lesson ``name``."""
    if name not in LESSONS:
        raise UnknownLessonError(
            f"no lesson named '{name}'. Choose one of: {', '.join(LESSONS)} "
            "(see 'groundup lesson list')"
        )
    return importlib.import_module(LESSONS[name].module).run


def data_available(name: str) -> bool:
    """Whether data set ``name`` can be loaded without a download (notebooks check first)."""
    from groundup.data import is_available, list_datasets

    info = next((i for i in list_datasets() if i.name == name), None)
    return info is not None and is_available(info)


def run_lesson(
    name: str, out_dir: str | Path | None = None, verbose: bool = True, quick: bool = False
) -> dict[str, Any]:
    """Run lesson ``name``; return the values it stated (it raises if any is wrong)."""
    run = get_lesson(name)
    return run(Path(out_dir) if out_dir is not None else None, verbose=verbose, quick=quick)


__all__ = [
    "LESSONS",
    "Report",
    "data_available",
    "LessonInfo",
    "UnknownLessonError",
    "get_lesson",
    "lesson_names",
    "run_lesson",
]
