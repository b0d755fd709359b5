"""What the playground writes: a run folder ("save run") and the boundary-grid PNG.

A saved run is an ordinary run folder (see :mod:`groundup.runs`), so ``groundup evaluate RUN``
and ``groundup predict RUN rows.csv`` take it. The network's inputs are the chosen features
(``x1``, ``x1^2``, ...), so the folder keeps its data as ``data.csv`` with one column per
feature plus ``label``; a CSV with the same feature columns is what ``predict`` reads.
``config.json`` also keeps the playground's settings and their link. Each hidden layer keeps
its own activation: ``run.activation`` is one name when they are all the same, else a list of
one per hidden layer.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np

from groundup import checks
from groundup.errors import GroundupError
from groundup.io import atomic_write, atomic_write_json, save_safetensors
from groundup.playground import datasets
from groundup.playground.adapter import Network, optimizer_spec
from groundup.playground.session import Session
from groundup.playground.settings import DEFAULT_ACTIVATION, to_json, to_query
from groundup.run_folder import check_new_folder
from groundup.runs import RunConfig, config_json
from groundup.train.prepare import Prepared

SNAPSHOT_ITERATIONS = (0, 100, 500, 2000)  # the primer's boundary grid


def _folder(runs_dir: Path, session: Session) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = f"playground-{session.settings.dataset}-{session.settings.engine}-{stamp}"
    folder, k = runs_dir / base, 2
    while folder.exists():
        folder, k = runs_dir / f"{base}-{k}", k + 1
    return folder


def _data_csv(names: list[str], X: np.ndarray, labels: list[str]) -> str:
    lines = [",".join([*names, "label"])]
    lines += [",".join([*(repr(float(v)) for v in row), c]) for row, c in zip(X, labels,
                                                                             strict=True)]
    return "\n".join(lines) + "\n"


def _activation(s) -> str | tuple[str, ...]:
    """The run's activation: one name when every hidden layer has it (no hidden layer: the
    default, unused), else one per hidden layer, as ``groundup train --activation`` takes it."""
    return checks.per_layer("activation", s.activations or DEFAULT_ACTIVATION, len(s.hidden),
                            "hidden layer")  # fmt: skip


def save_run(session: Session, runs_dir: str | Path = "runs") -> Path:
    """Write the session's network, data and history as a run folder; returns its path."""
    s, d, net = session.settings, session.data, session.net
    if net.regression:
        raise GroundupError("save run writes a classification run (groundup evaluate reports "
                            "accuracy); switch the problem type to classification")  # fmt: skip
    if not np.isfinite(session.losses()[0]):
        raise GroundupError("the weights have diverged (the loss is not a number); lower the "
                            "learning rate and reset before saving")  # fmt: skip
    folder = check_new_folder(_folder(Path(runs_dir), session))
    prep = Prepared(session.F_train, d.y_train, session.F_test, d.y_test, list(d.classes),
                    {"kind": "none"}, feature_names=list(s.features))  # fmt: skip
    X = np.concatenate([prep.X_train, prep.X_test])
    y = np.concatenate([prep.y_train, prep.y_test])
    data_path = (folder / "data.csv").absolute()
    atomic_write(data_path, _data_csv(list(s.features), X, [d.classes[k] for k in y]))
    config = RunConfig(
        recipe="playground", dataset=str(data_path), model=net.model_name,
        hidden=s.hidden, activation=_activation(s),
        optimizer=optimizer_spec(s),
        epochs=max(session.epoch, 1), batch_size=s.batch_size, engine=s.engine, seed=s.seed,
        preprocess="none", target="label", snapshot_steps=SNAPSHOT_ITERATIONS,
    )  # fmt: skip
    atomic_write_json(folder / "config.json", {
        **config_json(config, net.spec, prep),
        "playground": {"settings": to_json(s), "link": to_query(s), "data": d.source,
                       "upload_scale": d.scale},
    })  # fmt: skip
    meta = {"groundup": json.dumps({"spec": net.spec.to_dict(), "engine": net.engine.name},
                                   sort_keys=True)}  # fmt: skip
    save_safetensors(net.state_dict(), folder / "model.safetensors", metadata=meta)
    session.history.save(folder / "history.jsonl")
    from groundup.train.report import run_metrics, write_plots

    metrics = run_metrics(net.engine, prep, session.history)
    atomic_write_json(folder / "metrics.json", metrics)
    if len(session.history):
        write_plots(folder / "plots", net.engine, prep, session.history, metrics)
    atomic_write(folder / "plots" / "boundary_snapshots.png", boundary_png(session))
    return folder


def snapshots(session: Session, iterations=SNAPSHOT_ITERATIONS) -> dict[int, dict]:
    """The weights at each of ``iterations``, replayed from the seed on the session's settings,
    data and batch order (so they are the live run's weights at those iterations)."""
    replay = Network(session.settings, session.net.spec.n_classes)
    last, it, epoch, out = max(iterations), 0, 0, {}
    if 0 in iterations:
        out[0] = replay.state_dict()
    while it < last:
        for idx in session.batches(epoch):
            replay.train_step(session.F_train[idx], session.y_train[idx])
            it += 1
            if it in iterations:
                out[it] = replay.state_dict()
            if it == last:
                break
        epoch += 1
    return out


def boundary_png(session: Session) -> bytes:
    """PNG bytes of the decision boundary at iterations 0, 100, 500 and 2,000 (2x2 grid)."""
    from groundup.plot import plot_boundary_snapshots

    s, d = session.settings, session.data
    k = session.net.spec.n_classes

    def proba_at(state):
        net = Network(s, k, state=state)

        def proba(P):  # (m, 2) points -> P(class 1) or (m, C), as the plot expects
            out = net.outputs(datasets.features(np.asarray(P), s.features))
            if net.regression:
                return (out + 1) / 2
            return out[:, 1] if net.spec.binary else out
        return proba

    fns = {it: proba_at(sd) for it, sd in snapshots(session).items()}
    y = (d.labels > 0).astype(np.int64) if session.net.regression else d.labels
    fig = plot_boundary_snapshots(fns, d.points, y)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
