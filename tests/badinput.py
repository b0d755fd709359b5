"""The harness of the table-driven bad-input suites (``tests/test_bad_input_*.py``).

A case is one row: an id, a function that writes whatever bad files it needs under a temporary
folder and returns the ``groundup`` argv, and the words the one-line error must contain. Adding a
new kind of bad input is adding one row to a table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from groundup.cli import main


@dataclass(frozen=True)
class Case:
    """One bad input: ``make(tmp_path) -> argv``; stderr must hold every string of ``says``."""

    id: str
    make: Callable[[Path], list[str]]
    says: tuple[str, ...]
    exit_code: int | None = None  # None: any non-zero status

    def __str__(self) -> str:
        return self.id


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``groundup argv`` run in this process."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's own exits
        code = exc.code
    out, err = capsys.readouterr()
    return int(code or 0), out, err


def check_case(case: Case, tmp_path: Path, capsys) -> str:
    """Run ``case``; assert one clear line on stderr and a non-zero exit. Returns stderr."""
    argv = case.make(tmp_path)
    code, _out, err = run_cli(argv, capsys)
    assert code != 0, f"{case.id}: exit 0 for bad input; stderr={err!r}"
    if case.exit_code is not None:
        assert code == case.exit_code, (case.id, code, err)
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"{case.id}: expected one line on stderr, got {lines!r}"
    for words in case.says:
        assert words.lower() in err.lower(), f"{case.id}: {words!r} not in {err!r}"
    return err
