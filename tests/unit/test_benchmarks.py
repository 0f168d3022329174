"""The benchmark scripts still run, at tiny sizes, and print what the README quotes from them.

No timing is asserted (the numbers move with the machine's load); what is checked is that each
script runs to the end, prints every row, and that the correctness figures it prints beside the
timings hold: the bi-encoder's batched vectors equal sentence-transformers' and bf16 keeps the
neighbours. About 40 s on the 2-core reference CPU.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_catalogue_encoding_prints_every_variant_and_agrees_with_the_library():
    done = _run("catalogue_encoding.py", "--n-items", "300", "--n-users", "400",
                "--n-sessions", "4000", "--eval-users", "300", "--baseline-items", "5",
                "--cut-lengths", "16", "--repeats", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for row in ("one at a time", "sentence-transformers encode", "bi-encoder encode"):
        assert row in out
    rows = {m.group(1).strip(): m.group(2) for m in
            re.finditer(r"^(fp32|bf16|int8|bf16, cut at 16)\s+[\d.]+\s+[\d.]+x\s+([\d.]+)",
                        out, re.MULTILINE)}
    assert set(rows) == {"fp32", "bf16", "int8", "bf16, cut at 16"}
    assert float(rows["fp32"]) == 1.0  # the reference keeps its own neighbours
    assert float(rows["bf16"]) > 0.9
    agreement = re.search(r"largest difference between the two batched encodings: (\S+)", out)
    assert agreement and float(agreement.group(1)) < 1e-4


def test_catalogue_encoding_rejects_a_cut_longer_than_the_texts():
    done = _run("catalogue_encoding.py", "--cut-lengths", "64")
    assert done.returncode == 2
    assert "each --cut-lengths value must be at least 8 and below --max-length" in done.stderr


def test_finetune_throughput_prints_both_ratios():
    done = _run("finetune_throughput.py", "--clicks", "24", "--n-valid", "10", "--epochs", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    for side in ("corrected fp32", "corrected bf16"):
        assert re.search(rf"^{side} / article: [\d.]+x fine-tuning, [\d.]+x validation",
                         done.stdout, re.MULTILINE), side


@pytest.mark.parametrize("script", ["catalogue_encoding.py", "finetune_throughput.py"])
def test_help_names_the_script(script):
    done = _run(script, "--help")
    assert done.returncode == 0
    assert "usage:" in done.stdout
