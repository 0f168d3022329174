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


@pytest.fixture
def run_chapter(tmp_path):
    """Execute a chapter with papermill and return the recorded figures of the result."""
    import papermill

    from recsys_helpers.report import read_records

    def run(name: str, **parameters):
        output = tmp_path / f"{name}-out.ipynb"
        papermill.execute_notebook(
            str(NOTEBOOKS / f"{name}.ipynb"), str(output), parameters=parameters,
            kernel_name="python3", cwd=str(NOTEBOOKS), progress_bar=False,
        )
        return read_records(output)

    return run
