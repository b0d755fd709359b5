"""Test-wide settings.

Hypothesis runs derandomized and without per-example deadlines by default, so that CI on a shared,
noisy machine is reproducible and never fails on timing. Set ``HYPOTHESIS_PROFILE=explore`` to
draw fresh random examples on each run (as a developer hunting for new counterexamples would).

Tests marked ``real_data(...)`` skip without the real data sets locally and fail under
``CI=true`` (the rule is in ``tests/realdata.py``).
"""

import os

from hypothesis import settings

import realdata

settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.register_profile("explore", deadline=None, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_data(*folders): needs these folders of GROUNDUP_DATA_DIR (mnist, "
        "catvnoncat, tinyshakespeare); skipped without them, an error when CI=true")


def pytest_runtest_setup(item):
    marker = item.get_closest_marker("real_data")
    if marker is not None:
        realdata.require(marker.args)


def pytest_sessionfinish(session, exitstatus):
    """Under CI=true a skipped test fails the run: CI proves every check ran (real data, torch,
    h5py, chromium for the playground's browser tests), none passes by being skipped; only
    ``gpu``-marked tests may skip, on a machine without a GPU."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    # The one exemption: tests marked ``gpu`` need hardware CI machines do not have (their skip
    # reason says so, and benchmarks/gpu_check.py is the GPU check where one is lent).
    skipped = [r for r in skipped if "gpu" not in getattr(r, "keywords", {})]
    if realdata.in_ci() and skipped and exitstatus == 0:
        reporter.write_line(f"CI=true: {len(skipped)} test(s) skipped; CI must run every test "
                            "(see the skip reasons above)", red=True)
        session.exitstatus = 1
