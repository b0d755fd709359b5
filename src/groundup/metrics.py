"""Classification metrics from scratch, in NumPy, with scikit-learn's conventions.

Everything here starts from four counts. For one class ``c`` treated as "positive":

- TP (true positives):  the true label is ``c`` and the prediction is ``c``
- FP (false positives): the prediction is ``c`` but the true label is not
- FN (false negatives): the true label is ``c`` but the prediction is not
- TN (true negatives):  neither is ``c``

and then::

    accuracy  = (TP + TN) / n                      (over all classes: mean(y_true == y_pred))
    precision = TP / (TP + FP)                     "of what I called c, how much was c?"
    recall    = TP / (TP + FN)                     "of the real c, how much did I find?"
    F1        = 2 TP / (2 TP + FP + FN)  =  2 precision recall / (precision + recall)

A ratio whose denominator is 0 (no prediction of ``c``, say) is undefined; it takes the value
``zero_division`` (0.0 by default, 1.0 or NaN on request), as in scikit-learn.

Labels may be integers or strings. The tests check every function against scikit-learn on random
inputs, so the results (and the text of :func:`classification_report`) are the same.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from groundup.errors import DataError, ShapeError

__all__ = [
    "accuracy",
    "binary_counts",
    "classification_report",
    "classification_report_dict",
    "confusion_matrix",
    "f1_score",
    "log_loss",
    "precision_recall_fscore_support",
    "precision_score",
    "recall_score",
]

AVERAGES = (None, "binary", "micro", "macro", "weighted")


# ----------------------------------------------------------------------------- input checks
def _as_labels(y, name: str) -> np.ndarray:
    """A 1-D array of class labels; a column (n, 1) is flattened; scores are refused."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ShapeError(f"{name} must be 1-D class labels of shape (n,), got shape {y.shape}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y))):
        raise DataError(
            f"{name} holds non-integer numbers, so it looks like probabilities or scores, "
            f"not class labels. Threshold them (proba >= 0.5) or take argmax(proba, axis=1)."
        )
    return y


def _check_pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = _as_labels(y_true, "y_true"), _as_labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ShapeError(
            f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}; "
            f"they must describe the same examples."
        )
    if len(y_true) == 0:
        raise DataError("y_true and y_pred are empty; metrics need at least one example.")
    return y_true, y_pred


def _label_set(y_true, y_pred, labels) -> np.ndarray:
    """The labels to report on: the given ones in their order, else every label seen, sorted."""
    if labels is None:
        return np.unique(np.concatenate([y_true, y_pred]))
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0:
        raise DataError(f"labels must be a non-empty 1-D list of classes, got {labels!r}")
    return labels


