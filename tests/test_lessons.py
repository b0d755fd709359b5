"""Every lesson runs, checks its own numbers, saves its figures, and returns the values we
worked by hand (quoted in the comments)."""

from __future__ import annotations

import math

import pytest

from groundup.cli import main
from groundup.lessons import LESSONS, UnknownLessonError, get_lesson, run_lesson
from groundup.lessons._report import Report


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Two xdist workers on two cores: BLAS threads would fight (the cat lesson ran 4x slower)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # only a speed concern
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _pngs(folder):
    return sorted(p.name for p in folder.glob("*.png"))


def test_vectors(tmp_path):
    v = run_lesson("vectors", out_dir=tmp_path, verbose=False)
    assert v["the same with groundup: (a @ bᵀ)"] == 32.0  # 1*4 + 2*5 + 3*6
    assert v["cosine to four decimals"] == 0.9746  # 32 / sqrt(14 * 77)
    assert abs(v["std of cosine (768-d)"] - 1 / math.sqrt(768)) < 0.002
    # NumPy's own arithmetic on constants is shown, not counted as a check
    assert v["dot"] == 32.0 and "dot" not in v.checked
    assert "batch output shape" not in v.checked and "cosine to four decimals" in v.checked
    assert _pngs(tmp_path) == ["random_cosines.png", "vectors.png"]


def test_neurons(tmp_path):
    v = run_lesson("neurons", out_dir=tmp_path, verbose=False)
    # 0.5*1 - 0.3*0.5 + 0.1 = 0.45 ; 0.2 + 0.4 - 0.1 = 0.5 ; -0.4 + 0.3 + 0.2 = 0.1
    assert v["after layer 1"] == pytest.approx([0.45, 0.50, 0.10], abs=1e-6)
    # 0.7*0.45 - 0.2*0.5 + 0.5*0.1 = 0.265 ; -0.3*0.45 + 0.9*0.5 + 0.1*0.1 + 0.1 = 0.425
    assert v["after layer 2"] == pytest.approx([0.265, 0.425], abs=1e-6)
    assert v["counted in groundup.nn for [3, 5, 5, 2]"] == 62  # 20 + 30 + 12
    assert v["counted in groundup.nn for [784, 128, 10]"] == 101_770  # 100,480 + 1,290
    assert v["MLP with 2 hidden tanh units accuracy"] == 1.0
    # at most 75% on XOR holds for any straight line: shown, never counted as checked
    assert "trained logistic neuron accuracy" not in v.checked
    assert "best accuracy of 200,000 random lines" not in v.checked
    assert _pngs(tmp_path) == ["activations.png", "xor_one_neuron.png", "xor_two_hidden.png"]


def test_softmax(tmp_path):
    v = run_lesson("softmax", out_dir=tmp_path, verbose=False)
    assert v["softmax([2, 1, 0.1])"] == pytest.approx([0.6590, 0.2424, 0.0986], abs=5e-5)
    assert abs(v["initial loss"] - math.log(10)) < 0.1
    assert v["-log(0.5) as the primer rounds it"] == 0.69  # shown: math.log on a constant
    assert "-log(0.5) as the primer rounds it" not in v.checked
    assert abs(v["stable softmax([1000, 1001, 1002])"][2] - 0.6652) < 1e-4  # e^2 / (1 + e + e^2)
    assert _pngs(tmp_path) == ["cross_entropy.png", "softmax_temperature.png"]


def test_chain_rule(tmp_path):
    v = run_lesson("chain-rule", out_dir=tmp_path, verbose=False)
    assert list(v["∇f(1, 2) by autograd"]) == [8.0, 7.0]  # [2·1 + 3·2, 3·1 + 2·2]
    assert (v["u = bc"], v["v = a + u"], v["J = 3v"]) == (6.0, 11.0, 33.0)
    assert (v["dJ/da"], v["dJ/db = 3c"], v["dJ/dc = 3b"]) == (3.0, 6.0, 9.0)
    assert v["dL/dW1: relative difference"] < 1e-12
    assert _pngs(tmp_path) == ["gradient_field.png"]


