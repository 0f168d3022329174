"""record() in a really executed notebook, read back with read_records()."""

from __future__ import annotations

import json
import math

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from recsys_helpers.errors import DataError, ParameterError
from recsys_helpers.report import read_records, record

pytestmark = pytest.mark.unit


def test_records_survive_a_real_notebook_run(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("from recsys_helpers.report import record"),
        nbformat.v4.new_code_cell('record("a", 0.123456)\nrecord("b", {"x": 1})'),
        nbformat.v4.new_code_cell('record("c", 1.5)\nprint("between")'),
        nbformat.v4.new_markdown_cell("text cells have no outputs"),
        nbformat.v4.new_code_cell('record("c", [2.345678, 7], digits=2)'),
    ]
    NotebookClient(notebook, kernel_name="python3", timeout=60,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    path = tmp_path / "recorded.ipynb"
    nbformat.write(notebook, path)

    records = read_records(path)
    assert records == {"a": 0.123, "b": {"x": 1}, "c": [2.35, 7]}  # the later "c" wins
    assert isinstance(records["b"]["x"], int)
    # the reader sees the same rounded number in plain text
    text = notebook.cells[1].outputs[0]["data"]["text/plain"]
    assert "0.123" in text and "0.1234" not in text  # three decimals by default
    assert read_records(str(path)) == records


def test_record_validates_before_displaying():
    for name in ("", "two words", "1st", 3, None):
        with pytest.raises(ParameterError, match="name"):
            record(name, 1.0)
    for value in (math.nan, float("inf"), np.float64("nan"), {"nested": [1.0, math.inf]}):
        with pytest.raises(ParameterError, match="non-finite"):
            record("x", value)
    for value in (object(), {1, 2}, np.arange(3), b"bytes"):
        with pytest.raises(ParameterError, match="type"):
            record("x", value)


def test_read_records_of_a_notebook_without_records(tmp_path):
    path = tmp_path / "plain.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("1 + 1")]
    nbformat.write(notebook, path)
    assert read_records(path) == {}


@pytest.mark.parametrize("content", ["", "{not json", "[]", json.dumps({"nbformat": 4}),
                                     "\udcff".encode("utf-8", "surrogatepass")])
def test_invalid_notebook_files_raise_data_error(tmp_path, content):
    path = tmp_path / "broken.ipynb"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match="not a valid notebook"):
        read_records(path)


def test_missing_notebook_raises_data_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_records(tmp_path / "never_executed.ipynb")
