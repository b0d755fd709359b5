"""The real-data rule (tests/realdata.py, applied by tests/conftest.py, enforced by .ci/run):
without the data a local run skips the headline checks with a reason, CI=true makes it an error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import realdata

ROOT = Path(__file__).resolve().parent.parent


def test_what_is_missing_is_named(tmp_path):
    assert realdata.missing(["mnist"], {}) == "GROUNDUP_DATA_DIR is not set"
    env = {"GROUNDUP_DATA_DIR": str(tmp_path)}
    assert realdata.missing(["mnist", "catvnoncat"], env) == \
        f"GROUNDUP_DATA_DIR={tmp_path} has no mnist/, catvnoncat/"
    (tmp_path / "mnist").mkdir()
    assert realdata.missing(["mnist"], env) is None


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception),
                                             ("1", pytest.fail.Exception),
                                             ("", pytest.skip.Exception),
                                             ("false", pytest.skip.Exception)])
def test_missing_data_skips_locally_and_fails_under_ci(ci, outcome):
    with pytest.raises(outcome, match="GROUNDUP_DATA_DIR is not set"):
        realdata.require(["mnist"], {"CI": ci})


def _pytest(test_id: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "GROUNDUP_DATA_DIR")}
    return subprocess.run([sys.executable, "-m", "pytest", test_id, "-p", "no:xdist", "-q",
                           "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, text=True,
                          env={**clean, **env}, timeout=300)


def test_a_real_data_test_is_an_error_under_ci_without_data():
    test_id = "tests/test_data_mnist.py::test_real_mnist_shapes_dtypes_and_label_counts"
    local = _pytest(test_id)  # -ra (pyproject) prints each skip's reason
    assert local.returncode == 0
    assert "SKIPPED [1]" in local.stdout and "GROUNDUP_DATA_DIR is not set" in local.stdout
    ci = _pytest(test_id, CI="true")
    assert ci.returncode == 1 and f"ERROR {test_id}" in ci.stdout
    assert "CI=true and this test needs the real data (mnist)" in ci.stdout


def test_ci_run_refuses_to_start_without_the_data(tmp_path):
    """.ci/run under CI=true with an empty data folder stops before `make test` (a stand-in
    `make` on PATH records whether it was reached)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    make = bin_dir / "make"
    make.write_text(f"#!/bin/sh\ntouch {tmp_path}/make-ran\n")
    make.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CI": "true",
           "GROUNDUP_DATA_DIR": str(tmp_path / "empty")}
    done = subprocess.run(["bash", str(ROOT / ".ci" / "run")], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert "CI=true but the real data is missing: no mnist/" in done.stderr
    assert not (tmp_path / "make-ran").exists()
    (tmp_path / "empty" / "mnist").mkdir(parents=True)
    (tmp_path / "empty" / "catvnoncat").mkdir()
    done = subprocess.run(["bash", str(ROOT / ".ci" / "run")], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and (tmp_path / "make-ran").exists()  # with the data it goes on