def test_logistic_regression(tmp_path):
    v = run_lesson("logistic-regression", out_dir=tmp_path, verbose=False, quick=True)
    assert v["TP, TN, FP, FN"] == (3, 4, 2, 1)
    assert v["F1 = 2PR / (P + R) = 0.9/1.35"] == pytest.approx(2 / 3)
    assert v["accuracy of 'always clean'"] == 0.99
    assert v["recall on fraud"] == 0.0
    assert v["train accuracy after 2,000 steps"] > 0.95
    # loops and vectors agree (checked); the speed-up is timed, so it is only shown here and
    # enforced in benchmarks/bench_vectorise.py, never asserted in the test suite
    assert v["largest |dw loop - dw vectorised|"] < 1e-12
    assert "speed-up" in v and "speed-up" not in v.checked
    assert _pngs(tmp_path) == [
        "blobs_boundary.png",
        "blobs_confusion.png",
        "blobs_snapshots.png",
        "convexity.png",
    ]


@pytest.mark.real_data("catvnoncat")
def test_cat_quick(tmp_path):
    v = run_lesson("cat", out_dir=tmp_path, verbose=False, quick=True)
    assert v["X_train (n_x, m_train)"] == (12_288, 209)  # 64 * 64 * 3 features, one column each
    assert v["cost at iteration 0 (ln 2: every σ(0) = 0.5)"] == pytest.approx(0.693147, abs=1e-6)
    assert _pngs(tmp_path) == ["cat_cost.png", "cat_misclassified.png", "cat_weights.png"]


@pytest.mark.slow
@pytest.mark.real_data("catvnoncat")
def test_cat_full():
    v = run_lesson("cat", verbose=False)
    assert v["train accuracy, in percent"] == 99.04  # 207 / 209
    assert v["test accuracy (35 of 50)"] == 0.70
    assert abs(v["cost at iteration 1,900"] - 0.1409) < 5e-4


