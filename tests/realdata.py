"""The rule for tests on the real data sets (MNIST, the cat files under ``GROUNDUP_DATA_DIR``).

Mark such a test ``@pytest.mark.real_data("mnist")`` (or ``"catvnoncat"``, which also needs
h5py). Without the data a local run skips it, saying what is missing and how to provide it; under
``CI=true`` the same absence is an error, so a CI machine without the data cannot pass with the
headline checks (MNIST accuracy, the cat numbers, the lessons on real data) silently skipped.
``tests/conftest.py`` applies the rule before each marked test.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

READERS = {"catvnoncat": "h5py"}  # folder -> the optional package that reads its files


def in_ci(environ=os.environ) -> bool:
    """Whether this run is CI's (``CI`` set to true/1/yes, as GitHub Actions and others do)."""
    return environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing(folders, environ=os.environ) -> str | None:
    """What keeps the real-data ``folders`` from being read, or None when nothing does."""
    root = environ.get("GROUNDUP_DATA_DIR")
    if not root:
        return "GROUNDUP_DATA_DIR is not set"
    absent = [f for f in folders if not (Path(root) / f).is_dir()]
    if absent:
        return f"GROUNDUP_DATA_DIR={root} has no {', '.join(f + '/' for f in absent)}"
    packages = [READERS[f] for f in folders if f in READERS
                and importlib.util.find_spec(READERS[f]) is None]
    if packages:
        return f"{', '.join(packages)} is not installed (pip install 'groundup[h5]')"
    return None


def require(folders, environ=os.environ) -> None:
    """Skip (locally) or fail (under CI=true) unless the real-data ``folders`` can be read."""
    problem = missing(folders, environ)
    if problem is None:
        return
    if in_ci(environ):
        pytest.fail(f"CI=true and this test needs the real data ({', '.join(folders)}), but "
                    f"{problem}; CI must run the real-data checks (see .ci/run)", pytrace=False)
    pytest.skip(f"needs the real data ({', '.join(folders)}): {problem}; point "
                "GROUNDUP_DATA_DIR at a folder with mnist/ and catvnoncat/ (../shared/data)")
