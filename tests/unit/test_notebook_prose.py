"""Every figure a chapter's prose quotes is one that the chapter itself printed.

Conclusions drift when a notebook is re-executed (a new lock, a fixed bug) and the prose is not
re-read. This test finds each decimal number (two or more decimals) and each percentage in the
markdown cells, outside LaTeX, and looks for it in the printed outputs of the same notebook:
as printed, or rounded by one digit (prose may say 0.46 or 16% for a printed 0.464 or 0.156),
or as a literal of the notebook's code (a parameter the prose describes, such as 45% for a
window of 0.45). The few figures quoted from elsewhere are listed below with their source.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.startswith("."))
NUMBER = re.compile(r"(?<![\w.])\d+\.\d{2,}(?![\w.])|(?<![\w.])\d+(?:\.\d+)?(?=\s?%)")
LATEX = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", flags=re.S)

# notebook stem -> {number: where it comes from}
QUOTED_FROM_ELSEWHERE: dict[str, dict[str, str]] = {
    "03_algorithm": {number: "the chapter's papermill runs at seeds 1 and 2 (make test-seeds, "
                     "tests/notebooks/test_chapter03.py)"
                     for number in ("0.028", "0.077", "0.027", "0.619", "0.080", "0.133", "0.030",
                                    "0.423", "0.342", "0.655", "0.643")},
    "05_finetuning_code": {number: "the chapter's papermill runs at seeds 1 and 2 (make "
                           "test-seeds, tests/notebooks/test_chapter05.py)"
                           for number in ("0.092", "0.136", "0.048", "0.423", "0.342")},
}


DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])|(?<![\w.])\d+(?![\w.])")


def _printed(cells: list[dict]) -> str:
    parts = []
    for cell in cells:
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream":
                parts.append("".join(output["text"]))
            for mime in ("text/plain", "text/html", "text/markdown"):
                parts.append("".join(output.get("data", {}).get(mime, "")))
    return "\n".join(parts)


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def _shown(number: str, printed: set[str], code: set[str]) -> bool:
    """Whether `number` (from the prose; "16%" style or plain) is printed or a code literal."""
    percent = number.endswith("%")
    value = number.rstrip("%")
    if value in printed or value in code:
        return True
    candidates = [(float(value), _decimals(value))]
    if percent:  # 16% may be printed as 0.16 or 0.156
        candidates.append((float(value) / 100, _decimals(value) + 2))
        if f"{float(value) / 100:.{_decimals(value) + 2}f}" in printed | code:
            return True
    for target, digits in candidates:
        for shown in printed:
            if _decimals(shown) == digits + 1 and round(float(shown), digits) == round(target,
                                                                                      digits):
                return True
    return False


def quoted_but_not_printed(notebook: Path) -> list[str]:
    """The numbers in the notebook's prose that none of its outputs shows."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    printed = set(DECIMAL.findall(_printed(cells)))
    code = set(DECIMAL.findall("\n".join("".join(cell["source"]) for cell in cells
                                         if cell["cell_type"] == "code")))
    allowed = QUOTED_FROM_ELSEWHERE.get(notebook.stem, {})
    missing = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        prose = LATEX.sub(" ", "".join(cell["source"]))
        for match in NUMBER.finditer(prose):
            number = match.group(0) + ("%" if prose[match.end():].lstrip()[:1] == "%" else "")
            if number.rstrip("%") not in allowed and not _shown(number, printed, code):
                context = prose[max(0, match.start() - 40):match.end() + 20]
                missing.append(f"cell {index}: {number} in ...{' '.join(context.split())}...")
    return missing


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_prose_quotes_only_printed_figures(notebook):
    assert not quoted_but_not_printed(notebook)


def test_the_check_finds_a_figure_that_was_not_printed(tmp_path):
    notebook = tmp_path / "toy.ipynb"
    notebook.write_text(json.dumps({"cells": [
        {"cell_type": "code", "source": ["print(0.25)"],
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["auc 0.612\n"]}]},
        {"cell_type": "markdown",
         "source": ["AUC 0.612 here, 0.61 rounded, 61% too, 0.25 in the code, 0.641 nowhere, "
                    "0.62 rounded wrongly, $p = 0.333$ is maths, 12% made up."]},
    ]}), encoding="utf-8")
    missing = quoted_but_not_printed(notebook)
    assert [m.split(" in ")[0] for m in missing] == ["cell 1: 0.641", "cell 1: 0.62",
                                                     "cell 1: 12%"]