def _index_of(y: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Position of each y in ``labels`` (any order), or -1 where y is not one of them."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    pos = np.clip(np.searchsorted(sorted_labels, y), 0, len(labels) - 1)
    return np.where(sorted_labels[pos] == y, order[pos], -1)


# ----------------------------------------------------------------------------- counts
def accuracy(y_true, y_pred) -> float:
    """Fraction of exact matches: ``mean(y_true == y_pred)``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Class labels (ints or strings).
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, labels: Sequence | None = None) -> np.ndarray:
    """Count every (true, predicted) pair: ``C[i, j]`` = #examples of class i predicted as j.

    Rows are true classes, columns predicted classes (scikit-learn's convention), so the diagonal
    holds the correct predictions, row sums are the class supports and column sums the number of
    predictions per class.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
    labels : sequence, optional
        Row/column order. Default: every label in ``y_true`` or ``y_pred``, sorted. Examples whose
        true or predicted label is not listed are left out.

    Returns
    -------
    ndarray of int64, of shape (k, k), k = number of labels
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    labels = _label_set(y_true, y_pred, labels)
    k = len(labels)
    i, j = _index_of(y_true, labels), _index_of(y_pred, labels)
    keep = (i >= 0) & (j >= 0)
    # one bincount over the flattened (i, j) cell index, no Python loop over examples
    counts = np.bincount(i[keep] * k + j[keep], minlength=k * k)
    return counts.reshape(k, k).astype(np.int64)


def binary_counts(y_true, y_pred, pos_label=1) -> tuple[int, int, int, int]:
    """Return ``(TP, TN, FP, FN)`` with ``pos_label`` as the positive class.

    Every other label counts as negative. ``TP + TN + FP + FN = n``.
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    t, p = y_true == pos_label, y_pred == pos_label
    tp, tn = int(np.sum(t & p)), int(np.sum(~t & ~p))
    fp, fn = int(np.sum(~t & p)), int(np.sum(t & ~p))
    return tp, tn, fp, fn


def _per_label_counts(y_true, y_pred, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TP, predicted (TP + FP) and true (TP + FN) counts for each label, one-vs-rest."""
    i, j = _index_of(y_true, labels), _index_of(y_pred, labels)
    k = len(labels)
    tp = np.bincount(i[(i == j) & (i >= 0)], minlength=k)
    pred = np.bincount(j[j >= 0], minlength=k)
    true = np.bincount(i[i >= 0], minlength=k)
    return tp, pred, true


# ----------------------------------------------------------------------------- P / R / F
def _check_zero_division(zero_division) -> float:
    if zero_division in (0, 1) or (isinstance(zero_division, float) and np.isnan(zero_division)):
        return float(zero_division)
    raise DataError(f"zero_division must be 0.0, 1.0 or nan, got {zero_division!r}")


def _divide(num: np.ndarray, den: np.ndarray, zero_division: float) -> np.ndarray:
    """num / den, with ``zero_division`` where den == 0 (and no warning)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.full(np.shape(den), zero_division, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _nan_average(values: np.ndarray, weights: np.ndarray | None) -> float:
    """Average skipping NaN entries; all-zero weights fall back to the plain mean (as sklearn)."""
    keep = ~np.isnan(values)
    if not keep.any():
        return float("nan")
    values = values[keep]
    if weights is None or np.sum(weights[keep]) == 0:
        return float(np.mean(values))
    return float(np.average(values, weights=weights[keep]))


def _binary_labels(y_true, y_pred, pos_label) -> np.ndarray:
    present = np.unique(np.concatenate([y_true, y_pred]))
    if len(present) > 2:
        raise DataError(
            f"average='binary' needs at most two classes, found {len(present)}: "
            f"{present.tolist()}. Use average='macro', 'micro' or 'weighted', or pass labels."
        )
    if len(present) == 2 and pos_label not in present.tolist():
        raise DataError(
            f"pos_label={pos_label!r} is not one of the labels {present.tolist()}; "
            f"pass pos_label= one of them."
        )
    return np.asarray([pos_label])


def precision_recall_fscore_support(
    y_true,
    y_pred,
    labels: Sequence | None = None,
    average: str | None = None,
    pos_label=1,
    zero_division: float = 0.0,
    beta: float = 1.0,
):
    """Precision, recall, F-beta score and support, per class or averaged.

    For each class c (one-vs-rest counts, see the module docstring)::

        precision_c = TP_c / (TP_c + FP_c)
        recall_c    = TP_c / (TP_c + FN_c)
        F_beta,c    = (1 + b^2) TP_c / ((1 + b^2) TP_c + b^2 FN_c + FP_c)      (F1: b = 1)
        support_c   = TP_c + FN_c          (number of true examples of c)

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
    labels : sequence, optional
        Classes to include (default: all seen, sorted).
    average : {None, 'binary', 'micro', 'macro', 'weighted'}
        ``None``: one value per class. ``'binary'``: only the class ``pos_label`` (data must have
        at most two classes). ``'micro'``: pool TP, FP, FN over classes first (for single-label
        data micro precision = micro recall = accuracy). ``'macro'``: unweighted mean over classes,
        so rare classes count as much as common ones. ``'weighted'``: mean weighted by support.
        Averages skip NaN values (from ``zero_division=nan``).
    pos_label : label, default 1
    zero_division : {0.0, 1.0, nan}
        Value of a ratio whose denominator is 0.
    beta : float, default 1.0
        Weight of recall in the F score.

    Returns
    -------
    precision, recall, fscore : float, or ndarray of shape (k,) when ``average`` is None
    support : ndarray of int64 of shape (k,) when ``average`` is None, else None
    """
    if average not in AVERAGES:
        raise DataError(f"average must be one of {AVERAGES}, got {average!r}")
    zero = _check_zero_division(zero_division)
    y_true, y_pred = _check_pair(y_true, y_pred)
    if average == "binary":
        labels = _binary_labels(y_true, y_pred, pos_label)
    labels = _label_set(y_true, y_pred, labels)
    tp, pred, true = _per_label_counts(y_true, y_pred, labels)
    if average == "micro":
        tp, pred, true = tp.sum(keepdims=True), pred.sum(keepdims=True), true.sum(keepdims=True)

    b2 = beta**2
    precision = _divide(tp, pred, zero)
    recall = _divide(tp, true, zero)
    # F_beta from counts (true = TP + FN, pred = TP + FP), defined even where P or R is not
    fscore = _divide((1 + b2) * tp, b2 * true + pred, zero)

    if average is None:
        return precision, recall, fscore, true.astype(np.int64)
    weights = true if average == "weighted" else None
    return (
        _nan_average(precision, weights),
        _nan_average(recall, weights),
        _nan_average(fscore, weights),
        None,
    )


def _one_score(k: int, y_true, y_pred, labels, average, pos_label, zero_division):
    """Item ``k`` (0 precision, 1 recall, 2 F1) of :func:`precision_recall_fscore_support`."""
    scores = precision_recall_fscore_support(
        y_true,
        y_pred,
        labels=labels,
        average=average,
        pos_label=pos_label,
        zero_division=zero_division,
    )
    return scores[k]


def precision_score(y_true, y_pred, labels=None, average="binary", pos_label=1, zero_division=0.0):
    """Precision = TP / (TP + FP); see :func:`precision_recall_fscore_support`."""
    return _one_score(0, y_true, y_pred, labels, average, pos_label, zero_division)


def recall_score(y_true, y_pred, labels=None, average="binary", pos_label=1, zero_division=0.0):
    """Recall = TP / (TP + FN); see :func:`precision_recall_fscore_support`."""
    return _one_score(1, y_true, y_pred, labels, average, pos_label, zero_division)


def f1_score(y_true, y_pred, labels=None, average="binary", pos_label=1, zero_division=0.0):
    """F1 = 2 TP / (2 TP + FP + FN); see :func:`precision_recall_fscore_support`."""
    return _one_score(2, y_true, y_pred, labels, average, pos_label, zero_division)


# ----------------------------------------------------------------------------- log-loss
def _proba_labels(y_true: np.ndarray, n_columns: int, labels) -> np.ndarray:
    """Which class each column of the probability matrix belongs to."""
    if labels is not None:
        labels = np.asarray(labels)
        if len(labels) < 2:
            raise DataError(f"log_loss needs at least two labels, got {labels.tolist()}")
        missing = set(np.unique(y_true).tolist()) - set(labels.tolist())
        if missing:
            raise DataError(f"y_true contains {sorted(missing)}, which are not in labels")
        return labels
    classes = np.unique(y_true)
    # groundup convention: integer classes 0..C-1 name the columns even when the batch
    # lacks some of them (scikit-learn would refuse and ask for labels=)
    if classes.dtype.kind in "iub" and classes.min() >= 0 and classes.max() < n_columns:
        return np.arange(n_columns)
    if len(classes) < 2:
        raise DataError(
            f"y_true contains only one class ({classes[0]!r}); pass labels= with every class."
        )
    return classes


def log_loss(y_true, y_proba, labels: Sequence | None = None) -> float:
    """Mean cross-entropy of predicted probabilities: ``-(1/n) sum_i log p_i[y_i]``.

    For binary problems this is ``-(1/n) sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)]``.
    Probabilities are clipped to ``[eps, 1 - eps]`` with ``eps = np.finfo(dtype).eps`` of the
    probability array (float32 or float64), so a confident mistake costs about 36.0 (float64)
    or 15.9 (float32) instead of infinity. This is what scikit-learn 1.9 does; like it, rows that
    do not sum to 1 only give a warning and are not renormalised.

    Parameters
    ----------
    y_true : array-like of shape (n,)
    y_proba : array-like of shape (n,), (n, 1) or (n, C)
        Shape (n,) or (n, 1): probability of the second (positive) class of a binary problem.
        Shape (n, C): one column per class, in the order of ``labels``.
    labels : sequence, optional
        The class of each column. Default: ``0..C-1`` when ``y_true`` holds integers in that
        range, else the sorted classes of ``y_true``.
    """
    y_true = _as_labels(y_true, "y_true")
    proba = np.asarray(y_proba)
    if proba.dtype not in (np.float32, np.float64):
        proba = proba.astype(np.float64)
    if proba.ndim == 1:
        proba = proba[:, None]
    if proba.ndim != 2 or len(proba) != len(y_true):
        raise ShapeError(
            f"y_true has {len(y_true)} labels but y_proba has shape {np.shape(y_proba)}; "
            f"expected ({len(y_true)},) or ({len(y_true)}, n_classes)."
        )
    if len(y_true) == 0:
        raise DataError("y_true and y_proba are empty; log_loss needs at least one example.")
    if not np.all(np.isfinite(proba)) or proba.min() < 0 or proba.max() > 1:
        raise DataError(
            "y_proba must hold probabilities in [0, 1] (no NaN); for logits apply softmax "
            "(or sigmoid for one output) first."
        )
    if proba.shape[1] == 1:
        proba = np.concatenate([1 - proba, proba], axis=1)  # (n, 2): P(neg), P(pos)
    columns = _proba_labels(y_true, proba.shape[1], labels)
    if len(columns) != proba.shape[1]:
        raise ShapeError(
            f"y_proba has {proba.shape[1]} columns but there are {len(columns)} classes "
            f"({columns.tolist()}); pass labels= naming the class of each column."
        )
    eps = np.finfo(proba.dtype).eps
    if not np.allclose(proba.sum(axis=1), 1.0, rtol=np.sqrt(eps), atol=0.0):
        warnings.warn(
            "y_proba rows do not sum to 1; pass probabilities (softmax output).",
            UserWarning,
            stacklevel=2,
        )
    proba = np.clip(proba, eps, 1 - eps)
    p_true = proba[np.arange(len(y_true)), _index_of(y_true, columns)]  # (n,)
    return float(-np.mean(np.log(p_true)))


# ----------------------------------------------------------------------------- report
def classification_report_dict(
    y_true, y_pred, labels=None, target_names=None, zero_division: float = 0.0
) -> dict:
    """The numbers of :func:`classification_report` as a dict (scikit-learn's ``output_dict``).

    Keys: one per class name -> {"precision", "recall", "f1-score", "support"}; then
    "accuracy" (a float) or "micro avg" (when ``labels`` leaves some classes out);
    "macro avg"; "weighted avg".
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    present = np.unique(np.concatenate([y_true, y_pred]))
    labels = _label_set(y_true, y_pred, labels)
    if target_names is None:
        target_names = [str(label) for label in labels]
    if len(target_names) != len(labels):
        raise ShapeError(
            f"{len(target_names)} target_names for {len(labels)} classes "
            f"({labels.tolist()}); give one name per class."
        )
    p, r, f, s = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=zero_division
    )
    out: dict = {}
    for name, *values in zip(target_names, p, r, f, s, strict=True):
        out[str(name)] = _row(*values)
    total = int(s.sum())
    micro_is_accuracy = set(labels.tolist()) >= set(present.tolist())
    for average in ("micro", "macro", "weighted"):
        ap, ar, af, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=zero_division
        )
        if average == "micro" and micro_is_accuracy:
            out["accuracy"] = af
        else:
            out[f"{average} avg"] = _row(ap, ar, af, total)
    return out