def test_cat_without_data_is_a_clear_error(tmp_path, monkeypatch, capsys):
    pytest.importorskip("h5py")
    monkeypatch.setenv("GROUNDUP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["lesson", "run", "cat"]) == 2
    err = capsys.readouterr().err
    assert "catvnoncat" in err and "Traceback" not in err


def test_classification(tmp_path):
    v = run_lesson("classification", out_dir=tmp_path, verbose=False, quick=True)
    # worked by hand: u = σ(0.1) = 0.5249792, (u - 1) x = -0.4750208 · [1, 2]
    assert v["dL/dw by groundup autograd"] == pytest.approx([-0.4750208, -0.9500416], abs=1e-7)
    assert v["final loss, softmax applied twice"] > 0.5514  # -log(e / (e + 2))
    assert (
        v["extreme weights: |dL/dW| through sigmoid + BCE"]
        < 0.05 * v["extreme weights: |dL/dW| with logits"]
    )
    assert "ex7_softmax_twice.png" in _pngs(tmp_path)


@pytest.mark.real_data("mnist")
def test_mnist_quick(tmp_path):
    v = run_lesson("mnist", out_dir=tmp_path, verbose=False, quick=True)
    assert v["parameters"] == 101_770
    assert abs(v["loss before training (ln 10)"] - math.log(10)) < 0.1
    assert v["mnist-adam test accuracy"] > v["mnist-sgd test accuracy"]
    assert _pngs(tmp_path) == ["mnist_loss.png", "mnist_sgd_vs_adam.png"]


@pytest.mark.slow
@pytest.mark.real_data("mnist")
def test_mnist_full(tmp_path):
    v = run_lesson("mnist", out_dir=tmp_path, verbose=False)
    assert v["updates per epoch"] == 938  # ceil(60000 / 64)
    assert v["mnist-sgd test accuracy"] > 0.905  # PyTorch: about 91.5% with this recipe
    assert v["mnist-adam test accuracy"] >= 0.97


def test_convolutions(tmp_path):
    v = run_lesson("convolutions", out_dir=tmp_path, verbose=False)
    # rows [0, 0, 0, 1, 1, 1] under kernel rows [-1, 0, 1]: 3 (x[j + 2] - x[j]) = [0, 3, 3, 0]
    assert v["by scratch.Conv2d (im2col + one GEMM)"].tolist() == [[0.0, 3.0, 3.0, 0.0]] * 4
    assert v["MaxPool2d(k=2, s=2, p=0) on 28 x 28"] == 14  # (28 - 2) / 2 + 1
    assert v["CNN parameters"] == 20_490  # 160 + 4,640 + 15,690
    assert v["MLP 784-128-10 parameters"] == 101_770
    assert v["receptive field after conv, pool, conv, pool (measured)"] == [3, 4, 8, 10]
    assert _pngs(tmp_path) == ["digit_edges.png", "edge_filter.png"]


def test_attention_quick(tmp_path):
    v = run_lesson("attention", out_dir=tmp_path, verbose=False, quick=True)
    assert v["q · k for k = [2, 0], [0, 3], [-1, 0]"] == [2.0, 0.0, -1.0]
    assert "q · k for k = [2, 0], [0, 3], [-1, 0]" not in v.checked  # NumPy on literals: shown
    # row 3, x = [2, 0]: scores [2, 0, 2, 4] / √2, weights e^s / Σ e^s
    assert v["attention weights by the loops"][3] == pytest.approx([0.1573, 0.0382, 0.1573,
                                                                   0.6471], abs=1e-4)
    assert v["outputs by the loops"][3] == pytest.approx([1.6089, 0.1956], abs=1e-4)
    assert v["variance of q·k for d = 64"] == pytest.approx(64, rel=0.1)  # d unit-variance terms
    assert v["parameters"] == 804_096
    assert v["initial loss"] == pytest.approx(math.log(65), abs=0.1)  # 4.17: a uniform guess
    assert _pngs(tmp_path) == ["attention_weights.png", "temperature.png"]


@pytest.mark.slow
@pytest.mark.real_data("tinyshakespeare")
def test_attention_trains_the_baby_gpt(tmp_path):
    v = run_lesson("attention", out_dir=tmp_path, verbose=False)
    assert v["mean loss of the last 10 iterations"] < 3.0  # from 4.18
    assert "training_loss.png" in _pngs(tmp_path)


@pytest.mark.slow
def test_classification_full():
    v = run_lesson("classification", verbose=False)
    assert v["test accuracy, sgd (lr 0.01, 100 epochs)"] >= 0.95


def test_report_raises_on_a_wrong_number():
    report = Report("t", verbose=False)
    report.close("ok", 0.9746, 0.9746)
    with pytest.raises(AssertionError, match="dot"):
        report.close("dot", 31.0, 32.0)
    with pytest.raises(AssertionError, match="shape"):
        report.equal("shape", (64, 128), (64, 10))
    with pytest.raises(AssertionError):
        report.between("acc", 0.5, 0.95)
    with pytest.raises(AssertionError):
        report.between("nan", float("nan"), 0.0, 1.0)
    with pytest.raises(AssertionError):
        report.holds("claim", False, "never")


def test_report_counts_checks_not_shown_values():
    report = Report("t", verbose=False)
    report.close("checked", 1.0, 1.0)
    report.show("shown", 64 * 64 * 3, "arithmetic")
    report.holds("claim", True, "true")
    assert dict(report.values) == {"checked": 1.0, "shown": 12_288, "claim": True}
    assert report.values.checked == ["checked", "claim"]
    with pytest.raises(TypeError, match="show"):  # a bound-less between() checked nothing
        report.between("measured", 3.0)


def test_unknown_lesson_is_a_clear_error(capsys):
    with pytest.raises(UnknownLessonError, match="vectors"):
        get_lesson("vektors")
    assert main(["lesson", "run", "vektors"]) == 2
    assert "no lesson named 'vektors'" in capsys.readouterr().err


def test_cli_reports_a_failed_check_in_one_line(monkeypatch, capsys):
    from groundup.lessons import vectors

    monkeypatch.setattr(vectors, "magnitude", lambda v: 1.5)  # a wrong |[1, 1]|
    assert main(["lesson", "run", "vectors", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "FAILED a check" in err and "|[1, 1]|" in err


def test_cli_list_and_run(tmp_path, capsys):
    assert main(["lesson", "list"]) == 0
    listed = capsys.readouterr().out
    for name in LESSONS:
        assert name in listed
    assert main(["lesson", "run", "vectors", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "dot = 32   (shown, not checked" in out and "cosine to four decimals = 0.9746" in out
    values = run_lesson("vectors", verbose=False)
    assert f"lesson vectors: {len(values.checked)} values checked, " \
           f"{len(values) - len(values.checked)} shown" in out
    assert (tmp_path / "random_cosines.png").stat().st_size > 1000
