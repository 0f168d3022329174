"""Validation of papermill parameters.

papermill injects whatever a caller passes, so a notebook checks its parameters in one call right
after the `parameters` cell and fails early with a message naming the parameter and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .errors import ParameterError


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """Return `value` if it is an integer within [low, high], else raise ParameterError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(f"parameter {name!r} must be an integer, got {value!r}")
    _check_range(name, value, low, high)
    return value


def check_float(
    name: str, value: Any, *, low: float | None = None, high: float | None = None
) -> float:
    """Return `value` as a float if it is a number within [low, high], else raise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(f"parameter {name!r} must be a number, got {value!r}")
    if math.isnan(value):
        raise ParameterError(f"parameter {name!r} must be a number, got nan")
    _check_range(name, value, low, high)
    return float(value)


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return `value` if it is one of `choices`, else raise with the list of choices."""
    options = list(choices)
    if value not in options:
        raise ParameterError(f"parameter {name!r} must be one of {options}, got {value!r}")
    return value


def _check_range(name: str, value: float, low: float | None, high: float | None) -> None:
    if low is not None and value < low:
        raise ParameterError(f"parameter {name!r} must be >= {low}, got {value!r}")
    if high is not None and value > high:
        raise ParameterError(f"parameter {name!r} must be <= {high}, got {value!r}")


def check_int_list(
    name: str, value: Any, *, low: int | None = None, high: int | None = None
) -> list[int]:
    """Return `value` if it is a non-empty, increasing list of integers within [low, high]."""
    if not isinstance(value, list | tuple) or not value:
        raise ParameterError(f"parameter {name!r} must be a non-empty list of integers, "
                             f"got {value!r}")
    for position, entry in enumerate(value):
        check_int(f"{name}[{position}]", entry, low=low, high=high)
    if list(value) != sorted(set(value)):
        raise ParameterError(f"parameter {name!r} must be strictly increasing, got {value!r}")
    return list(value)