def _row(precision, recall, f1, support) -> dict:
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1-score": float(f1),
        "support": int(support),
    }


def classification_report(
    y_true, y_pred, labels=None, target_names=None, digits: int = 2, zero_division: float = 0.0
) -> str:
    """A text table of precision, recall, F1 and support per class, plus averages.

    The layout is scikit-learn's, column for column::

                      precision    recall  f1-score   support

                 cat       0.67      1.00      0.80         2
                 dog       1.00      0.50      0.67         2

            accuracy                           0.75         4
           macro avg       0.83      0.75      0.73         4
        weighted avg       0.83      0.75      0.73         4
    """
    d = classification_report_dict(y_true, y_pred, labels, target_names, zero_division)
    names = [k for k in d if k not in ("accuracy", "micro avg", "macro avg", "weighted avg")]
    width = max(max(len(n) for n in names), len("weighted avg"), digits)
    headers = ("precision", "recall", "f1-score", "support")
    lines = [f"{'':>{width}s} " + "".join(f" {h:>9}" for h in headers), ""]

    def fmt(name: str, row: dict) -> str:
        nums = "".join(f" {row[h]:>9.{digits}f}" for h in headers[:3])
        return f"{name:>{width}s} {nums} {row['support']:>9}"

    lines += [fmt(n, d[n]) for n in names]
    lines.append("")
    if "accuracy" in d:
        total = d["macro avg"]["support"]
        blank = " " * 10  # the empty precision and recall cells
        acc = d["accuracy"]
        lines.append(f"{'accuracy':>{width}s} {blank}{blank} {acc:>9.{digits}f} {total:>9}")
    else:
        lines.append(fmt("micro avg", d["micro avg"]))
    lines += [fmt("macro avg", d["macro avg"]), fmt("weighted avg", d["weighted avg"])]
    return "\n".join(lines) + "\n"
