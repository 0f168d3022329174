"""The book's invariants: configuration, table of contents and the committed notebooks agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.startswith("."))


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


def _code_cells(notebook: Path) -> list[dict]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [cell for cell in cells if cell["cell_type"] == "code"]


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no chapter"


def test_every_notebook_and_page_is_in_the_toc_and_exists():
    listed = _toc_files()
    for notebook in NOTEBOOKS:
        assert f"notebooks/{notebook.stem}" in listed, f"{notebook.name} is missing from _toc.yml"
    for entry in listed:
        assert any((ROOT / f"{entry}{suffix}").exists() for suffix in (".md", ".ipynb")), entry


def test_execution_settings_fail_on_errors():
    config = _config()
    assert config["execute"]["execute_notebooks"] == "cache"
    assert config["execute"]["timeout"] >= 300
    assert config["sphinx"]["config"]["nb_execution_raise_on_error"] is True
    assert "sphinxcontrib.mermaid" in config["sphinx"]["extra_extensions"]
    assert config["sphinx"]["config"]["myst_fence_as_directive"] == ["mermaid"]


def test_jupyter_book_is_pinned_below_2():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'"jupyter-book>=1\.0\.4,<2"', pyproject)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_colab_install_cell_uses_the_configured_repository(notebook):
    url = _config()["repository"]["url"]
    sources = ["".join(cell["source"]) for cell in _code_cells(notebook)]
    installs = [s for s in sources if "pip" in s and "git+" in s]
    assert installs, f"{notebook.name} has no install cell for Colab"
    for source in installs:
        assert re.search(rf"git\+{re.escape(url)}\b", source), (
            f"{notebook.name} installs from another URL than _config.yml's repository.url")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_executed_with_one_parameters_cell(notebook):
    cells = _code_cells(notebook)
    tags = [cell.get("metadata", {}).get("tags", []) for cell in cells]
    assert sum("parameters" in t for t in tags) == 1
    assert not any("injected-parameters" in t for t in tags)
    assert any(cell.get("outputs") for cell in cells), "committed without outputs"
    errors = [o for cell in cells for o in cell.get("outputs", []) if o["output_type"] == "error"]
    assert not errors
    stderr = [o for cell in cells for o in cell.get("outputs", [])
              if o["output_type"] == "stream" and o["name"] == "stderr"
              and not "".join(cell["source"]).startswith("# NBVAL_IGNORE_OUTPUT")]
    assert not stderr, "warnings on stderr in a checked cell: fix their cause"


def _requirement_names(specs: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[;\s]", spec, maxsplit=1)[0].lower().replace("_", "-")
            for spec in specs}


def test_every_dependency_is_locked_to_an_exact_version():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+, as the lock itself
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = _requirement_names(project["dependencies"])
    for extra in ("book", "test"):
        wanted |= _requirement_names(project["optional-dependencies"][extra])
    lines = (ROOT / "requirements-lock.txt").read_text(encoding="utf-8").splitlines()
    assert any(re.fullmatch(r"# python: 3\.\d+", line) for line in lines)
    pins = [line for line in lines if line and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[^=\s]+", pin) for pin in pins), pins
    locked = _requirement_names(pins)
    assert wanted - {"torch"} <= locked, f"not in the lock: {sorted(wanted - locked)}"
    assert "torch" not in locked  # torch comes from the Makefile's TORCH (a CPU or GPU build)


def test_book_scripts_are_served_locally():
    config = _config()
    assert config["sphinx"]["local_extensions"] == {"offline_assets": "book/_ext"}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for script in ("mermaid.min.js", "tex-svg-full.js"):
        assert re.search(rf"\$\(VENDOR\)/{re.escape(script)}:\n\t\$\(call npm_file,"
                         r"[a-z]+@[\d.]+,[\w/.\-]+,[0-9a-f]{64}\)", makefile), script
