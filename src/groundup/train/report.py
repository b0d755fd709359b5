"""What a finished run reports: test metrics (``metrics.json``) and figures (``plots/``).

matplotlib is imported only here, through :mod:`groundup.plot`, and only when plots are written.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["classification_metrics", "run_metrics", "write_plots"]


def classification_metrics(engine, X: np.ndarray, y: np.ndarray, classes: list[str]) -> dict:
    """Accuracy, mean loss, per-class precision / recall / F1 / support and the confusion matrix
    (rows: true class, columns: predicted class) of ``engine`` on ``(X, y)``."""
    from groundup import metrics

    head = engine.spec.head
    z = engine.batched_logits(X)
    pred = head.predictions(z)
    labels = list(range(len(classes)))
    p, r, f, s = metrics.precision_recall_fscore_support(y, pred, labels=labels)
    return {
        "accuracy": float(np.mean(pred == y)) if len(y) else None,
        "loss": head.loss(z, y) if len(y) else None,
        "n": int(len(y)),
        "classes": list(classes),
        "per_class": {
            name: {"precision": float(p[k]), "recall": float(r[k]), "f1": float(f[k]),
                   "support": int(s[k])}  # fmt: skip
            for k, name in enumerate(classes)
        },
        "macro_f1": float(np.mean(f)),
        "confusion_matrix": metrics.confusion_matrix(y, pred, labels=labels).tolist(),
    }


def run_metrics(engine, prep, history) -> dict:
    """``metrics.json`` of a run: test metrics, plus final train accuracy and epochs run."""
    from groundup.train.loop import evaluate

    if len(prep.y_test):
        out = classification_metrics(engine, prep.X_test, prep.y_test, prep.classes)
    else:  # no test split: report on the training set and say so
        out = classification_metrics(engine, prep.X_train, prep.y_train, prep.classes)
        out["note"] = "no test set: these are training-set metrics"
    # the final weights on the training set: the trainer measured them at the end of fit
    loss, accuracy = history.final_train or evaluate(engine, prep.X_train, prep.y_train)
    out["train_accuracy"] = accuracy
    out["train_loss"] = loss
    out["epochs"] = len(history)
    out["engine"] = engine.name
    out["notes"] = list(history.notes)
    return out


def _proba_fn(engine_or_state, spec):
    """``f(X (m, 2))`` -> P(class 1) of shape (m,) for a binary head, else (m, C) probabilities;
    from an engine or a state dict (run on the scratch engine)."""
    if isinstance(engine_or_state, dict):
        from groundup.engines import OptimizerSpec, make_engine

        engine = make_engine("scratch", spec, engine_or_state, OptimizerSpec())
    else:
        engine = engine_or_state

    def proba(X):
        P = spec.head.probabilities(engine.batched_logits(np.asarray(X, dtype=np.float32)))
        return P[:, 1] if spec.binary else P

    return proba


def write_plots(
    folder: str | os.PathLike, engine, prep, history, metrics: dict, snapshots=None
) -> list[Path]:
    """Write the run's PNG figures into ``folder``; returns their paths."""
    from groundup import plot

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "curves.png", folder / "confusion_matrix.png"]
    plot.plot_history(list(history), path=paths[0])
    plot.plot_confusion_matrix(np.asarray(metrics["confusion_matrix"]), prep.classes, path=paths[1])
    spec = engine.spec
    X, y = (prep.X_test, prep.y_test) if len(prep.y_test) else (prep.X_train, prep.y_train)
    if spec.n_inputs == 2:
        Xall = np.concatenate([prep.X_train, prep.X_test])
        yall = np.concatenate([prep.y_train, prep.y_test])
        paths.append(folder / "decision_boundary.png")
        plot.plot_decision_boundary(_proba_fn(engine, spec), Xall, yall, path=paths[-1])
        if snapshots is not None and snapshots.snapshots:
            fns = {s: _proba_fn(sd, spec) for s, sd in sorted(snapshots.snapshots.items())}
            paths.append(folder / "boundary_snapshots.png")
            plot.plot_boundary_snapshots(fns, Xall, yall, path=paths[-1])
    if prep.image_shape is not None:
        paths += _first_layer_plots(folder, engine, prep, X)
        z = engine.batched_logits(X)
        pred = spec.head.predictions(z)
        wrong = np.flatnonzero(pred != y)[:16]
        if len(wrong) and prep.X_test_raw is not None:
            probs = spec.head.probabilities(z[wrong]).max(axis=1)
            paths.append(folder / "misclassified.png")
            plot.plot_misclassified(prep.X_test_raw[wrong], y[wrong], pred[wrong], prep.classes,
                                    path=paths[-1], probs=probs)  # fmt: skip
    return paths


def _first_layer_plots(folder: Path, engine, prep, X) -> list[Path]:
    """What the first layer with weights learnt: a Linear layer's rows as images
    (``first_layer_weights.png``), or a convolution's filters (``first_layer_filters.png``) and
    what they make of the first test image (``feature_maps.png``)."""
    from groundup import plot

    spec = engine.spec
    name = spec.first_weight
    if name is None:
        return []
    W = engine.state_dict()[name]
    if W.ndim == 2:  # (k, n_pixels): one picture per unit
        path = folder / "first_layer_weights.png"
        plot.plot_weight_images(W[:16], prep.image_shape, path=path)
        return [path]
    out, channels, kh, kw = W.shape  # (O, C, kH, kW): one picture per filter
    filters = W.transpose(0, 2, 3, 1).reshape(out, -1)  # (H, W, C) pictures
    shape = (kh, kw) if channels == 1 else (kh, kw, channels)
    paths = [folder / "first_layer_filters.png", folder / "feature_maps.png"]
    plot.plot_weight_images(filters[:16], shape, path=paths[0], title="First-layer filters",
                            label="filter")  # fmt: skip
    index = int(name.split(".")[0])  # the convolution, and its activation when one follows
    upto = index + 2 if index + 1 < len(spec.layers) and \
        spec.layers[index + 1].kind == "activation" else index + 1  # fmt: skip
    maps = engine.features(X[:1], upto)[0]  # (O, H, W)
    image = prep.X_test_raw[0] if prep.X_test_raw is not None else X[0].reshape(
        prep.image_shape)  # fmt: skip
    plot.plot_feature_maps(image, maps, path=paths[1])
    return paths
