"""Executing notebooks in place: metadata cleaning and atomic replacement."""

from __future__ import annotations

import json

import nbformat
import pytest

from recsys_helpers.execute import execute_in_place, main, strip_volatile_metadata

pytestmark = pytest.mark.unit


def _notebook_dict() -> dict:
    return {
        "metadata": {"papermill": {"duration": 1.2}, "kernelspec": {"name": "python3"}},
        "cells": [
            {"cell_type": "code", "source": "x = 1",
             "metadata": {"tags": ["parameters"], "papermill": {"status": "completed"},
                          "execution": {"iopub.status.busy": "2025-01-01T00:00:00"}}},
            {"cell_type": "markdown", "source": "text", "metadata": {}},
            {"cell_type": "code", "source": "x", "metadata": {"scrolled": True}},
        ],
    }


def test_strip_volatile_metadata_keeps_the_rest():
    content = _notebook_dict()
    strip_volatile_metadata(content)
    assert content["metadata"] == {"kernelspec": {"name": "python3"}}
    assert content["cells"][0]["metadata"] == {"tags": ["parameters"]}
    assert content["cells"][1]["metadata"] == {}
    assert content["cells"][2]["metadata"] == {"scrolled": True}
    assert [cell["source"] for cell in content["cells"]] == ["x = 1", "text", "x"]
    strip_volatile_metadata(content)  # idempotent
    assert content["cells"][0]["metadata"] == {"tags": ["parameters"]}
    strip_volatile_metadata({})  # nothing to strip


def test_strip_volatile_metadata_refuses_injected_parameters():
    content = _notebook_dict()
    content["cells"].insert(1, {"cell_type": "code", "source": "x = 2",
                                "metadata": {"tags": ["injected-parameters"]}})
    with pytest.raises(RuntimeError, match="injected-parameters"):
        strip_volatile_metadata(content)


def _write(path, *sources, parameters: str | None = None):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        notebook.cells.append(cell)
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(notebook, path)


def test_execute_in_place_writes_outputs_and_no_temp_file(tmp_path, capsys):
    path = tmp_path / "tiny.ipynb"
    _write(path, "from pathlib import Path\nprint(x * 21, Path.cwd().name)",
           parameters="x = 2")
    assert main([str(path)]) == 0
    assert "tiny.ipynb: executed in" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["tiny.ipynb"]

    content = json.loads(path.read_text(encoding="utf-8"))
    nbformat.validate(nbformat.from_dict(content))
    assert "papermill" not in content["metadata"]
    assert all("papermill" not in cell["metadata"] and "execution" not in cell["metadata"]
               for cell in content["cells"])
    assert len(content["cells"]) == 2  # no injected-parameters cell without new parameters
    outputs = content["cells"][1]["outputs"]
    # ran with its default parameter, from the notebook's own folder
    assert "".join(outputs[0]["text"]).strip() == f"42 {tmp_path.name}"


def test_failed_run_leaves_the_notebook_untouched(tmp_path):
    path = tmp_path / "broken.ipynb"
    _write(path, "raise ValueError('boom')")
    before = path.read_bytes()
    with pytest.raises(Exception, match="boom"):
        execute_in_place(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["broken.ipynb"]


def test_execute_in_place_keeps_the_file_mode(tmp_path):
    import nbformat

    from recsys_helpers.execute import execute_in_place

    notebook = tmp_path / "mode.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, notebook)
    notebook.chmod(0o644)
    execute_in_place(notebook)
    assert notebook.stat().st_mode & 0o777 == 0o644
