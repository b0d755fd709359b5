"""Pass criteria for the benchmark scripts: each is printed beside the figure it judges, and the
script exits non-zero when one fails or when nothing was measured (no data, say), so a benchmark
run in CI cannot pass by printing a bad number or by measuring nothing.

    criteria = Criteria()
    criteria.check("vectorised speed-up", speedup >= 30, f"{speedup:.0f}x, must be >= 30x")
    sys.exit(criteria.exit_code())
"""

from __future__ import annotations


class Criteria:
    """Collects named pass/fail judgements; :meth:`exit_code` is 1 if any failed or none ran."""

    def __init__(self) -> None:
        self.passed: list[str] = []
        self.failed: list[str] = []

    def check(self, name: str, ok: bool, detail: str) -> bool:
        """Print ``PASS``/``FAIL name: detail`` (``detail`` states the measured value and the
        bound) and remember the outcome."""
        (self.passed if ok else self.failed).append(name)
        print(f"criterion {'PASS' if ok else 'FAIL'}: {name}: {detail}", flush=True)
        return bool(ok)

    def exit_code(self) -> int:
        """0 if every criterion passed (and there was at least one), else 1; prints a summary."""
        if not self.passed and not self.failed:
            print("FAIL: nothing was measured, so nothing was checked")
            return 1
        if self.failed:
            print(f"FAIL: {len(self.failed)} of {len(self.passed) + len(self.failed)} criteria "
                  f"failed: {', '.join(self.failed)}")
            return 1
        print(f"all {len(self.passed)} criteria passed")
        return 0
