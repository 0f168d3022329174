"""Shared fixtures of the notebook tests: papermill runs of a chapter with given parameters."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def mirror(monkeypatch):
    """Point the loaders at the local data mirror (../shared/data), which CI provides."""
    if not SHARED_DATA.is_dir():
        message = f"the data mirror {SHARED_DATA} is missing"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must provide it)")
        pytest.skip(message)
    monkeypatch.setenv("RECSYS_DATA_HOME", str(SHARED_DATA))
    return SHARED_DATA


def execute_chapter(name: str, output: Path, parameters: dict) -> None:
    """Run notebooks/<name>.ipynb with papermill from its folder, writing `output`."""
    import papermill

    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"), str(output), parameters=parameters,
        kernel_name="python3", cwd=str(NOTEBOOKS), progress_bar=False,
    )


@pytest.fixture
def run_chapter(tmp_path):
    """Execute a chapter with papermill and return the recorded figures of the result."""
    from recsys_helpers.report import read_records

    def run(name: str, **parameters):
        output = tmp_path / f"{name}-out.ipynb"
        execute_chapter(name, output, parameters)
        return read_records(output)

    return run


@dataclass
class ChapterError:
    """The first exception a chapter raised: its class name and message, as papermill reports
    them (``PapermillExecutionError.ename`` / ``.evalue``)."""

    ename: str
    evalue: str
    cell: int


def run_until_error(name: str, parameters: dict) -> ChapterError | None:
    """Run the chapter's code cells in order inside this process, with `parameters` injected
    after the cell tagged ``parameters`` (as papermill injects them), and stop at the first
    exception.

    Why not papermill: a chapter that must stop at its parameter checks fails within its first
    few cells, but a kernel of its own costs a start and every heavy import again (about 10 s on
    the 2-core CI machine, times dozens of cases); here the imports are paid once per test
    session. The cells run are the notebook's own, in an IPython shell, from its folder.
    """
    import nbformat
    from IPython.core.interactiveshell import InteractiveShell

    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    injected = "\n".join(f"{key} = {value!r}" for key, value in parameters.items())
    shell = InteractiveShell.instance()
    shell.enable_gui = lambda gui=None: None  # `%matplotlib inline`: no GUI loop in a plain shell
    shell.reset(new_session=False)
    previous = Path.cwd()
    os.chdir(NOTEBOOKS)
    try:
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            sources = [cell.source]
            if "parameters" in cell.metadata.get("tags", []):
                sources.append(injected)
            for source in sources:
                outcome = shell.run_cell(source, silent=True, store_history=False)
                error = outcome.error_before_exec or outcome.error_in_exec
                if error is not None:
                    return ChapterError(type(error).__name__, str(error), index)
    finally:
        os.chdir(previous)
        shell.reset(new_session=False)
    return None


@pytest.fixture
def chapter_error(monkeypatch):
    """Run a chapter that must fail (in this process, see `run_until_error`) and return its
    first error (ename, evalue)."""
    monkeypatch.setenv("MPLBACKEND", "Agg")

    def run(name: str, **parameters) -> ChapterError:
        error = run_until_error(name, parameters)
        if error is None:
            pytest.fail(f"{name} ran to the end with {parameters}; it should have stopped")
        return error

    return run
