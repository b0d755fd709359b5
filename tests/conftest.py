"""Test-wide settings.

Hypothesis runs derandomized and without per-example deadlines by default, so that CI on a shared,
noisy machine is reproducible and never fails on timing. Set ``HYPOTHESIS_PROFILE=explore`` to
draw fresh random examples on each run (as a developer hunting for new counterexamples would).
"""

import os

from hypothesis import settings

settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.register_profile("explore", deadline=None, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
