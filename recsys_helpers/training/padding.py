"""What padding costs: the token positions a model computes in one pass over examples of
given lengths, under each padding scheme (`padding_cost`). A transformer computes every position
of a batch, padding included, so the scheme decides much of the time a pass over short texts
takes; this counts it without running a model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..params import check_int

PADDING_SCHEMES = ("fixed", "per batch", "per batch, sorted")


def padding_cost(lengths: Sequence[int], batch_size: int, max_length: int | None = None,
                 seed: int = 0) -> pd.DataFrame:
    """Token positions a model computes for one pass over examples of the given `lengths`.

    - "fixed": every example padded to `max_length` (the longest example if None);
    - "per batch": batches in a random order (seeded), each padded to its longest example;
    - "per batch, sorted": batches of similar length (sorted longest first), as for inference.

    Columns: positions, their share that is padding, and the positions relative to "fixed".
    """
    check_int("batch_size", batch_size, low=1)
    check_int("seed", seed, low=0)
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.ndim != 1 or len(lengths) == 0 or (lengths < 1).any():
        raise ParameterError("lengths must be a non-empty list of positive integers")
    longest = int(lengths.max())
    if max_length is None:
        max_length = longest
    check_int("max_length", max_length, low=longest)
    real = int(lengths.sum())

    def batched(order: np.ndarray) -> int:
        return sum(int(lengths[order[i:i + batch_size]].max()) * len(order[i:i + batch_size])
                   for i in range(0, len(order), batch_size))

    positions = {
        "fixed": max_length * len(lengths),
        "per batch": batched(np.random.default_rng(seed).permutation(len(lengths))),
        "per batch, sorted": batched(np.argsort(-lengths, kind="stable")),
    }
    rows = [(scheme, count, 1.0 - real / count, count / positions["fixed"])
            for scheme, count in positions.items()]
    return pd.DataFrame(rows, columns=["padding", "positions", "padding_share", "vs_fixed"])
