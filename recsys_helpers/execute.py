"""Re-execute notebooks in place with their default parameters (``make execute``).

papermill runs each notebook from its own folder; the result is cleaned of papermill's
per-cell timing metadata (which would change on every run and clutter diffs) and then replaces
the original atomically, so an interrupted run never leaves a half-written notebook.

Usage: ``python -m recsys_helpers.execute notebooks/01_background.ipynb [...]``
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import tempfile
import time
from pathlib import Path

VOLATILE_CELL_METADATA = ("papermill", "execution")


def execute_in_place(notebook: Path, kernel_name: str = "python3") -> float:
    """Run one notebook with its defaults and overwrite it; returns the seconds it took."""
    import papermill

    notebook = notebook.resolve()
    started = time.perf_counter()
    handle, scratch = tempfile.mkstemp(prefix=".execute-", suffix=".ipynb", dir=notebook.parent)
    os.close(handle)
    try:
        papermill.execute_notebook(str(notebook), scratch, kernel_name=kernel_name,
                                   cwd=str(notebook.parent), progress_bar=False)
        content = json.loads(Path(scratch).read_text(encoding="utf-8"))
        strip_volatile_metadata(content)
        Path(scratch).write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
        os.chmod(scratch, stat.S_IMODE(notebook.stat().st_mode))  # mkstemp made it 0600
        os.replace(scratch, notebook)
    finally:
        if os.path.exists(scratch):
            os.remove(scratch)
    return time.perf_counter() - started


def strip_volatile_metadata(content: dict) -> None:
    """Drop run-specific metadata (timings, papermill status) from a notebook dict in place."""
    content.get("metadata", {}).pop("papermill", None)
    for cell in content.get("cells", []):
        metadata = cell.get("metadata", {})
        for key in VOLATILE_CELL_METADATA:
            metadata.pop(key, None)
        if "injected-parameters" in metadata.get("tags", []):
            raise RuntimeError("a papermill injected-parameters cell must not be committed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for notebook in args.notebooks:
        seconds = execute_in_place(notebook)
        print(f"{notebook}: executed in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
