"""The `groundup` dispatcher: version, help, and failures that end in one line, not a traceback."""

import subprocess
import sys

from groundup import __version__
from groundup.cli import main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "groundup", *args], capture_output=True, text=True
    )


def test_version_and_help(capsys):
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"groundup {__version__}"
    assert main([]) == 0
    out = capsys.readouterr().out
    for command in ["train", "evaluate", "predict", "compare", "gradcheck", "datasets", "lesson"]:
        assert command in out


def test_unknown_command_is_one_line():
    proc = run("fly")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_unwritable_output_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = run("lesson", "run", "vectors", "--quiet", "--out", str(blocker / "figures"))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and proc.stderr.strip().count("\n") == 0


def test_closed_pipe_is_not_an_error():
    # `groundup lesson list | head -1`: the reader leaves before we write; no BrokenPipeError trace.
    proc = subprocess.Popen(
        [sys.executable, "-m", "groundup", "lesson", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc.stdout.close()  # long before the child has imported groundup and printed
    stderr = proc.stderr.read()
    assert proc.wait() == 0
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
