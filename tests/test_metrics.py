"""groundup.metrics against scikit-learn (the oracle) and against numbers worked by hand."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from groundup import metrics as gm
from groundup.errors import DataError, ShapeError

skm = pytest.importorskip("sklearn.metrics")

ZERO_DIVISIONS = [0.0, 1.0, np.nan]
SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def label_pairs(draw, min_classes=2, max_classes=5, max_n=40):
    """(y_true, y_pred, k): int labels in [0, k); predictions may miss classes entirely."""
    k = draw(st.integers(min_classes, max_classes))
    n = draw(st.integers(1, max_n))
    y_true = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    # predictions drawn from a random subset of classes, so some classes are never predicted
    allowed = draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=k, unique=True))
    y_pred = np.array(draw(st.lists(st.sampled_from(allowed), min_size=n, max_size=n)))
    return y_true, y_pred, k


def _sklearn_report_comparable(y_true, y_pred):
    # scikit-learn 1.9 prints supports as floats ("1.0") when no prediction is right (its
    # bincount of an empty TP list is float); the numbers agree, only the text differs
    return bool(np.any(y_true == y_pred))


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-12, atol=0)


# ----------------------------------------------------------------------------- hand-worked
def test_hand_worked_binary_example():
    # y_true = 1 1 1 1 0 0 0 0 0 0
    # y_pred = 1 1 1 0 1 1 0 0 0 0
    # TP = 3 (first three), FN = 1 (fourth), FP = 2 (fifth, sixth), TN = 4 (last four)
    # accuracy  = (3 + 4) / 10        = 0.7
    # precision = 3 / (3 + 2)         = 0.6
    # recall    = 3 / (3 + 1)         = 0.75
    # F1        = 2*3 / (2*3 + 2 + 1) = 6/9 = 0.6667  (= 2*0.6*0.75 / (0.6 + 0.75))
    y_true = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    y_pred = [1, 1, 1, 0, 1, 1, 0, 0, 0, 0]
    assert gm.binary_counts(y_true, y_pred) == (3, 4, 2, 1)
    assert gm.accuracy(y_true, y_pred) == pytest.approx(0.7)
    assert gm.precision_score(y_true, y_pred) == pytest.approx(0.6)
    assert gm.recall_score(y_true, y_pred) == pytest.approx(0.75)
    assert gm.f1_score(y_true, y_pred) == pytest.approx(2 / 3)
    # rows true (0, 1), columns predicted (0, 1): [[TN, FP], [FN, TP]]
    np.testing.assert_array_equal(gm.confusion_matrix(y_true, y_pred), [[4, 2], [1, 3]])


def test_accuracy_misleads_on_imbalanced_data():
    # 99 clean transactions and 1 fraud; "never fraud" is 99% accurate and finds nothing
    y_true = np.r_[np.zeros(99, int), 1]
    y_pred = np.zeros(100, int)
    assert gm.accuracy(y_true, y_pred) == pytest.approx(0.99)
    assert gm.recall_score(y_true, y_pred) == 0.0
    assert gm.precision_score(y_true, y_pred) == 0.0  # 0 / 0 -> zero_division
    assert gm.precision_score(y_true, y_pred, zero_division=1.0) == 1.0
    assert math.isnan(gm.precision_score(y_true, y_pred, zero_division=np.nan))


def test_hand_worked_log_loss():
    # -(log 0.9 + log 0.8) / 2 with y = [1, 0] and p(class 1) = [0.9, 0.2]
    expected = -(math.log(0.9) + math.log(0.8)) / 2
    assert gm.log_loss([1, 0], [0.9, 0.2]) == pytest.approx(expected)
    assert gm.log_loss([1, 0], [[0.1, 0.9], [0.8, 0.2]]) == pytest.approx(expected)
    # an untrained 10-class model (uniform probabilities) has loss ln 10 = 2.302585
    assert gm.log_loss(np.arange(10), np.full((10, 10), 0.1)) == pytest.approx(math.log(10))


def test_log_loss_clips_with_dtype_eps():
    # a confident mistake costs -log(eps), not infinity
    assert gm.log_loss([1, 0], [0.0, 0.0]) == pytest.approx(-math.log(np.finfo(np.float64).eps) / 2)
    p32 = np.array([[1.0, 0.0]], dtype=np.float32)
    assert gm.log_loss([1], p32) == pytest.approx(-math.log(np.finfo(np.float32).eps), rel=1e-6)


def test_string_labels_confusion_and_report():
    y_true = ["cat", "dog", "cat", "bird", "dog", "dog"]
    y_pred = ["cat", "cat", "cat", "bird", "dog", "bird"]
    cm = gm.confusion_matrix(y_true, y_pred)  # sorted: bird, cat, dog
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 2, 0], [1, 1, 1]])
    np.testing.assert_array_equal(cm, skm.confusion_matrix(y_true, y_pred))
    cm2 = gm.confusion_matrix(y_true, y_pred, labels=["dog", "cat"])  # given order, bird dropped
    np.testing.assert_array_equal(cm2, [[1, 1], [0, 2]])
    report = gm.classification_report(y_true, y_pred)
    assert report == skm.classification_report(y_true, y_pred, zero_division=0.0)
    assert "accuracy" in report and "weighted avg" in report


def test_report_layout_with_names():
    report = gm.classification_report([0, 1, 1, 0], [0, 1, 0, 0], target_names=["non-cat", "cat"])
    lines = report.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1-score", "support"]
    assert lines[2].split() == ["non-cat", "0.67", "1.00", "0.80", "2"]
    assert lines[3].split() == ["cat", "1.00", "0.50", "0.67", "2"]
    assert lines[5].split() == ["accuracy", "0.75", "4"]
    # columns line up: every number row has the same length as the header
    assert {len(line) for line in lines if line} == {len(lines[0])}


# ----------------------------------------------------------------------------- errors
def test_mismatched_lengths_name_both():
    with pytest.raises(ShapeError, match=r"3 labels.*2"):
        gm.accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ShapeError, match=r"4 labels.*\(3,\)"):
        gm.log_loss([0, 1, 1, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ShapeError):
        gm.confusion_matrix([0, 1], [1])


def test_bad_inputs_raise_teaching_errors():
    with pytest.raises(DataError, match="probabilities or scores"):
        gm.accuracy([0, 1], [0.2, 0.9])
    with pytest.raises(DataError, match="empty"):
        gm.f1_score([], [])
    with pytest.raises(DataError, match="average='binary'"):
        gm.f1_score([0, 1, 2], [0, 1, 2])
    with pytest.raises(DataError, match="pos_label"):
        gm.f1_score(["a", "b"], ["a", "b"])
    with pytest.raises(DataError, match="average"):
        gm.f1_score([0, 1], [0, 1], average="mean")
    with pytest.raises(DataError, match="zero_division"):
        gm.f1_score([0, 1], [0, 1], zero_division="warn")
    with pytest.raises(DataError, match="softmax"):
        gm.log_loss([0, 1], [1.5, 0.2])
    with pytest.raises(ShapeError, match="target_names"):
        gm.classification_report([0, 1], [0, 1], target_names=["a"])
    with pytest.warns(UserWarning, match="sum to 1"):
        gm.log_loss([0, 1], [[0.5, 0.2], [0.1, 0.2]])


def test_log_loss_integer_classes_absent_from_batch():
    # groundup extension: classes 0..C-1 name the columns even if the batch lacks class 2
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])
    expected = skm.log_loss([0, 1], proba, labels=[0, 1, 2])
    assert gm.log_loss([0, 1], proba) == pytest.approx(expected, rel=1e-12)


# ----------------------------------------------------------------------------- vs sklearn
@pytest.mark.filterwarnings("ignore:A single label was found")
@SETTINGS
@given(label_pairs(min_classes=1))
def test_accuracy_and_confusion_matrix_match_sklearn(data):
    y_true, y_pred, _ = data
    assert gm.accuracy(y_true, y_pred) == skm.accuracy_score(y_true, y_pred)
    cm = gm.confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(cm, skm.confusion_matrix(y_true, y_pred))
    assert cm.dtype == np.int64 and cm.sum() == len(y_true)


@SETTINGS
@given(label_pairs(), st.data())
def test_confusion_matrix_with_labels_matches_sklearn(data, draw):
    y_true, y_pred, k = data
    labels = draw.draw(st.permutations(range(k + 1)).map(lambda p: p[: max(1, len(p) - 1)]))
    assume(np.isin(y_true, labels).any())  # sklearn refuses when no listed label is in y_true
    np.testing.assert_array_equal(
        gm.confusion_matrix(y_true, y_pred, labels=labels),
        skm.confusion_matrix(y_true, y_pred, labels=labels),
    )


@SETTINGS
@given(label_pairs(), st.sampled_from([None, "micro", "macro", "weighted"]),
       st.sampled_from(ZERO_DIVISIONS))  # fmt: skip
def test_prfs_multiclass_matches_sklearn(data, average, zero_division):
    y_true, y_pred, _ = data
    ours = gm.precision_recall_fscore_support(
        y_true, y_pred, average=average, zero_division=zero_division
    )
    theirs = skm.precision_recall_fscore_support(
        y_true, y_pred, average=average, zero_division=zero_division
    )
    for a, b in zip(ours[:3], theirs[:3], strict=True):
        _close(a, b)
    if average is None:
        np.testing.assert_array_equal(ours[3], theirs[3])
    else:
        assert ours[3] is None and isinstance(ours[0], float)


@SETTINGS
@given(label_pairs(max_classes=4), st.data(),
       st.sampled_from([None, "micro", "macro", "weighted"]),
       st.sampled_from(ZERO_DIVISIONS))  # fmt: skip
def test_prfs_with_explicit_labels_matches_sklearn(data, draw, average, zero_division):
    y_true, y_pred, k = data
    # a subset of classes, possibly with a class (k) that never occurs
    labels = draw.draw(st.lists(st.integers(0, k), min_size=1, max_size=k + 1, unique=True))
    ours = gm.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=average, zero_division=zero_division
    )
    theirs = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=average, zero_division=zero_division
    )
    for a, b in zip(ours[:3], theirs[:3], strict=True):
        _close(a, b)


@SETTINGS
@given(label_pairs(min_classes=1, max_classes=2), st.sampled_from([0, 1]),
       st.sampled_from(ZERO_DIVISIONS))  # fmt: skip
def test_binary_scores_match_sklearn(data, pos_label, zero_division):
    y_true, y_pred, _ = data
    kw = dict(pos_label=pos_label, zero_division=zero_division)
    _close(gm.precision_score(y_true, y_pred, **kw), skm.precision_score(y_true, y_pred, **kw))
    _close(gm.recall_score(y_true, y_pred, **kw), skm.recall_score(y_true, y_pred, **kw))
    _close(gm.f1_score(y_true, y_pred, **kw), skm.f1_score(y_true, y_pred, **kw))
    tp, tn, fp, fn = gm.binary_counts(y_true, y_pred, pos_label=pos_label)
    assert tp + tn + fp + fn == len(y_true)
    cm = skm.confusion_matrix(y_true == pos_label, y_pred == pos_label, labels=[False, True])
    assert (tn, fp, fn, tp) == tuple(cm.ravel().tolist())


@SETTINGS
@given(label_pairs(), st.sampled_from(ZERO_DIVISIONS), st.integers(1, 4), st.booleans())
def test_classification_report_text_equals_sklearn(data, zero_division, digits, names):
    y_true, y_pred, _ = data
    assume(_sklearn_report_comparable(y_true, y_pred))
    labels = np.unique(np.r_[y_true, y_pred])
    target_names = [f"class {c}" for c in labels] if names else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = skm.classification_report(
            y_true, y_pred, target_names=target_names, digits=digits, zero_division=zero_division
        )
    ours = gm.classification_report(
        y_true, y_pred, target_names=target_names, digits=digits, zero_division=zero_division
    )
    assert ours == theirs


@SETTINGS
@given(label_pairs(max_classes=4), st.data())
def test_classification_report_with_labels_equals_sklearn(data, draw):
    y_true, y_pred, k = data
    labels = draw.draw(st.lists(st.integers(0, k), min_size=1, max_size=k + 1, unique=True))
    ours = gm.classification_report_dict(y_true, y_pred, labels=labels)
    theirs = skm.classification_report(
        y_true, y_pred, labels=labels, output_dict=True, zero_division=0.0
    )
    assert ours.keys() == theirs.keys()
    for key, row in theirs.items():
        if isinstance(row, dict):
            _close([ours[key][h] for h in row], list(row.values()))
        else:
            _close(ours[key], row)
    assume(_sklearn_report_comparable(y_true, y_pred))
    assert gm.classification_report(y_true, y_pred, labels=labels) == skm.classification_report(
        y_true, y_pred, labels=labels, zero_division=0.0
    )


def _probabilities(draw, n, c, dtype):
    logits = np.array(
        draw(st.lists(st.floats(-30, 30), min_size=n * c, max_size=n * c)), dtype=np.float64
    ).reshape(n, c)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (p / p.sum(axis=1, keepdims=True)).astype(dtype)


@SETTINGS
@given(st.data(), st.integers(2, 5), st.integers(1, 30), st.sampled_from([np.float32, np.float64]))
def test_log_loss_multiclass_matches_sklearn(draw, c, n, dtype):
    y_true = np.array(draw.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    proba = _probabilities(draw.draw, n, c, dtype)
    labels = list(range(c))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # float32 rows may miss 1 by rounding; both warn
        ours = gm.log_loss(y_true, proba, labels=labels)
        theirs = skm.log_loss(y_true, proba, labels=labels)
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    assert ours == pytest.approx(theirs, rel=rtol)


@SETTINGS
@given(st.data(), st.integers(2, 30), st.sampled_from(["1d", "2col"]))
def test_log_loss_binary_matches_sklearn(draw, n, form):
    y_true = np.array(draw.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    assume(len(np.unique(y_true)) == 2)  # sklearn needs both classes without labels=
    p1 = np.array(draw.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    proba = p1 if form == "1d" else np.c_[1 - p1, p1]
    assert gm.log_loss(y_true, proba) == pytest.approx(skm.log_loss(y_true, proba), rel=1e-10)


def test_log_loss_string_labels_match_sklearn():
    y = ["spam", "ham", "ham", "spam"]
    p = [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]]  # columns sorted: ham, spam
    assert gm.log_loss(y, p) == pytest.approx(skm.log_loss(y, p), rel=1e-12)
    assert gm.log_loss(y, p) == pytest.approx(0.21616, abs=1e-5)
