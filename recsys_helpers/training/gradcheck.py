"""Gradient checking: a hand-derived gradient against central finite differences.

`finite_difference_gradient` differentiates any scalar function of torch tensors numerically,
the reference a derived gradient must match; `relative_error` (0 for agreement, 2 for a flipped
sign) and `cosine` compare two gradients, whatever mix of tensors and arrays they come as
(`flatten`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from ..errors import ParameterError
from ..params import check_float
from .losses import as_float64


def finite_difference_gradient(
    f: Callable[[], torch.Tensor], params: Sequence[torch.Tensor], eps: float = 1e-6
) -> list[torch.Tensor]:
    """Central differences (f(theta + eps e_k) - f(theta - eps e_k)) / (2 eps), entry by entry.

    `f` takes no argument and reads `params` (tensors it closes over, changed in place here and
    restored after). Use float64: in float32 the rounding error of f swamps the difference.
    The error is O(eps^2) plus rounding of order (machine epsilon * |f|) / eps.
    """
    check_float("eps", eps, low=1e-12, high=1.0)
    params = list(params)
    if not params or not all(isinstance(p, torch.Tensor) for p in params):
        raise ParameterError("params must be a non-empty sequence of torch tensors")
    if not all(p.is_contiguous() for p in params):
        raise ParameterError("params must be contiguous tensors (they are changed in place)")
    gradients = []
    with torch.no_grad():
        for param in params:
            grad = torch.zeros_like(param)
            flat, flat_grad = param.view(-1), grad.view(-1)
            for k in range(flat.numel()):
                kept = flat[k].item()
                flat[k] = kept + eps
                upper = float(f())
                flat[k] = kept - eps
                lower = float(f())
                flat[k] = kept
                flat_grad[k] = (upper - lower) / (2.0 * eps)
            gradients.append(grad)
    return gradients


def flatten(gradients: Any) -> np.ndarray:
    """One float64 vector from a tensor, an array, or a sequence of them (parameter order)."""
    if isinstance(gradients, torch.Tensor | np.ndarray):
        gradients = [gradients]
    parts = [as_float64(g).ravel() for g in gradients]
    if not parts:
        raise ParameterError("no gradients to flatten")
    return np.concatenate(parts)


def relative_error(candidate: Any, reference: Any) -> float:
    """||a - b|| / max(||a||, ||b||): 0 when they agree, 2 when one is minus the other."""
    a, b = flatten(candidate), flatten(reference)
    if a.shape != b.shape:
        raise ParameterError(f"gradients have different sizes: {a.shape} and {b.shape}")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0.0 else float(np.linalg.norm(a - b) / scale)


def cosine(candidate: Any, reference: Any) -> float:
    """Cosine of the angle between two gradients: 1 same direction, -1 opposite."""
    a, b = flatten(candidate), flatten(reference)
    if a.shape != b.shape:
        raise ParameterError(f"gradients have different sizes: {a.shape} and {b.shape}")
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    if norms == 0.0:
        raise ParameterError("the cosine of a zero gradient is undefined")
    return float(a @ b / norms)
