"""Seeds and device choice, the two things every notebook sets first."""

from __future__ import annotations

import os
import random

import numpy as np

from .errors import ParameterError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch so that a rerun prints the same numbers."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    try:
        import torch
    except ImportError:  # torch is optional for the data-only helpers
        return
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def pick_device(device: str = "auto") -> str:
    """Return "cuda" when asked for (or "auto" and present), else "cpu".

    Asking for "cuda" on a machine without it is an error rather than a silent fallback, so a
    reader who expects a GPU learns at once that they do not have one.
    """
    if device not in DEVICE_CHOICES:
        raise ParameterError(f"device must be one of {DEVICE_CHOICES}, got {device!r}")
    import torch

    has_cuda = torch.cuda.is_available()
    if device == "cuda" and not has_cuda:
        raise ParameterError(
            "device='cuda' was asked for but no CUDA GPU is visible; use device='auto' or 'cpu' "
            "(on Colab: Runtime > Change runtime type > GPU)"
        )
    if device == "auto":
        return "cuda" if has_cuda else "cpu"
    return device
