"""Every notebook in notebooks/ executes top to bottom, and the committed files carry no outputs
and match what notebooks/make_notebooks.py writes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def _generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOKS / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_notebook_per_primer_text_then_per_later_topic():
    assert [p.name[:2] for p in PATHS] == ["01", "02", "03", "04", "05", "06"]
    assert [p.name for p in PATHS] == sorted(_generator().NOTEBOOKS)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_committed_without_outputs_and_up_to_date(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name
    assert nbformat.writes(_generator().build(path.name)) == nbformat.writes(nb), (
        f"{path.name} is stale: run python notebooks/make_notebooks.py"
    )


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_executes(path, tmp_path, monkeypatch):
    # the kernel inherits the environment: one BLAS thread, as for the other pytest workers
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "1")
    nb = nbformat.read(path, as_version=4)
    # "python3" is the kernel spec ipykernel installs inside this environment; jupyter_client
    # launches it with sys.executable, so the notebook imports the same groundup as the tests.
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the cell's traceback, if any cell fails
    printed = "\n".join(
        out.get("text", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
    )
    assert "expected" in printed  # the lessons printed their checked values
