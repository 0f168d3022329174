"""Recording headline figures so that tests can read them back from an executed notebook.

`record("ndcg_warm", 0.231)` displays one line of plain text for the reader (and for nbval to
compare) and attaches the figure as JSON to that output's metadata under `RECORD_KEY`, where
`read_records` collects it from the saved notebook. (Metadata rather than a custom MIME type:
renderers such as Jupyter Book warn about MIME types they do not know.) A value is rounded
when recorded, so what the reader sees, what nbval checks and what the tests assert are the same
number.
"""

from __future__ import annotations

import json
import math
from numbers import Real
from pathlib import Path
from typing import Any

from .errors import DataError, ParameterError

RECORD_KEY = "recsys_helpers.record"


def record(name: str, value: Any, digits: int = 3) -> None:
    """Show and record one headline figure (rounded to `digits` decimals)."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ParameterError(f"record name must be an identifier-like string, got {name!r}")
    value = _jsonable(value, digits)
    from IPython.display import display

    display({"text/plain": f"recorded {name} = {value}"},
            metadata={RECORD_KEY: {"name": name, "value": value}}, raw=True)


def read_records(notebook: str | Path) -> dict[str, Any]:
    """Collect every recorded figure of an executed notebook; later records win."""
    path = Path(notebook)
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except FileNotFoundError as err:
        raise DataError(f"notebook {path} does not exist; execute it first") from err
    except (ValueError, KeyError, TypeError) as err:  # bad JSON or text, or not a notebook
        raise DataError(f"{path} is not a valid notebook file: {err}") from err
    records: dict[str, Any] = {}
    for cell in cells:
        for output in cell.get("outputs", []):
            payload = output.get("metadata", {}).get(RECORD_KEY)
            if payload is not None:
                records[payload["name"]] = payload["value"]
    return records


def _jsonable(value: Any, digits: int) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Real):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            raise ParameterError(f"cannot record a non-finite value ({number})")
        if float(number).is_integer() and not isinstance(value, float):
            return int(number)
        return round(number, digits)
    if isinstance(value, dict):
        return {str(k): _jsonable(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, digits) for v in value]
    raise ParameterError(f"cannot record a value of type {type(value).__name__}")
