"""Shared fixtures of the notebook tests: papermill runs of a chapter with given parameters."""

from __future__ import annotations

import os
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


@pytest.fixture
def chapter_error(tmp_path):
    """Execute a chapter that must fail and return papermill's error (ename, evalue)."""
    import papermill

    def run(name: str, **parameters) -> papermill.PapermillExecutionError:
        with pytest.raises(papermill.PapermillExecutionError) as raised:
            execute_chapter(name, tmp_path / f"{name}-error.ipynb", parameters)
        return raised.value

    return run
