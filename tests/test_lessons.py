"""Every lesson runs, checks its own numbers, saves its figures, and returns the values we
worked by hand (quoted in the comments)."""

from __future__ import annotations

import math

import pytest

from groundup.cli import main
from groundup.lessons import LESSONS, UnknownLessonError, get_lesson, run_lesson
from groundup.lessons._report import Report


def _pngs(folder):
    return sorted(p.name for p in folder.glob("*.png"))


def test_vectors(tmp_path):
    v = run_lesson("vectors", out_dir=tmp_path, verbose=False)
    assert v["dot"] == 32.0  # 1*4 + 2*5 + 3*6
    assert v["cosine to four decimals"] == 0.9746  # 32 / sqrt(14 * 77)
    assert v["perpendicular [1,0]·[0,1]"] == 0.0
    assert abs(v["std of cosine (768-d)"] - 1 / math.sqrt(768)) < 0.002
    assert v["batch output shape"] == (64, 128)
    assert v["(32, 128) + (128,)"] == (32, 128)
    assert _pngs(tmp_path) == ["random_cosines.png", "vectors.png"]


def test_softmax(tmp_path):
    pytest.importorskip("groundup.nn")  # TEMPORARY until the autograd engine lands
    v = run_lesson("softmax", out_dir=tmp_path, verbose=False)
    assert v["-log(0.99) as the primer rounds it"] == 0.01
    assert v["-log(0.5) as the primer rounds it"] == 0.69
    assert v["-log(0.01) as the primer rounds it"] == 4.6
    assert abs(v["initial loss"] - math.log(10)) < 0.1
    assert abs(v["stable softmax([1000, 1001, 1002])"][2] - 0.6652) < 1e-4  # e^2 / (1 + e + e^2)
    assert _pngs(tmp_path) == ["cross_entropy.png", "softmax_temperature.png"]


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


def test_unknown_lesson_is_a_clear_error(capsys):
    with pytest.raises(UnknownLessonError, match="vectors"):
        get_lesson("vektors")
    assert main(["lesson", "run", "vektors"]) == 2
    assert "no lesson named 'vektors'" in capsys.readouterr().err


def test_cli_list_and_run(tmp_path, capsys):
    assert main(["lesson", "list"]) == 0
    listed = capsys.readouterr().out
    for name in LESSONS:
        assert name in listed
    assert main(["lesson", "run", "vectors", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "dot = 32" in out and "cosine to four decimals = 0.9746" in out
    assert (tmp_path / "random_cosines.png").stat().st_size > 1000
